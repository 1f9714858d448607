"""The interactive HTML map of the delivery runs (``remoteops routes map``).

The page is one fixed template written here: Leaflet (vendored in ``leaflet/``, put inline so
the page opens without internet and loads no script from elsewhere), a fixed script, and the
runs as JSON in a ``<script type="application/json">`` data block. Text from the inventory
(names, addresses, van and depot names) is only ever in that data block, JSON-encoded with
``<``, ``>``, ``&``, U+2028 and U+2029 as ``\\u`` escapes, and the script shows it with
``textContent``: it is never template source, HTML or JavaScript. A Content-Security-Policy
allows only the page's own two scripts (by hash), so even a mistake here could not run
anything else.

The page's own words (title, hints, "trip", "boxes", the depot) are in the company's
language (``delivery.language``, as on the run sheets) or the one asked for; they travel in
the same data block, so the script, and its hash, are the same in every language.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path

from remoteops.errors import UsageError
from remoteops.files import write_private
from remoteops.models import LANGUAGES, Company
from remoteops.routes.planning import DeliveryRun
from remoteops.routes.static_map import run_colours
from remoteops.webpage import csp_hash

#: The background map; the only thing the page fetches (images only, see the CSP).
TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILE_ORIGIN = "https://tile.openstreetmap.org"

#: The page's own words, per language (never HTML: the script sets them as textContent).
MAP_TEXT = {
    "de": {
        "title": "Liefertouren",
        "note": (
            "Klicken Sie auf einen Stopp, um ihn auf der Karte zu zeigen. Stopps und Linien "
            "erscheinen auch ohne Internet; die Hintergrundkarte braucht Internet."
        ),
        "trip": "Tour",
        "boxes": "Kartons",
        "depot": "Depot",
        "depot_note": "Depot (schwarz)",
        "stops": "Stopps",
    },
    "en": {
        "title": "Delivery runs",
        "note": (
            "Click a stop to show it on the map. The stops and lines work offline; the "
            "background map needs internet."
        ),
        "trip": "trip",
        "boxes": "boxes",
        "depot": "Depot",
        "depot_note": "Depot (black)",
        "stops": "stops",
    },
}
_SHORT_WEEKDAYS = {
    "de": ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


def map_language(company: Company, language: str | None = None) -> str:
    """``language`` (or the company's ``delivery.language``), checked."""
    chosen = (language or company.delivery.language).strip().lower()
    if chosen not in LANGUAGES or chosen not in MAP_TEXT:
        raise UsageError(
            f"There is no route map in {chosen!r}.",
            hint=f"Choose one of: {', '.join(sorted(MAP_TEXT))}.",
        )
    return chosen


def map_day(day: dt.date, language: str) -> str:
    """``Di. 01.12.2026`` / ``Tue 01.12.2026`` (no locale involved)."""
    return f"{_SHORT_WEEKDAYS[language][day.weekday()]} {day:%d.%m.%Y}"


def map_title(day: dt.date | None, language: str) -> str:
    """The page title: ``Liefertouren Di. 01.12.2026``, or for every day ``Liefertouren``."""
    title = MAP_TEXT[language]["title"]
    return f"{title} {map_day(day, language)}" if day else title


_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def script_json(value: object) -> str:
    """``value`` as JSON that is safe inside a ``<script>`` element: it can neither end the
    element (``</script>``), open an HTML comment, nor break a JavaScript string."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for char, escape in _SCRIPT_ESCAPES.items():
        text = text.replace(char, escape)
    return text


@cache
def _leaflet() -> tuple[str, str]:
    folder = resources.files("remoteops.routes").joinpath("leaflet")
    script = folder.joinpath("leaflet.js").read_text(encoding="utf-8")
    # The source map is not shipped; drop the reference to it.
    script = script.replace("//# sourceMappingURL=leaflet.js.map", "").rstrip() + "\n"
    style = folder.joinpath("leaflet.css").read_text(encoding="utf-8")
    return script, style


# The page's own script: reads the data block and builds everything with DOM APIs
# (textContent, createElement); it never turns data into HTML.
_APP_JS = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("routes-data").textContent);
  var text = data.text;
  // Leaflet shows the attribution as HTML: it is fixed here, never taken from the data.
  var ATTRIBUTION = {
    de: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>' +
      "-Mitwirkende",
    en: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>' +
      " contributors"
  };

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }
  function lines(parts) {
    var box = el("div");
    parts.forEach(function (part, i) {
      box.appendChild(el(i === 0 ? "b" : "div", part));
    });
    return box;
  }
  function stopLines(run, s) {
    return [
      s.sequence + ". " + s.name + " (" + s.employee_id + ")",
      s.address,
      run.van + ", " + run.day_text + (run.trips > 1 ? ", " + text.trip + " " + s.trip : ""),
      s.window + ", " + s.boxes + " " + text.boxes
    ];
  }

  var map = L.map("map");
  L.tileLayer(data.tiles, {
    maxZoom: 19,
    attribution: ATTRIBUTION[data.lang] || ATTRIBUTION.en
  }).addTo(map);

  // Set the view before adding any layer (Leaflet's vector renderer needs one).
  var depot = data.depot;
  var bounds = [[depot.lat, depot.lon]];
  data.runs.forEach(function (run) {
    run.stops.forEach(function (s) { bounds.push([s.lat, s.lon]); });
  });
  map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
  var panel = document.getElementById("runs");
  data.runs.forEach(function (run) {
    var layer = L.featureGroup();
    L.polyline(run.path, { color: run.colour, weight: 3, opacity: 0.8 }).addTo(layer);
    var section = el("section", null, "run");
    var heading = el("label", null, "run-title");
    var toggle = el("input");
    toggle.type = "checkbox";
    toggle.checked = true;
    toggle.addEventListener("change", function () {
      if (toggle.checked) { layer.addTo(map); } else { map.removeLayer(layer); }
    });
    var swatch = el("span", null, "swatch");
    swatch.style.backgroundColor = run.colour;
    heading.appendChild(toggle);
    heading.appendChild(swatch);
    heading.appendChild(el("span", run.van + ", " + run.day_text));
    section.appendChild(heading);
    section.appendChild(el("p", run.summary, "summary"));
    var list = el("ol", null, "stops");
    run.stops.forEach(function (s) {
      var marker = L.circleMarker([s.lat, s.lon], {
        radius: 7, color: run.colour, weight: 2, fillColor: run.colour, fillOpacity: 0.6
      }).bindTooltip(el("span", s.sequence + ". " + s.name + ", " + s.window))
        .bindPopup(lines(stopLines(run, s)))
        .addTo(layer);
      var item = el("li", null, "stop");
      item.value = s.sequence;
      item.appendChild(el("span", s.window, "window"));
      item.appendChild(el("span", s.name, "name"));
      item.appendChild(el("span", s.address, "address"));
      item.addEventListener("click", function () {
        if (!toggle.checked) { toggle.checked = true; layer.addTo(map); }
        map.setView([s.lat, s.lon], Math.max(map.getZoom(), 14));
        marker.openPopup();
      });
      list.appendChild(item);
    });
    section.appendChild(list);
    panel.appendChild(section);
    layer.addTo(map);
  });
  L.circleMarker([depot.lat, depot.lon], {
    radius: 8, color: "#000", weight: 2, fillColor: "#000", fillOpacity: 0.9
  }).bindTooltip(el("span", text.depot + ": " + depot.name))
    .bindPopup(lines([text.depot + ": " + depot.name, depot.address]))
    .addTo(map);
  var depotNote = el("p", text.depot_note + ": " + depot.name + ", " + depot.address, "note");
  panel.parentNode.insertBefore(depotNote, panel);
})();
"""

_PAGE_CSS = """
html, body { height: 100%; margin: 0; }
body { display: flex; font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif;
       font-size: 13px; }
#map { flex: 1 1 auto; height: 100%; background: #e8e8e8; }
#side { flex: 0 0 22rem; height: 100%; overflow-y: auto; padding: 0.6rem 0.8rem;
        box-sizing: border-box; border-left: 1px solid #bbb; }
#side h1 { font-size: 1.15rem; margin: 0 0 0.3rem 0; }
#side .note { color: #555; margin: 0 0 0.6rem 0; }
.run { margin-bottom: 0.9rem; }
.run-title { font-weight: bold; display: flex; align-items: center; gap: 0.35rem; }
.swatch { display: inline-block; width: 0.9rem; height: 0.9rem; border-radius: 2px; }
.summary { margin: 0.2rem 0; color: #333; }
.stops { margin: 0; padding-left: 1.6rem; }
.stop { cursor: pointer; margin: 0.15rem 0; }
.stop span { display: block; }
.stop .window { font-weight: bold; }
.stop .address { color: #555; }
@media print { #side { flex-basis: 18rem; } }
"""


def route_points(run: DeliveryRun, company: Company) -> list[list[float]]:
    depot = company.depot.location
    points = [[depot.latitude, depot.longitude]]
    trip = 1
    for s in run.stops:
        if s.trip != trip:
            points.append([depot.latitude, depot.longitude])
            trip = s.trip
        loc = company.employee(s.employee_id).location
        points.append([loc.latitude, loc.longitude])
    points.append([depot.latitude, depot.longitude])
    return points


def map_data(runs: Sequence[DeliveryRun], company: Company, language: str = "en") -> dict:
    """What the map shows, as plain data (the page's JSON data block), its own words in
    ``language``."""
    words = MAP_TEXT[language]
    depot = company.depot
    data_runs = []
    for run, colour in zip(runs, run_colours(len(runs)), strict=True):
        stops = []
        for s in run.stops:
            e = company.employee(s.employee_id)
            stops.append(
                {
                    "sequence": s.sequence,
                    "trip": s.trip,
                    "employee_id": e.employee_id,
                    "name": e.full_name,
                    "address": e.address.one_line(),
                    "window": f"{s.window_start:%H:%M}-{s.window_end:%H:%M}",
                    "boxes": s.boxes,
                    "lat": e.location.latitude,
                    "lon": e.location.longitude,
                }
            )
        data_runs.append(
            {
                "van": run.van,
                "day": run.day.isoformat(),
                "day_text": map_day(run.day, language),
                "colour": colour,
                "trips": run.trips,
                "summary": (
                    f"{len(run.stops)} {words['stops']}, {run.boxes} {words['boxes']}, "
                    f"{run.km:.0f} km, {run.start:%H:%M}-{run.end:%H:%M}"
                ),
                "path": route_points(run, company),
                "stops": stops,
            }
        )
    return {
        "lang": language,
        "text": {k: words[k] for k in ("trip", "boxes", "depot", "depot_note")},
        "tiles": TILE_URL,
        "depot": {
            "name": depot.name,
            "address": depot.address.one_line(),
            "lat": depot.location.latitude,
            "lon": depot.location.longitude,
        },
        "runs": data_runs,
    }


def map_html(
    runs: Sequence[DeliveryRun],
    company: Company,
    *,
    title: str | None = None,
    language: str | None = None,
) -> str:
    """The interactive map page: one layer per run (switched on and off in the side panel,
    which also lists every stop), a marker per stop with a popup; its own words in
    ``language`` (default: the company's ``delivery.language``)."""
    language = map_language(company, language)
    words = MAP_TEXT[language]
    leaflet_js, leaflet_css = _leaflet()
    csp = "; ".join(
        (
            "default-src 'none'",
            f"script-src {csp_hash(leaflet_js)} {csp_hash(_APP_JS)}",
            "style-src 'unsafe-inline'",
            f"img-src data: {TILE_ORIGIN}",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )
    title = html.escape(title or words["title"])
    return "".join(
        (
            f"<!DOCTYPE html>\n<html lang='{language}'><head><meta charset='utf-8'>\n",
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n',
            "<meta name='viewport' content='width=device-width, initial-scale=1'>\n",
            f"<title>{title}</title>\n",
            f"<style>\n{leaflet_css}\n</style>\n<style>{_PAGE_CSS}</style>\n",
            "</head><body>\n<div id='map'></div>\n<div id='side'>",
            f"<h1>{title}</h1><p class='note'>{html.escape(words['note'])}</p>",
            "<div id='runs'></div></div>\n",
            '<script type="application/json" id="routes-data">',
            script_json(map_data(runs, company, language)),
            "</script>\n",
            f"<script>{leaflet_js}</script>\n",
            f"<script>{_APP_JS}</script>\n",
            "</body></html>\n",
        )
    )


def write_map_html(
    path: Path,
    runs: Sequence[DeliveryRun],
    company: Company,
    *,
    title: str | None = None,
    language: str | None = None,
) -> Path:
    page = map_html(runs, company, title=title, language=language)
    return write_private(Path(path), page.encode("utf-8"))
