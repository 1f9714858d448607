"""What the driver and the employees get: run sheets (PDF and CSV) and calendar invitations
(the static map is :mod:`remoteops.routes.static_map`, the interactive one
:mod:`remoteops.routes.maps`).

Everything here reads a planned :class:`~remoteops.routes.planning.DeliveryRun` and the
company; names, addresses, phone numbers and serials come from the inventory, never from the
plan.  Files carry personal data, so they are written atomically and owner-only (0600).
Heavy libraries (WeasyPrint, segno, icalendar) are imported where used.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from remoteops.csvio import SpreadsheetSafeWriter
from remoteops.errors import UsageError
from remoteops.files import safe_file, write_private
from remoteops.models import LANGUAGES, Company, Employee, GeoPoint
from remoteops.routes.planning import DeliveryRun, PlannedStop
from remoteops.routes.static_map import overview_png, write_map_png

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
    eta: dt.datetime | None = None  # expected arrival
    service_minutes: int = 0  # time planned at the door
    note: str = ""  # the employee's delivery note (floor, doorbell, parking)
    location: GeoPoint | None = None
    home_office_start: dt.date | None = None
    slack_days: int | None = None  # working days to spare before the due date (< 0: late)
    not_provisioned: str = ""  # the workstation's last baseline run, when it did not succeed

    @property
    def window(self) -> str:
        return f"{self.window_start:%H:%M}-{self.window_end:%H:%M}"

    @property
    def navigation_url(self) -> str:
        """A Google Maps directions link to the home (coordinates only, no name)."""
        if self.location is None:
            return ""
        return navigation_url(self.location)


def navigation_url(point: GeoPoint) -> str:
    """Directions to ``point`` (opens the maps app on Android and iOS); five decimals are
    about a metre, and keep the QR code coarse enough to scan from a creased sheet."""
    query = urllib.parse.urlencode(
        {
            "api": "1",
            "destination": f"{point.latitude:.5f},{point.longitude:.5f}",
        }
    )
    return f"https://www.google.com/maps/dir/?{query}"


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
    driver: str = ""
    plate: str = ""
    dispatcher_phone: str = ""
    language: str = "en"

    def loading_order(self, trip: int = 1) -> tuple[SheetStop, ...]:
        """Load the last stop of the trip first, so the first stop's boxes are at the door."""
        return tuple(reversed([s for s in self.stops if s.trip == trip]))


def run_sheet(
    run: DeliveryRun,
    company: Company,
    *,
    language: str | None = None,
    not_provisioned: dict[str, str] | None = None,
) -> RunSheet:
    """The run sheet of ``run`` in ``language`` (default: the company's ``delivery.language``);
    ``not_provisioned`` (employee ID -> last baseline result) flags workstations that are
    not ready."""
    flagged = not_provisioned or {}
    language = (language or company.delivery.language).strip().lower()
    if language not in LANGUAGES:
        raise UsageError(
            f"There is no run sheet in {language!r}.",
            hint=f"Choose one of: {', '.join(LANGUAGES)}.",
        )
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
                eta=s.arrival,
                service_minutes=round((s.service_end - s.service_start).total_seconds() / 60),
                note=e.delivery_note,
                location=e.location,
                home_office_start=s.home_office_start,
                slack_days=s.slack_days,
                not_provisioned=flagged.get(s.employee_id, ""),
            )
        )
    van = company.delivery.van(run.van)
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
        driver=van.driver if van else "",
        plate=van.plate if van else "",
        dispatcher_phone=company.delivery.dispatcher_phone,
        language=language,
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
    "eta",
    "arrival_from",
    "arrival_to",
    "service_minutes",
    "boxes",
    "asset_tags",
    "serial_numbers",
    "delivery_note",
    "home_office_start",
    "slack_days",
    "workstation",
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
                f"{s.eta:%H:%M}" if s.eta else "",
                f"{s.window_start:%H:%M}",
                f"{s.window_end:%H:%M}",
                s.service_minutes,
                s.boxes,
                " ".join(i.asset_tag for i in s.items),
                " ".join(i.serial_number for i in s.items),
                s.note,
                s.home_office_start.isoformat() if s.home_office_start else "",
                "" if s.slack_days is None else s.slack_days,
                f"not provisioned: {s.not_provisioned}" if s.not_provisioned else "",
                "",
                "",
            ]
        )
    return out.getvalue()


