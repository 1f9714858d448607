"""Diagnosing workstations: run ``playbooks/diagnose.yml`` (read-only) and a check-mode run
of ``workstation.yml`` (what would change) through the provisioning driver, judge every
policy, and record each diagnosis with its audit entry.

:func:`diagnose` is what ``remoteops support diagnose`` calls for one workstation;
:func:`run_diagnoses` diagnoses many in one Ansible run and is shared with the fleet view.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from remoteops.errors import NotFoundError, UsageError
from remoteops.models import Company, Employee
from remoteops.provision.driver import ProvisionError, read_inventory, run_playbook
from remoteops.provision.operations import (
    PLAYBOOKS,
    inventories_for,
    only_lab_workstations,
    vault_password_file_for,
)
from remoteops.provision.results import HostResult, ProgressUpdate, ProvisionRun
from remoteops.provision.support import write_company_vars
from remoteops.state import StateStore, current_actor, utcnow
from remoteops.support.checks import judge, pending_security_updates
from remoteops.support.findings import Context, Findings
from remoteops.support.messages import employee_message, message_language
from remoteops.support.results import Diagnosis, PolicyResult, failed, unknown
from remoteops.support.store import (
    latest_reached,
    pending_since,
    record_diagnosis,
    record_fleet_run,
)

DIAGNOSE_PLAYBOOK = "diagnose.yml"
BASELINE_PLAYBOOK = "workstation.yml"
RUNS_FOLDER = "support-runs"


@dataclass(frozen=True)
class Target:
    """A workstation to diagnose and whose it is."""

    host: str
    employee_id: str | None = None


@dataclass(frozen=True)
class DiagnoseOptions:
    """How to run a diagnosis (the options of ``support diagnose`` and ``support fleet``)."""

    baseline: bool = True  # also check the company settings (check-mode run of workstation.yml)
    forks: int = 5
    vault_password_file: Path | None = None


@dataclass(frozen=True)
class DiagnosisReport:
    """What ``remoteops support diagnose`` shows: the diagnosis, the employee's message and,
    for an unreachable workstation, the last diagnosis that reached it."""

    diagnosis: Diagnosis
    employee: Employee | None
    language: str
    message: str
    last_known: Diagnosis | None = None

    @property
    def exit_code(self) -> int:
        return 0 if self.diagnosis.reachable else 1

    def as_dict(self) -> dict[str, object]:
        return {
            **self.diagnosis.as_dict(),
            "employee": self.employee.full_name if self.employee else None,
            "message": {"language": self.language, "text": self.message},
            "last_known": self.last_known.as_dict() if self.last_known else None,
        }


def workstation_hosts(inventories: Sequence[Path]) -> dict[str, str | None]:
    """Every workstation in the inventories (group ``workstations``) -> its employee ID."""
    hosts, groups = read_inventory(inventories)
    names = groups.get("workstations") or set(hosts)
    return {
        name: (str(hosts[name]["employee_id"]) if hosts[name].get("employee_id") else None)
        for name in sorted(names)
    }


def find_workstation(inventories: Sequence[Path], target: str) -> Target:
    """The workstation ``target`` names: a host name, or an employee ID with exactly one
    workstation."""
    hosts = workstation_hosts(inventories)
    if target in hosts:
        return Target(target, hosts[target])
    theirs = sorted(h for h, e in hosts.items() if e and e.upper() == target.upper())
    if len(theirs) == 1:
        return Target(theirs[0], hosts[theirs[0]])
    if len(theirs) > 1:
        raise UsageError(
            f"{target} has {len(theirs)} workstations ({', '.join(theirs)}).",
            hint="Name the workstation instead of the employee.",
        )
    raise NotFoundError(
        f"No workstation or employee ID {target!r} in the inventory.",
        hint="Give a host name (ws-e0042) or an employee ID (E0042); for the lab, start it "
        "with 'remoteops lab up' (or set REMOTEOPS_LAB_DIR).",
    )


def _employee(company: Company, employee_id: str | None) -> Employee | None:
    if not employee_id:
        return None
    try:
        return company.employee(employee_id)
    except NotFoundError:
        return None


def _unreachable(host: HostResult | None, target: Target, now: dt.datetime) -> Diagnosis:
    message = (host.message if host else None) or "the workstation did not answer"
    verdict = failed(message)
    return Diagnosis(
        host=target.host,
        employee_id=target.employee_id,
        at=now,
        actor=current_actor(),
        reachable=False,
        error=message,
        results=(PolicyResult.of("reachable", verdict, now),),
    )


def _labelled(
    progress: Callable[[ProgressUpdate], None] | None,
) -> Callable[[ProgressUpdate], None] | None:
    """The check run's progress, shown as its own line per workstation."""
    if progress is None:
        return None
    return lambda update: progress(replace(update, host=f"{update.host} (settings check)"))


