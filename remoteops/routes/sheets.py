"""What the driver and the employees get: run sheets (PDF and CSV), the static map, calendar
invitations (the interactive map is :mod:`remoteops.routes.maps`).

Everything here reads a planned :class:`~remoteops.routes.planning.DeliveryRun` and the
company; names, addresses, phone numbers and serials come from the inventory, never from the
plan.  Files carry personal data, so they are written atomically and owner-only (0600).
Heavy libraries (WeasyPrint, matplotlib, icalendar) are imported where used.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from remoteops.csvio import SpreadsheetSafeWriter
from remoteops.files import safe_file, write_private
from remoteops.models import Company, Employee
from remoteops.routes.maps import COLOURS, route_points
from remoteops.routes.planning import DeliveryRun, PlannedStop

TIMEZONE = "Europe/Berlin"


# -- the run sheet's content -------------------------------------------------------------------


@dataclass(frozen=True)
class SheetItem:
    asset_tag: str
    type: str
    model: str
    serial_number: str
    boxes: int


@dataclass(frozen=True)
class SheetStop:
    sequence: int
    trip: int
    employee_id: str
    name: str
    address: str
    phone: str
    window_start: dt.datetime
    window_end: dt.datetime
    boxes: int
    items: tuple[SheetItem, ...]

    @property
    def window(self) -> str:
        return f"{self.window_start:%H:%M}-{self.window_end:%H:%M}"


@dataclass(frozen=True)
class RunSheet:
    day: dt.date
    van: str
    start: dt.datetime
    end: dt.datetime
    km: float
    driving_minutes: float
    boxes: int
    stops: tuple[SheetStop, ...]
    trips: int

    def loading_order(self, trip: int = 1) -> tuple[SheetStop, ...]:
        """Load the last stop of the trip first, so the first stop's boxes are at the door."""
        return tuple(reversed([s for s in self.stops if s.trip == trip]))


def run_sheet(run: DeliveryRun, company: Company) -> RunSheet:
    stops = []
    for s in run.stops:
        e = company.employee(s.employee_id)
        items = tuple(
            SheetItem(a.asset_tag, a.type, a.model, a.serial_number, a.boxes)
            for a in company.assets_of(s.employee_id)
        )
        stops.append(
            SheetStop(
                sequence=s.sequence,
                trip=s.trip,
                employee_id=e.employee_id,
                name=e.full_name,
                address=e.address.one_line(),
                phone=e.phone,
                window_start=s.window_start,
                window_end=s.window_end,
                boxes=s.boxes,
                items=items,
            )
        )
    return RunSheet(
        day=run.day,
        van=run.van,
        start=run.start,
        end=run.end,
        km=run.km,
        driving_minutes=run.driving_minutes,
        boxes=run.boxes,
        stops=tuple(stops),
        trips=run.trips,
    )


CSV_COLUMNS = (
    "day",
    "van",
    "stop",
    "trip",
    "employee_id",
    "name",
    "address",
    "phone",
    "arrival_from",
    "arrival_to",
    "boxes",
    "asset_tags",
    "serial_numbers",
    "received_by",
    "signature",
)