def write_run_sheet_csv(path: Path, sheet: RunSheet) -> Path:
    return write_private(Path(path), run_sheet_csv(sheet).encode("utf-8"))


# -- PDF -------------------------------------------------------------------------------------

#: Every word printed on a run sheet, per language.
SHEET_TEXT = {
    "de": {
        "title": "Tourenblatt",
        "page": "Seite",
        "of": "von",
        "driver": "Fahrer/in",
        "plate": "Kennzeichen",
        "dispatcher": "Disposition",
        "depot": "Depot",
        "summary": "Beladen ab {start}, zurück gegen {end}. {stops} Stopps, {boxes} Kartons, "
        "{trips} Tour(en), {km} km, {hours} h Fahrzeit.",
        "loading": "Beladereihenfolge",
        "trip": "Tour",
        "load": "zuerst laden, dann der Reihe nach",
        "boxes": "Kartons",
        "stops": "Stopps",
        "eta": "Ankunft ca.",
        "window": "Zeitfenster",
        "service": "vor Ort",
        "minutes": "Min.",
        "note": "Hinweis",
        "devices": "Geräte (abhaken bei Übergabe)",
        "sn": "SN",
        "received": "Empfangen von (Name)",
        "signature": "Unterschrift",
        "time": "Uhrzeit",
        "navigation": "Navigation",
        "map": "Übersichtskarte",
        "starts": "Homeoffice ab",
        "spare": "{n} Tg. Puffer",
        "on_due": "letzter Tag",
        "late": "VERSPÄTET um {n} Werktag(e)",
        "not_provisioned": "PC nicht eingerichtet",
        "not_home_title": "Niemand zu Hause?",
        "not_home": (
            "Rufen Sie die Mitarbeiterin oder den Mitarbeiter unter der Nummer am Stopp an.",
            "Bei Nachbarn abgeben nur, wenn die Mitarbeiterin oder der Mitarbeiter am Telefon "
            "zustimmt; Name und Adresse des Nachbarn unter „Empfangen von“ eintragen.",
            "Geräte nie unbeaufsichtigt lassen: nicht vor der Tür, im Hausflur oder im "
            "Briefkasten abstellen; die Kartons bleiben im abgeschlossenen Fahrzeug.",
            "Die Disposition anrufen{phone}; sie trägt den Stopp ein: {cmd}.",
        ),
    },
    "en": {
        "title": "Run sheet",
        "page": "page",
        "of": "of",
        "driver": "Driver",
        "plate": "Number plate",
        "dispatcher": "Dispatcher",
        "depot": "Depot",
        "summary": "Loading from {start}, back by about {end}. {stops} stops, {boxes} boxes, "
        "{trips} trip(s), {km} km, {hours} h driving.",
        "loading": "Loading order",
        "trip": "Trip",
        "load": "load first, then in this order",
        "boxes": "boxes",
        "stops": "Stops",
        "eta": "ETA",
        "window": "Window",
        "service": "at the door",
        "minutes": "min",
        "note": "Note",
        "devices": "Devices (tick when handed over)",
        "sn": "SN",
        "received": "Received by (name)",
        "signature": "Signature",
        "time": "Time",
        "navigation": "Navigation",
        "map": "Overview map",
        "starts": "Home office from",
        "spare": "{n} d to spare",
        "on_due": "last day",
        "late": "LATE by {n} working day(s)",
        "not_provisioned": "PC not provisioned",
        "not_home_title": "Nobody at home?",
        "not_home": (
            "Call the employee on the number given at the stop.",
            "Leave the equipment with a neighbour only if the employee agrees on the phone; "
            "write the neighbour's name and address under “Received by”.",
            "Never leave equipment unattended: not at the door, in the hallway or in the "
            "letterbox; the boxes stay in the locked van.",
            "Call the dispatcher{phone}; they record the stop: {cmd}.",
        ),
    },
}

_WEEKDAYS = {
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}