def _baseline_run(
    inventories: list[Path],
    hosts: list[str],
    work_dir: Path,
    vault: Path | None,
    options: DiagnoseOptions,
    progress: Callable[[ProgressUpdate], None] | None,
    cancel: Callable[[], bool] | None = None,
) -> ProvisionRun | str:
    """The check-mode run of the baseline on ``hosts`` (or why it could not run)."""
    try:
        return run_playbook(
            PLAYBOOKS / BASELINE_PLAYBOOK,
            inventories,
            work_dir=work_dir,
            limit=hosts,
            check=True,
            skip_tags=("live",) if only_lab_workstations(hosts, inventories) else (),
            forks=options.forks,
            vault_password_file=vault,
            progress=progress,
            cancel=cancel,
        )
    except ProvisionError as exc:
        return exc.message


def run_diagnoses(
    company: Company,
    store: StateStore,
    inventory_dir: Path,
    targets: Sequence[Target],
    *,
    lab_dir: Path | None = None,
    options: DiagnoseOptions = DiagnoseOptions(),
    progress: Callable[[ProgressUpdate], None] | None = None,
    fleet_scope: str | None = None,
) -> list[Diagnosis]:
    """Diagnose ``targets`` in one run, judge, record each diagnosis (and its audit entry).

    With ``fleet_scope`` (what the fleet run was asked for, e.g. ``team Outbound``) the
    diagnoses are recorded as one fleet run (``Diagnosis.fleet_run``). Raises
    :class:`~remoteops.provision.ProvisionError` when the run cannot start at all (vault,
    unreadable inventory); unreachable workstations are diagnoses too.
    """
    if not targets:
        raise UsageError("No workstation to diagnose.")
    inventories = inventories_for(inventory_dir, lab_dir)
    vault = vault_password_file_for(inventory_dir, options.vault_password_file)
    # The settings check compares with the support contact in the inventory (as under AWX).
    write_company_vars(company, inventory_dir)
    work_dir = store.local_folder / RUNS_FOLDER
    hosts = [t.host for t in targets]
    started = utcnow()
    # The check run of the company settings runs next to the diagnosis (two Ansible runs
    # side by side): support waits for the longer one, not for both.
    checked: dict[str, ProvisionRun | str] = {}
    stop = threading.Event()
    check = None
    if options.baseline:

        def settings_check() -> None:
            try:
                checked["run"] = _baseline_run(
                    inventories,
                    hosts,
                    work_dir,
                    vault,
                    options,
                    _labelled(progress),
                    stop.is_set,
                )
            except Exception as exc:  # said in the baseline policy's error, not lost
                checked["run"] = f"{type(exc).__name__}: {exc}"

        check = threading.Thread(target=settings_check, name="remoteops-settings-check")
        check.start()
    try:
        run = run_playbook(
            PLAYBOOKS / DIAGNOSE_PLAYBOOK,
            inventories,
            work_dir=work_dir,
            limit=hosts,
            forks=options.forks,
            vault_password_file=vault,
            progress=progress,
        )
        if run.status == "canceled":  # Ctrl-C (ansible-runner catches it): stop both
            stop.set()
            raise ProvisionError("The diagnosis was stopped; nothing was recorded.")
    except BaseException:
        stop.set()
        raise
    finally:
        if check is not None:
            check.join()
    reached = [h.host for h in run.hosts if h.status != "unreachable"]
    baseline = checked.get("run")
    now = utcnow()
    seconds = (now - started).total_seconds()
    diagnoses = []
    with store.transaction() as conn:
        fleet_run = None
        if fleet_scope is not None:
            fleet_run = record_fleet_run(
                conn,
                started_at=started,
                finished_at=now,
                actor=current_actor(),
                scope=fleet_scope,
                hosts=len(targets),
                reached=len(reached),
            )
        for target in targets:
            host = next((h for h in run.hosts if h.host == target.host), None)
            if host is None or host.status == "unreachable":
                diagnosis = _unreachable(host, target, now)
            else:
                diagnosis = _judged(conn, host, target, baseline, now, options)
            diagnosis = replace(diagnosis, fleet_run=fleet_run, run_id=run.run_id, seconds=seconds)
            diagnosis = replace(diagnosis, id=record_diagnosis(conn, diagnosis))
            store.audit(
                conn,
                "support.diagnose",
                employee_id=target.employee_id,
                subject=target.host,
                details={
                    "diagnosis": diagnosis.id,
                    "reachable": diagnosis.reachable,
                    "failing": [r.policy for r in diagnosis.failing],
                    "not_checked": [r.policy for r in diagnosis.errors],
                    "fleet_run": fleet_run,
                },
                at=now,
            )
            diagnoses.append(diagnosis)
        if fleet_run is not None:
            store.audit(
                conn,
                "support.fleet",
                subject=f"fleet run {fleet_run}",
                details={
                    "scope": fleet_scope,
                    "workstations": len(targets),
                    "reached": len(reached),
                    "failing": _counts(d.failing for d in diagnoses),
                },
                at=now,
            )
    return diagnoses


