"""The rota as files: CSV and JSON (also read back: ``rota check FILE``), calendars (.ics)
per person and per channel, and a printable PDF of a week.

Every file holds names (and the PDF phone numbers): written owner-only and atomically
through :mod:`remoteops.files`, named only through :func:`remoteops.files.safe_file`.
WeasyPrint and icalendar are imported where used.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from remoteops.csvio import read_csv, write_csv_rows
from remoteops.errors import InputFileError
from remoteops.files import safe_file, write_private
from remoteops.models import WEEKDAY_NAMES
from remoteops.rota.check import CheckResult
from remoteops.rota.settings import TIMEZONE, Duty, RotaFileError, RotaSettings

#: Columns of a rota CSV (written by 'rota export', read by 'rota check FILE').
DUTY_COLUMNS = (
    "day",
    "employee_id",
    "name",
    "channel",
    "shift",
    "start",
    "end",
    "break_minutes",
    "source",
)
_ALIASES = {
    "day": ("Tag", "Datum", "date"),
    "employee_id": ("Personalnummer", "Mitarbeiter-ID", "ID"),
    "name": ("Name",),
    "channel": ("Kanal", "Rolle", "role"),
    "shift": ("Schicht",),
    "start": ("Beginn", "von", "from"),
    "end": ("Ende", "bis", "to"),
    "break_minutes": ("Pause", "break"),
    "source": ("Quelle",),
}


def duty_rows(duties: Sequence[Duty], settings: RotaSettings) -> list[dict]:
    rows = []
    for d in sorted(duties):
        person = settings.person(d.employee_id)
        rows.append(
            {
                "day": d.day.isoformat(),
                "employee_id": d.employee_id,
                "name": person.name if person else "",
                "channel": d.channel,
                "shift": d.shift,
                "start": d.start.strftime("%H:%M"),
                "end": d.times.describe()[-5:],
                "break_minutes": d.break_minutes,
                "source": d.source,
            }
        )
    return rows


def duties_csv(duties: Sequence[Duty], settings: RotaSettings) -> str:
    out = io.StringIO()
    write_csv_rows(out, list(DUTY_COLUMNS), duty_rows(duties, settings), lineterminator="\n")
    return out.getvalue()


def read_duties_csv(path: Path, settings: RotaSettings) -> list[Duty]:
    """The duties of a rota CSV; every bad row is reported (file, line, column) at once."""
    from remoteops.inventory import _aliases, _Fields, _Problems, parse_date, parse_time

    table = read_csv(
        path,
        display_name=path.name,
        aliases=_aliases({c: _ALIASES.get(c, ()) for c in DUTY_COLUMNS}),
        required=("day", "employee_id", "channel", "start", "end"),
    )
    problems = _Problems(list(table.problems))
    duties: list[Duty] = []
    if not any(p.severity == "error" for p in table.problems):
        for row in table.rows:
            f = _Fields(problems, path.name, row)
            employee_id, channel = f.text("employee_id"), f.text("channel")
            if employee_id and settings.person(employee_id) is None:
                f.bad("employee_id", f"{employee_id!r} is not on the rota (rota.yml people).")
            if channel and settings.channel(channel) is None:
                f.bad("channel", f"{channel!r} is not a channel of rota.yml.")
            day = f.parsed("day", parse_date)
            start = f.parsed("start", parse_time)
            end = f.parsed(
                "end", lambda t: dt.time(23, 59) if t in ("24:00", "24") else parse_time(t)
            )
            pause = (
                f.number("break_minutes", 0, 240, whole=True)
                if row.values.get("break_minutes")
                else 0
            )
            if start and end and end <= start:
                f.bad("end", "must be later than start on the same day (split a night duty).")
            if f.ok:
                duties.append(
                    Duty(
                        day,
                        employee_id,
                        channel,
                        start,
                        end,
                        int(pause or 0),
                        shift=row.values.get("shift", ""),
                        source="import",
                    )
                )
    errors = [p for p in problems.items if p.severity == "error"]
    if errors:
        raise RotaFileError(path.name, problems.items)
    if not duties:
        raise InputFileError(path.name, "has no duties.", hint="Add one row per duty.")
    return duties


def rota_json(result: CheckResult, settings: RotaSettings) -> str:
    return json.dumps(
        {
            "first_day": result.first.isoformat(),
            "last_day": result.last.isoformat(),
            "duties": duty_rows(result.duties, settings),
            **result.summary(),
            "fairness": list(result.fairness),
        },
        ensure_ascii=False,
        indent=2,
    )


# -- calendars ----------------------------------------------------------------------------
def _calendar(name: str, duties: Sequence[Duty], settings: RotaSettings, stamp: dt.datetime):
    from zoneinfo import ZoneInfo

    from icalendar import Calendar, Event

    tz = ZoneInfo(TIMEZONE)
    cal = Calendar()
    cal.add("prodid", "-//remoteops//support rota//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    for d in sorted(duties):
        channel = settings.channel(d.channel)
        person = settings.person(d.employee_id)
        event = Event()
        event.add("uid", f"rota-{d.employee_id}-{d.day:%Y%m%d}-{d.channel}@remoteops")
        event.add("dtstamp", stamp)
        event.add("dtstart", d.start_at.replace(tzinfo=tz))
        event.add("dtend", d.end_at.replace(tzinfo=tz))
        title = channel.name if channel else d.channel
        event.add("summary", f"{title}: {person.name if person else d.employee_id}")
        event.add(
            "description",
            f"{title} ({d.channel}), {d.times.describe()}, {d.break_minutes} min break",
        )
        cal.add_component(event)
    return cal.to_ical()


def write_calendars(folder: Path, duties: Sequence[Duty], settings: RotaSettings) -> list[Path]:
    """``person-ID.ics`` per person and ``channel-ID.ics`` per channel in ``folder``; every
    name checked before the first file is written."""
    stamp = dt.datetime.now(dt.UTC)
    by_person: dict[str, list[Duty]] = defaultdict(list)
    by_channel: dict[str, list[Duty]] = defaultdict(list)
    for d in duties:
        by_person[d.employee_id].append(d)
        by_channel[d.channel].append(d)
    files = [
        (safe_file(folder, f"person-{eid}.ics"), f"Rota {eid}", ds)
        for eid, ds in sorted(by_person.items())
    ] + [
        (safe_file(folder, f"channel-{cid}.ics"), f"Rota {cid}", ds)
        for cid, ds in sorted(by_channel.items())
    ]
    return [write_private(path, _calendar(name, ds, settings, stamp)) for path, name, ds in files]


# -- the printable week -------------------------------------------------------------------
_CSS = """
@page { size: A4 landscape; margin: 12mm 10mm 14mm 10mm;
  @bottom-right { content: "Seite " counter(page) " / " counter(pages); font-size: 8pt; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 8pt; }
h1 { font-size: 13pt; margin: 0 0 2mm 0; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 0.4pt solid #999; padding: 1mm; vertical-align: top; }
th { background: #eee; }
td.who { width: 22%; }
.gap { color: #a00; }
"""


def week_html(result: CheckResult, settings: RotaSettings, company_name: str) -> str:
    esc = html.escape
    days = [
        result.first + dt.timedelta(days=k) for k in range((result.last - result.first).days + 1)
    ]
    cells: dict[tuple[str, dt.date], list[str]] = defaultdict(list)
    for d in result.duties:
        cells[d.employee_id, d.day].append(f"{d.channel}<br>{esc(d.times.describe())}")
    title = f"Support-Rota {result.first:%d.%m.%Y} - {result.last:%d.%m.%Y}"
    parts = [
        "<!DOCTYPE html><html lang='de'><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(company_name)}: {esc(title)}</h1>",
        "<table><thead><tr><th>Name, Telefon</th>",
        *(f"<th>{WEEKDAY_NAMES[d.weekday()]} {d:%d.%m.}</th>" for d in days),
        "</tr></thead><tbody>",
    ]
    for person in settings.people:
        if not any(cells.get((person.employee_id, d)) for d in days):
            continue
        parts.append(
            f"<tr><td class='who'>{esc(person.name)} ({esc(person.employee_id)})<br>"
            f"{esc(person.phone)}</td>"
        )
        parts += [f"<td>{'<br>'.join(cells.get((person.employee_id, d), []))}</td>" for d in days]
        parts.append("</tr>")
    parts.append("</tbody></table>")
    if result.gaps:
        parts.append("<p class='gap'><b>Lücken:</b> ")
        parts.append(
            "; ".join(
                esc(
                    f"{g.channel} {g.day:%d.%m.} {g.start_hour:02d}-{g.end_hour:02d} Uhr: "
                    f"{g.missing} fehlt/fehlen"
                )
                for g in result.gaps
            )
        )
        parts.append("</p>")
    parts.append("</body></html>")
    return "".join(parts)


def write_week_pdf(
    path: Path, result: CheckResult, settings: RotaSettings, company_name: str
) -> Path:
    from weasyprint import HTML

    pdf = HTML(string=week_html(result, settings, company_name)).write_pdf()
    return write_private(Path(path), pdf)
