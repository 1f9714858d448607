"""What the CLI does with its global settings and a few options no other test drives:
--state, REMOTEOPS_INVENTORY, --version, ``log --csv`` and ``--limit``, and ``check`` with
every warning the inventory can give (warnings alone exit 0). Each test checks what the
user sees and what was written."""

from __future__ import annotations

import csv
import io
import json
import stat

import yaml
from companyfiles import edit_row, read_rows, write_rows

import remoteops
from remoteops.state import StateStore


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"remoteops {remoteops.__version__}"
    assert remoteops.__version__ == "0.1.0"  # pyproject.toml's version


def test_inventory_from_the_environment(cli, small_company, monkeypatch, tmp_path):
    monkeypatch.setenv("REMOTEOPS_INVENTORY", str(small_company))
    monkeypatch.chdir(tmp_path)  # no ./inventory to fall back on
    result = cli("employees", "list", "--json")
    assert result.exit_code == 0, result.output
    ids = [row["employee_id"] for row in read_rows(small_company / "employees.csv")]
    assert [r["employee_id"] for r in json.loads(result.stdout)] == ids
    # the option wins over the environment
    monkeypatch.setenv("REMOTEOPS_INVENTORY", str(tmp_path / "nowhere"))
    assert cli("-i", small_company, "check").exit_code == 0
    missing = cli("check")
    assert missing.exit_code == 1 and f"{tmp_path / 'nowhere'}" in missing.stdout


def test_state_option_chooses_the_database_and_makes_it_private(cli, small_company, tmp_path):
    """--state beats REMOTEOPS_STATE (which the cli fixture sets): the audit entry of a
    command goes to the named file, created owner-only, and nowhere else."""
    chosen = tmp_path / "elsewhere" / "ops.db"
    result = cli("-i", small_company, "--state", chosen, "contracts", "mark", "E0001",
                 "home-office", "sent")  # fmt: skip
    assert result.exit_code == 1  # nothing was rendered yet: said, and nothing recorded
    assert "E0001" in result.stderr and "Traceback" not in result.output
    planned = cli("-i", small_company, "--state", chosen, "routes", "plan", "--from",
                  "2026-12-01", "--days", "2", "--seconds", "2", "--seed", "4")  # fmt: skip
    assert planned.exit_code == 0, planned.output
    assert stat.S_IMODE(chosen.stat().st_mode) == 0o600
    assert stat.S_IMODE(chosen.parent.stat().st_mode) == 0o700
    with StateStore(chosen) as store:
        assert [e.action for e in store.read_log()] == ["routes.plan"]
    assert not (tmp_path / "state" / "state.db").exists()  # REMOTEOPS_STATE was not used
    shown = cli("-i", small_company, "--state", chosen, "log", "--json")
    assert [r["action"] for r in json.loads(shown.stdout)] == ["routes.plan"]


def _log_entries(path, count: int) -> None:
    with StateStore(path) as store, store.transaction() as conn:
        for k in range(count):
            store.audit(
                conn,
                f"test.step{k}",
                employee_id=f"E{k:04d}",
                subject=f'=HYPERLINK("x","{k}")' if k == 1 else f"step {k}",
                details={"k": k},
            )


