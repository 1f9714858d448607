"""Run sheets and maps checked as a person would see them: the PDF rendered to pictures and
read back as text (Poppler), the static map's pixels counted (Pillow); and the settings the
sheet prints (driver, plate, dispatcher, delivery notes, language) loaded from inventory/."""

from __future__ import annotations

import dataclasses
import io
import re
import stat
import subprocess
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
import yaml
from companyfiles import edit_row
from pdfcheck import qpdf_problems
from routes_helpers import DEPOT, FAST, MONDAY, company, employee, ring

from remoteops.inventory import check_company, load_company
from remoteops.models import GeoPoint, Van
from remoteops.routes.maps import map_data, write_map_html
from remoteops.routes.planning import delivery_problem, plan_deliveries
from remoteops.routes.sheets import (
    navigation_url,
    run_sheet,
    run_sheet_csv,
    run_sheet_html,
    write_run_sheet_pdf,
)
from remoteops.routes.static_map import overview_png, project, run_colours
from remoteops.synthetic import write_company

REPO = Path(__file__).resolve().parents[2]
NOTE = "3. OG links, kein Aufzug, Klingel Hinterhaus"


def pdf_pages(path: Path) -> list[str]:
    """Poppler's text of each page (pdftotext), whitespace collapsed."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [" ".join(page.split()) for page in text.split("\f") if page.strip()]


def _with_crew(firm, *, language: str = "de"):
    vans = tuple(
        dataclasses.replace(v, driver=f"Fahrerin {k + 1}", plate=f"B-HK {101 + k}")
        for k, v in enumerate(firm.delivery.vans)
    )
    delivery = dataclasses.replace(
        firm.delivery, vans=vans, dispatcher_phone="+49 30 23125 300", language=language
    )
    return dataclasses.replace(firm, delivery=delivery)


@pytest.fixture(scope="module")
def eight():
    """One van, eight stops, four devices each; one employee with a delivery note."""
    people = ring(8)
    people[1] = dataclasses.replace(people[1], delivery_note=NOTE)
    firm = _with_crew(company(people, capacity=40))
    plan = plan_deliveries(delivery_problem(firm, MONDAY, 1), options=FAST)
    (run,) = plan.runs
    assert len(run.stops) == 8 and run.trips == 1
    return firm, run


# -- the run sheet -------------------------------------------------------------------------


@pytest.mark.slow
def test_german_run_sheet_reads_back_stop_by_stop(tmp_path, eight):
    pytest.importorskip("weasyprint")
    firm, run = eight
    sheet = run_sheet(run, firm)  # the company's language: German
    assert sheet.language == "de"
    path = write_run_sheet_pdf(
        tmp_path / "sheet.pdf", sheet, firm, overview_png=overview_png([run], firm)
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert qpdf_problems(path) == []
    pages = pdf_pages(path)
    assert len(pages) <= 2, "8 stops and the map fit on two pages"
    text = " ".join(pages)
    for word in ("Tourenblatt", "Montag, 01.03.2027", "Fahrerin 1", "B-HK 101"):
        assert word in text, word
    assert "+49 30 23125 300" in text
    assert f"{sheet.driving_minutes / 60:.1f} h Fahrzeit".replace(".", ",") in text
    # What to do when nobody is home, printed before the first stop.
    head = text[: text.index(sheet.stops[0].name)]
    assert "Niemand zu Hause?" in head
    assert "nur, wenn" in head and "zustimmt" in head  # the neighbour only with consent
    assert "nie unbeaufsichtigt" in head
    assert "routes fail <ID> --reason not-home" in head
    assert "Disposition anrufen (+49 30 23125 300)" in head
    for page in pages[:-1]:
        assert sum(f"({s.employee_id})" in page for s in sheet.stops) >= 4, "four stops a page"
    stops_part = text[text.index("Stopps") : text.index("Beladereihenfolge")]
    positions = [stops_part.index(s.name) for s in sheet.stops]
    assert positions == sorted(positions), "stops in driving order"
    for s in sheet.stops:
        # Everything of a stop is on the page with its name (the columns of a stop are side
        # by side, so Poppler's layout text interleaves them line by line).
        (page,) = [p for p in pages if f"{s.name} ({s.employee_id})" in p]
        assert s.address in page
        assert s.window in page and f"vor Ort: {s.service_minutes} Min." in page
        assert f"{s.eta:%H:%M}" in page
        for item in s.items:
            assert item.asset_tag in page and item.serial_number in page
        if s.note:
            assert "Hinweis:" in page and all(word in page for word in NOTE.split())
    assert text.count("Hinweis:") == 1 and text.count("Zeitfenster") == len(sheet.stops)
    assert sum(s.note == NOTE for s in sheet.stops) == 1
    assert "Empfangen von (Name)" in text and "Unterschrift" in text
    assert "Seite 1 von" in pages[0]


@pytest.mark.slow
def test_run_sheet_pages_as_pictures(tmp_path, eight):
    """Rendered like a printer would: A4 portrait pages."""
    pytest.importorskip("weasyprint")
    from PIL import Image

    firm, run = eight
    path = write_run_sheet_pdf(tmp_path / "sheet.pdf", run_sheet(run, firm), firm)
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(path), str(tmp_path / "page")], check=True)
    pictures = sorted(tmp_path.glob("page-*.png"))
    assert 1 <= len(pictures) <= 2
    for picture in pictures:
        with Image.open(picture) as image:
            width, height = image.size
            assert abs(height / width - 297 / 210) < 0.01
            # Something is printed: a good share of the page is not white.
            dark = int((np.asarray(image.convert("L")) < 128).sum())
            assert dark > width * height * 0.01


def test_every_device_has_a_tick_box_and_every_stop_a_qr_code(eight):
    import segno

    firm, run = eight
    sheet = run_sheet(run, firm)
    page = run_sheet_html(sheet, firm)
    assert page.count("<span class='tick'></span>") == sum(len(s.items) for s in sheet.stops)
    for s in sheet.stops:
        url = s.navigation_url
        parts = urllib.parse.urlsplit(url)
        assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.google.com", "/maps/dir/")
        query = urllib.parse.parse_qs(parts.query)
        lat, lon = (float(x) for x in query["destination"][0].split(","))
        assert abs(lat - s.location.latitude) < 1e-5 and abs(lon - s.location.longitude) < 1e-5
        assert "," not in parts.query, "the comma is URL-encoded"
        # The picture on the sheet is the QR code of exactly this link.
        assert segno.make_qr(url, error="m").svg_data_uri(scale=4, border=2) in page
    assert navigation_url(GeoPoint(52.5, 13.4)).endswith("destination=52.50000%2C13.40000")


def test_english_sheet_and_unknown_language(eight):
    from remoteops.errors import UsageError

    firm, run = eight
    page = run_sheet_html(run_sheet(run, firm, language="EN"), firm)
    assert "Run sheet" in page and "Nobody at home?" in page and "Tourenblatt" not in page
    assert "<html lang='en'>" in page
    with pytest.raises(UsageError, match="run sheet in 'fr'"):
        run_sheet(run, firm, language="fr")


def test_csv_has_eta_service_time_and_note(eight):
    import csv

    firm, run = eight
    sheet = run_sheet(run, firm)
    rows = list(csv.DictReader(io.StringIO(run_sheet_csv(sheet))))
    for row, s in zip(rows, sheet.stops, strict=True):
        assert row["eta"] == f"{s.eta:%H:%M}"
        assert int(row["service_minutes"]) == s.service_minutes > 0
        assert row["delivery_note"] == s.note


# -- settings from inventory/ ----------------------------------------------------------------


def test_sample_company_has_the_crew_and_notes():
    firm = load_company(REPO / "inventory")
    van = firm.delivery.van("vw bus 1")
    assert van is not None and van.driver and van.plate == "B-HK 101"
    assert firm.delivery.dispatcher_phone == "+49 30 23125 300"
    assert firm.delivery.language == "de"
    assert sum(bool(e.delivery_note) for e in firm.employees) == len(firm.employees) // 4


def _small_company(tmp_path: Path) -> Path:
    root = tmp_path / "inventory"
    write_company(root, employees=8, seed=5)
    return root


def _errors(root: Path) -> list:
    return [p for p in check_company(root).problems if p.severity == "error"]


def test_delivery_note_german_header_and_text_rules(tmp_path):
    root = _small_company(tmp_path)
    path = root / "employees.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("delivery_note", "Lieferhinweis", 1), encoding="utf-8")
    firm = load_company(root)
    assert firm.employee("E0004").delivery_note  # every fourth has one in the sample

    for bad, words in (("Zeile 1\nZeile 2", "control character"), ("A" * 161, "161 characters")):
        line = edit_row(path, 1, Lieferhinweis=bad)
        (problem,) = _errors(root)
        assert (problem.file, problem.row, problem.field) == (
            "employees.csv",
            line,
            "delivery_note",
        )
        assert words in problem.message
        edit_row(path, 1, Lieferhinweis="")


def _edit_delivery(root: Path, change) -> None:
    path = root / "company.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data["delivery"])
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_delivery_settings_are_checked(tmp_path):
    root = _small_company(tmp_path)
    _edit_delivery(root, lambda d: d.update(language="fr"))
    (problem,) = _errors(root)
    assert problem.field == "delivery.language" and "'fr'" in problem.message

    _edit_delivery(root, lambda d: d.update(language="Deutsch"))
    assert load_company(root).delivery.language == "de"

    _edit_delivery(root, lambda d: d["vans"][0].update(plate="B-" + "X" * 20))
    (problem,) = _errors(root)
    assert problem.field == "delivery.vans[0].plate" and "at most 15" in problem.message

    _edit_delivery(root, lambda d: d["vans"][0].update(plate="B-HK 1", driver="Anna\u202eX"))
    (problem,) = _errors(root)
    assert problem.field == "delivery.vans[0].driver" and "U+202E" in problem.message


@pytest.mark.slow
def test_sheet_command_language_option(cli, tmp_path, monkeypatch):
    root = _small_company(tmp_path)
    out = tmp_path / "out"
    planned = cli(
        "-i", root, "routes", "plan", "--from", "2026-12-01", "--days", "10",
        "--seconds", "2", "--seed", "1", "--json",
    )  # fmt: skip
    assert planned.exit_code == 0, planned.output
    import json

    day = json.loads(planned.stdout)[0]["runs"][0]["day"]
    bad = cli("-i", root, "routes", "sheet", day, "--lang", "fr", "--out", out)
    assert bad.exit_code != 0 and "Traceback" not in bad.output + bad.stderr
    assert "de, en" in bad.output + bad.stderr
    assert not out.exists() or not list(out.iterdir()), "nothing written for a bad --lang"
    good = cli("-i", root, "routes", "sheet", day, "--lang", "en", "--out", out)
    assert good.exit_code == 0, good.output + good.stderr
    (pdf,) = out.glob("*.pdf")
    assert qpdf_problems(pdf) == []
    assert "Run sheet" in pdf_pages(pdf)[0]


# -- maps ----------------------------------------------------------------------------------


def test_run_colours_never_repeat_in_a_picture():
    for count in range(1, 61):
        colours = run_colours(count)
        assert len(colours) == count and len(set(colours)) == count, count
        assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)


def test_html_map_gives_each_run_its_own_colour_and_stays_offline_and_private(tmp_path):
    people = ring(24)
    firm = company(people, boxes=1, vans=12, capacity=2, multi_trip=False)
    plan = plan_deliveries(delivery_problem(firm, MONDAY, 1), options=FAST)
    assert len(plan.runs) >= 8  # more runs than the old seven colours
    colours = [r["colour"] for r in map_data(plan.runs, firm)["runs"]]
    assert len(set(colours)) == len(colours)
    path = write_map_html(tmp_path / "map.html", plan.runs, firm)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    page = path.read_text(encoding="utf-8")
    assert "<script src" not in page and "<link" not in page  # Leaflet is inline


def _square_company():
    """Two vans; van 1's stops on a 6 km square east-north of the depot, van 2's west-south."""
    km_lat = 1 / 111.2
    km_lon = 1 / (111.2 * 0.6088)  # cos(52.5118°)
    people = []
    for k, (dx, dy) in enumerate(((6, 0), (6, 6), (0, 6), (-6, 0), (-6, -6), (0, -6))):
        people.append(
            employee(f"E{k + 1:03d}", DEPOT.latitude + dy * km_lat, DEPOT.longitude + dx * km_lon)
        )
    return company(people, boxes=10, vans=2, capacity=30, multi_trip=False)


@pytest.mark.slow
def test_static_map_aspect_and_two_colours_in_the_picture(tmp_path):
    from PIL import Image

    firm = _square_company()
    x, y = project(firm.employees[1].location, DEPOT)
    assert x == pytest.approx(6, rel=0.01) and y == pytest.approx(6, rel=0.02)

    plan = plan_deliveries(delivery_problem(firm, MONDAY, 1), options=FAST)
    assert len(plan.runs) == 2
    png = overview_png(plan.runs, firm, language="de")
    (tmp_path / "map.png").write_bytes(png)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    assert width >= 700 and height >= 400
    pixels = np.asarray(image)
    colours, counts = np.unique(pixels.reshape(-1, 3), axis=0, return_counts=True)
    dominant = {
        tuple(int(v) for v in c)
        for c, n in zip(colours, counts, strict=True)
        if n > 150 and len(set(c.tolist())) > 1  # not white, black or grey
    }
    expected = [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in run_colours(2)]
    assert set(expected) <= dominant, (expected, dominant)
    assert expected[0] != expected[1]
    # The aspect: each run's 6 km x 6 km square is as wide as it is high in the picture.
    # (Only inside the axes: the legend to the right repeats the colours.)
    black = (pixels == 0).all(axis=2)
    frame_right = max(x for x in range(width) if black[:, x].sum() > height * 0.5)
    for colour in expected:
        ys, xs = np.nonzero((pixels[:, :frame_right] == colour).all(axis=2))
        w, h = int(xs.max() - xs.min()), int(ys.max() - ys.min())
        assert w > 150 and abs(w / h - 1) < 0.12, (colour, w, h)


def test_van_not_in_company_prints_no_crew(eight):
    firm, run = eight
    other = dataclasses.replace(
        firm, delivery=dataclasses.replace(firm.delivery, vans=(Van("Other", 40),))
    )
    sheet = run_sheet(run, other)
    assert (sheet.driver, sheet.plate) == ("", "")
