"""Fixtures for the support desk's lab tests: a small company with the sample's baseline
settings and vault, and one pair of lab workstations with the baseline applied, shared by
the tests of a module (root only; the first run builds the lab image)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from remoteops.synthetic import write_company

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "inventory"


@dataclass
class SupportLab:
    inventory: Path  # the company folder
    folder: Path  # the lab folder (REMOTEOPS_LAB_DIR)
    state: Path  # the state database the tests share
    workstations: list  # LabWorkstation, lab-01 (E0001, English) and lab-02 (E0002, German)

    def root(self, name: str) -> Path:
        return next(w.root for w in self.workstations if w.name == name)

    def pid(self, name: str) -> int:
        return next(w.pid for w in self.workstations if w.name == name)


@pytest.fixture(scope="module")
def support_lab(tmp_path_factory):
    from remoteops.inventory import load_company
    from remoteops.lab import lab_down, lab_up
    from remoteops.provision.operations import ProvisionRequest, provision
    from remoteops.state import StateStore

    base = tmp_path_factory.mktemp("support")
    inventory = base / "inventory"
    write_company(inventory, employees=8, seed=7)  # E0001 speaks English, E0002 German
    shutil.copytree(
        SAMPLE / "group_vars" / "workstations", inventory / "group_vars" / "workstations"
    )
    shutil.copy2(SAMPLE / ".vault-password", inventory / ".vault-password")
    folder = base / "lab"
    if os.statvfs(base).f_flag & os.ST_NOSUID:  # sudo must work inside the lab
        folder = Path("/var/tmp") / f"remoteops-test-support-{os.getpid()}" / "lab"
    state = base / "state" / "state.db"
    try:
        workstations = lab_up(2, folder, employee_ids=["E0001", "E0002"])
        with StateStore(state) as store:
            run = provision(
                load_company(inventory),
                store,
                inventory,
                ProvisionRequest(targets=("lab",)),
                lab_dir=folder,
            )
        assert run.succeeded, run.summary()
        yield SupportLab(inventory, folder, state, workstations)
    finally:
        lab_down(folder)