def run_sheet_csv(sheet: RunSheet) -> str:
    """One row per stop, in driving order; the last two columns are for the driver."""
    out = io.StringIO()
    writer = SpreadsheetSafeWriter(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for s in sheet.stops:
        writer.writerow(
            [
                sheet.day.isoformat(),
                sheet.van,
                s.sequence,
                s.trip,
                s.employee_id,
                s.name,
                s.address,
                s.phone,
                f"{s.window_start:%H:%M}",
                f"{s.window_end:%H:%M}",
                s.boxes,
                " ".join(i.asset_tag for i in s.items),
                " ".join(i.serial_number for i in s.items),
                "",
                "",
            ]
        )
    return out.getvalue()


def write_run_sheet_csv(path: Path, sheet: RunSheet) -> Path:
    return write_private(Path(path), run_sheet_csv(sheet).encode("utf-8"))


# -- PDF -------------------------------------------------------------------------------------

_CSS = """
@page { size: A4; margin: 14mm 12mm 16mm 12mm;
        @bottom-right { content: "page " counter(page) " of " counter(pages); font-size: 8pt; } }
body { font-family: "DejaVu Sans", "Liberation Sans", sans-serif; font-size: 9.5pt; }
h1 { font-size: 15pt; margin: 0 0 2mm 0; }
h2 { font-size: 11.5pt; margin: 5mm 0 2mm 0; }
p.meta { margin: 0 0 3mm 0; color: #333; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 0.4pt solid #888; padding: 1.2mm 1.5mm; vertical-align: top; text-align: left; }
th { background: #eee; }
td.num { text-align: right; white-space: nowrap; }
tr.stop { page-break-inside: avoid; }
.items { font-size: 8pt; color: #222; }
.sign { height: 9mm; }
img.map { width: 100%; max-height: 85mm; object-fit: contain; border: 0.4pt solid #888; }
"""


def run_sheet_html(sheet: RunSheet, company: Company, *, overview_png: bytes | None = None) -> str:
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>Run sheet {esc(sheet.van)} {sheet.day:%Y-%m-%d}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Run sheet: {esc(sheet.van)}, {sheet.day:%A %d.%m.%Y}</h1>",
        f"<p class='meta'>{esc(company.details.legal_name)}, depot {esc(company.depot.name)}, "
        f"{esc(company.depot.address.one_line())}. Loading from {sheet.start:%H:%M}, back by "
        f"about {sheet.end:%H:%M}. {len(sheet.stops)} stops, {sheet.boxes} boxes, "
        f"{sheet.trips} trip{'s' if sheet.trips > 1 else ''}, {sheet.km:.0f} km, "
        f"{sheet.driving_minutes / 60:.1f} h driving.</p>",
    ]
    if overview_png:
        data = base64.b64encode(overview_png).decode("ascii")
        parts.append(f"<img class='map' alt='overview map' src='data:image/png;base64,{data}'>")
    parts.append("<h2>Loading order</h2>")
    for trip in range(1, sheet.trips + 1):
        order = sheet.loading_order(trip)
        label = f"Trip {trip}: " if sheet.trips > 1 else ""
        parts.append(
            f"<p>{label}load first to last: "
            + ", ".join(f"{s.sequence}. {esc(s.name)} ({s.boxes} boxes)" for s in order)
            + "</p>"
        )
    parts.append(
        "<h2>Stops</h2><table><tr><th>#</th><th>Arrival</th><th>Employee</th>"
        "<th>Boxes / equipment</th><th>Received by (name)</th><th>Signature</th></tr>"
    )
    for s in sheet.stops:
        items = "<br>".join(
            f"{esc(i.asset_tag)} {esc(i.model)} (S/N {esc(i.serial_number)})" for i in s.items
        )
        trip = f"<br>trip {s.trip}" if sheet.trips > 1 else ""
        parts.append(
            f"<tr class='stop'><td class='num'>{s.sequence}{trip}</td>"
            f"<td class='num'>{s.window_start:%H:%M}-{s.window_end:%H:%M}</td>"
            f"<td><b>{esc(s.name)}</b> ({esc(s.employee_id)})<br>{esc(s.address)}<br>"
            f"{esc(s.phone)}</td>"
            f"<td>{s.boxes} boxes<div class='items'>{items}</div></td>"
            "<td class='sign'></td><td class='sign'></td></tr>"
        )
    parts.append("</table></body></html>")
    return "".join(parts)


def write_run_sheet_pdf(
    path: Path, sheet: RunSheet, company: Company, *, overview_png: bytes | None = None
) -> Path:
    from weasyprint import HTML

    pdf = HTML(string=run_sheet_html(sheet, company, overview_png=overview_png)).write_pdf()
    return write_private(Path(path), pdf)


# -- maps ------------------------------------------------------------------------------------


