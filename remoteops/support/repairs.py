"""The support desk's repairs: what each one does, and one function that runs it.

Each repair is one tag of ``playbooks/repair.yml`` (role ``wks_repair``); the catalogue
below says in plain words what it does for support, what it never touches, and what the
employee is told. :func:`run_repair` runs one repair on one workstation through the same
driver as ``remoteops provision`` (ansible-runner, lab workstations without the ``live``
tasks) and records it in the provisioning history and the audit log (action
``support.repair``, so ``remoteops log`` and ``remoteops log --employee E0042`` show every
repair).

Wrapping it (what ``remoteops support repair HOST ACTION [--yes]`` should do)::

    action = get_action(name)                      # UsageError lists the valid ones
    if action.needs_confirmation and not yes:
        ask support "Restart ...? [y/N]" (or, without a terminal, stop with the error of
        ConfirmationRequired, which says to pass --yes)
    tell support action.employee_message.in_language(...) to read out to the caller
    before = diagnose(HOST)                        # the read side; stored per policy
    result = run_repair(company, store, HOST, name, confirm=yes, lab_dir=...)
    after = diagnose(HOST)                         # only if result.succeeded
    store the before/after diagnosis with result.run.run_id, print result.as_row()
    exit 0 if result.succeeded else 1

:class:`~remoteops.errors.RemoteOpsError` from here (unknown repair, unknown workstation,
missing confirmation, no workstation reached) carries the message and hint to print.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from remoteops.errors import NotFoundError, RemoteOpsError, UsageError
from remoteops.models import Company, Wording
from remoteops.provision.driver import ProvisionError, employees_of, hosts_of, resolve_targets
from remoteops.provision.operations import (
    ProvisionRequest,
    inventories_for,
    record,
    run_request,
)
from remoteops.provision.results import HostResult, ProgressUpdate, ProvisionRun
from remoteops.state import StateStore

PLAYBOOK = "repair.yml"
AUDIT_ACTION = "support.repair"


class ConfirmationRequired(RemoteOpsError):
    """The repair interrupts the employee and was not confirmed (``confirm=True``)."""


@dataclass(frozen=True)
class RepairAction:
    """One repair of the support desk: a tag of ``playbooks/repair.yml``."""

    id: str  # what support types: restart-vpn
    title: str  # for support, short: "Reconnect the VPN"
    does: str  # for support: what it does on the workstation
    never_touches: str  # for support: what it leaves alone
    tags: tuple[str, ...]
    employee_message: Wording  # read out or sent to the employee before it runs
    needs_confirmation: bool = False
    interrupts_employee: bool = False

    def as_row(self, language: str = "en") -> dict[str, object]:
        """A flat row for ``support actions`` (table, CSV, JSON)."""
        return {
            "action": self.id,
            "title": self.title,
            "does": self.does,
            "never_touches": self.never_touches,
            "interrupts_employee": self.interrupts_employee,
            "needs_confirmation": self.needs_confirmation,
            "employee_message": self.employee_message.in_language(language),
        }


#: The repairs, in the order ``support actions`` lists them.
ACTIONS: tuple[RepairAction, ...] = (
    RepairAction(
        id="reapply-baseline",
        title="Re-apply the company settings",
        does="Runs the whole home-office baseline again (the roles of workstation.yml: "
        "updates, firewall, screen lock, removable media, accounts, SSH, audit, VPN, "
        "softphone), compiles the desktop settings, loads the firewall rules and starts the "
        "company's services that have stopped.",
        never_touches="The employee's files and their own desktop settings that the company "
        "does not lock.",
        tags=("reapply-baseline",),
        employee_message=Wording(
            de="Wir bringen die Firmeneinstellungen Ihres Computers wieder in Ordnung. Sie "
            "können weiterarbeiten; das dauert ein paar Minuten.",
            en="We are putting your computer's company settings back in order. You can keep "
            "working; this takes a few minutes.",
        ),
    ),
    RepairAction(
        id="restart-vpn",
        title="Reconnect the VPN",
        does="Rewrites the VPN configuration from the baseline when it differs (vaulted keys, "
        "root only), installs the VPN tools if missing, starts the tunnel when it is down and "
        "restarts it when it has not reached the VPN server for 5 minutes.",
        never_touches="Other network settings, the employee's Wi-Fi or router, their files.",
        tags=("restart-vpn",),
        employee_message=Wording(
            de="Wir starten Ihre VPN-Verbindung zur Firma neu. Telefonate und Firmenprogramme "
            "können dabei bis zu einer Minute stocken. Sie müssen nichts tun.",
            en="We are restarting your VPN connection to the company. Calls and company "
            "programs may pause for up to a minute. You do not need to do anything.",
        ),
    ),
    RepairAction(
        id="free-disk",
        title="Free disk space",
        does="Removes downloaded package files, packages nothing needs any more (old "
        "kernels), system log files older than 30 days or beyond 200 MB, and files in /tmp "
        "and /var/tmp nobody has read or changed for 10 days (the role's defaults).",
        never_touches="Anything under /home (the employee's files), documents, settings, "
        "installed programs that are still needed.",
        tags=("free-disk",),
        employee_message=Wording(
            de="Wir schaffen Platz auf der Festplatte Ihres Computers und löschen dazu "
            "temporäre Dateien und alte Updates. Ihre eigenen Dateien bleiben unberührt. Sie "
            "können weiterarbeiten.",
            en="We are making room on your computer's disk by removing temporary files and "
            "old updates. Your own files stay untouched. You can keep working.",
        ),
    ),
    RepairAction(
        id="install-updates",
        title="Install updates",
        does="Finishes package installations that were interrupted (power cut during an "
        "update), installs what they still miss, then installs the security updates the "
        "workstation would install by itself, and checks that no package is left half done.",
        never_touches="Updates from outside the company's update sources; it never restarts "
        "the workstation.",
        tags=("install-updates",),
        employee_message=Wording(
            de="Wir installieren die neuesten Sicherheitsupdates auf Ihrem Computer. Sie "
            "können weiterarbeiten; er kann ein paar Minuten lang etwas langsamer sein.",
            en="We are installing the latest security updates on your computer. You can keep "
            "working; it may be a little slower for a few minutes.",
        ),
    ),
    RepairAction(
        id="resync-clock",
        title="Synchronise the clock",
        does="Restores the company's time servers from the baseline, switches network time "
        "on and restarts time synchronisation when the clock is not synchronised.",
        never_touches="The time zone, the employee's calendar, other settings.",
        tags=("resync-clock",),
        employee_message=Wording(
            de="Wir stellen die Uhr Ihres Computers auf die richtige Zeit. Sie können "
            "weiterarbeiten.",
            en="We are setting your computer's clock to the correct time. You can keep working.",
        ),
    ),
    RepairAction(
        id="reboot",
        title="Restart the workstation",
        does="Restarts the workstation after showing the employee a one-minute warning, and "
        "waits until it is back.",
        never_touches="Files and settings; unsaved work in open programs is lost.",
        tags=("reboot",),
        employee_message=Wording(
            de="Wir starten Ihren Computer neu. Bitte speichern Sie Ihre Arbeit und beenden "
            "Sie Ihr Gespräch jetzt. In ein paar Minuten ist er wieder da.",
            en="We are restarting your computer. Please save your work and end your call now. "
            "It will be back in a few minutes.",
        ),
        needs_confirmation=True,
        interrupts_employee=True,
    ),
)

#: What the employee reads on screen during the minute before a restart.
REBOOT_NOTICE = Wording(
    de="Der IT-Support startet diesen Computer in einer Minute neu. Bitte speichern Sie jetzt "
    "Ihre Arbeit.",
    en="IT support restarts this computer in one minute. Please save your work now.",
)


def list_actions() -> tuple[RepairAction, ...]:
    """Every repair, in the order ``support actions`` lists them."""
    return ACTIONS


def get_action(name: str) -> RepairAction:
    """The repair called ``name`` (case and surrounding blanks ignored)."""
    wanted = name.strip().lower()
    for action in ACTIONS:
        if action.id == wanted:
            return action
    raise UsageError(
        f"There is no repair called {name!r}.",
        hint=f"Choose one of: {', '.join(a.id for a in ACTIONS)} "
        "('remoteops support actions' explains them).",
    )


def require_confirmation(action: RepairAction, confirm: bool) -> None:
    """Raise :class:`ConfirmationRequired` for a repair that interrupts the employee and was
    not confirmed."""
    if action.needs_confirmation and not confirm:
        raise ConfirmationRequired(
            f"'{action.id}' interrupts the employee's work ({action.title.lower()}); it was "
            "not confirmed, so nothing was done.",
            hint="Ask the employee to save their work, then run it again with --yes.",
        )


@dataclass(frozen=True)
class RepairResult:
    """What one repair did on one workstation."""

    action: RepairAction
    host: str
    employee_id: str | None
    language: str  # of the employee (the company's when the workstation has no employee)
    run: ProvisionRun  # as recorded: provision history, remoteops log

    @property
    def host_result(self) -> HostResult | None:
        try:
            return self.run.host(self.host)
        except KeyError:
            return None

    @property
    def changed(self) -> int:
        """Tasks that changed something (0: there was nothing to repair)."""
        return self.host_result.changed if self.host_result else 0

    @property
    def status(self) -> str:
        """``repaired``, ``nothing to repair``, ``failed`` or ``unreachable``."""
        host = self.host_result
        if host is not None and host.status == "unreachable":
            return "unreachable"
        if host is None or host.status == "failed" or not self.run.succeeded:
            return "failed"
        return "repaired" if host.changed else "nothing to repair"

    @property
    def succeeded(self) -> bool:
        return self.status in ("repaired", "nothing to repair")

    @property
    def message(self) -> str:
        """For support: what went wrong in plain words, or what was done."""
        host = self.host_result
        if self.succeeded:
            return (
                f"{self.action.title}: {self.changed} change(s) made."
                if self.changed
                else f"{self.action.title}: nothing needed repairing."
            )
        if host is not None and host.message:
            if host.failed_task and host.status == "failed":
                return f"{host.failed_task}: {host.message}"
            return host.message
        return self.run.error or self.run.summary()

    @property
    def employee_message(self) -> str:
        return self.action.employee_message.in_language(self.language)

    def as_row(self) -> dict[str, object]:
        return {
            "workstation": self.host,
            "employee_id": self.employee_id or "",
            "action": self.action.id,
            "status": self.status,
            "changed": self.changed,
            "seconds": round(self.run.seconds, 1),
            "run": self.run.run_id,
            "message": self.message,
        }


def _one_workstation(target: str, inventories: list[Path]) -> str:
    """The host name behind an employee ID or host name; a group is an error."""
    (pattern,) = resolve_targets([target], inventories)
    hosts = sorted(hosts_of([pattern], inventories))
    if hosts != [pattern]:
        raise UsageError(
            f"{target!r} is a group of {len(hosts)} workstations; a repair runs on one "
            "workstation at a time.",
            hint="Give the employee ID (E0042) or the workstation's name (ws-e0042).",
        )
    return pattern


def _language(company: Company, employee_id: str | None) -> str:
    """The employee's language; the company's (its run sheets' and maps') for a workstation
    without one in the roster, such as a lab workstation."""
    try:
        return company.employee(str(employee_id)).language
    except NotFoundError:
        return company.delivery.language


def run_repair(
    company: Company,
    store: StateStore,
    host: str,
    action: str,
    *,
    confirm: bool = False,
    inventory_dir: Path | None = None,
    lab_dir: Path | None = None,
    vault_password_file: Path | None = None,
    host_key_checking: bool = True,
    progress: Callable[[ProgressUpdate], None] | None = None,
) -> RepairResult:
    """Run the repair ``action`` on one workstation and record it.

    ``host`` is an employee ID or a workstation's name from the company's ``hosts.yml`` (or
    the lab's inventory in ``lab_dir``, whose workstations skip the ``live`` tasks).
    ``inventory_dir`` defaults to the company's folder. A repair that interrupts the
    employee (``reboot``) needs ``confirm=True``.

    Returns the result also when the workstation failed or was unreachable (the run is
    recorded either way). Raises :class:`~remoteops.errors.UsageError` for an unknown
    repair or workstation, :class:`ConfirmationRequired` for an unconfirmed restart (both
    before anything runs or is recorded), and
    :class:`~remoteops.provision.ProvisionError` when no workstation was reached at all
    (that run is recorded too).
    """
    chosen = get_action(action)
    require_confirmation(chosen, confirm)
    inventory_dir = Path(inventory_dir or company.root)
    inventories = inventories_for(inventory_dir, lab_dir)
    name = _one_workstation(host, inventories)
    employee_id = employees_of(inventories).get(name)
    language = _language(company, employee_id)
    extra_vars: dict[str, object] = {}
    if chosen.needs_confirmation:
        extra_vars = {
            "wks_repair_reboot_confirmed": True,
            "wks_repair_reboot_message": REBOOT_NOTICE.in_language(language),
        }
    request = ProvisionRequest(
        targets=(name,),
        tags=chosen.tags,
        playbook=PLAYBOOK,
        extra_vars=extra_vars,
        vault_password_file=vault_password_file,
        host_key_checking=host_key_checking,
    )
    details = {"repair": chosen.id, "workstation": name}
    try:
        run = run_request(
            company, store, inventory_dir, request, lab_dir=lab_dir, progress=progress
        )
    except ProvisionError as exc:
        if exc.run is not None:
            record(
                store,
                exc.run,
                audit_action=AUDIT_ACTION,
                employee_id=employee_id,
                details=details | {"result": "failed"},
            )
        raise
    result = RepairResult(chosen, name, employee_id, language, run)
    record(
        store,
        run,
        audit_action=AUDIT_ACTION,
        employee_id=employee_id,
        details=details | {"result": result.status, "changed": result.changed},
    )
    return result