def _counts(groups) -> dict[str, int]:
    counts: dict[str, int] = {}
    for group in groups:
        for result in group:
            counts[result.policy] = counts.get(result.policy, 0) + 1
    return dict(sorted(counts.items()))


def _judged(conn, host: HostResult, target: Target, baseline, now, options) -> Diagnosis:
    findings = Findings(host.report)
    check_run = None
    if isinstance(baseline, ProvisionRun):
        check_run = next((h for h in baseline.hosts if h.host == host.host), None)
    ctx = Context(
        now=now,
        limits=findings.limits,
        first_seen=pending_since(conn, host.host, pending_security_updates(findings) or [], now),
        baseline=check_run,
        baseline_checked=options.baseline,
    )
    stopped = host.message if host.status == "failed" else None
    verdicts = judge(findings, ctx, stopped=stopped)
    if options.baseline and check_run is None and isinstance(baseline, str):
        verdicts["baseline"] = unknown(f"the check run of the company settings failed: {baseline}")
    return Diagnosis(
        host=host.host,
        employee_id=target.employee_id,
        at=now,
        actor=current_actor(),
        reachable=True,
        results=tuple(PolicyResult.of(p, v, now) for p, v in verdicts.items()),
        limits=findings.limits,
    )


def diagnose(
    company: Company,
    store: StateStore,
    inventory_dir: Path,
    target: str,
    *,
    lab_dir: Path | None = None,
    options: DiagnoseOptions = DiagnoseOptions(),
    progress: Callable[[ProgressUpdate], None] | None = None,
) -> DiagnosisReport:
    """Diagnose one workstation (a host name or an employee ID), record it, and say what it
    means for the employee. An unreachable workstation is recorded too; the report then
    carries the last diagnosis that reached it (``last_known``)."""
    inventories = inventories_for(inventory_dir, lab_dir)
    found = find_workstation(inventories, target)
    with store.reading() as conn:
        before = latest_reached(conn, found.host)
    (diagnosis,) = run_diagnoses(
        company,
        store,
        inventory_dir,
        [found],
        lab_dir=lab_dir,
        options=options,
        progress=progress,
    )
    employee = _employee(company, found.employee_id)
    language = message_language(employee)
    return DiagnosisReport(
        diagnosis=diagnosis,
        employee=employee,
        language=language,
        message=employee_message(diagnosis, employee, company, language),
        last_known=None if diagnosis.reachable else before,
    )
