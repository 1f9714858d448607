"""Run sheets read back (PDF and CSV), calendar invitations parsed, maps written."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import stat

import pytest
from routes_helpers import FAST, MONDAY, company, ring

from remoteops.routes.maps import map_html
from remoteops.routes.planning import delivery_problem, plan_deliveries
from remoteops.routes.sheets import (
    invitation_text,
    run_sheet,
    run_sheet_csv,
    write_invitations,
    write_map_png,
    write_run_sheet_csv,
    write_run_sheet_pdf,
)


@pytest.fixture
def firm():
    people = ring(9)
    people[2] = dataclasses.replace(people[2], language="en")
    return company(people, capacity=16)


@pytest.fixture
def run(firm):
    plan = plan_deliveries(delivery_problem(firm, MONDAY, 1), options=FAST)
    (run,) = plan.runs
    assert len(run.stops) == 9 and not plan.left_over
    assert run.trips >= 3  # 9 stops of 4 boxes with 16 boxes per trip
    return run


@pytest.mark.slow
def test_pdf_run_sheet_reads_back_in_order(tmp_path, firm, run):
    from pdfcheck import check_pdf

    from remoteops.routes.sheets import overview_png

    sheet = run_sheet(run, firm, language="en")
    path = write_run_sheet_pdf(
        tmp_path / "sheet.pdf", sheet, firm, overview_png=overview_png([run], firm)
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # as PDFium shows it, with qpdf finding nothing and Poppler reading the same text
    text = " ".join(check_pdf(path, pdfa=False).text.split())
    stops_part = text[text.index("Stops") : text.index("Loading order")]
    positions = [stops_part.index(s.name) for s in sheet.stops]
    assert positions == sorted(positions), "stops printed in driving order"
    for s in sheet.stops:
        for item in s.items:
            assert item.asset_tag in text and item.serial_number in text
        assert s.window in stops_part
    assert "Received by" in text and "Signature" in text
    # Loading order: the last stop of the first trip is loaded first.
    loading = text[text.index("Loading order") :]
    first_trip = [s for s in sheet.stops if s.trip == 1]
    assert loading.index(first_trip[-1].name) < loading.index(first_trip[0].name)


def test_csv_run_sheet(tmp_path, firm, run):
    sheet = run_sheet(run, firm)
    path = write_run_sheet_csv(tmp_path / "sheet.csv", sheet)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [r["employee_id"] for r in rows] == [s.employee_id for s in run.stops]
    assert [int(r["stop"]) for r in rows] == list(range(1, len(rows) + 1))
    for r, s in zip(rows, run.stops, strict=True):
        tags = {a.asset_tag for a in firm.assets_of(s.employee_id)}
        assert set(r["asset_tags"].split()) == tags
        assert r["arrival_from"] == f"{s.window_start:%H:%M}"
        assert r["received_by"] == "" and r["signature"] == ""
    assert run_sheet_csv(sheet).encode("utf-8") == path.read_bytes()


def test_invitations_parse(tmp_path, firm, run):
    from icalendar import Calendar

    paths = write_invitations(tmp_path / "ics", [run], firm)
    assert len(paths) == len(run.stops)
    for path, stop in zip(paths, run.stops, strict=True):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        cal = Calendar.from_ical(path.read_bytes())
        (event,) = cal.walk("VEVENT")
        assert event.decoded("dtstart").replace(tzinfo=None) == stop.window_start
        assert event.decoded("dtend").replace(tzinfo=None) == stop.window_end
        employee = firm.employee(stop.employee_id)
        assert employee.email in str(event["attendee"])
        assert employee.address.street in str(event["location"])
        assert employee.first_name in str(event["description"])
    by_language = {}
    for stop in run.stops:
        by_language.setdefault(firm.employee(stop.employee_id).language, stop)
    subject, text = invitation_text(
        firm.employee(by_language["de"].employee_id), by_language["de"], firm
    )
    assert "Lieferung" in subject and "Kartons" in text and "zwischen" in text
    subject, text = invitation_text(
        firm.employee(by_language["en"].employee_id), by_language["en"], firm
    )
    assert "Delivery" in subject and "boxes" in text and "between" in text


def test_maps(tmp_path, firm, run):
    page = map_html([run], firm)
    assert "leaflet" in page.lower()
    for s in run.stops:
        assert s.name.split()[-1] in page
    png = write_map_png(tmp_path / "map.png", [run], firm)
    assert png.read_bytes().startswith(b"\x89PNG")


def test_csv_run_sheet_protects_formula_cells(tmp_path, firm):
    """A name like ``=HYPERLINK(...)`` or a phone number starting with ``+`` never becomes a
    live formula when the driver's office opens the run sheet in a spreadsheet."""
    from remoteops.csvio import from_spreadsheet_cell

    evil = {
        "first_name": '=HYPERLINK("http://evil.example/","click")',
        "last_name": "@SUM(A1:A9)",
        "phone": "+49 30 1234567",
        "address": dataclasses.replace(firm.employees[0].address, street="-2+3 Hinterhof"),
    }
    people = list(firm.employees)
    people[0] = dataclasses.replace(people[0], **evil)
    people[1] = dataclasses.replace(people[1], phone="=1+1")
    firm = dataclasses.replace(firm, employees=tuple(people))
    plan = plan_deliveries(delivery_problem(firm, MONDAY, 1), options=FAST)
    (run,) = plan.runs
    path = write_run_sheet_csv(tmp_path / "sheet.csv", run_sheet(run, firm))
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    cells = [cell for row in rows[1:] for cell in row]
    for cell in cells:
        # Plain numbers (a negative slack such as -1) stay numbers, as documented.
        if re.fullmatch(r"-\d+", cell):
            continue
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    header = rows[0]
    by_id = {row[header.index("employee_id")]: row for row in rows[1:]}
    first = by_id[people[0].employee_id]
    # The apostrophe is the spreadsheet's "this is text" mark; reading back gives the value.
    assert from_spreadsheet_cell(first[header.index("name")]) == people[0].full_name
    assert first[header.index("phone")] == "'+49 30 1234567"
    assert from_spreadsheet_cell(first[header.index("phone")]) == "+49 30 1234567"
    assert by_id[people[1].employee_id][header.index("phone")] == "'=1+1"
