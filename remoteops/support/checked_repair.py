"""A repair as support runs it: diagnose, repair, diagnose again, and keep all three.

:func:`repair` is what ``remoteops support repair TARGET ACTION`` calls. The diagnosis
before and after are ordinary diagnoses (``support history`` shows them); the repair run is
in the provisioning history and the audit log (``support.repair``); one more audit entry
(``support.repair.checked``) ties them together with what the repair fixed and what still
fails, so ``remoteops log --employee E0042`` tells the whole story.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from remoteops.models import Company
from remoteops.provision.results import ProgressUpdate
from remoteops.state import StateStore
from remoteops.support.diagnosis import DiagnoseOptions, DiagnosisReport, diagnose
from remoteops.support.repairs import (
    RepairAction,
    RepairResult,
    get_action,
    require_confirmation,
    run_repair,
)
from remoteops.support.results import PolicyResult

CHECKED_ACTION = "support.repair.checked"


@dataclass(frozen=True)
class RepairReport:
    """What ``support repair`` shows: the repair, and the workstation before and after."""

    action: RepairAction
    before: DiagnosisReport
    result: RepairResult | None  # None: the workstation was not reached, nothing ran
    after: DiagnosisReport | None  # None: not diagnosed again (nothing ran)

    @property
    def host(self) -> str:
        return self.before.diagnosis.host

    @property
    def fixed(self) -> tuple[PolicyResult, ...]:
        """Checks that failed before and pass now."""
        if self.after is None:
            return ()
        now = {r.policy: r.status for r in self.after.diagnosis.results}
        return tuple(r for r in self.before.diagnosis.failing if now.get(r.policy) == "pass")

    @property
    def still_failing(self) -> tuple[PolicyResult, ...]:
        return self.after.diagnosis.failing if self.after is not None else ()

    @property
    def targeted(self) -> tuple[PolicyResult, ...]:
        """The checks that failed before and named this repair as theirs."""
        return tuple(r for r in self.before.diagnosis.failing if r.repair == self.action.id)

    @property
    def unconfirmed(self) -> tuple[PolicyResult, ...]:
        """Checks this repair was for that could not be checked afterwards."""
        if self.after is None:
            return ()
        targeted = {r.policy for r in self.targeted}
        return tuple(r for r in self.after.diagnosis.errors if r.policy in targeted)

    @property
    def succeeded(self) -> bool:
        """The repair ran, the workstation answered afterwards, and no check this repair was
        for still fails (one that cannot be checked is listed in :attr:`unconfirmed`)."""
        if self.result is None or not self.result.succeeded or self.after is None:
            return False
        still = {r.policy for r in self.still_failing}
        return self.after.diagnosis.reachable and not any(r.policy in still for r in self.targeted)

    @property
    def exit_code(self) -> int:
        return 0 if self.succeeded else 1

    @property
    def employee_message(self) -> str:
        """For the employee, in their language: what was done and what is next."""
        final = self.after or self.before
        return final.message

    def as_dict(self) -> dict[str, object]:
        return {
            "workstation": self.host,
            "employee_id": self.before.diagnosis.employee_id,
            "action": self.action.id,
            "status": self.result.status if self.result else "not run: unreachable",
            "succeeded": self.succeeded,
            "repair": self.result.as_row() if self.result else None,
            "fixed": [r.policy for r in self.fixed],
            "still_failing": [r.policy for r in self.still_failing],
            "unconfirmed": [r.policy for r in self.unconfirmed],
            "before": self.before.diagnosis.as_dict(),
            "after": self.after.diagnosis.as_dict() if self.after else None,
            "message": {
                "language": (self.after or self.before).language,
                "before": self.action.employee_message.in_language(self.before.language),
                "text": self.employee_message,
            },
        }


def repair(
    company: Company,
    store: StateStore,
    inventory_dir: Path,
    target: str,
    action: str,
    *,
    confirm: bool = False,
    lab_dir: Path | None = None,
    options: DiagnoseOptions | None = None,
    host_key_checking: bool = True,
    progress: Callable[[ProgressUpdate], None] | None = None,
) -> RepairReport:
    """Diagnose ``target`` (employee ID or workstation), run the repair ``action`` on it,
    diagnose it again, and record the three with one audit entry that links them.

    An unreachable workstation is not repaired (the report has ``result=None``). Raises
    :class:`~remoteops.errors.UsageError` for an unknown repair or workstation and
    :class:`~remoteops.support.repairs.ConfirmationRequired` for an unconfirmed restart,
    both before anything runs.
    """
    options = options or DiagnoseOptions()
    chosen = get_action(action)
    require_confirmation(chosen, confirm)

    def check() -> DiagnosisReport:
        return diagnose(
            company,
            store,
            inventory_dir,
            target,
            lab_dir=lab_dir,
            options=options,
            progress=progress,
        )

    before = check()
    if not before.diagnosis.reachable:
        report = RepairReport(chosen, before, None, None)
    else:
        result = run_repair(
            company,
            store,
            before.diagnosis.host,
            chosen.id,
            confirm=confirm,
            inventory_dir=inventory_dir,
            lab_dir=lab_dir,
            vault_password_file=options.vault_password_file,
            host_key_checking=host_key_checking,
            progress=progress,
        )
        report = RepairReport(chosen, before, result, check())
    with store.transaction() as conn:
        store.audit(
            conn,
            CHECKED_ACTION,
            employee_id=before.diagnosis.employee_id,
            subject=report.host,
            details={
                "repair": chosen.id,
                "run": report.result.run.run_id if report.result else None,
                "status": report.result.status if report.result else "not run: unreachable",
                "diagnosis_before": before.diagnosis.id,
                "diagnosis_after": report.after.diagnosis.id if report.after else None,
                "fixed": [r.policy for r in report.fixed],
                "still_failing": [r.policy for r in report.still_failing],
                "succeeded": report.succeeded,
            },
        )
    return report
