"""Fixtures for provisioning: small companies with the sample's vault, and lab workstations.

Lab fixtures need root (CI runs as root) and, the first time, the Debian mirror from this
machine's apt sources to build the lab image (cached in ~/.cache/remoteops/lab).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from provision_helpers import SAMPLE_VAULT_PASSWORD, make_company, vault_secrets

from remoteops.lab import inventory_path, lab_down, lab_up


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


def _lab_folder(tmp_path_factory, name: str) -> Path:
    """A folder for a lab; not on a nosuid filesystem (sudo must work inside)."""
    folder = tmp_path_factory.mktemp(name)
    if os.statvfs(folder).f_flag & os.ST_NOSUID:
        folder = Path("/var/tmp") / f"remoteops-test-{name}-{os.getpid()}"
    return folder / "lab"


def _start_lab(folder: Path, n: int):
    workstations = lab_up(n, folder)
    return workstations, inventory_path(folder)


@pytest.fixture(scope="module")
def lab_pair(tmp_path_factory):
    """Two lab workstations, shared by the tests of one module; always torn down."""
    folder = _lab_folder(tmp_path_factory, "lab-pair")
    try:
        yield _start_lab(folder, 2)
    finally:
        lab_down(folder)


@pytest.fixture
def fresh_lab(tmp_path_factory):
    """One fresh lab workstation for a single test."""
    folder = _lab_folder(tmp_path_factory, "lab-fresh")
    try:
        yield _start_lab(folder, 1)
    finally:
        lab_down(folder)
