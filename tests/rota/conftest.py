"""Fixtures of the rota tests: a small company with a rota.yml."""

from __future__ import annotations

import pytest
from rota_helpers import write_rota

from remoteops.synthetic import write_company


@pytest.fixture
def rota_company(tmp_path, monkeypatch):
    """A small invented company (12 employees), six of them on a rota of three channels;
    outputs go to ``tmp_path / "out"``. Returns (folder, IDs on the rota)."""
    root = tmp_path / "inventory"
    write_company(root, employees=12, seed=11)
    ids = write_rota(root)
    monkeypatch.setenv("REMOTEOPS_OUT", str(tmp_path / "out"))
    return root, ids
