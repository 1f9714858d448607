"""The delivery-run commands and settings no other test drives through the CLI: planning
on a road matrix (--matrix) and on OSRM (--osrm) end to end, the solver's time-limit note,
``routes status`` as a table and as CSV, ``routes notify`` for every day, and what ``routes
map`` tells the user it wrote. Each checks what the user sees and what was written."""

from __future__ import annotations

import csv
import io
import json
import os
import urllib.parse

import pytest
from fake_osrm import FakeOsrm
from routes_helpers import data_block, haversine_m

from remoteops.inventory import load_company
from remoteops.models import GeoPoint
from remoteops.routes import store as rs
from remoteops.state import StateStore

PLAN = ("routes", "plan", "--from", "2026-12-01", "--days", "2", "--seed", "4")


def stored_plan(tmp_path):
    """The current plan as the state store (the one the ``cli`` fixture uses) holds it."""
    with StateStore(tmp_path / "state" / "state.db") as store, store.transaction() as conn:
        return rs.load_plan(conn)


def trip_legs(run, depot):
    """(stop or None for the way back, from, to) for every leg of every trip of a run, the
    points as employee IDs and ``depot``."""
    for trip in range(1, run.trips + 1):
        stops = run.trip_stops(trip)
        path = [depot, *(s.employee_id for s in stops), depot]
        for k, (a, b) in enumerate(zip(path, path[1:], strict=False)):
            yield (stops[k] if k < len(stops) else None), a, b


def test_plan_on_a_road_matrix_end_to_end(cli, company_dir, tmp_path):
    """Every leg of the stored plan is the matrix's kilometres and minutes, the run's
    kilometres are its legs, and the user is told which travel model planned it."""
    company = load_company(company_dir)
    keys = [company.depot.site_id] + [e.employee_id for e in company.employees]
    index = {k: i for i, k in enumerate(keys)}

    def km(a: str, b: str) -> float:
        return 0.0 if a == b else 1.5 * (1 + abs(index[a] - index[b]))

    def minutes(a: str, b: str) -> int:
        return 0 if a == b else 4 * (1 + abs(index[a] - index[b]))

    matrix = tmp_path / "road-matrix.csv"
    lines = ["from;to;km;minutes"]  # semicolons and decimal commas, as German Excel writes
    lines += [
        f"{a};{b};{str(km(a, b)).replace('.', ',')};{minutes(a, b)}"
        for a in keys
        for b in keys
        if a < b
    ]
    matrix.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = cli("-i", company_dir, *PLAN, "--seconds", "5", "--matrix", matrix)
    assert result.exit_code == 0, result.output
    assert f"Travel: road matrix from {matrix}" in " ".join(result.stdout.split())

    plan = stored_plan(tmp_path)
    assert plan.travel.method == "csv" and plan.stop_count > 0
    depot = company.depot.site_id
    for run in plan.runs:
        total = 0.0
        for stop, a, b in trip_legs(run, depot):
            total += km(a, b)
            if stop is not None:
                assert stop.km_from_previous == pytest.approx(km(a, b), abs=0.005)
                assert stop.drive_minutes_from_previous == minutes(a, b)
        assert run.km == pytest.approx(total, abs=0.05)


def test_plan_on_osrm_end_to_end(cli, company_dir, tmp_path):
    """A (fake) OSRM server answers from the coordinates: 1.3 x the great-circle distance
    at 30 km/h. Every leg of the stored plan is what it answered; every request asked for
    durations and distances."""

    def road(a, b) -> tuple[float, float]:
        metres = round(1.3 * haversine_m(GeoPoint(a[1], a[0]), GeoPoint(b[1], b[0])))
        return metres / (30 / 3.6), float(metres)

    company = load_company(company_dir)
    with FakeOsrm(road=road) as osrm:
        result = cli("-i", company_dir, *PLAN, "--seconds", "5", "--osrm", osrm.url, "--json")
    assert result.exit_code == 0, result.output
    assert osrm.requests
    for request in osrm.requests:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(request).query)
        assert query["annotations"] == ["duration,distance"]
    shown = json.loads(result.stdout)[0]
    assert shown["totals"]["travel_model"] == f"OSRM table service at {osrm.url} (driving)"

    plan = stored_plan(tmp_path)
    assert plan.travel.method == "osrm" and plan.stop_count > 0
    where = {e.employee_id: e.location for e in company.employees}
    where["depot"] = company.depot.location
    rows = {s["employee_id"]: s for s in shown["stops"]}
    for run in plan.runs:
        total = 0
        for stop, a, b in trip_legs(run, "depot"):
            metres = 0 if a == b else round(1.3 * haversine_m(where[a], where[b]))
            total += metres
            if stop is not None:
                assert stop.km_from_previous == pytest.approx(metres / 1000, abs=0.005)
                assert stop.drive_minutes_from_previous == pytest.approx(
                    metres / (30 / 3.6) / 60, abs=0.05
                )
                assert rows[stop.employee_id]["km_from_previous"] == stop.km_from_previous
        assert run.km == pytest.approx(total / 1000, abs=0.05)


def test_the_solver_time_limit_is_said(cli, company_dir):
    """A tiny --seconds stops the solver on time, not on its repeatable iteration budget:
    the user is told another run may differ; with time enough the note is absent."""
    rushed = cli("-i", company_dir, *PLAN, "--seconds", "0.001")
    assert rushed.exit_code == 0, rushed.output
    note = "The solver hit its time limit, so another run may differ; give it more --seconds"
    assert note in " ".join(rushed.stdout.split())
    as_json = cli("-i", company_dir, *PLAN, "--seconds", "0.001", "--json")
    assert json.loads(as_json.stdout)[0]["totals"]["stopped_by"] == "time limit"

    calm = cli("-i", company_dir, *PLAN, "--seconds", "600")
    assert calm.exit_code == 0, calm.output
    assert note not in " ".join(calm.stdout.split())


