"""Shared fixtures: the bundled sample company, small synthetic companies in temp folders,
and a way to run the CLI in-process and read what a user would see."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import pytest
from companyfiles import SAMPLE

from remoteops.cli import main
from remoteops.synthetic import write_company


def pytest_collection_modifyitems(items):
    """Tests marked ``after_lab(step)`` run after every other test, by step: 1 switches a
    workstation of the shared lab off, 2 inspects everything the lab runs left."""

    def step(item) -> int:
        marker = item.get_closest_marker("after_lab")
        return marker.args[0] if marker else 0

    items.sort(key=step)  # stable: the rest keep their order


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture
def small_company(tmp_path: Path) -> Path:
    """A valid company of 8 employees in a temp folder (tests may break it on purpose)."""
    root = tmp_path / "inventory"
    write_company(root, employees=8, seed=7)
    return root


@pytest.fixture
def cli(capsys, tmp_path, monkeypatch):
    """Run ``remoteops ARGS...`` in-process; the state store goes to a temp folder."""
    monkeypatch.setenv("REMOTEOPS_STATE", str(tmp_path / "state" / "state.db"))
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str) -> CliResult:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


# -- the state store on both databases --------------------------------------------------
_databases = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throwaway PostgreSQL server for the whole session (real, never faked); skipped
    with the reason when it cannot be started here."""
    from remoteops.state.throwaway import Unavailable, throwaway_cluster

    try:
        with throwaway_cluster() as cluster:
            yield cluster
    except Unavailable as exc:
        pytest.skip(f"no PostgreSQL server for the tests: {exc}")


@pytest.fixture(params=["sqlite", "postgresql"])
def state_target(request, tmp_path) -> str:
    """Where a new, empty state store is: an SQLite file, or a new database on the
    throwaway PostgreSQL server. Tests using it run on both."""
    if request.param == "sqlite":
        return str(tmp_path / "state.db")
    cluster = request.getfixturevalue("postgres_cluster")
    return cluster.create_database(f"test_{next(_databases)}")
