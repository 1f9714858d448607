"""Fixtures shared by the delivery-run CLI tests."""

from __future__ import annotations

import pytest

from remoteops.synthetic import write_company


@pytest.fixture
def company_dir(tmp_path, monkeypatch):
    """A small invented company (12 employees) whose outputs go to ``tmp_path / "out"``."""
    root = tmp_path / "inventory"
    write_company(root, employees=12, seed=11)
    monkeypatch.setenv("REMOTEOPS_OUT", str(tmp_path / "out"))
    return root
