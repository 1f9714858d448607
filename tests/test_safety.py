"""Data safety as a user meets it: read-only commands create nothing, folders and the state
database stay owner-only, spreadsheet formulas are neutralised in every CSV, and the usual
operating-system and database failures give a sentence instead of a traceback."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from companyfiles import REPO, edit_row
from hypothesis import given
from hypothesis import strategies as st

from remoteops.csvio import from_spreadsheet_cell, header_key, read_csv, to_spreadsheet_cell
from remoteops.files import UnsafeFileNameError, safe_file, slug
from remoteops.state import StateStore

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- file names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["../pwn", "../../pwn.ics", "/tmp/x/pwn", "a/b", ".hidden", "..", "", "x\ny", "E 1"]
)
def test_safe_file_refuses_names_that_are_not_one_plain_file_name(tmp_path, name):
    with pytest.raises(UnsafeFileNameError):
        safe_file(tmp_path, name)


def test_safe_file_refuses_a_symlink_that_leaves_the_folder(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "E0001.ics").symlink_to(outside / "E0001.ics")
    with pytest.raises(UnsafeFileNameError, match="leave the folder"):
        safe_file(folder, "E0001.ics")
    assert safe_file(folder, "E0002.ics") == folder / "E0002.ics"


def test_slug_of_free_text():
    assert slug("VW Bus 1") == slug("VW Bus 1!") == "vw-bus-1"
    assert slug("../../etc") == "etc"
    assert slug("!!!", default="van") == "van"


# -- spreadsheet formulas ---------------------------------------------------------------


@given(st.text())
def test_spreadsheet_cells_never_start_a_formula_and_read_back_exactly(text):
    cell = to_spreadsheet_cell(text)
    assert from_spreadsheet_cell(cell) == text
    if cell.startswith(FORMULA_START):
        float(cell.replace(",", "."))  # only plain numbers such as -3.5 stay as they are


def _assert_no_formula_cells(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text)))
    assert rows
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_START):
                float(cell.replace(",", "."))  # a plain number, not a formula
    return rows


def test_employees_csv_export_neutralises_formulas_and_reads_back(cli, small_company, tmp_path):
    edit_row(
        small_company / "employees.csv",
        0,
        first_name='=HYPERLINK("http://x","click")',
        last_name="@SUM(1+1)",
        street="-2+3 Hof",
    )
    result = cli("-i", small_company, "employees", "list", "--csv")
    assert result.exit_code == 0, result.output
    rows = _assert_no_formula_cells(result.stdout)
    assert any("'=HYPERLINK" in cell for row in rows for cell in row)
    exported = tmp_path / "export.csv"
    exported.write_text(result.stdout, encoding="utf-8")
    header = rows[0]
    table = read_csv(
        exported,
        display_name="export.csv",
        aliases={header_key(h): h for h in header},
        required=(),
    )
    names = {r.values["name"] for r in table.rows}
    assert '=HYPERLINK("http://x","click") @SUM(1+1)' in names, names


def test_audit_log_csv_neutralises_formulas(cli, tmp_path, monkeypatch):
    state = tmp_path / "state" / "state.db"
    with StateStore(state) as store, store.transaction() as conn:
        store.audit(conn, "=cmd|' /C calc'!A0", employee_id="@E1", subject="+SUM(1)", actor="-me")
    result = cli("log", "--csv")
    assert result.exit_code == 0, result.output
    rows = _assert_no_formula_cells(result.stdout)
    assert rows[1][1:5] == ["'-me", "'=cmd|' /C calc'!A0", "'@E1", "'+SUM(1)"]


# -- read-only commands create nothing --------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("log",),
        ("employees", "show", "E0001"),
        ("provision", "history"),
        ("contracts", "status"),
        ("routes", "status"),
    ],
)
def test_read_only_commands_do_not_create_a_state_database(cli, small_company, tmp_path, args):
    state = tmp_path / "state" / "state.db"
    assert not state.exists()
    result = cli("-i", small_company, *args)
    assert result.exit_code == 0, result.output
    assert not state.exists() and not state.parent.exists()
    assert "No state database" in result.stderr


def test_log_with_a_mistyped_inventory_folder_is_an_error(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("REMOTEOPS_STATE")
    monkeypatch.chdir(tmp_path)
    result = cli("-i", tmp_path / "invnetory", "log")
    assert result.exit_code == 1
    assert "invnetory" in result.stderr and "does not exist" in result.stderr
    assert "audit log is empty" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_log_limit_must_be_positive(cli):
    result = cli("log", "--limit", "-1")
    assert result.exit_code == 2 and "--limit" in result.stderr


# -- permissions ------------------------------------------------------------------------


def test_state_folders_are_owner_only_whatever_the_umask(cli, small_company, tmp_path):
    state = tmp_path / "a" / "b" / "c" / "state.db"
    old = os.umask(0)
    try:
        with StateStore(state):
            pass
    finally:
        os.umask(old)
    for folder in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "c"):
        assert _mode(folder) == 0o700, folder
    assert _mode(state) == 0o600


def test_an_existing_readable_state_file_is_tightened_and_said_so(cli, tmp_path):
    state = tmp_path / "state" / "state.db"
    StateStore(state).close()
    state.chmod(0o644)
    result = cli("log")
    assert result.exit_code == 0, result.output
    assert _mode(state) == 0o600
    assert "owner-only" in result.stderr and "644" in result.stderr


def test_an_output_folder_others_can_read_gets_a_notice(cli, small_company, tmp_path):
    out = tmp_path / "shared-out"
    out.mkdir(mode=0o755)
    out.chmod(0o755)
    result = cli("-i", small_company, "employees", "list")  # writes nothing: no notice
    assert "chmod 700" not in result.stderr
    from remoteops.files import private_dir, take_notices

    take_notices()
    private_dir(out)
    notes = take_notices()
    assert len(notes) == 1 and f"chmod 700 {out}" in notes[0]
    assert _mode(out) == 0o755  # the user's folder: said, not changed


# -- operating-system and database failures ---------------------------------------------


def test_state_path_below_a_file_is_a_clear_error(cli, tmp_path, monkeypatch):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    monkeypatch.setenv("REMOTEOPS_STATE", str(blocker / "state.db"))
    result = cli("contracts", "mark", "E0001", "home-office", "sent")
    assert result.exit_code == 1
    assert "is a file, not a folder" in result.stderr
    assert "bug" not in result.output and "Traceback" not in result.output


def test_a_database_damaged_in_the_middle_gives_a_clear_error(cli, tmp_path):
    state = tmp_path / "state" / "state.db"
    with StateStore(state) as store:
        for i in range(400):
            with store.transaction() as conn:
                store.audit(conn, "test.entry", details={"i": i, "pad": "x" * 200})
        store.query("PRAGMA wal_checkpoint(TRUNCATE)")
    size = state.stat().st_size
    assert size > 16 * 4096
    with state.open("r+b") as fh:  # keep the header and the schema, damage the rest
        fh.seek(8 * 4096)
        fh.write(os.urandom(size - 8 * 4096))
    result = cli("log", "--limit", "400")
    assert result.exit_code == 1, result.output
    assert "state database" in result.stderr and "move it away" in result.stderr
    assert "bug" not in result.output and "Traceback" not in result.output


def test_a_file_size_limit_gives_a_clear_error_and_keeps_the_old_file(tmp_path):
    """A real file-size limit (RLIMIT_FSIZE) in a real process: the write fails with EFBIG."""
    out = tmp_path / "out"
    env = {**os.environ, "REMOTEOPS_STATE": str(tmp_path / "state.db"), "COLUMNS": "200"}
    target = out / "big.txt"
    out.mkdir()
    target.write_text("previous version\n")
    code = (
        "import resource, sys, typer\n"
        "from remoteops.cli import app, main\n"
        "from remoteops.files import write_private\n"
        "@app.command('write-big')\n"
        "def write_big() -> None:\n"
        f"    write_private({str(target)!r}, b'x' * 100_000)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (10_000, 10_000))\n"
        "sys.exit(main(['write-big']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO
    )
    assert result.returncode == 1, result.stderr
    assert "larger than this system allows" in result.stderr
    assert "bug" not in result.stderr and "Traceback" not in result.stderr
    assert target.read_text() == "previous version\n"
    assert [p.name for p in out.iterdir()] == ["big.txt"]  # no .part file left


def test_every_group_help_has_an_example(cli):
    from typer.main import get_command

    from remoteops.cli import app

    root = get_command(app)
    groups = [name for name, cmd in root.commands.items() if hasattr(cmd, "commands")]
    assert {"employees", "provision", "contracts", "routes", "lab"} <= set(groups)
    for name in groups:
        result = cli(name, "--help")
        assert result.exit_code == 0
        assert "Example:" in result.stdout, f"'remoteops {name} --help' has no example"
        for sub in root.commands[name].commands:
            text = cli(name, sub, "--help").stdout
            assert "Example:" in text, f"'remoteops {name} {sub} --help' has no example"


def test_notices_reach_json_users_on_stderr_only(cli, tmp_path):
    state = tmp_path / "state" / "state.db"
    StateStore(state).close()
    state.chmod(0o640)
    result = cli("log", "--json")
    assert json.loads(result.stdout) == []
    assert "owner-only" in result.stderr
