"""``remoteops readiness``: the table for people, JSON and CSV for scripts, the HTML file,
the snapshot for cron, and plain errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from readiness_helpers import (
    FORMULA_NAME,
    FORMULA_RECEIVER,
    SCRIPT_NAME,
    TEMPLATE_NAME,
    hostile_inventory,
    scenario,
)

from remoteops.inventory import load_company
from remoteops.readiness.snapshots import snapshots
from remoteops.state import StateStore

#: The day after the scenario's "now": every recorded step counts, whatever the clock says.
AS_OF = "2026-12-04"


@pytest.fixture
def recorded(company_dir, tmp_path):
    hostile_inventory(company_dir)
    with StateStore(tmp_path / "state" / "state.db") as store:
        expected = scenario(store, load_company(company_dir))
    return company_dir, expected


def test_the_table_for_people(cli, recorded):
    root, _ = recorded
    result = cli("-i", root, "readiness", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Readiness on 2026-12-04" in out
    assert SCRIPT_NAME in out and TEMPLATE_NAME in out  # shown as they are, not as markup
    assert "8 employees: 1 ready, 6 blocked, 1 unknown; 2 overdue against their start date." in out
    assert "Blocked by owner: IT 6, HR 6, operations 5." in out
    assert "Stages ready: IT setup 1/8, Remote check 2/8, Agreements 2/8, Equipment 3/8." in out
    assert "Evaluated as of 2026-12-04: no snapshot stored." in out
    (e4,) = [line for line in out.splitlines() if line.startswith("│ E0004 ")]
    assert [cell.strip() for cell in e4.split("│")[4:10]] == [
        "2026-12-11",
        "blocked",
        "blocked",
        "ready",
        "blocked",
        "blocked",
    ]
    assert "IT: Restore them:" in e4
    assert "Delivery plan: its last run was on 2026-12-02; 5 deliveries not recorded." in out


def test_json_for_scripts(cli, recorded):
    root, expected = recorded
    result = cli("-i", root, "readiness", "--as-of", AS_OF, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {e["employee_id"]: e["status"] for e in data["employees"]} == expected
    assert data["totals"] == {"employees": 8, "ready": 1, "blocked": 6, "unknown": 1, "overdue": 2}
    assert data["as_of"] == AS_OF and data["snapshot_stored"] is None
    e8 = next(e for e in data["employees"] if e["employee_id"] == "E0008")
    assert e8["stages"]["equipment"]["evidence"].endswith(f"received by {FORMULA_RECEIVER}")
    assert e8["blockers"][0] == {
        "employee_id": "E0008",
        "name": e8["name"],
        "team": "Inbound Gas",
        "stage": "provisioned",
        "owner": "IT",
        "status": "blocked",
        "action": "Provision it: remoteops provision E0008",
        "due": "2026-12-11",
        "evidence": "ws-e0008 was never provisioned",
    }
    assert [d["day"] for d in data["trend"]] == ["2026-11-30", "2026-12-01", "2026-12-02"]


def test_csv_is_safe_for_spreadsheets(cli, recorded):
    root, expected = recorded
    result = cli("-i", root, "readiness", "--as-of", AS_OF, "--csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["employee_id"] for r in rows] == list(expected)
    assert [r["status"] for r in rows] == list(expected.values())
    e4 = next(r for r in rows if r["employee_id"] == "E0004")
    assert e4["name"] == f"'{FORMULA_NAME} Franke"  # an apostrophe: text, not a formula
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value
    assert rows[0]["days_overdue"] == "1" and rows[1]["days_overdue"] == ""
    assert rows[2]["provisioned"] == "unknown"


def test_html_file_is_written_owner_only(cli, recorded, tmp_path):
    root, _ = recorded
    target = tmp_path / "reports" / "readiness.html"
    result = cli("-i", root, "readiness", "--as-of", AS_OF, "--json", "--html", target)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["as_of"] == AS_OF  # the notice goes to stderr
    assert f"Wrote {target} (owner-only)." in result.stderr
    assert target.stat().st_mode & 0o777 == 0o600
    assert (target.parent.stat().st_mode & 0o777) == 0o700
    assert "<title>Readiness on Fri 4 Dec 2026</title>" in target.read_text(encoding="utf-8")


def test_snapshot_for_cron_stores_today(cli, recorded, tmp_path):
    root, _ = recorded
    result = cli("-i", root, "readiness", "snapshot")
    assert result.exit_code == 0, result.output
    today = dt.datetime.now(dt.UTC).date()
    assert f"Stored the readiness snapshot of {today}: 8 employees," in result.stdout
    again = cli("-i", root, "readiness", "snapshot")
    assert again.exit_code == 0
    with StateStore(tmp_path / "state" / "state.db") as store, store.reading() as conn:
        days = [s.day for s in snapshots(conn)]
    assert days.count(today) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--as-of", "2026-13-01"), "--as-of '2026-13-01' is not a date; write YYYY-MM-DD."),
        (("--team", "Vertrieb"), "No employee scheduled for home office in a team 'Vertrieb'."),
        (("--json", "--csv"), "Choose one of --json and --csv, not both."),
    ],
)
def test_usage_errors_are_sentences_with_exit_2(cli, recorded, args, message):
    root, _ = recorded
    result = cli("-i", root, "readiness", *args)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.output


def test_help_has_an_example(cli):
    for args in (("readiness", "--help"), ("readiness", "snapshot", "--help")):
        result = cli(*args)
        assert result.exit_code == 0
        assert "Example:" in result.stdout


@pytest.mark.root
def test_lab_workstations_can_stand_in_for_employees_one_each(cli, tmp_path, monkeypatch):
    """``lab up --employees``: one ID per workstation, refused before anything starts."""
    monkeypatch.setenv("REMOTEOPS_LAB_DIR", str(tmp_path / "lab"))
    result = cli("lab", "up", "2", "--employees", "E0001")
    assert result.exit_code == 1
    assert "Give 2 different employee IDs for 2 lab workstations, not ['E0001']." in (
        " ".join(result.stderr.split())
    )
    assert not (tmp_path / "lab").exists()
