"""Provisioning: run the workstation playbooks through ansible-runner and record the runs.

Example::

    from remoteops.provision import run_playbook, record_run

    run = run_playbook(
        Path("playbooks/workstation.yml"),
        [Path("inventory/hosts.yml"), lab_inventory],
        work_dir=Path(".remoteops/runs"),
        targets=["lab"],
        skip_tags=["live"],
        vault_password_file=Path("inventory/.vault-password"),
        progress=print,
    )
    with store.transaction() as conn:
        record_run(conn, run)

ansible-runner is imported only when a run starts, so importing this package is cheap.
"""

from remoteops.provision.driver import (
    VAULT_PASSWORD_ENV,
    InventoryParseError,
    ProvisionError,
    VaultPasswordError,
    ansible_playbook_path,
    employees_of,
    read_inventory,
    resolve_targets,
    run_playbook,
    vaulted_files,
)
from remoteops.provision.history import (
    PROVISION_SCHEMA,
    LastApply,
    RunSummary,
    get_run,
    last_applies,
    last_run,
    list_runs,
    record_run,
    retry_targets,
)
from remoteops.provision.results import HostResult, ProgressUpdate, ProvisionRun
from remoteops.provision.support import (
    COMPANY_VARS_FILE,
    company_support_vars,
    company_vars_text,
    write_company_vars,
)

__all__ = [
    "PROVISION_SCHEMA",
    "VAULT_PASSWORD_ENV",
    "HostResult",
    "InventoryParseError",
    "LastApply",
    "ProgressUpdate",
    "ProvisionError",
    "ProvisionRun",
    "RunSummary",
    "VaultPasswordError",
    "ansible_playbook_path",
    "COMPANY_VARS_FILE",
    "company_support_vars",
    "company_vars_text",
    "write_company_vars",
    "employees_of",
    "get_run",
    "last_applies",
    "last_run",
    "list_runs",
    "read_inventory",
    "record_run",
    "resolve_targets",
    "retry_targets",
    "run_playbook",
    "vaulted_files",
]
