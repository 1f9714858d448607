"""Helpers shared by the provisioning tests (importable as ``provision_helpers``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from remoteops.synthetic import write_company

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = REPO / "playbooks" / "workstation.yml"
SAMPLE = REPO / "inventory"
SAMPLE_VAULT_DIR = SAMPLE / "group_vars" / "workstations"
SAMPLE_VAULT_PASSWORD = SAMPLE / ".vault-password"

IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root (lab workstations)")


def vault_secrets() -> dict[str, str]:
    """The sample vault's decrypted values (read with the real ansible-vault)."""
    text = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-vault"),
            "view",
            str(SAMPLE_VAULT_DIR / "vault.yml"),
            "--vault-password-file",
            str(SAMPLE_VAULT_PASSWORD),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {k: str(v) for k, v in yaml.safe_load(text).items()}


def make_company(root: Path, employees: int = 4) -> Path:
    """A small invented company with the sample's baseline settings and vault."""
    write_company(root, employees=employees, seed=11)
    shutil.copytree(SAMPLE_VAULT_DIR, root / "group_vars" / "workstations")
    shutil.copy2(SAMPLE_VAULT_PASSWORD, root / ".vault-password")
    return root