def overview_png(runs: Sequence[DeliveryRun], company: Company, *, width_in: float = 7.0) -> bytes:
    """A static map of the runs (lines between stops, numbered), as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width_in, width_in * 0.62), dpi=120)
    try:
        depot = company.depot.location
        for k, run in enumerate(runs):
            colour = COLOURS[k % len(COLOURS)]
            pts = route_points(run, company)
            ax.plot(
                [p[1] for p in pts],
                [p[0] for p in pts],
                "-",
                color=colour,
                lw=1.2,
                label=f"{run.van} {run.day:%d.%m.}",
            )
            for s in run.stops:
                loc = company.employee(s.employee_id).location
                ax.plot(loc.longitude, loc.latitude, "o", color=colour, ms=4)
                ax.annotate(
                    str(s.sequence),
                    (loc.longitude, loc.latitude),
                    fontsize=7,
                    xytext=(3, 3),
                    textcoords="offset points",
                )
        ax.plot(depot.longitude, depot.latitude, "s", color="black", ms=7, label="depot")
        ax.set_aspect(1 / max(0.2, math.cos(math.radians(depot.latitude))))
        ax.set_xlabel("longitude")
        ax.set_ylabel("latitude")
        legend = ax.legend(fontsize=7, loc="best")
        for text in legend.get_texts():
            text.set_parse_math(False)  # a van name is text, never mathtext ("$...$")
        ax.grid(True, lw=0.3)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()
    finally:
        plt.close(fig)


def write_map_png(path: Path, runs: Sequence[DeliveryRun], company: Company) -> Path:
    return write_private(Path(path), overview_png(runs, company, width_in=10.0))


# -- calendar invitations ------------------------------------------------------------------

_TEXT = {
    "de": (
        "Lieferung Ihrer Arbeitsplatz-Ausstattung",
        "Hallo {first_name},\n\nwir bringen Ihre Ausstattung für das Arbeiten von zu Hause "
        "({boxes} Kartons) am {day} zwischen {start} und {end} Uhr zu Ihnen: {address}.\n"
        "Bitte seien Sie zu Hause oder benennen Sie eine Person, die die Lieferung "
        "entgegennimmt und quittiert. Passt der Termin nicht, melden Sie sich bitte bei "
        "{contact}.\n\nViele Grüße\n{company}",
    ),
    "en": (
        "Delivery of your workstation equipment",
        "Hello {first_name},\n\nwe will bring your equipment for working from home "
        "({boxes} boxes) on {day} between {start} and {end} to {address}.\n"
        "Please be at home or name someone who can receive and sign for it. If the time "
        "does not suit you, please contact {contact}.\n\nKind regards\n{company}",
    ),
}

_WEEKDAYS_DE = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")


def invitation_text(employee: Employee, stop: PlannedStop, company: Company) -> tuple[str, str]:
    """(subject, message) in the employee's language."""
    language = employee.language if employee.language in _TEXT else "en"
    subject, body = _TEXT[language]
    day = stop.window_start.date()
    if language == "de":
        day_text = f"{_WEEKDAYS_DE[day.weekday()]}, {day:%d.%m.%Y}"
    else:
        day_text = f"{day:%A, %d %B %Y}"
    contact = company.details.it_support
    contact_text = ", ".join(x for x in (contact.name, contact.phone, contact.email) if x)
    return subject, body.format(
        first_name=employee.first_name,
        boxes=stop.boxes,
        day=day_text,
        start=f"{stop.window_start:%H:%M}",
        end=f"{stop.window_end:%H:%M}",
        address=employee.address.one_line(),
        contact=contact_text,
        company=company.details.legal_name,
    )


def invitation_ics(
    run: DeliveryRun, stop: PlannedStop, company: Company, *, stamp: dt.datetime | None = None
) -> bytes:
    from zoneinfo import ZoneInfo

    from icalendar import Calendar, Event, vCalAddress, vText

    tz = ZoneInfo(TIMEZONE)
    employee = company.employee(stop.employee_id)
    subject, message = invitation_text(employee, stop, company)
    cal = Calendar()
    cal.add("prodid", "-//remoteops//delivery runs//EN")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    event = Event()
    event.add("uid", f"delivery-{stop.employee_id}-{run.day:%Y%m%d}@remoteops")
    event.add("dtstamp", stamp or dt.datetime.now(dt.UTC))
    event.add("dtstart", stop.window_start.replace(tzinfo=tz))
    event.add("dtend", stop.window_end.replace(tzinfo=tz))
    event.add("summary", subject)
    event.add("description", message)
    event.add("location", vText(employee.address.one_line()))
    organizer_mail = company.details.it_support.email or company.details.hr_contact.email
    if organizer_mail:
        organizer = vCalAddress(f"mailto:{organizer_mail}")
        organizer.params["cn"] = vText(
            company.details.it_support.name or company.details.short_name
        )
        event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{employee.email}")
    attendee.params["cn"] = vText(employee.full_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["rsvp"] = vText("TRUE")
    event.add("attendee", attendee, encode=0)
    event.add("transp", "OPAQUE")
    cal.add_component(event)
    return cal.to_ical()


def write_invitations(directory: Path, runs: Sequence[DeliveryRun], company: Company) -> list[Path]:
    """One ``EMPLOYEE_ID.ics`` per stop of ``runs`` in ``directory``. Every file name is
    checked (:func:`~remoteops.files.safe_file`) before the first file is written."""
    files = [
        (safe_file(directory, f"{stop.employee_id}.ics"), run, stop)
        for run in runs
        for stop in run.stops
    ]
    return [write_private(path, invitation_ics(run, stop, company)) for path, run, stop in files]
