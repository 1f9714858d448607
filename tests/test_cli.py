"""The command line as a user meets it: messages, exit codes, output formats, start-up."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

from companyfiles import REPO, edit_row

from remoteops.state import StateStore


def test_check_sample_company(cli, sample_dir):
    result = cli("check", sample_dir)
    assert result.exit_code == 0, result.output
    assert "OK" in result.stdout and "150 employees" in result.stdout


def test_check_lists_every_problem_as_file_row_field(cli, small_company):
    line_a = edit_row(small_company / "employees.csv", 0, language="fr")
    line_b = edit_row(small_company / "employees.csv", 1, postcode="999")
    result = cli("check", small_company)
    assert result.exit_code == 1
    assert f"{small_company}/employees.csv:{line_a}: language: 'fr' is not one of" in result.stdout
    assert f"{small_company}/employees.csv:{line_b}: postcode:" in result.stdout
    assert "2 error(s)" in result.stdout
    assert "Traceback" not in result.output


def test_check_json_output_parses(cli, small_company):
    edit_row(small_company / "employees.csv", 0, postcode="1")
    result = cli("check", small_company, "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)[0]
    assert data["ok"] is False and data["errors"] == 1
    assert data["problems"][0]["field"] == "postcode"


def test_check_uses_inventory_option(cli, small_company):
    assert cli("--inventory", small_company, "check").exit_code == 0


def test_check_missing_folder_is_friendly(cli, tmp_path):
    result = cli("check", tmp_path / "nowhere")
    assert result.exit_code == 1 and "not a folder" in result.stdout
    assert "Traceback" not in result.output


def test_employees_list_json_and_filters(cli, sample_dir):
    everyone = json.loads(cli("-i", sample_dir, "employees", "list", "--json").stdout)
    assert len(everyone) == 150
    potsdam = json.loads(
        cli("-i", sample_dir, "employees", "list", "--postcode", "144", "--json").stdout
    )
    assert potsdam and all(r["postcode"].startswith("144") for r in potsdam)
    english = json.loads(
        cli("-i", sample_dir, "employees", "list", "--language", "en", "--json").stdout
    )
    assert english and all(r["language"] == "en" for r in english)
    team = everyone[0]["team"]
    in_team = json.loads(
        cli("-i", sample_dir, "employees", "list", "--team", team, "--json").stdout
    )
    assert {r["team"] for r in in_team} == {team}
    assert len(in_team) == sum(r["team"] == team for r in everyone)


def test_employees_list_csv_parses(cli, sample_dir):
    result = cli("-i", sample_dir, "employees", "list", "--status", "active", "--csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and all(r["status"] == "active" for r in rows)
    assert set(rows[0]) >= {"employee_id", "name", "postcode", "workstation"}


def test_employees_list_table(cli, sample_dir):
    result = cli("-i", sample_dir, "employees", "list", "--team", "Outbound")
    assert result.exit_code == 0 and "employees" in result.stdout and "Outbound" in result.stdout


def test_table_cells_show_inventory_text_as_it_is_not_as_markup(cli, small_company):
    """rich would style "[bold red]" and drop the brackets; a name is data."""
    path = small_company / "employees.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows[0]["last_name"] = "[bold red]Wolf[/]"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = cli("-i", small_company, "employees", "list")
    assert result.exit_code == 0, result.stderr
    assert "[bold red]Wolf[/]" in result.stdout


def test_json_and_csv_together_is_a_usage_error(cli, sample_dir):
    result = cli("-i", sample_dir, "employees", "list", "--json", "--csv")
    assert result.exit_code == 2 and "not both" in result.stderr


def test_bad_filter_value_is_a_usage_error(cli, sample_dir):
    result = cli("-i", sample_dir, "employees", "list", "--language", "fr")
    assert result.exit_code == 2 and "Unknown language" in result.stderr


def test_employees_show(cli, sample_dir):
    listing = json.loads(cli("-i", sample_dir, "employees", "list", "--json").stdout)
    someone = next(r for r in listing if r["workstation"])
    result = cli("-i", sample_dir, "employees", "show", someone["employee_id"])
    assert result.exit_code == 0
    assert someone["name"] in result.stdout and someone["workstation"] in result.stdout
    record = json.loads(
        cli("-i", sample_dir, "employees", "show", someone["employee_id"], "--json").stdout
    )[0]
    for asset in record["equipment"]:
        assert asset["serial_number"] in result.stdout
    assert record["workstation"]["hostname"] == someone["workstation"]


def test_unknown_employee_is_friendly(cli, sample_dir):
    result = cli("-i", sample_dir, "employees", "show", "E9999")
    assert result.exit_code == 1
    assert "No employee with ID 'E9999'" in result.stderr and "Traceback" not in result.output


def test_broken_inventory_in_a_command_points_to_check(cli, small_company):
    edit_row(small_company / "employees.csv", 0, latitude="north")
    result = cli("-i", small_company, "employees", "list")
    assert result.exit_code == 1
    assert "latitude" in result.stderr and "remoteops check" in result.stderr


def test_log_shows_entries_filtered_by_employee(cli, state_target, sample_dir, monkeypatch):
    """On both databases (``REMOTEOPS_STATE`` names an SQLite file or a PostgreSQL URL)."""
    monkeypatch.setenv("REMOTEOPS_ACTOR", "jana@ops")
    monkeypatch.setenv("REMOTEOPS_STATE", state_target)
    with StateStore(state_target) as store, store.transaction() as conn:
        store.audit(conn, "routes.delivered", employee_id="E0001", details={"by": "Nachbar"})
        store.audit(conn, "contracts.signed", employee_id="E0002")
    rows = json.loads(cli("-i", sample_dir, "log", "--employee", "E0001", "--json").stdout)
    assert [(r["action"], r["actor"], r["details"]) for r in rows] == [
        ("routes.delivered", "jana@ops", {"by": "Nachbar"})
    ]
    table = cli("-i", sample_dir, "log").stdout
    assert "contracts.signed" in table and "routes.delivered" in table
    shown = cli("-i", sample_dir, "employees", "show", "E0001").stdout
    assert "routes.delivered" in shown


def test_debug_shows_traceback(cli, sample_dir):
    result = cli("--debug", "-i", sample_dir, "employees", "show", "E9999")
    assert result.exit_code == 1 and "Traceback" in result.stderr


def test_help_has_examples(cli):
    for args in (
        ["--help"],
        ["check", "--help"],
        ["employees", "list", "--help"],
        ["log", "--help"],
        ["state", "--help"],
        ["state", "migrate", "--help"],
        ["state", "copy", "--help"],
    ):
        result = cli(*args)
        assert result.exit_code == 0 and "remoteops" in result.stdout
        if args != ["--help"]:
            assert "Example" in result.stdout


HEAVY = ("pyvrp", "weasyprint", "ansible_runner", "ansible", "pypdf", "sqlalchemy", "psycopg")


def test_startup_imports_no_heavy_library(sample_dir, tmp_path):
    """--help and check must not import the solver, the PDF engine or ansible-runner."""
    script = (
        "import sys\n"
        "from remoteops.cli import main\n"
        "main(['--help']); main(['check', sys.argv[1]])\n"
        f"heavy = [m for m in sys.modules if m.split('.')[0] in {HEAVY!r}]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(sample_dir)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "REMOTEOPS_STATE": str(tmp_path / "s.db")},
        check=False,
    )
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr


def test_console_script_runs(sample_dir):
    exe = REPO / ".venv" / "bin" / "remoteops"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "remoteops"]
    out = subprocess.run([*cmd, "check", str(sample_dir)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "150 employees" in out.stdout
