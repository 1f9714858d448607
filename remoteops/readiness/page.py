"""The readiness report as one self-contained HTML page (``remoteops readiness --html``).

Summary figures, the funnel of the stages, the burn-down of blocked employees per owner
(inline SVG), the team totals, the blockers by owner and a table of every employee that can
be sorted and filtered by team, owner, stage and status.

Safety: the page is built here, not from a template. Every text from the inventory or the
state store (names, teams, evidence, the receiver's name) is HTML-escaped where it is
written and never reaches the script: the one fixed script only reads ``data-`` attributes
and compares them with the filters' values, and sets counts as ``textContent``. A
Content-Security-Policy allows exactly that script and that style (by hash) and no request
to any host, so the page opens offline and nothing in it can load or run anything else.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

from remoteops.files import write_private
from remoteops.readiness.model import (
    FUNNEL,
    OWNERS,
    STAGES,
    STATUSES,
    EmployeeReadiness,
    ReadinessReport,
    stage,
)
from remoteops.webpage import csp_hash

_COLOURS = {"IT": "#1f6feb", "HR": "#a2416b", "operations": "#b26a00", "blocked": "#444"}

_CSS = """
:root { --ready: #1a7f37; --blocked: #c62828; --unknown: #9a6700; --line: #d0d7de; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: #1f2328; background: #f6f8fa; }
header, main > section { max-width: 1400px; margin: 0 auto; padding: 0.75rem 1rem; }
header { background: #fff; border-bottom: 1px solid var(--line); max-width: none; }
header h1 { margin: 0; font-size: 1.4rem; }
header p { margin: 0.2rem 0 0; color: #57606a; }
h2 { font-size: 1.1rem; margin: 0.5rem 0; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr));
  gap: 0.6rem; }
.figure { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 0.6rem; }
.figure b { display: block; font-size: 1.6rem; }
.figure span { color: #57606a; font-size: 0.85rem; }
.figure.ready b { color: var(--ready); } .figure.blocked b { color: var(--blocked); }
.figure.unknown b { color: var(--unknown); }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 0.6rem; }
svg { width: 100%; max-width: 600px; height: auto; display: block; }
svg text { font: 12px system-ui, sans-serif; fill: #1f2328; }
.note { color: #57606a; font-size: 0.9rem; }
ol.funnel { list-style: none; margin: 0; padding: 0; max-width: 600px; }
ol.funnel li { display: flex; align-items: center; gap: 0.5rem; margin: 0.3rem 0; }
ol.funnel .step { flex: 0 0 9rem; }
ol.funnel progress { flex: 1 1 auto; min-width: 4rem; height: 1.1rem; accent-color: #1a7f37; }
ol.funnel .count { flex: 0 0 2.5rem; text-align: right; font-weight: 600; }
.legend span { margin-right: 1rem; white-space: nowrap; }
.legend i { display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.3rem;
  vertical-align: -0.1rem; border-radius: 2px; }
.legend .IT { background: #1f6feb; } .legend .HR { background: #a2416b; }
.legend .operations { background: #b26a00; } .legend .all { background: #444; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 0.35rem 0.5rem; border-bottom: 1px solid var(--line);
  vertical-align: top; overflow-wrap: anywhere; }
td.id, td.start { white-space: nowrap; }
td.start small { white-space: normal; }
td.name, td.team { min-width: 7rem; }
td.next { min-width: 13rem; }
.scroll { overflow-x: auto; }
th button { font: inherit; font-weight: 600; background: none; border: 0; padding: 0;
  cursor: pointer; color: #0550ae; }
th button[data-order="asc"]::after { content: " \\25B2"; }
th button[data-order="desc"]::after { content: " \\25BC"; }
.st { font-weight: 600; white-space: nowrap; }
.st-ready { color: var(--ready); } .st-blocked { color: var(--blocked); }
.st-unknown { color: var(--unknown); }
td small { display: block; color: #57606a; overflow-wrap: anywhere; }
.filters { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: end;
  margin-bottom: 0.5rem; }
.filters label { display: flex; flex-direction: column; font-size: 0.85rem; color: #57606a; }
.filters select { font: inherit; padding: 0.2rem; max-width: 16rem; }
details { background: #fff; border: 1px solid var(--line); border-radius: 6px;
  margin-bottom: 0.5rem; padding: 0.4rem 0.6rem; }
summary { cursor: pointer; font-weight: 600; }
ol.blockers { margin: 0.4rem 0 0; padding-left: 1.4rem; }
ol.blockers li { margin-bottom: 0.3rem; overflow-wrap: anywhere; }
.overdue { color: var(--blocked); font-weight: 600; }
tr[hidden] { display: none; }
@media (max-width: 700px) {
  header, main > section { padding: 0.5rem; }
  #people thead tr { display: flex; flex-wrap: wrap; gap: 0.2rem 0.8rem; }
  #people thead th { border: 0; padding: 0.2rem 0; }
  #people, #people tbody, #people tr, #people td { display: block; width: 100%; }
  #people tbody tr { border: 1px solid var(--line); border-radius: 6px; margin: 0 0 0.5rem;
    padding: 0.3rem 0.5rem; }
  #people td { border: 0; padding: 0.15rem 0; }
  #people td::before { content: attr(data-label) ": "; font-weight: 600; color: #57606a; }
  .teams th, .teams td { padding: 0.3rem; font-size: 0.85rem; }
  td.id, td.start { white-space: normal; }
  td.name, td.team, td.next { min-width: 0; }
}
@media print { .filters { display: none; } }
"""

_SCRIPT = """
(function () {
  "use strict";
  var table = document.getElementById("people");
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var shown = document.getElementById("shown");
  var filters = {
    team: document.getElementById("f-team"),
    owner: document.getElementById("f-owner"),
    stage: document.getElementById("f-stage"),
    status: document.getElementById("f-status")
  };
  function words(row, key) { return (row.getAttribute("data-" + key) || "").split(" "); }
  function apply() {
    var count = 0;
    rows.forEach(function (row) {
      var ok = (!filters.team.value || row.getAttribute("data-team") === filters.team.value) &&
        (!filters.owner.value || words(row, "owners").indexOf(filters.owner.value) >= 0) &&
        (!filters.stage.value || words(row, "stages").indexOf(filters.stage.value) >= 0) &&
        (!filters.status.value || row.getAttribute("data-status") === filters.status.value);
      row.hidden = !ok;
      if (ok) { count += 1; }
    });
    shown.textContent = count + " of " + rows.length + " employees shown";
  }
  Object.keys(filters).forEach(function (key) {
    filters[key].addEventListener("change", apply);
  });
  var buttons = Array.prototype.slice.call(table.tHead.querySelectorAll("button"));
  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      var column = Number(button.getAttribute("data-column"));
      var order = button.getAttribute("data-order") === "asc" ? "desc" : "asc";
      buttons.forEach(function (b) { b.removeAttribute("data-order"); });
      button.setAttribute("data-order", order);
      function key(row) {
        var cell = row.cells[column];
        return cell.getAttribute("data-sort") || cell.textContent;
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        var c = x < y ? -1 : x > y ? 1 : 0;
        return order === "asc" ? c : -c;
      });
      rows.forEach(function (row) { table.tBodies[0].appendChild(row); });
    });
  });
  apply();
})();
"""

_STATUS_RANK = {status: str(i) for i, status in enumerate(("blocked", "unknown", "ready"))}


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _day(day: dt.date | None) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}" if day else "-"


def _figures(report: ReadinessReport) -> str:
    c = report.counts
    outlook = report.outlook
    if outlook.ready_by and outlook.ready_by < report.as_of:
        plan = "behind"
        plan_note = (
            f"the last run was on {_day(outlook.ready_by)}; {outlook.waiting} deliveries "
            "not recorded"
        )
    elif outlook.ready_by:
        plan = _day(outlook.ready_by)
        plan_note = f"last planned delivery of {outlook.waiting} still waiting"
    elif outlook.waiting:
        plan = "not planned"
        plan_note = f"{len(outlook.unplanned)} of {outlook.waiting} waiting are on no run"
    else:
        plan, plan_note = "done", "every delivery made"
    cards = [
        ("", c.employees, "employees scheduled"),
        ("ready", c.ready, "ready to work from home"),
        ("blocked", c.blocked, "blocked"),
        ("unknown", c.unknown, "unknown (evidence too old)"),
        ("blocked", c.overdue, "overdue (start date passed)"),
        ("", plan, f"ready by, says the delivery plan ({plan_note})"),
    ]
    return "".join(
        f'<div class="figure {cls}" id="fig-{i}"><b>{_e(value)}</b><span>{_e(label)}</span></div>'
        for i, (cls, value, label) in enumerate(cards)
    )


def _funnel(report: ReadinessReport) -> str:
    total = max(report.counts.employees, 1)
    rows = "".join(
        f'<li><span class="step">{i + 1}. {_e(stage(stage_id).short)}</span>'
        f'<progress value="{count}" max="{total}">{count} of {total}</progress>'
        f'<span class="count">{count}</span></li>'
        for i, (stage_id, count) in enumerate(report.funnel())
    )
    return f'<ol class="funnel">{rows}</ol>'


def _burndown_svg(report: ReadinessReport) -> str:
    trend = report.trend
    if not trend:
        return (
            '<p class="note">No snapshot stored yet: every run of remoteops readiness (and '
            "remoteops readiness snapshot, e.g. daily from cron) stores one.</p>"
        )
    width, height, left, right, top, bottom = 480, 200, 34, 16, 10, 34
    days = [s.day for s in trend]
    first, last = days[0], days[-1]
    span = max((last - first).days, 1)
    peak = max(max(s.counts.employees for s in trend), 1)

    def x(day: dt.date) -> float:
        if first == last:
            return left + (width - left - right) / 2
        return round(left + (width - left - right) * (day - first).days / span, 1)

    def y(value: int) -> float:
        return round(top + (height - top - bottom) * (1 - value / peak), 1)

    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" '
        'aria-label="Blocked employees per owner over the days">',
        f'<line x1="{left}" y1="{y(0)}" x2="{width - right}" y2="{y(0)}" stroke="#8c959f"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{y(0)}" stroke="#8c959f"/>',
        f'<text x="{left - 6}" y="{y(peak) + 4}" text-anchor="end">{peak}</text>',
        f'<text x="{left - 6}" y="{y(0) + 4}" text-anchor="end">0</text>',
    ]
    ticks = days if len(days) <= 8 else days[:: max(1, len(days) // 7)] + [last]
    for day in dict.fromkeys(ticks):
        parts.append(
            f'<text x="{x(day)}" y="{height - bottom + 16}" text-anchor="middle">'
            f"{day.day} {day:%b}</text>"
        )
    series = [(owner, [s.blocked_by_owner.get(owner, 0) for s in trend]) for owner in OWNERS]
    series.append(("blocked", [s.counts.blocked for s in trend]))
    for name, values in series:
        colour = _COLOURS[name]
        dash = ' stroke-dasharray="6 4"' if name == "blocked" else ""
        points = " ".join(f"{x(d)},{y(v)}" for d, v in zip(days, values, strict=True))
        if len(days) > 1:
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" '
                f'stroke-width="2"{dash}/>'
            )
        for d, v in zip(days, values, strict=True):
            parts.append(f'<circle cx="{x(d)}" cy="{y(v)}" r="3" fill="{colour}"/>')
    parts.append("</svg>")
    legend = (
        '<p class="legend"><span><i class="IT"></i>IT</span><span><i class="HR"></i>HR</span>'
        '<span><i class="operations"></i>operations</span>'
        '<span><i class="all"></i>blocked in all (dashed)</span></p>'
    )
    note = ""
    if len(trend) == 1:
        note = (
            '<p class="note">One day so far; the line grows with each day\'s snapshot '
            "(remoteops readiness snapshot, e.g. daily from cron).</p>"
        )
    return "".join(parts) + legend + note


def _teams_table(report: ReadinessReport) -> str:
    rows = "".join(
        f"<tr><td>{_e(team)}</td><td>{c.employees}</td><td>{c.ready}</td><td>{c.blocked}</td>"
        f"<td>{c.unknown}</td><td>{c.overdue}</td></tr>"
        for team, c in report.team_totals().items()
    )
    stage_rows = "".join(
        f"<tr><td>{_e(s.short)} ({_e(s.owner)})</td><td>{report.counts.employees}</td>"
        + "".join(f"<td>{totals[status]}</td>" for status in ("ready", "blocked", "unknown"))
        + "</tr>"
        for s in STAGES
        for totals in [report.stage_totals()[s.id]]
    )
    head = "<tr><th>{}</th><th>Employees</th><th>Ready</th><th>Blocked</th><th>Unknown</th>"
    return (
        f'<div class="scroll"><table class="teams"><thead>{head.format("Team")}'
        f"<th>Overdue</th></tr></thead><tbody>{rows}</tbody></table></div><h2>Stages</h2>"
        f'<div class="scroll"><table class="teams"><thead>{head.format("Stage")}</tr></thead>'
        f"<tbody>{stage_rows}</tbody></table></div>"
    )


def _owners(report: ReadinessReport) -> str:
    parts = []
    for owner in OWNERS:
        items = report.blockers(owner)
        blocked = len({b.employee_id for b in items if b.status == "blocked"})
        unknown = len({b.employee_id for b in items}) - blocked
        grouped: dict[str, list] = {}
        for b in items:
            grouped.setdefault(b.employee_id, []).append(b)
        lines = "".join(
            f'<li data-owner="{_e(owner)}"><b>{_e(first.employee_id)}</b> {_e(first.name)} '
            f'({_e(first.team)}) <span class="{_due_class(first.due, report.as_of)}">due '
            f"{_e(_day(first.due))}</span><br>"
            + "<br>".join(
                f"{_e(stage(b.stage).short)} {_e(b.status)}: {_e(b.action)}" for b in found
            )
            + "</li>"
            for found in grouped.values()
            for first in found[:1]
        )
        body = f'<ol class="blockers">{lines}</ol>' if items else "<p>Nothing open.</p>"
        parts.append(
            f'<details open id="owner-{_e(owner)}"><summary>{_e(owner)}: {blocked} employee(s) '
            f"blocked, {unknown} unknown</summary>{body}</details>"
        )
    return "".join(parts)


def _due_class(due: dt.date | None, as_of: dt.date) -> str:
    return "overdue" if due is not None and due <= as_of else "due"


def _options(values: list[tuple[str, str]], everyone: str) -> str:
    return f'<option value="">{_e(everyone)}</option>' + "".join(
        f'<option value="{_e(v)}">{_e(label)}</option>' for v, label in values
    )


def _filters(report: ReadinessReport) -> str:
    teams = sorted({e.team for e in report.employees})
    return (
        '<div class="filters">'
        f'<label>Team<select id="f-team">{_options([(t, t) for t in teams], "All teams")}'
        "</select></label>"
        f'<label>Owner<select id="f-owner">'
        f"{_options([(o, o) for o in OWNERS], 'Any owner')}</select></label>"
        f'<label>Stage not ready<select id="f-stage">'
        f"{_options([(s.id, s.short) for s in STAGES], 'Any stage')}</select></label>"
        f'<label>Status<select id="f-status">'
        f"{_options([(s, s) for s in STATUSES], 'Any status')}</select></label>"
        '<p id="shown" aria-live="polite"></p></div>'
    )


_COLUMNS = ("ID", "Name", "Team", "Start", "Status", *(s.short for s in STAGES), "Next step")


def _row(e: EmployeeReadiness) -> str:
    items = e.open_items
    owners = " ".join(dict.fromkeys(b.owner for b in items))
    stages_open = " ".join(b.stage for b in items)
    start = e.start.isoformat() if e.start else ""
    overdue = ""
    if e.overdue:
        late = "overdue since today" if e.days_overdue == 0 else f"{e.days_overdue} days overdue"
        overdue = f'<small class="overdue">{late}</small>'
    cells = [
        f'<td class="id" data-label="ID">{_e(e.employee_id)}</td>',
        f'<td class="name" data-label="Name">{_e(e.name)}</td>',
        f'<td class="team" data-label="Team">{_e(e.team)}</td>',
        f'<td class="start" data-label="Start" data-sort="{_e(start)}">{_e(start)}{overdue}</td>',
        f'<td data-label="Status" data-sort="{_STATUS_RANK[e.status]}">'
        f'<span class="st st-{e.status}">{e.status}</span></td>',
    ]
    for r in e.stages:
        at = f"<small>{r.at:%Y-%m-%d %H:%M} UTC</small>" if r.at else ""
        cells.append(
            f'<td data-label="{_e(stage(r.stage).short)}" data-sort="{_STATUS_RANK[r.status]}">'
            f'<span class="st st-{r.status}">{r.status}</span><small>{_e(r.evidence)}</small>'
            f"{at}</td>"
        )
    first = items[0] if items else None
    step = f"{_e(first.owner)}: {_e(first.action)}" if first else ""
    cells.append(f'<td class="next" data-label="Next step">{step}</td>')
    return (
        f'<tr data-team="{_e(e.team)}" data-owners="{_e(owners)}" '
        f'data-stages="{_e(stages_open)}" data-status="{e.status}">{"".join(cells)}</tr>'
    )


def _table(report: ReadinessReport) -> str:
    head = "".join(
        f'<th><button type="button" data-column="{i}">{_e(name)}</button></th>'
        for i, name in enumerate(_COLUMNS)
    )
    body = "".join(_row(e) for e in report.employees)
    return f'<table id="people"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def report_html(report: ReadinessReport, *, company_name: str = "") -> str:
    """The page, as text."""
    csp = "; ".join(
        (
            "default-src 'none'",
            f"script-src {csp_hash(_SCRIPT)}",
            f"style-src {csp_hash(_CSS)}",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )
    scope = f"team {report.team}" if report.team else "all teams"
    title = f"Readiness on {_day(report.as_of)}"
    sub = (
        f"{company_name + ', ' if company_name else ''}{scope}: evidence recorded until "
        f"{report.moment:%Y-%m-%d %H:%M} UTC. Age limits (days): "
        + ", ".join(
            f"{stage(k).short} {'never' if v is None else v}"
            for k, v in report.max_age_days.items()
        )
    )
    funnel_steps = " then ".join(stage(s).short for s in FUNNEL)
    return "".join(
        (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n',
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n',
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
            '<link rel="icon" href="data:,">\n',
            f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head><body>\n",
            f"<header><h1>{_e(title)}</h1><p>{_e(sub)}</p></header>\n<main>\n",
            f'<section id="summary"><div class="figures">{_figures(report)}</div></section>\n',
            '<section id="funnel"><h2>Funnel</h2><div class="panel">',
            f'<p class="note">Employees ready in each stage and every one before it '
            f"({_e(funnel_steps)}).</p>{_funnel(report)}</div></section>\n",
            '<section id="burndown"><h2>Blocked employees per owner</h2><div class="panel">',
            f"{_burndown_svg(report)}</div></section>\n",
            f'<section id="totals"><h2>Teams</h2>{_teams_table(report)}</section>\n',
            f'<section id="owners"><h2>Blockers by owner</h2>{_owners(report)}</section>\n',
            '<section id="employees"><h2>Employees</h2>',
            f"{_filters(report)}{_table(report)}</section>\n",
            f"</main>\n<script>{_SCRIPT}</script>\n</body></html>\n",
        )
    )


def write_report_html(path: Path, report: ReadinessReport, *, company_name: str = "") -> Path:
    """Write the page owner-only and atomically (it holds names and their progress)."""
    return write_private(Path(path), report_html(report, company_name=company_name))