def test_log_as_csv_and_limited(cli, sample_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("REMOTEOPS_ACTOR", "jana@ops")
    _log_entries(tmp_path / "state" / "state.db", 5)
    result = cli("-i", sample_dir, "log", "--csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["at", "actor", "action", "employee_id", "subject", "details"]
    assert [r["action"] for r in rows] == [f"test.step{k}" for k in (4, 3, 2, 1, 0)]
    assert {r["actor"] for r in rows} == {"jana@ops"}
    assert json.loads(rows[0]["details"]) == {"k": 4}
    # a formula from the data is inert in a spreadsheet
    assert rows[3]["subject"] == '\'=HYPERLINK("x","1")'

    limited = cli("-i", sample_dir, "log", "--csv", "--limit", "2")
    assert [r["action"] for r in csv.DictReader(io.StringIO(limited.stdout))] == [
        "test.step4",
        "test.step3",
    ]
    table = cli("-i", sample_dir, "log", "--limit", "1")
    assert "test.step4" in table.stdout and "test.step3" not in table.stdout
    zero = cli("-i", sample_dir, "log", "--limit", "0")
    assert zero.exit_code == 2 and "--limit" in zero.stderr


# -- check: every warning, and exit 0 with warnings only ----------------------------------


def _every_warning(root) -> dict[str, str]:
    """Change ``root`` so that check gives each kind of warning once; returns
    "file:row: field" -> the start of the message, for each."""
    expected = {}
    company = yaml.safe_load((root / "company.yml").read_text("utf-8"))
    del company["company"]["home_office_allowance"]
    (root / "company.yml").write_text(yaml.safe_dump(company, allow_unicode=True), "utf-8")
    expected["company.yml: company.home_office_allowance"] = "is not set, so the agreements"

    employees = root / "employees.csv"
    line = edit_row(employees, 0, latitude="48.137154", longitude="11.576124")  # Munich
    expected[f"employees.csv:{line}: latitude"] = "the home is 50"
    line = edit_row(employees, 1, delivery_hours="18:00-20:00")
    expected[f"employees.csv:{line}: delivery_hours"] = "18:00-20:00 lies outside"
    people = read_rows(employees)
    mobile = people[4]["employee_id"]
    line = edit_row(employees, 4, work_model="mobile", home_days_per_week="5")
    expected[f"employees.csv:{line}: work_model"] = f"{mobile} ({people[4]['first_name']}"
    gone = people[6]["employee_id"]
    line = edit_row(employees, 6, status="left", home_office_start="")
    expected[f"employees.csv:{line}: status"] = f"{gone} has left but still holds"

    assets = root / "assets.csv"
    rows = read_rows(assets)
    two_pcs = people[2]["employee_id"]
    pc = dict(rows[0], asset_tag="HKS-PC-09998", serial_number="SN09998", employee_id=two_pcs)
    spare = dict(rows[0], asset_tag="HKS-PC-09999", serial_number="SN09999", employee_id="")
    no_pc = people[3]["employee_id"]
    rows = [r for r in rows if not (r["employee_id"] == no_pc and r["type"] == "pc")]
    rows += [pc, spare]
    write_rows(assets, rows)
    expected[f"assets.csv:{len(rows)}: employee_id"] = f"{two_pcs} has 2 PCs"
    expected[f"assets.csv:{len(rows) + 1}: employee_id"] = "PC HKS-PC-09999 is not assigned"
    line = 2 + next(k for k, p in enumerate(people) if p["employee_id"] == no_pc)
    expected[f"employees.csv:{line}: employee_id"] = f"{no_pc} is scheduled for home office"
    return expected


def test_check_names_every_warning_and_exits_0(cli, small_company):
    expected = _every_warning(small_company)
    result = cli("check", small_company)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    for where, message in expected.items():
        assert f"{small_company}/{where}: {message}" in text, where
    assert f"; {len(expected)} warning(s)." in text and "error" not in text

    as_json = json.loads(cli("check", small_company, "--json").stdout)[0]
    assert (as_json["ok"], as_json["errors"], as_json["warnings"]) == (True, 0, len(expected))
    found = {
        f"{p['file']}:{p['row']}: {p['field']}" if p["row"] else f"{p['file']}: {p['field']}"
        for p in as_json["problems"]
    }
    assert found == {f"{small_company}/{where}" for where in expected}
    assert {p["severity"] for p in as_json["problems"]} == {"warning"}


def test_a_file_that_cannot_be_read_leaves_its_cross_checks_as_warnings(cli, small_company):
    (small_company / "hosts.yml").write_text("all: [unclosed\n", "utf-8")
    result = cli("check", small_company, "--json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)[0]["problems"]
    assert problems[0]["file"] == f"{small_company}/hosts.yml"
    assert problems[0]["severity"] == "error"
    warnings = {(p["file"], p["field"]) for p in problems if p["severity"] == "warning"}
    assert warnings == {(f"{small_company}/assets.csv", "employee_id")}
    (warning,) = [p for p in problems if p["severity"] == "warning"]
    assert warning["message"].startswith("not checked against hosts.yml, which could not")
