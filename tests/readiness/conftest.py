"""Fixtures of the readiness tests: a small invented company and a real state store."""

from __future__ import annotations

import pytest

from remoteops.inventory import load_company
from remoteops.state import StateStore
from remoteops.synthetic import write_company


@pytest.fixture
def company_dir(tmp_path, monkeypatch):
    """8 invented employees (seed 7): home-office starts 3 to 14 December 2026."""
    root = tmp_path / "inventory"
    write_company(root, employees=8, seed=7)
    monkeypatch.setenv("REMOTEOPS_OUT", str(tmp_path / "out"))
    return root


@pytest.fixture
def firm(company_dir):
    return load_company(company_dir)


@pytest.fixture
def store(state_target):
    """On both databases: an SQLite file and a PostgreSQL database."""
    with StateStore(state_target) as st:
        yield st
