"""Fixtures for provisioning: small companies with the sample's vault, and lab workstations.

Lab fixtures need root (CI runs as root) and, the first time, the Debian mirror from this
machine's apt sources to build the lab image (cached in ~/.cache/remoteops/lab).

One pair of lab workstations serves the whole session (``lab_pair``), provisioned once
(``first_apply``) with one company (``lab_company``) and one state store (``lab_state``),
whether the tests drive the library or the CLI. Tests that switch a workstation off are
marked ``after_lab(1)`` and run after every other test (tests/conftest.py orders them).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from provision_helpers import (
    LAB_EMPLOYEES,
    SAMPLE_VAULT_PASSWORD,
    lab_folder,
    make_company,
    provision,
    vault_secrets,
)

from remoteops.lab import inventory_path, lab_down, lab_up
from remoteops.provision import record_run
from remoteops.state import StateStore


@pytest.fixture(scope="session")
def secrets_to_hide() -> list[str]:
    """Values that must never appear in output, logs, artifacts or the state store."""
    values = vault_secrets()
    return [
        values["vault_wks_vpn_private_key"],
        values["vault_wks_vpn_preshared_key"],
        SAMPLE_VAULT_PASSWORD.read_text().strip(),
    ]


@pytest.fixture(scope="module")
def company(tmp_path_factory) -> Path:
    return make_company(tmp_path_factory.mktemp("company") / "inventory")


@pytest.fixture(scope="session")
def lab_company(tmp_path_factory) -> Path:
    """The company whose baseline the shared lab pair gets (every run on it uses this)."""
    return make_company(tmp_path_factory.mktemp("lab-company") / "inventory")


@pytest.fixture(scope="session")
def lab_work(tmp_path_factory) -> Path:
    """Everything the runs on the shared lab leave: artifacts and the state store."""
    return tmp_path_factory.mktemp("lab-runs")


@pytest.fixture(scope="session")
def lab_state(lab_work) -> Path:
    """The state store of the runs on the shared lab (the CLI's REMOTEOPS_STATE too)."""
    return lab_work / "state" / "state.db"


@pytest.fixture(scope="session")
def lab_pair(tmp_path_factory):
    """Two lab workstations for the whole session; always torn down."""
    folder = lab_folder(tmp_path_factory, "lab-pair")
    try:
        workstations = lab_up(2, folder, employee_ids=list(LAB_EMPLOYEES))
        yield workstations, inventory_path(folder)
    finally:
        lab_down(folder)


@pytest.fixture(scope="session")
def first_apply(lab_pair, lab_company, lab_work, lab_state):
    """The baseline applied once to the fresh lab pair through the library, with live
    progress; the run is recorded in ``lab_state``. Returns (run, progress updates)."""
    _, inventory = lab_pair
    updates = []
    run = provision(lab_company, inventory, lab_work, progress=updates.append)
    with StateStore(lab_state) as store, store.transaction() as conn:
        record_run(conn, run)
    return run, updates
