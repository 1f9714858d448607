"""What ``remoteops provision`` does, as one library function: pick the inventories and the
targets, run the baseline through the driver, record the run (and its audit entry) in the
state store - also a run that failed before any host was reached.

The two halves are public for the other runs of playbooks (the support desk's repairs):
:func:`run_request` runs a :class:`ProvisionRequest` without recording it, :func:`record`
stores a run with the audit entry the caller names."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from remoteops.errors import UsageError
from remoteops.models import Company
from remoteops.provision.driver import (
    ProvisionError,
    hosts_of,
    read_inventory,
    resolve_targets,
    run_playbook,
)
from remoteops.provision.history import get_run, list_runs, record_run, retry_targets
from remoteops.provision.results import ProgressUpdate, ProvisionRun
from remoteops.provision.support import write_company_vars
from remoteops.state import StateStore

PLAYBOOKS = Path(__file__).resolve().parent.parent.parent / "playbooks"
VAULT_PASSWORD_FILE = ".vault-password"


@dataclass(frozen=True)
class ProvisionRequest:
    """The options of ``remoteops provision``."""

    targets: tuple[str, ...] = ()
    check: bool = False
    diff: bool = False
    tags: tuple[str, ...] = ()
    forks: int = 5
    retry_failed: bool = False
    vault_password_file: Path | None = None
    host_key_checking: bool = True
    playbook: str = "workstation.yml"
    #: Extra variables for this run only (the company's support contact comes from the
    #: inventory: group_vars/workstations/company.yml, see write_company_vars).
    extra_vars: Mapping[str, object] = field(default_factory=dict)


def inventories_for(inventory_dir: Path, lab_dir: Path | None) -> list[Path]:
    """The company's ``hosts.yml`` (its ``group_vars/`` come along), plus the lab's inventory
    while a lab is up."""
    from remoteops.lab import inventory_path

    found = [Path(inventory_dir) / "hosts.yml"]
    if lab_dir is not None and inventory_path(lab_dir).is_file():
        found.append(inventory_path(lab_dir))
    return found


def provision(
    company: Company,
    store: StateStore,
    inventory_dir: Path,
    request: ProvisionRequest,
    *,
    lab_dir: Path | None = None,
    progress: Callable[[ProgressUpdate], None] | None = None,
) -> ProvisionRun:
    """Run the playbook on the targets and record the run. Lab workstations get the
    configuration without the tasks that act on the running kernel or network (tag ``live``)."""
    try:
        run = run_request(
            company, store, inventory_dir, request, lab_dir=lab_dir, progress=progress
        )
    except ProvisionError as exc:
        if exc.run is not None:
            record(store, exc.run)
        raise
    record(store, run)
    return run


def run_request(
    company: Company,
    store: StateStore,
    inventory_dir: Path,
    request: ProvisionRequest,
    *,
    lab_dir: Path | None = None,
    progress: Callable[[ProgressUpdate], None] | None = None,
) -> ProvisionRun:
    """Run ``request`` through the driver like :func:`provision`, without recording it.

    Raises :class:`~remoteops.provision.driver.ProvisionError` (``exc.run`` is the run to
    record, when there is one) when the run cannot start or reaches no workstation."""
    inventories = inventories_for(inventory_dir, lab_dir)
    targets: Sequence[str] = request.targets
    if request.retry_failed:
        with store.reading() as conn:
            targets = retry_targets(conn, request.playbook)
    try:
        hosts = resolve_targets(targets, inventories) if targets else []
    except UsageError:
        if "lab" in targets and len(inventories) == 1:
            raise UsageError(
                f"No lab is up in {lab_dir}." if lab_dir else "No lab folder is set.",
                hint="Start lab workstations with 'remoteops lab up 2' "
                "(or point REMOTEOPS_LAB_DIR at the lab's folder).",
            ) from None
        raise
    vault = vault_password_file_for(inventory_dir, request.vault_password_file)
    # The playbooks read the support contact from the inventory, as under AWX.
    write_company_vars(company, inventory_dir)
    return run_playbook(
        PLAYBOOKS / request.playbook,
        inventories,
        work_dir=store.local_folder / "provision-runs",
        targets=list(targets),
        check=request.check,
        diff=request.diff,
        tags=request.tags,
        skip_tags=("live",) if only_lab_workstations(hosts, inventories) else (),
        forks=request.forks,
        extra_vars=dict(request.extra_vars),
        vault_password_file=vault,
        host_key_checking=request.host_key_checking,
        progress=progress,
    )


def vault_password_file_for(inventory_dir: Path, given: Path | None) -> Path | None:
    """The vault password file to use: the one given, else ``<inventory>/.vault-password``
    if it exists (else the driver reads ``REMOTEOPS_VAULT_PASSWORD``)."""
    if given is None and (Path(inventory_dir) / VAULT_PASSWORD_FILE).is_file():
        return Path(inventory_dir) / VAULT_PASSWORD_FILE
    return given


def only_lab_workstations(patterns: Sequence[str], inventories: Sequence[Path]) -> bool:
    """True when the resolved targets (hosts and groups) are all chroot lab workstations
    (the lab's inventory comes after the company's): their run skips the ``live`` tasks.
    Booted lab workstations (``wks_lab_booted``) run their own systemd and get them."""
    if len(inventories) < 2:
        return False
    targeted = hosts_of(patterns, inventories)
    lab = read_inventory(inventories[1:])[0]
    chroot = {name for name, values in lab.items() if not values.get("wks_lab_booted")}
    return bool(targeted) and targeted <= chroot


def record(
    store: StateStore,
    run: ProvisionRun,
    *,
    audit_action: str = "provision.run",
    employee_id: str | None = None,
    details: Mapping[str, object] | None = None,
) -> None:
    """Store ``run`` (``provision history``) and its entry in the audit log (``remoteops
    log``) in one transaction. ``details`` add to the run's playbook, mode, targets, status
    and failed workstations; ``employee_id`` makes ``remoteops log --employee`` find it."""
    with store.transaction() as conn:
        record_run(conn, run)
        store.audit(
            conn,
            audit_action,
            employee_id=employee_id,
            subject=run.run_id,
            details={
                "playbook": run.playbook,
                "mode": run.mode,
                "targets": list(run.targets),
                "status": run.status,
                "failed_hosts": list(run.failed_hosts),
                **(details or {}),
            },
        )


def history(store: StateStore, *, limit: int = 20, employee_id: str | None = None):
    with store.reading() as conn:
        return list_runs(conn, limit=limit, employee_id=employee_id)


def show(store: StateStore, run_id: str) -> ProvisionRun:
    with store.reading() as conn:
        return get_run(conn, run_id)
