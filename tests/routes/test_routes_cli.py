"""The delivery-run round trip through the CLI, as operations staff use it: plan, print the
run sheet, load, deliver, fail, see the status, replan (loaded runs untouched, the failed
stop rescheduled), and the employee's delivery in ``employees show``."""

from __future__ import annotations

import json
import stat

import pytest
from pdfcheck import check_pdf, flat


def plan_json(cli, root, *args):
    result = cli("-i", root, *args, "--seconds", "3", "--seed", "4", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)[0]


@pytest.mark.slow
def test_plan_deliver_fail_status_replan_round_trip(cli, company_dir, tmp_path):
    first = plan_json(cli, company_dir, "routes", "plan", "--from", "2026-12-01", "--days", "3")
    assert first["runs"] and first["totals"]["stops"] + first["totals"]["left_over"] > 0
    run = first["runs"][0]
    stops = [s for s in first["stops"] if (s["day"], s["van"]) == (run["day"], run["van"])]
    assert len(stops) >= 2

    # a plan cannot be delivered before its run is loaded
    early = cli(
        "-i", company_dir, "routes", "deliver", stops[0]["employee_id"], "--received-by", "X"
    )
    assert early.exit_code == 1 and "routes load" in early.stderr

    assert cli("-i", company_dir, "routes", "load", run["day"], "--van", run["van"]).exit_code == 0
    ok = cli(
        "-i",
        company_dir,
        "routes",
        "deliver",
        stops[0]["employee_id"],
        "--received-by",
        "Nachbarin Schulz",
    )
    assert ok.exit_code == 0, ok.output
    failed = cli(
        "-i", company_dir, "routes", "fail", stops[1]["employee_id"], "--reason", "not-home"
    )
    assert failed.exit_code == 0, failed.output

    status = {
        r["employee_id"]: r["state"]
        for r in json.loads(cli("-i", company_dir, "routes", "status", "--json").stdout)
    }
    assert status[stops[0]["employee_id"]] == "delivered"
    assert status[stops[1]["employee_id"]] == "failed"
    for s in stops[2:]:
        assert status[s["employee_id"]] == "on the van"

    again = plan_json(cli, company_dir, "routes", "replan", "--from", "2026-12-02", "--days", "3")
    replanned = {s["employee_id"]: s for s in again["stops"]}
    assert stops[1]["employee_id"] in replanned  # the failed stop is rescheduled
    assert stops[0]["employee_id"] not in replanned  # delivered stays delivered
    for s in stops[2:]:  # the loaded run is untouched: its stops are not planned again
        assert s["employee_id"] not in replanned
    assert all((r["day"], r["van"]) != (run["day"], run["van"]) for r in again["runs"])

    shown = json.loads(
        cli("-i", company_dir, "employees", "show", stops[0]["employee_id"], "--json").stdout
    )[0]
    assert (
        shown["delivery"]["state"] == "delivered"
        and "Nachbarin Schulz" in shown["delivery"]["text"]
    )
    assert any(a["action"] == "routes.delivered" for a in shown["activity"])

    log = json.loads(cli("-i", company_dir, "log", "--action", "routes", "--json").stdout)
    assert [e["action"] for e in log][:5] == [
        "routes.replan",
        "routes.failed",
        "routes.delivered",
        "routes.loaded",
        "routes.plan",
    ]


def test_plan_twice_over_a_loaded_run_asks_for_replan(cli, company_dir):
    first = plan_json(cli, company_dir, "routes", "plan", "--from", "2026-12-01", "--days", "2")
    run = first["runs"][0]
    assert cli("-i", company_dir, "routes", "load", run["day"], "--van", run["van"]).exit_code == 0
    result = cli("-i", company_dir, "routes", "plan", "--from", "2026-12-01", "--days", "2")
    assert result.exit_code == 1 and "replan" in result.stderr