_CSS = """
@page { size: A4; margin: 12mm 11mm 14mm 11mm;
        font-family: "DejaVu Sans", "Liberation Sans", sans-serif;
        @bottom-right { content: "@PAGE@ " counter(page) " @OF@ " counter(pages);
                        font-size: 8pt; }
        @bottom-left { content: "@FOOTER@"; font-size: 8pt; } }
body { font-family: "DejaVu Sans", "Liberation Sans", sans-serif; font-size: 9pt; }
h1 { font-size: 14pt; margin: 0 0 1.5mm 0; }
h2 { font-size: 11pt; margin: 3mm 0 1.5mm 0; }
p { margin: 0 0 1.5mm 0; }
p.meta { color: #222; }
.crew { font-size: 10pt; }
.not-home { border: 0.8pt solid #b00; padding: 1.2mm 2mm; margin: 1.5mm 0; font-size: 8pt; }
.cmd { white-space: nowrap; font-family: "DejaVu Sans Mono", monospace; }
.not-home ol { margin: 0.5mm 0 0 0; padding-left: 5mm; }
table.stop { border-collapse: collapse; width: 100%; margin: 0 0 1.6mm 0;
             break-inside: avoid; page-break-inside: avoid; }
table.stop td { border: 0.4pt solid #888; padding: 1mm 1.4mm; vertical-align: top; }
td.seq { width: 25mm; white-space: nowrap; font-size: 8.5pt; }
td.seq b.num { font-size: 14pt; }
td.seq b.eta { font-size: 11pt; }
td.who { width: 48mm; }
td.qr { width: 20mm; text-align: center; font-size: 6.5pt; }
td.qr img { width: 19mm; height: 19mm; }
td.sign { height: 7mm; font-size: 7.5pt; color: #444; }
.note { font-weight: bold; }
.late { color: #b00000; }
.items { font-size: 7pt; line-height: 1.25; }
.tick { display: inline-block; width: 2.6mm; height: 2.6mm; border: 0.6pt solid #000;
        margin-right: 1.2mm; vertical-align: -0.4mm; }
img.map { width: 100%; max-height: 80mm; object-fit: contain; border: 0.4pt solid #888; }
"""


def _qr_data_uri(url: str) -> str:
    import segno

    # Version chosen by segno; medium error correction survives a creased sheet.
    return segno.make_qr(url, error="m").svg_data_uri(scale=4, border=2)


def sheet_day(day: dt.date, language: str) -> str:
    return f"{_WEEKDAYS[language][day.weekday()]}, {day:%d.%m.%Y}"


def run_sheet_html(sheet: RunSheet, company: Company, *, overview_png: bytes | None = None) -> str:
    esc = html.escape
    t = SHEET_TEXT[sheet.language]
    title = f"{t['title']} {sheet.van}, {sheet_day(sheet.day, sheet.language)}"
    footer = f"{t['title']} {sheet.van} {sheet.day:%d.%m.%Y}"
    css = (
        _CSS.replace("@PAGE@", _css_string(t["page"]))
        .replace("@OF@", _css_string(t["of"]))
        .replace("@FOOTER@", _css_string(footer))
    )
    crew = [f"{t['driver']}: <b>{esc(sheet.driver or '-')}</b>"]
    crew.append(f"{t['plate']}: <b>{esc(sheet.plate or '-')}</b>")
    crew.append(f"{t['dispatcher']}: <b>{esc(sheet.dispatcher_phone or '-')}</b>")
    summary = t["summary"].format(
        start=f"{sheet.start:%H:%M}",
        end=f"{sheet.end:%H:%M}",
        stops=len(sheet.stops),
        boxes=sheet.boxes,
        trips=sheet.trips,
        km=f"{sheet.km:.0f}",
        hours=_decimal(sheet.driving_minutes / 60, sheet.language),
    )
    phone = f" ({esc(sheet.dispatcher_phone)})" if sheet.dispatcher_phone else ""
    command = "<span class='cmd'>remoteops routes fail &lt;ID&gt; --reason not-home</span>"
    steps = "".join(
        f"<li>{esc(step).replace('{phone}', phone).replace('{cmd}', command)}</li>"
        for step in t["not_home"]
    )
    parts = [
        f"<!DOCTYPE html><html lang='{sheet.language}'><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title><style>{css}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f"<p class='crew'>{' &nbsp; '.join(crew)}</p>",
        f"<p class='meta'>{esc(company.details.legal_name)}, {t['depot']} "
        f"{esc(company.depot.name)}, {esc(company.depot.address.one_line())}. "
        f"{esc(summary)}</p>",
        f"<div class='not-home'><b>{t['not_home_title']}</b><ol>{steps}</ol></div>",
        f"<h2>{t['stops']}</h2>",
    ]
    for s in sheet.stops:
        parts.append(_stop_html(s, sheet, t))
    parts.append(f"<h2>{t['loading']}</h2>")
    for trip in range(1, sheet.trips + 1):
        order = sheet.loading_order(trip)
        label = f"{t['trip']} {trip}: " if sheet.trips > 1 else ""
        parts.append(
            f"<p>{label}{t['load']}: "
            + ", ".join(f"{s.sequence}. {esc(s.name)} ({s.boxes} {t['boxes']})" for s in order)
            + "</p>"
        )
    if overview_png:
        data = base64.b64encode(overview_png).decode("ascii")
        parts.append(
            f"<h2>{t['map']}</h2>"
            f"<img class='map' alt='{t['map']}' src='data:image/png;base64,{data}'>"
        )
    parts.append("</body></html>")
    return "".join(parts)