def _planned_and_tracked(cli, company_dir):
    """A plan, its first run loaded, its first stop delivered and its second failed."""
    result = cli("-i", company_dir, *PLAN, "--seconds", "3", "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)[0]
    run = plan["runs"][0]
    stops = [s for s in plan["stops"] if (s["day"], s["van"]) == (run["day"], run["van"])]
    assert len(stops) >= 2
    assert cli("-i", company_dir, "routes", "load", run["day"], "--van", run["van"]).exit_code == 0
    delivered, failed = stops[0]["employee_id"], stops[1]["employee_id"]
    args = ("--received-by", "Nachbar Meier")
    assert cli("-i", company_dir, "routes", "deliver", delivered, *args).exit_code == 0
    reason = ("--reason", "not-home")
    assert cli("-i", company_dir, "routes", "fail", failed, *reason).exit_code == 0
    return plan, run, stops, delivered, failed


def test_status_as_a_table_and_as_csv(cli, company_dir):
    plan, run, stops, delivered, failed = _planned_and_tracked(cli, company_dir)
    on_van = {s["employee_id"] for s in stops} - {delivered, failed}
    planned = {s["employee_id"] for s in plan["stops"]} - {s["employee_id"] for s in stops}
    company = load_company(company_dir)
    waiting = {e.employee_id for e in company.employees if e.scheduled_for_home_office}
    not_planned = waiting - {s["employee_id"] for s in plan["stops"]}
    expected = (
        {delivered: "delivered", failed: "failed"}
        | dict.fromkeys(on_van, "on the van")
        | dict.fromkeys(planned, "planned")
        | dict.fromkeys(not_planned, "not planned")
    )

    as_csv = cli("-i", company_dir, "routes", "status", "--csv")
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert {r["employee_id"]: r["state"] for r in rows} == expected
    for row in rows:
        employee = company.employee(row["employee_id"])
        assert (row["name"], row["postcode"]) == (employee.full_name, employee.address.postcode)

    table = cli("-i", company_dir, "routes", "status")
    assert table.exit_code == 0, table.output
    assert "Still waiting" in table.stdout
    shown = {
        cells[0]: cells[-1]
        for line in table.stdout.splitlines()
        if line.startswith("│ E")
        for cells in [[c.strip() for c in line.strip("│").split("│")]]
    }
    assert shown == {e: s for e, s in expected.items() if s != "delivered"}
    summary = " ".join(table.stdout.split())
    assert (
        f"1 delivered, 1 failed (to replan), {len(on_van)} on a van, {len(planned)} planned, "
        f"{len(not_planned)} not planned; 1 of {len(plan['runs'])} runs loaded;"
    ) in summary


def test_notify_without_a_day_writes_every_days_invitations(cli, company_dir, tmp_path):
    from icalendar import Calendar

    result = cli("-i", company_dir, *PLAN, "--seconds", "3", "--json")
    plan = json.loads(result.stdout)[0]
    days = {s["day"] for s in plan["stops"]}
    assert len(days) == 2  # the plan has stops on both days
    written = cli("-i", company_dir, "routes", "notify")
    assert written.exit_code == 0, written.output
    folder = tmp_path / "out" / "routes" / "notify" / "all"
    names = sorted(p.name for p in folder.iterdir())
    stops = plan["stops"]
    assert names == sorted(f"{s['employee_id']}.{ext}" for s in stops for ext in ("ics", "txt"))
    assert f"Wrote {len(names)} files to {folder}/ (owner-only)." in " ".join(
        written.stdout.split()
    )
    for s in stops:
        path = folder / f"{s['employee_id']}.ics"
        assert os.stat(path).st_mode & 0o077 == 0
        (event,) = Calendar.from_ical(path.read_bytes()).walk("VEVENT")
        start, end = s["arrival_window"].split("-")
        assert event.decoded("DTSTART").strftime("%Y-%m-%d %H:%M") == f"{s['day']} {start}"
        assert event.decoded("DTEND").strftime("%H:%M") == end


@pytest.mark.slow
def test_map_tells_what_it_wrote_and_the_pictures_show_the_runs(cli, company_dir, tmp_path):
    from PIL import Image, ImageStat

    result = cli("-i", company_dir, *PLAN, "--seconds", "3", "--json")
    plan = json.loads(result.stdout)[0]
    days = sorted({s["day"] for s in plan["stops"]})
    shown = cli("-i", company_dir, "routes", "map")
    assert shown.exit_code == 0, shown.output
    folder = tmp_path / "out" / "routes"
    expected = [folder / "routes-all.html", folder / "routes-all.png"]
    expected += [folder / f"routes-{day}.png" for day in days]
    text = " ".join(shown.stdout.split())
    for path in expected:
        assert f"Wrote {path}" in text
        assert os.stat(path).st_mode & 0o077 == 0
    for path in expected[1:]:
        with Image.open(path) as image:
            assert image.format == "PNG" and image.width >= 400
            grey = image.convert("L")
            assert ImageStat.Stat(grey).stddev[0] > 10, f"{path} is blank"
    data = data_block(expected[0].read_text("utf-8"))
    on_map = {(r["day"], r["van"], s["employee_id"]) for r in data["runs"] for s in r["stops"]}
    assert on_map == {(s["day"], s["van"], s["employee_id"]) for s in plan["stops"]}
