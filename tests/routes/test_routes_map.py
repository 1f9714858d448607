"""The interactive map: text from the inventory reaches the page only as data.

A name such as ``{{ 7*7 }}`` is never rendered as a template, a name such as
``${...}`` or ``</script><img onerror=...>`` never runs as script (checked in a real headless
Chromium where one is installed), and the page works offline (Leaflet is inline)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import html.parser
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from routes_helpers import FAST, MONDAY, company, data_block, ring

from remoteops.models import Van
from remoteops.routes.maps import map_html, script_json
from remoteops.routes.planning import delivery_problem, plan_deliveries
from remoteops.synthetic import write_company

#: Would create a folder PWNED in the working directory if the name were a Jinja2 template.
MKDIR = "{{ cycler.__init__.__globals__.os.mkdir(dict(PWNED=1)|first) }}"
LONE = "Lone {{ brace"
#: "Van 49" if rendered as a template; "$\\foo$" crashes matplotlib if parsed as mathtext.
VAN = "Van {{ 7*7 }} $\\foo$"


def _set_names(root: Path, names: dict[str, str]) -> None:
    path = root / "employees.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["employee_id"] in names:
            row["first_name"] = names[row["employee_id"]]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _set_van(root: Path, name: str) -> None:
    path = root / "company.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["delivery"]["vans"][0]["name"] = name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.slow
def test_map_command_renders_inventory_text_as_data_not_template(cli, tmp_path, monkeypatch):
    root = tmp_path / "inventory"
    write_company(root, employees=12, seed=11)
    out = tmp_path / "out"
    monkeypatch.setenv("REMOTEOPS_OUT", str(out))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    _set_van(root, VAN)

    planned = cli(
        "-i", root, "routes", "plan", "--from", "2026-12-01", "--days", "3",
        "--seconds", "3", "--seed", "4", "--json",
    )  # fmt: skip
    assert planned.exit_code == 0, planned.output
    stops = json.loads(planned.stdout)[0]["stops"]
    assert len(stops) >= 2
    first, second = stops[0]["employee_id"], stops[1]["employee_id"]
    _set_names(root, {first: MKDIR, second: LONE})

    result = cli("-i", root, "routes", "map")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output

    # Nothing ran: no PWNED folder anywhere we can see.
    for folder in (cwd, out, tmp_path, tmp_path / "tmp", Path("/tmp")):
        assert not (folder / "PWNED").exists(), folder
    assert not list(tmp_path.rglob("PWNED"))
    days = sorted({s["day"] for s in stops})
    assert sorted(p.name for p in (out / "routes").iterdir()) == sorted(
        ["routes-all.html", "routes-all.png"] + [f"routes-{d}.png" for d in days]
    )

    page = (out / "routes" / "routes-all.html").read_text(encoding="utf-8")
    assert MKDIR in page and LONE in page and "Van {{ 7*7 }}" in page
    assert "Van 49" not in page
    data = data_block(page)
    names = {s["employee_id"]: s["name"] for run in data["runs"] for s in run["stops"]}
    assert names[first].startswith(MKDIR + " ")
    assert names[second].startswith(LONE + " ")
    assert {run["van"] for run in data["runs"]} == {VAN}
    # Everything is inline: no script or style from anywhere else.
    assert not re.search(r"<(script|link)[^>]+(src|href)=", page)
    # The company's language (delivery.language: de), or --lang; a bad one writes nothing.
    assert "<html lang='de'>" in page and "<title>Liefertouren</title>" in page
    bad = cli("-i", root, "routes", "map", days[0], "--lang", "fr")
    assert bad.exit_code == 2 and "de, en" in bad.output and "Traceback" not in bad.output
    assert not (out / "routes" / f"routes-{days[0]}.html").exists()
    english = cli("-i", root, "routes", "map", days[0], "--lang", "en")
    assert english.exit_code == 0, english.output
    page = (out / "routes" / f"routes-{days[0]}.html").read_text(encoding="utf-8")
    day = dt.date.fromisoformat(days[0])
    assert f"<title>Delivery runs {day:%a %d.%m.%Y}</title>" in page


def test_script_json_cannot_leave_the_script_element():
    tricky = "</script><!-- <script> & \u2028\u2029 ${x} `y`"
    text = script_json({"name": tricky})
    for forbidden in ("<", ">", "&", "\u2028", "\u2029"):
        assert forbidden not in text
    assert json.loads(text) == {"name": tricky}


# -- in a real browser ---------------------------------------------------------------------

XSS_FIRST = "${document.body.setAttribute('data-pwned','1')}"
XSS_LAST = "</script><img src=x onerror=\"document.body.setAttribute('data-pwned','2')\">"
XSS_DEPOT = "<img src=x onerror=\"document.body.setAttribute('data-pwned','3')\">"
XSS_VAN = "`+document.body.setAttribute('data-pwned','4')+`</b><b>"
XSS_STREET = "</SCRIPT ><!--<script>document.body.setAttribute('data-pwned','5')</script>"


class _Dom(html.parser.HTMLParser):
    """The body's attributes and the text of each stop name in the side panel."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.body: dict[str, str | None] = {}
        self.names: list[str] = []
        self.classes: list[str] = []
        self._in_name = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.body = attrs
        self.classes.extend((attrs.get("class") or "").split())
        if tag == "span" and attrs.get("class") == "name":
            self._in_name = True
            self.names.append("")

    def handle_endtag(self, tag):
        if tag == "span":
            self._in_name = False

    def handle_data(self, data):
        if self._in_name:
            self.names[-1] += data


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    _chromium() is None, reason="needs Debian's chromium (apt-get install chromium)"
)
@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ("Depot (black)", "Delivery runs", "boxes", "stops", "Mon")),
        ("de", ("Depot (schwarz)", "Liefertouren", "Kartons", "Stopps", "Mo.")),
    ],
)
@pytest.mark.slow
def test_names_never_run_as_script_in_a_browser(tmp_path, language, words):
    """In either language the page's own words are shown and the names stay text."""
    people = ring(5)
    people[0] = dataclasses.replace(people[0], first_name=XSS_FIRST)
    people[1] = dataclasses.replace(people[1], last_name=XSS_LAST)
    people[2] = dataclasses.replace(
        people[2], address=dataclasses.replace(people[2].address, street=XSS_STREET)
    )
    firm = company(people, capacity=40)
    (site,) = firm.sites
    firm = dataclasses.replace(
        firm,
        sites=(dataclasses.replace(site, name=XSS_DEPOT),),
        delivery=dataclasses.replace(firm.delivery, vans=(Van(XSS_VAN, 40),)),
    )
    plan = plan_deliveries(delivery_problem(firm, MONDAY, 1), options=FAST)
    (run,) = plan.runs
    page = tmp_path / "map.html"
    page.write_text(map_html([run], firm, language=language), encoding="utf-8")

    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    done = subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND",  # offline, and no tile requests out
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",  # the page's console, to see script errors
            "--v=0",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Uncaught" not in done.stderr, done.stderr[-2000:]
    dom = _Dom()
    dom.feed(done.stdout)

    # The page's own script ran (Leaflet inline, offline) and drew every stop ...
    assert "leaflet-container" in dom.classes
    assert dom.classes.count("leaflet-interactive") == len(run.stops) + 2  # + line, depot
    # ... and none of the names did.
    assert "data-pwned" not in dom.body, dom.body
    expected = [firm.employee(s.employee_id).full_name for s in run.stops]
    assert dom.names == expected
    assert any(XSS_FIRST in n for n in dom.names) and any(XSS_LAST in n for n in dom.names)
    text = html.unescape(done.stdout)
    depot_note, title, boxes, stops, monday = words
    day = f"{monday} {run.day:%d.%m.%Y}"  # the run is on MONDAY
    assert f"{depot_note}: {XSS_DEPOT}" in text
    assert f'<html lang="{language}"' in done.stdout
    assert title in text and f" {stops}, " in text and f" {boxes}, " in text and day in text
    assert XSS_VAN in text and XSS_STREET in text


def test_map_words_follow_the_language_and_the_script_stays_the_same():
    """German for a German company (delivery.language), English with language="en"; the
    page's scripts (and so the CSP hashes) do not change with the language, and an unknown
    language is refused with the choices."""
    from remoteops.errors import UsageError

    firm = company(ring(4), capacity=40)
    assert firm.delivery.language == "de"
    plan = plan_deliveries(delivery_problem(firm, MONDAY, 1), options=FAST)
    german, english = map_html(plan.runs, firm), map_html(plan.runs, firm, language="en")
    assert "<html lang='de'>" in german and "<html lang='en'>" in english
    assert "<title>Liefertouren</title>" in german and "Klicken Sie" in german
    assert "<title>Delivery runs</title>" in english and "Click a stop" in english
    assert data_block(german)["text"]["boxes"] == "Kartons"
    assert data_block(english)["text"]["boxes"] == "boxes"
    assert data_block(german)["runs"][0]["summary"].split(", ")[1].endswith(" Kartons")

    def csp(page: str) -> str:
        return re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)[1]

    assert csp(german) == csp(english)
    with pytest.raises(UsageError, match="no route map in 'fr'") as refused:
        map_html(plan.runs, firm, language="fr")
    assert "de, en" in (refused.value.hint or "")