@pytest.mark.slow
def test_run_sheet_pdf_lists_stops_with_asset_tags(cli, company_dir, tmp_path):
    first = plan_json(cli, company_dir, "routes", "plan", "--from", "2026-12-01", "--days", "2")
    run = first["runs"][0]
    result = cli("-i", company_dir, "routes", "sheet", run["day"], "--van", run["van"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / "routes" / run["day"]
    (pdf,) = folder.glob("*.pdf")
    assert f"Wrote {pdf}" in result.stdout
    assert stat.S_IMODE(pdf.stat().st_mode) == 0o600
    # as PDFium (Chrome/Edge) shows it, checked by qpdf and against Poppler
    text = flat(check_pdf(pdf, pdfa=False).text)
    assert text.startswith(f"Tourenblatt {run['van']}, ")
    stops = [s for s in first["stops"] if (s["day"], s["van"]) == (run["day"], run["van"])]
    assert len(stops) == run["stops"] >= 2
    assert f"{len(stops)} Stopps" in text
    heading = text.index("Stopps 1 ")  # the table of stops, after the instructions
    positions = []
    for s in stops:
        positions.append(text.index(f"{s['name']} ({s['employee_id']})", heading))
        shown = json.loads(
            cli("-i", company_dir, "employees", "show", s["employee_id"], "--json").stdout
        )[0]
        for asset in shown["equipment"]:
            assert f"{asset['asset_tag']} " in text and f"SN {asset['serial_number']}" in text
    assert positions == sorted(positions)  # in stop order


def test_notify_writes_parseable_invitations(cli, company_dir, tmp_path):
    from icalendar import Calendar

    first = plan_json(cli, company_dir, "routes", "plan", "--from", "2026-12-01", "--days", "2")
    day = first["runs"][0]["day"]
    assert cli("-i", company_dir, "routes", "notify", day).exit_code == 0
    folder = tmp_path / "out" / "routes" / "notify" / day
    on_day = [s for s in first["stops"] if s["day"] == day]
    for s in on_day:
        event = Calendar.from_ical((folder / f"{s['employee_id']}.ics").read_bytes()).walk(
            "VEVENT"
        )[0]
        assert event.decoded("dtstart").strftime("%H:%M") == s["arrival_window"][:5]
        assert (folder / f"{s['employee_id']}.txt").read_text(encoding="utf-8").strip()


def test_unknown_day_and_van_are_friendly(cli, company_dir):
    plan_json(cli, company_dir, "routes", "plan", "--from", "2026-12-01", "--days", "1")
    result = cli("-i", company_dir, "routes", "sheet", "2027-01-05")
    assert result.exit_code == 1 and "No delivery run on 2027-01-05" in result.stderr
    result = cli("-i", company_dir, "routes", "load", "2026-12-01", "--van", "Lastenrad")
    assert result.exit_code == 1 and "Lastenrad" in result.stderr
    result = cli("-i", company_dir, "routes", "plan", "--from", "31.02.2026")
    assert result.exit_code == 2 and "--from" in result.stderr


def test_status_before_any_plan(cli, company_dir):
    result = cli("-i", company_dir, "routes", "sheet", "2026-12-01")
    assert result.exit_code == 1 and "no delivery plan yet" in result.stderr


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--seconds", "0"), "--seconds"),
        (("--seconds", "-3"), "--seconds"),
        (("--seconds", "nan"), "--seconds"),
        (("--seconds", "inf"), "--seconds"),
        (("--seed", "-1"), "--seed"),
        (("--seed", str(2**40)), "--seed"),
        (("--osrm", "file:///etc"), "--osrm"),
        (("--osrm", "ftp://osrm.example"), "--osrm"),
        (("--osrm", "http://"), "--osrm"),
    ],
)
def test_bad_plan_options_are_usage_errors(cli, company_dir, args, named):
    for command in ("plan", "replan"):
        result = cli("-i", company_dir, "routes", command, "--from", "2026-12-01", *args)
        assert result.exit_code == 2, result.output
        assert named in result.stderr
        assert "bug" not in result.output and "Traceback" not in result.output


def test_routes_help_teaches_with_examples(cli):
    group = cli("routes", "--help")
    assert group.exit_code == 0
    assert "Example:" in group.stdout
    assert "remoteops routes plan --from" in group.stdout
    commands = ("plan", "replan", "sheet", "map", "notify", "load", "deliver", "fail", "status")
    for command in commands:
        shown = cli("routes", command, "--help")
        assert shown.exit_code == 0, shown.output
        assert "Example:" in shown.stdout and f"remoteops routes {command}" in shown.stdout
