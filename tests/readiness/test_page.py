"""The HTML report in a real headless browser: Debian's Chromium, driven by Playwright.

The page must load without a console error and without any request beyond itself, show one
row per employee with hostile names as plain text, filter by owner, team, stage and status,
sort, and stay usable at a phone's width (390 px) without scrolling sideways. Screenshots
are kept in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
from pdfcheck import ARTIFACTS
from readiness_helpers import (
    ATTRIBUTE_TEAM,
    FORMULA_RECEIVER,
    NOW,
    SCRIPT_NAME,
    TEMPLATE_NAME,
    hostile_inventory,
    scenario,
)

from remoteops.inventory import load_company
from remoteops.readiness import readiness
from remoteops.readiness.page import report_html, write_report_html
from remoteops.state import StateStore

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium (make test installs it)"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The report of the hostile 8 with every state, written as an HTML file."""
    from remoteops.synthetic import write_company

    root = tmp_path_factory.mktemp("page")
    write_company(root / "inventory", employees=8, seed=7)
    hostile_inventory(root / "inventory")
    company = load_company(root / "inventory")
    with StateStore(root / "state.db") as store:
        expected = scenario(store, company)
        report = readiness(company, store, now=NOW)
    path = write_report_html(root / "out" / "readiness.html", report, company_name="Test GmbH")
    return path, report, expected


def test_the_page_is_owner_only_self_contained_and_escapes_inventory_text(built):
    path, report, _ = built
    assert path.stat().st_mode & 0o777 == 0o600
    page = path.read_text(encoding="utf-8")
    # no address of any host: nothing to fetch, nothing to link to
    assert not re.search(r"(?:src|href)=[\"'](?!data:)", page)
    assert "http://" not in page.replace(html.escape(FORMULA_RECEIVER), "")
    assert "https://" not in page
    assert page.count("<script>") == 1 and page.count("</script>") == 1
    assert SCRIPT_NAME not in page and html.escape(SCRIPT_NAME) in page
    assert ATTRIBUTE_TEAM not in page and html.escape(ATTRIBUTE_TEAM, quote=True) in page
    assert html.escape(FORMULA_RECEIVER) in page
    assert report_html(report, company_name="Test GmbH") == page  # the same data, the same page


class Browser:
    """One Chromium for the module; a fresh page per check, with what it logged."""

    def __init__(self, playwright):
        self.browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP * ~NOTFOUND"],
        )

    def open(self, path: Path, **context):
        ctx = self.browser.new_context(**context)
        page = ctx.new_page()
        log = {"console": [], "errors": [], "requests": [], "dialogs": []}
        page.on("console", lambda m: log["console"].append((m.type, m.text)))
        page.on("pageerror", lambda e: log["errors"].append(str(e)))
        page.on("request", lambda r: log["requests"].append(r.url))

        def dialog(d):
            log["dialogs"].append(d.message)
            d.dismiss()

        page.on("dialog", dialog)
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        return page, log


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("needs Debian's chromium (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = Browser(p)
        yield b
        b.browser.close()


def visible_ids(page) -> list[str]:
    return page.eval_on_selector_all(
        "#people tbody tr:not([hidden])", "rows => rows.map(r => r.cells[0].textContent)"
    )


@needs_chromium
def test_the_page_loads_quietly_shows_every_row_and_filters_by_owner(built, browser):
    path, report, expected = built
    page, log = browser.open(path, viewport={"width": 1280, "height": 900})
    assert log["errors"] == [] and log["dialogs"] == []
    assert [m for m in log["console"] if m[0] in ("error", "warning")] == []
    assert log["requests"] == [path.as_uri()]  # the page itself, nothing else
    assert page.evaluate("window.pwned") is None
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280

    assert visible_ids(page) == list(expected)
    statuses = page.eval_on_selector_all(
        "#people tbody tr", "rows => rows.map(r => r.getAttribute('data-status'))"
    )
    assert dict(zip(expected, statuses, strict=True)) == expected
    names = page.eval_on_selector_all(
        "#people tbody tr", "rows => rows.map(r => r.cells[1].textContent)"
    )
    assert names[0].startswith(SCRIPT_NAME) and names[1].endswith(TEMPLATE_NAME)
    assert page.text_content("#people tbody tr:nth-child(6) td:nth-child(3)") == ATTRIBUTE_TEAM
    assert page.text_content("#shown") == "8 of 8 employees shown"
    assert page.text_content("#fig-1 b") == "1" and page.text_content("#fig-3 b") == "1"
    shots = ARTIFACTS / "readiness"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "desktop.png"), full_page=True)

    page.select_option("#f-owner", "HR")
    hr = [e.employee_id for e in report.employees if any(b.owner == "HR" for b in e.open_items)]
    assert visible_ids(page) == hr == ["E0001", "E0004", "E0005", "E0006", "E0007", "E0008"]
    assert page.text_content("#shown") == f"{len(hr)} of 8 employees shown"
    page.select_option("#f-status", "unknown")
    assert visible_ids(page) == []  # E0003 is unknown, but its HR stage is ready
    page.select_option("#f-owner", "IT")
    assert visible_ids(page) == ["E0003"]
    page.select_option("#f-owner", "")
    page.select_option("#f-status", "")
    page.select_option("#f-stage", "equipment")
    waiting = [e.employee_id for e in report.employees if e.result("equipment").status != "ready"]
    assert visible_ids(page) == waiting
    page.select_option("#f-stage", "")
    page.select_option("#f-team", ATTRIBUTE_TEAM)
    assert visible_ids(page) == ["E0006"]
    page.select_option("#f-team", "")

    page.click("#people thead button[data-column='0']")  # ID ascending
    page.click("#people thead button[data-column='0']")  # then descending
    assert visible_ids(page) == sorted(expected, reverse=True)
    page.click("#people thead button[data-column='4']")  # status: blocked, unknown, ready
    order = [expected[i] for i in visible_ids(page)]
    assert order == sorted(order, key=["blocked", "unknown", "ready"].index)
    assert log["errors"] == [] and log["dialogs"] == [] and log["requests"] == [path.as_uri()]


@needs_chromium
def test_at_a_phone_width_nothing_scrolls_sideways_and_filters_work(built, browser):
    path, _report, expected = built
    page, log = browser.open(
        path, viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    assert log["errors"] == [] and log["requests"] == [path.as_uri()]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at 390 px"
    # rows are cards: each cell on its own line, labelled
    assert page.eval_on_selector("#people tbody tr", "r => getComputedStyle(r).display") == "block"
    box = page.eval_on_selector(
        "#people tbody tr:first-child", "r => r.getBoundingClientRect().width"
    )
    assert box <= 390
    page.select_option("#f-owner", "operations")
    assert visible_ids(page) == ["E0001", "E0004", "E0005", "E0006", "E0007"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shots = ARTIFACTS / "readiness"
    shots.mkdir(parents=True, exist_ok=True)
    page.select_option("#f-owner", "")
    page.screenshot(path=str(shots / "phone.png"), full_page=True)
    assert (shots / "phone.png").stat().st_size > 10_000
