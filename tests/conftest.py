"""Shared fixtures: the bundled sample company, small synthetic companies in temp folders,
and a way to run the CLI in-process and read what a user would see."""

from __future__ import annotations

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