def _short_date(day: dt.date, language: str) -> str:
    return f"{day:%d.%m.}" if language == "de" else f"{day:%d %b}"


def _decimal(value: float, language: str) -> str:
    """One decimal, with a decimal comma in German."""
    text = f"{value:.1f}"
    return text.replace(".", ",") if language == "de" else text


def _css_string(text: str) -> str:
    """``text`` as the inside of a CSS string (for the page footer)."""
    return "".join(c if c.isalnum() or c in " .,-" else f"\\{ord(c):06x}" for c in text)


def _stop_html(s: SheetStop, sheet: RunSheet, t: dict) -> str:
    esc = html.escape
    items = "<br>".join(
        f"<span class='tick'></span>{esc(i.asset_tag)} {esc(i.model)}, {t['sn']} "
        f"{esc(i.serial_number)}"
        for i in s.items
    )
    trip = f" &middot; {t['trip']} {s.trip}" if sheet.trips > 1 else ""
    eta = f"{t['eta']} <b class='eta'>{s.eta:%H:%M}</b><br>" if s.eta else ""
    note = f"<br><span class='note'>{t['note']}: {esc(s.note)}</span>" if s.note else ""
    phone = f"<br>{esc(s.phone)}" if s.phone else ""
    due = ""
    if s.home_office_start is not None:
        if s.slack_days is None or s.slack_days == 0:
            when = t["on_due"]
        elif s.slack_days > 0:
            when = t["spare"].format(n=s.slack_days)
        else:
            when = f"<b class='late'>{t['late'].format(n=-s.slack_days)}</b>"
        due = f"<br>{t['starts']} {_short_date(s.home_office_start, sheet.language)}, {when}"
    if s.not_provisioned:
        due += f" &middot; <b class='late'>{t['not_provisioned']}</b>"
    qr = ""
    if s.location is not None:
        qr = (
            f"<img alt='{t['navigation']}' src='{_qr_data_uri(s.navigation_url)}'><br>"
            + t["navigation"]
        )
    gap = "&nbsp;" * 24
    return (
        "<table class='stop'><tr>"
        f"<td class='seq' rowspan='2'><b class='num'>{s.sequence}</b>{trip}<br>{eta}"
        f"{t['window']}<br><b>{s.window}</b><br>{t['service']}: {s.service_minutes} "
        f"{t['minutes']}<br>{s.boxes} {t['boxes']}</td>"
        f"<td class='who'><b>{esc(s.name)}</b> ({esc(s.employee_id)})<br>{esc(s.address)}"
        f"{phone}{note}{due}</td>"
        f"<td class='items'>{t['devices']}:<br>{items}</td>"
        f"<td class='qr' rowspan='2'>{qr}</td></tr>"
        f"<tr><td class='sign' colspan='2'>{t['received']}:{gap}{t['signature']}:{gap}"
        f"{t['time']}:</td></tr>"
        "</table>"
    )


def write_run_sheet_pdf(
    path: Path, sheet: RunSheet, company: Company, *, overview_png: bytes | None = None
) -> Path:
    from weasyprint import HTML

    pdf = HTML(string=run_sheet_html(sheet, company, overview_png=overview_png)).write_pdf()
    return write_private(Path(path), pdf)


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


__all__ = [
    "RunSheet",
    "SheetStop",
    "invitation_ics",
    "invitation_text",
    "overview_png",
    "run_sheet",
    "run_sheet_csv",
    "write_invitations",
    "write_map_png",
    "write_run_sheet_csv",
    "write_run_sheet_pdf",
]
