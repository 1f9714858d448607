"""Load a company folder (``inventory/``) into domain objects, and cross-validate it.

The files, each holding its own facts once:

- ``company.yml``: company details HR needs, the office sites (one is the depot), delivery
  settings (vans, working day, holidays).
- ``employees.csv``: the HR export (one row per employee: name, contact, home address with
  coordinates, language, team, home-office plan, delivery availability).
- ``assets.csv``: the asset list (one row per device, assigned to an employee or spare).
- ``hosts.yml`` (+ ``group_vars/``): the Ansible inventory; each workstation carries the
  ``employee_id`` of the agent who uses it.

:func:`check_company` collects every problem at once (as :class:`~remoteops.errors.Problem`
with file, row and field); :func:`load_company` returns the :class:`Company` or raises
:class:`~remoteops.errors.InventoryError` with all of them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import yaml

from remoteops import yamlio
from remoteops.csvio import CsvRow, CsvTable, header_key, read_csv
from remoteops.errors import InputFileError, InventoryError, NotFoundError, Problem
from remoteops.files import NAME_RULE, is_safe_name_part, read_input_bytes, slug
from remoteops.logo import Logo, LogoError, load_logo
from remoteops.models import (
    LANGUAGES,
    PROCESSING_KINDS,
    READINESS_STAGES,
    RENTAL_MODES,
    Address,
    Asset,
    Company,
    CompanyDetails,
    DataProtectionSettings,
    DeliverySettings,
    Employee,
    GeoPoint,
    HomeOfficeAllowance,
    Person,
    Processing,
    ReadinessSettings,
    Signatory,
    Site,
    TimeWindow,
    Van,
    Wording,
    Workstation,
)
from remoteops.routes.problem import due_date
from remoteops.workmodel import TELEARBEIT_MIN_HOME_DAYS, contradicts_work_model

EMPLOYEES_FILE = "employees.csv"
ASSETS_FILE = "assets.csv"
HOSTS_FILE = "hosts.yml"
COMPANY_FILE = "company.yml"

#: canonical column -> accepted header spellings (compared after :func:`header_key`).
EMPLOYEE_COLUMNS: dict[str, tuple[str, ...]] = {
    "employee_id": ("Personalnummer", "Personal-Nr", "PersNr", "Mitarbeiter-ID", "ID"),
    "first_name": ("Vorname", "given_name"),
    "last_name": ("Nachname", "Name", "Familienname", "surname"),
    "email": ("E-Mail", "Mail", "email_address"),
    "phone": ("Telefon", "Mobil", "Handy", "Telefonnummer", "phone_number"),
    "language": ("Sprache", "lang"),
    "team": ("Team", "Abteilung", "department"),
    "street": ("Straße", "Strasse", "Str", "Anschrift", "address"),
    "postcode": ("PLZ", "Postleitzahl", "zip", "postal_code"),
    "city": ("Ort", "Stadt", "Wohnort", "town"),
    "latitude": ("Breitengrad", "Breite", "lat"),
    "longitude": ("Längengrad", "Laengengrad", "Länge", "lon", "lng"),
    "status": ("Status",),
    "home_office_start": ("Homeoffice ab", "Home-Office ab", "Homeoffice-Start", "start_date"),
    "home_days_per_week": ("Homeoffice-Tage", "Homeoffice Tage pro Woche", "home_days"),
    "weekly_hours": ("Wochenstunden", "Stunden pro Woche", "hours_per_week"),
    "work_model": ("Arbeitsmodell", "Modell"),
    "delivery_days": ("Liefertage", "Anliefertage"),
    "delivery_hours": ("Lieferzeit", "Lieferzeiten", "Anlieferzeit"),
    "delivery_note": ("Lieferhinweis", "Lieferhinweise", "Hinweis für Fahrer", "delivery_notes"),
}
ASSET_COLUMNS: dict[str, tuple[str, ...]] = {
    "asset_tag": ("Inventarnummer", "Inventar-Nr", "Asset-Tag", "tag"),
    "type": ("Typ", "Art", "Geraetetyp", "Gerätetyp", "asset_type"),
    "model": ("Modell", "Bezeichnung"),
    "serial_number": ("Seriennummer", "Serien-Nr", "Serial", "SN"),
    "employee_id": ("Personalnummer", "Mitarbeiter", "assigned_to", "Mitarbeiter-ID"),
    "boxes": ("Kartons", "Pakete", "Anzahl Kartons"),
    "condition": ("Zustand",),
    "available_from": ("Verfügbar ab", "Verfuegbar ab", "verfügbar", "ready_from", "available"),
}
EMPLOYEE_REQUIRED = (
    "employee_id",
    "first_name",
    "last_name",
    "email",
    "language",
    "street",
    "postcode",
    "city",
    "latitude",
    "longitude",
)
ASSET_REQUIRED = ("asset_tag", "type", "model", "serial_number", "employee_id", "boxes")

LANGUAGE_WORDS = {
    "de": ("de", "deu", "ger", "deutsch", "german"),
    "en": ("en", "eng", "englisch", "english"),
}
STATUS_WORDS = {
    "active": ("", "active", "aktiv"),
    "on-leave": ("on-leave", "onleave", "leave", "beurlaubt", "elternzeit", "ruhend"),
    "left": ("left", "ausgeschieden", "inactive", "inaktiv"),
}
WORK_MODEL_WORDS = {
    "telearbeit": ("", "telearbeit", "telework", "teleworking", "homeoffice"),
    "mobile": ("mobile", "mobil", "mobilesarbeiten", "mobilework", "mobileworking"),
}
ASSET_TYPE_WORDS = {
    "pc": ("pc", "desktop", "computer", "rechner", "workstation"),
    "monitor": ("monitor", "bildschirm", "display", "screen"),
    "headset": ("headset",),
    "keyboard": ("keyboard", "tastatur"),
    "mouse": ("mouse", "maus"),
    "dock": ("dock", "dockingstation", "docking"),
    "other": ("other", "sonstiges", "zubehör", "zubehoer", "cable", "kabel"),
}
WEEKDAY_WORDS = (
    ("mon", "monday", "mo", "montag"),
    ("tue", "tuesday", "di", "dienstag", "tu"),
    ("wed", "wednesday", "mi", "mittwoch", "we"),
    ("thu", "thursday", "do", "donnerstag", "th"),
    ("fri", "friday", "fr", "freitag"),
    ("sat", "saturday", "sa", "samstag", "sonnabend"),
    ("sun", "sunday", "so", "sonntag", "su"),
)
MAX_KM_FROM_DEPOT = 150.0

# -- what text from the inventory may hold --------------------------------------------------
#: Longest first name and longest last name: what fits on one line of the agreement and the
#: run sheet (the longest German surnames have about 40 characters).
MAX_NAME = 80
#: Longest street with house number, and longest town, in employees.csv and company.yml.
MAX_STREET = 100
MAX_CITY = 60
#: Longest van name (it heads the van's run sheet).
MAX_VAN_NAME = 40
#: Longest driver's name and number plate of a van, and the dispatcher's phone number.
MAX_DRIVER = MAX_NAME
MAX_PLATE = 15
MAX_PHONE = 30
#: Longest delivery note for the driver (floor, doorbell, parking): two lines of a stop.
MAX_DELIVERY_NOTE = 160
EMPLOYEE_LIMITS = {
    "first_name": MAX_NAME,
    "last_name": MAX_NAME,
    "street": MAX_STREET,
    "city": MAX_CITY,
    "delivery_note": MAX_DELIVERY_NOTE,
}
#: Control characters (line breaks, tabs, escape codes) and the invisible characters that
#: change the direction text is shown in ("Trojan Source": U+200E/U+200F marks, U+202A-U+202E
#: embeddings and overrides, U+2066-U+2069 isolates, U+061C), refused in every text field.
_BAD_TEXT = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]"
)
TEXT_RULE = (
    "text must be on one line, without tabs or other control characters and without the "
    "invisible text-direction characters U+200E, U+200F, U+061C, U+202A-U+202E and "
    "U+2066-U+2069"
)


def shown(value: str, width: int = 40) -> str:
    """``value`` quoted for a message, control characters escaped, long values cut."""
    return repr(value) if len(value) <= width else repr(value[:width]) + "..."


def _already_used(
    first_lines: dict[str, int],
    row: CsvRow,
    problems: _Problems,
    file: str,
    column: str,
    advice: str,
) -> bool:
    """True, with an error naming the line that used it first, if ``row``'s ``column``
    (an ID that must be unique: employee ID, asset tag) was seen before; otherwise the
    line is remembered for the rows that follow (an empty value is not remembered)."""
    value = row.values.get(column, "")
    if value in first_lines:
        problems.error(
            file,
            row.line,
            column,
            f"{shown(value)} is already used on line {first_lines[value]}; {advice}",
        )
        return True
    if value:
        first_lines[value] = row.line
    return False


def text_problem(value: str) -> str | None:
    """Why ``value`` is not acceptable text (see :data:`TEXT_RULE`), or None."""
    found = _BAD_TEXT.search(value)
    if found is None:
        return None
    char = found.group()
    if unicodedata.category(char) == "Cf":
        what = f"the invisible text-direction character U+{ord(char):04X}"
    else:
        what = f"a line break or control character (U+{ord(char):04X})"
    return f"{shown(value)} contains {what}; retype the value ({TEXT_RULE})."


def length_problem(value: str, limit: int) -> str | None:
    if len(value) <= limit:
        return None
    return (
        f"{shown(value)} is {len(value)} characters long; at most {limit} fit on the "
        "agreement and the run sheet. Shorten it (e.g. abbreviate a middle name or a word)."
    )


def id_problem(value: str, what: str) -> str | None:
    """Why ``value`` cannot be an employee ID / asset tag (they become parts of file names)."""
    if is_safe_name_part(value):
        return None
    return (
        f"{shown(value)} cannot be used as {what}: it becomes part of file names, so it may "
        f"contain only {NAME_RULE}."
    )


T = TypeVar("T")


def _aliases(columns: dict[str, tuple[str, ...]]) -> dict[str, str]:
    table = {}
    for canonical, spellings in columns.items():
        for spelling in (canonical, *spellings):
            table[header_key(spelling)] = canonical
    return table


def _word_table(words: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {header_key(w): key for key, spellings in words.items() for w in spellings}


_EMPLOYEE_ALIASES = _aliases(EMPLOYEE_COLUMNS)
_ASSET_ALIASES = _aliases(ASSET_COLUMNS)
_LANGUAGES = _word_table(LANGUAGE_WORDS)
_STATUSES = _word_table(STATUS_WORDS)
_WORK_MODELS = _word_table(WORK_MODEL_WORDS)
_ASSET_TYPES = _word_table(ASSET_TYPE_WORDS)
_WEEKDAYS = {w: i for i, words in enumerate(WEEKDAY_WORDS) for w in words}


# -- parsing single values: each raises ValueError with a message that says how to fix it --
def parse_date(text: str) -> dt.date:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date; write it as YYYY-MM-DD (or DD.MM.YYYY).")


def parse_time(text: str) -> dt.time:
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?(?:\s*uhr)?", text.strip().casefold())
    if match:
        hour, minute = int(match[1]), int(match[2] or 0)
        if hour == 24 and minute == 0:
            return dt.time(23, 59)
        if hour < 24 and minute < 60:
            return dt.time(hour, minute)
    raise ValueError(f"{text!r} is not a time of day; write it as HH:MM, e.g. 08:30.")


def parse_hours(text: str) -> tuple[dt.time, dt.time]:
    parts = re.split(r"\s*(?:-|–|bis|to)\s*", text.strip())
    if len(parts) != 2:
        raise ValueError(
            f"{text!r} is not a time range; write it as HH:MM-HH:MM, e.g. 08:00-12:00."
        )
    start, end = parse_time(parts[0]), parse_time(parts[1])
    if start >= end:
        raise ValueError(f"{text!r} ends before it starts; write the earlier time first.")
    return start, end


def parse_weekdays(text: str) -> tuple[int, ...]:
    """``Mon-Fri``, ``Mo,Mi,Fr``, ``Tue-Thu``, ``Montag``; returns sorted weekday numbers."""
    days: set[int] = set()
    for part in re.split(r"\s*[,;/+ ]\s*|\s+und\s+|\s+and\s+", text.strip()):
        if not part:
            continue
        ends = [header_key(p) for p in re.split(r"\s*[-–]\s*", part)]
        try:
            numbers = [_WEEKDAYS[e] for e in ends]
        except KeyError:
            raise ValueError(
                f"{part!r} is not a weekday; use Mon..Sun or Mo..So, ranges like Mon-Fri, "
                "lists like Mon,Wed,Fri."
            ) from None
        if len(numbers) == 1:
            days.add(numbers[0])
        elif len(numbers) == 2 and numbers[0] <= numbers[1]:
            days.update(range(numbers[0], numbers[1] + 1))
        else:
            raise ValueError(f"{part!r} is not a weekday range; write it like Mon-Fri.")
    if not days:
        raise ValueError("no weekday given; use e.g. Mon-Fri.")
    return tuple(sorted(days))


def parse_number(text: str) -> float:
    """A decimal number; German decimal comma accepted (``52,5201``)."""
    cleaned = text.strip().replace(" ", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"{text!r} is not a number.") from None
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number.")
    return value


def parse_whole(text: str) -> int:
    value = parse_number(text)
    if value != int(value):
        raise ValueError(f"{text!r} is not a whole number.")
    return int(value)


def km_between(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance in km."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


# -- collecting problems -----------------------------------------------------------------
@dataclass
class _Problems:
    items: list[Problem] = field(default_factory=list)

    def error(self, file: str, row: int | None, fld: str | None, message: str) -> None:
        self.items.append(Problem(file, row, fld, message, "error"))

    def warning(self, file: str, row: int | None, fld: str | None, message: str) -> None:
        self.items.append(Problem(file, row, fld, message, "warning"))


class _Fields:
    """Reads typed values out of one CSV row, recording a problem per bad field."""

    def __init__(self, problems: _Problems, file: str, row: CsvRow) -> None:
        self.problems, self.file, self.row = problems, file, row
        self.ok = True
        self.bad_fields: set[str] = set()

    def plain_text(self, limits: dict[str, int], *, skip: Iterable[str] = ()) -> None:
        """Refuse control and text-direction characters in every cell, and over-long text."""
        values = self.row.values
        if _BAD_TEXT.search("".join(values.values())):  # rare: then find the cell
            for name, value in values.items():
                problem = None if name in skip else text_problem(value)
                if problem:
                    self.bad(name, problem)
        for name, limit in limits.items():
            problem = length_problem(values.get(name, ""), limit)
            if problem:
                self.bad(name, problem)

    def identifier(self, name: str, what: str) -> None:
        value = self.row.values.get(name, "")
        problem = id_problem(value, what) if value else None
        if problem:
            self.bad(name, problem)

    def text(self, name: str, *, required: bool = True, what: str = "") -> str:
        value = self.row.values.get(name, "")
        if required and not value:
            self.bad(name, f"is empty; fill in {what or 'a value'}.")
        return value

    def bad(self, name: str, message: str) -> None:
        """Record an error for ``name``; only the first one per field (the cause) is kept."""
        self.ok = False
        if name not in self.bad_fields:
            self.bad_fields.add(name)
            self.problems.error(self.file, self.row.line, name, message)

    def parsed(self, name: str, parse: Callable[[str], T], *, required: bool = True) -> T | None:
        value = self.row.values.get(name, "")
        if not value:
            if required:
                self.bad(name, "is empty; fill in a value.")
            return None
        try:
            return parse(value)
        except ValueError as exc:
            self.bad(name, str(exc))
            return None

    def word(self, name: str, table: dict[str, str], allowed: Iterable[str]) -> str | None:
        value = self.row.values.get(name, "")
        found = table.get(header_key(value))
        if found is None:
            shown = repr(value) if value else "empty"
            self.bad(name, f"{shown} is not one of {', '.join(allowed)}; use one of those.")
        return found

    def number(self, name: str, low: float, high: float, *, whole: bool = False) -> float | None:
        value = self.parsed(name, parse_whole if whole else parse_number)
        if value is not None and not low <= value <= high:
            self.bad(name, f"{value:g} is outside {low:g}..{high:g}; check the value.")
            return None
        return value


# -- company.yml ---------------------------------------------------------------------------
def _check_yaml_text(data: Any, file: str, problems: _Problems) -> None:
    """Refuse control and text-direction characters in every text value of a YAML file."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                problems.error(file, None, where or None, problem)
        elif isinstance(value, dict):
            stack.extend(
                (f"{where}.{key}" if where else str(key), item) for key, item in value.items()
            )
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(value))


class _Section:
    """A mapping from company.yml, reporting missing or bad keys as ``section.key``."""

    def __init__(self, problems: _Problems, prefix: str, data: Any) -> None:
        self.problems, self.prefix = problems, prefix
        if not isinstance(data, dict):
            problems.error(COMPANY_FILE, None, prefix, "is missing or not a mapping; see README.")
            data = {}
        self.data = data
        self.ok = isinstance(data, dict) and bool(data)

    def bad(self, key: str, message: str) -> None:
        self.ok = False
        self.problems.error(COMPANY_FILE, None, f"{self.prefix}.{key}", message)

    def text(
        self, key: str, *, required: bool = True, default: str = "", limit: int | None = None
    ) -> str:
        value = self.data.get(key)
        if value is None or str(value).strip() == "":
            if required:
                self.bad(key, "is missing; fill it in.")
            return default
        text = str(value).strip()
        problem = length_problem(text, limit) if limit else None
        if problem:
            self.bad(key, problem)
        return text

    def parsed(self, key: str, parse: Callable[[str], T], default: T) -> T:
        value = self.data.get(key)
        if value is None:
            return default
        try:
            return parse(str(value))
        except ValueError as exc:
            self.bad(key, str(exc))
            return default

    def person(self, key: str) -> Person:
        sub = _Section(self.problems, f"{self.prefix}.{key}", self.data.get(key))
        return Person(
            sub.text("name", limit=MAX_NAME),
            sub.text("email", required=False),
            sub.text("phone", required=False),
        )

    def address(self) -> Address:
        return Address(
            self.text("street", limit=MAX_STREET),
            self.text("postcode"),
            self.text("city", limit=MAX_CITY),
        )


#: Longest company text printed in a clause (allowance, processing, signatory role).
MAX_WORDING = 400
#: Highest monthly home-office allowance that is not a typo (EUR).
MAX_ALLOWANCE_EUR = 500.0


def _wording(section: _Section, key: str, *, required: bool = True) -> Wording | None:
    """A text for every document language: one string for all, or a mapping ``de:``/``en:``."""
    value = section.data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            section.bad(key, "is missing; fill it in (one text, or de: and en:).")
        return None
    if isinstance(value, dict):
        texts = {}
        for lang in LANGUAGES:
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                section.bad(f"{key}.{lang}", "is missing; give the text in every language.")
                return None
            texts[lang] = text.strip()
        unknown = sorted(str(k) for k in value if k not in LANGUAGES)
        if unknown:
            section.bad(f"{key}.{unknown[0]}", f"is not a language; use {'/'.join(LANGUAGES)}.")
            return None
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        texts = dict.fromkeys(LANGUAGES, str(value).strip())
    else:
        section.bad(key, "must be a text, or a mapping with de: and en:.")
        return None
    for lang, text in texts.items():
        problem = length_problem(text, MAX_WORDING)
        if problem:
            section.bad(f"{key}.{lang}" if isinstance(value, dict) else key, problem)
            return None
    return Wording(**texts)


def _flag(section: _Section, key: str) -> bool:
    value = section.data.get(key, False)
    if not isinstance(value, bool):
        section.bad(key, f"{shown(str(value))} is not true or false; write true or false.")
        return False
    return value


def _allowance(c: _Section) -> HomeOfficeAllowance | None:
    key = "home_office_allowance"
    if c.data.get(key) is None:
        c.problems.warning(
            COMPANY_FILE,
            None,
            f"company.{key}",
            "is not set, so the agreements promise to reimburse home-office costs on proof "
            "(§ 670 BGB). Set monthly_eur and covers (what the amount pays for), or none_reason.",
        )
        return None
    a = _Section(c.problems, f"company.{key}", c.data.get(key))
    if not a.ok:
        return None
    amount_given = a.data.get("monthly_eur") is not None
    reason_given = a.data.get("none_reason") is not None
    if amount_given == reason_given:
        a.bad(
            "monthly_eur",
            "give either monthly_eur (with covers) or none_reason, not both or neither.",
        )
        return None
    if reason_given:
        reason = _wording(a, "none_reason")
        return HomeOfficeAllowance(none_reason=reason) if reason else None
    amount = a.parsed("monthly_eur", parse_number, math.nan)
    if math.isnan(amount):
        return None
    if not 0 < amount <= MAX_ALLOWANCE_EUR:
        a.bad(
            "monthly_eur",
            f"{amount:g} is outside 0..{MAX_ALLOWANCE_EUR:g}; give the monthly amount in euros "
            "(for no allowance use none_reason).",
        )
        return None
    covers = _wording(a, "covers")
    return HomeOfficeAllowance(monthly_eur=amount, covers=covers) if covers else None


def _data_protection(c: _Section) -> DataProtectionSettings:
    key = "data_protection"
    if c.data.get(key) is None:
        return DataProtectionSettings()
    d = _Section(c.problems, f"company.{key}", c.data.get(key))
    known = {*PROCESSING_KINDS, "no_transfer_outside_eu", "no_screen_recording"}
    for unknown in sorted(str(k) for k in d.data if k not in known):
        d.bad(unknown, f"is not a known setting; use {', '.join(sorted(known))}.")
    processing = []
    for kind in PROCESSING_KINDS:
        if d.data.get(kind) is None:
            continue
        p = _Section(c.problems, f"company.{key}.{kind}", d.data.get(kind))
        if not p.ok or not _flag_default_true(p, "enabled"):
            continue
        texts = [_wording(p, name) for name in ("purpose", "legal_basis", "retention")]
        if all(texts):
            processing.append((kind, Processing(*texts)))
    return DataProtectionSettings(
        processing=tuple(processing),
        no_transfer_outside_eu=_flag(d, "no_transfer_outside_eu"),
        no_screen_recording=_flag(d, "no_screen_recording"),
    )


def _flag_default_true(section: _Section, key: str) -> bool:
    if section.data.get(key) is None:
        return True
    return _flag(section, key)


def _signatory(c: _Section) -> Signatory | None:
    if c.data.get("signatory") is None:
        return None
    s = _Section(c.problems, "company.signatory", c.data.get("signatory"))
    name = s.text("name", limit=MAX_NAME)
    role = _wording(s, "role")
    return Signatory(name, role) if name and role else None


def _logo(root: Path, c: _Section) -> Logo | None:
    """The letterhead logo named by ``company.logo`` (a file in the inventory folder)."""
    name = c.text("logo", required=False)
    if not name:
        return None
    try:
        return load_logo(root, name)
    except LogoError as exc:
        c.bad("logo", str(exc))
        return None


def _load_company_yml(root: Path, problems: _Problems):
    data = yamlio.construct(yamlio.compose(root / COMPANY_FILE, COMPANY_FILE), COMPANY_FILE)
    if not isinstance(data, dict):
        problems.error(COMPANY_FILE, None, None, "must be a mapping with company, sites, delivery.")
        return None, (), None, ReadinessSettings()
    _check_yaml_text(data, COMPANY_FILE, problems)
    c = _Section(problems, "company", data.get("company"))
    it = _Section(problems, "company.it_support", c.data.get("it_support"))
    details = CompanyDetails(
        legal_name=c.text("legal_name"),
        short_name=c.text(
            "short_name", required=False, default=c.text("legal_name", required=False)
        ),
        address=c.address(),
        managing_director=c.text("managing_director"),
        data_protection_officer=c.person("data_protection_officer"),
        it_support=c.person("it_support"),
        it_support_hours=it.text("hours"),
        hr_contact=c.person("hr_contact"),
        works_agreement=c.text("works_agreement", required=False) or None,
        contact_hours=c.text("contact_hours", required=False, default="09:00-16:00"),
        seat=c.text("seat", required=False, limit=MAX_CITY) or None,
        register_court=c.text("register_court", required=False, limit=MAX_NAME) or None,
        register_number=c.text("register_number", required=False, limit=MAX_NAME) or None,
        signatory=_signatory(c),
        home_office_allowance=_allowance(c),
        data_protection=_data_protection(c),
        logo=_logo(root, c),
    )
    if bool(details.register_court) != bool(details.register_number):
        c.bad(
            "register_number" if details.register_court else "register_court",
            "is missing; the letter details (§ 35a GmbHG) need both register court and number.",
        )
    c.parsed("contact_hours", parse_hours, None)

    sites: list[Site] = []
    raw_sites = data.get("sites")
    if not isinstance(raw_sites, list) or not raw_sites:
        problems.error(COMPANY_FILE, None, "sites", "needs at least one site (the depot).")
        raw_sites = []
    for i, raw in enumerate(raw_sites):
        s = _Section(problems, f"sites[{i}]", raw)
        lat = s.parsed("latitude", parse_number, math.nan)
        lon = s.parsed("longitude", parse_number, math.nan)
        if math.isnan(lat) or math.isnan(lon):
            s.bad("latitude", "latitude and longitude are both needed for the depot.")
        sites.append(
            Site(
                site_id=s.text("id"),
                name=s.text("name"),
                address=s.address(),
                location=GeoPoint(lat, lon),
                depot=bool(s.data.get("depot", False)),
            )
        )
    depots = [s for s in sites if s.depot]
    if sites and len(depots) != 1:
        problems.error(
            COMPANY_FILE,
            None,
            "sites",
            f"exactly one site needs 'depot: true' (found {len(depots)}); "
            "it is where the vans load.",
        )
    for site_id, count in Counter(s.site_id for s in sites).items():
        if count > 1:
            problems.error(
                COMPANY_FILE, None, "sites", f"site id {site_id!r} is used {count} times."
            )

    d = _Section(problems, "delivery", data.get("delivery"))
    vans: list[Van] = []
    raw_vans = d.data.get("vans")
    if not isinstance(raw_vans, list) or not raw_vans:
        d.bad("vans", "needs at least one van with a name and capacity_boxes.")
        raw_vans = []
    for i, raw in enumerate(raw_vans):
        v = _Section(problems, f"delivery.vans[{i}]", raw)
        capacity = v.parsed("capacity_boxes", parse_whole, 0)
        if capacity <= 0:
            v.bad("capacity_boxes", "must be a whole number above 0 (boxes that fit in the van).")
        vans.append(
            Van(
                v.text("name", limit=MAX_VAN_NAME),
                capacity,
                driver=v.text("driver", required=False, limit=MAX_DRIVER),
                plate=v.text("plate", required=False, limit=MAX_PLATE),
            )
        )
    _check_van_names(vans, problems)
    holidays: list[dt.date] = []
    for i, raw in enumerate(d.data.get("holidays") or []):
        try:
            holidays.append(raw if isinstance(raw, dt.date) else parse_date(str(raw)))
        except ValueError as exc:
            d.bad(f"holidays[{i}]", str(exc))
    day_start = d.parsed("day_start", parse_time, dt.time(8, 0))
    day_end = d.parsed("day_end", parse_time, dt.time(17, 0))
    if day_start >= day_end:
        d.bad("day_end", "must be later than day_start.")
    delivery = DeliverySettings(
        vans=tuple(vans),
        day_start=day_start,
        day_end=day_end,
        service_minutes_base=d.parsed("service_minutes_base", parse_whole, 15),
        service_minutes_per_box=d.parsed("service_minutes_per_box", parse_whole, 3),
        multi_trip=bool(d.data.get("multi_trip", True)),
        holidays=tuple(sorted(holidays)),
        break_minutes=d.parsed("break_minutes", parse_whole, 0),
        dispatcher_phone=d.text("dispatcher_phone", required=False, limit=MAX_PHONE),
        language=_sheet_language(d),
        lead_days=d.parsed("lead_days", parse_whole, 1),
        rental=_rental_mode(d),
        cost_per_van_day=d.parsed("cost_per_van_day", parse_number, 90.0),
        cost_per_km=d.parsed("cost_per_km", parse_number, 0.35),
    )
    if not 0 <= delivery.break_minutes < 240:
        d.bad("break_minutes", "must be between 0 and 239 minutes.")
    if not 0 <= delivery.lead_days <= 20:
        d.bad(
            "lead_days",
            "must be a whole number of working days from 0 to 20 (1: the equipment arrives "
            "on the working day before the home-office start).",
        )
    for key in ("cost_per_van_day", "cost_per_km"):
        value = getattr(delivery, key)
        if not (math.isfinite(value) and 0 <= value <= 100_000):
            d.bad(key, "must be an amount in EUR from 0 to 100000.")
    return details, tuple(sites), delivery, _readiness(problems, data.get("readiness"))


def _readiness(problems: _Problems, raw: Any) -> ReadinessSettings:
    """``readiness.max_age_days``: per stage a number of days (1 to 365) or ``never``."""
    if raw is None:
        return ReadinessSettings()
    section = _Section(problems, "readiness", raw)
    ages = _Section(problems, "readiness.max_age_days", section.data.get("max_age_days") or {})
    values = {}
    for key in ages.data:
        if key not in READINESS_STAGES:
            ages.bad(str(key), f"is not a stage; use {', '.join(READINESS_STAGES)}.")
    for stage in READINESS_STAGES:
        if stage not in ages.data:
            continue
        value = ages.data[stage]
        if isinstance(value, str) and value.strip().lower() == "never":
            values[stage] = None
        elif isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 365:
            values[stage] = value
        else:
            ages.bad(stage, "must be a whole number of days from 1 to 365, or never.")
    return ReadinessSettings(**values)


def _rental_mode(d: _Section) -> str:
    """``delivery.rental``: ``per-day`` (default) or ``contiguous``."""
    value = d.text("rental", required=False)
    if not value:
        return "per-day"
    if value not in RENTAL_MODES:
        d.bad(
            "rental",
            f"{shown(value)} is not one of {', '.join(RENTAL_MODES)}: 'per-day' when only the "
            "days a van drives are paid, 'contiguous' when each van is rented from its first "
            "to its last run.",
        )
        return "per-day"
    return value


def _sheet_language(d: _Section) -> str:
    """``delivery.language``: the language of the run sheets (default German)."""
    value = d.text("language", required=False)
    if not value:
        return "de"
    found = _LANGUAGES.get(header_key(value))
    if found is None:
        d.bad("language", f"{shown(value)} is not one of {', '.join(LANGUAGE_WORDS)}; use one.")
        return "de"
    return found


def _check_van_names(vans: list[Van], problems: _Problems) -> None:
    """Each van's run sheet is a file named after the van (:func:`remoteops.files.slug`), so
    two vans must not give the same file name, and every van name needs a letter or digit."""
    by_file_name: dict[str, int] = {}
    for i, van in enumerate(vans):
        if not van.name:
            continue  # reported as missing
        where = f"delivery.vans[{i}].name"
        file_name = slug(van.name, default="")
        if not file_name:
            problems.error(
                COMPANY_FILE,
                None,
                where,
                f"{shown(van.name)} has no letter A-Z or digit; the van's run sheet is named "
                "after it. Give the van a name such as 'VW Bus 1'.",
            )
        elif file_name in by_file_name:
            j = by_file_name[file_name]
            problems.error(
                COMPANY_FILE,
                None,
                where,
                f"{shown(van.name)} and delivery.vans[{j}] {shown(vans[j].name)} give the same "
                f"run-sheet file name ({file_name!r}: only the letters a-z and digits count), "
                "so one sheet would overwrite the other. Name the vans so that they differ in "
                "letters or digits, e.g. 'VW Bus 1' and 'VW Bus 2'.",
            )
        else:
            by_file_name[file_name] = i


# -- employees.csv -------------------------------------------------------------------------
def _postcode(text: str) -> str:
    if re.fullmatch(r"\d{4}", text):
        raise ValueError(
            f"{text!r} has 4 digits; German postcodes have 5 (did the spreadsheet drop a "
            "leading zero? format the column as text)."
        )
    if not re.fullmatch(r"\d{5}", text) or text.startswith("00"):
        raise ValueError(f"{text!r} is not a German postcode; write the 5 digits, e.g. 10117.")
    return text


def _email(text: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        raise ValueError(f"{text!r} is not an e-mail address.")
    return text


def _parse_employee(
    row: CsvRow, problems: _Problems, delivery: DeliverySettings | None, depot: Site | None
) -> Employee | None:
    f = _Fields(problems, EMPLOYEES_FILE, row)
    f.identifier("employee_id", "an employee ID")
    f.plain_text(EMPLOYEE_LIMITS, skip=("employee_id",))
    employee_id = f.text("employee_id", what="the employee's ID (Personalnummer)")
    first_name = f.text("first_name")
    last_name = f.text("last_name")
    email = f.parsed("email", _email)
    language = f.word("language", _LANGUAGES, LANGUAGE_WORDS)
    status = f.word("status", _STATUSES, STATUS_WORDS)
    street, city = f.text("street"), f.text("city")
    postcode = f.parsed("postcode", _postcode)
    lat = f.number("latitude", -90, 90)
    lon = f.number("longitude", -180, 180)
    location = None
    if lat is not None and lon is not None:
        location = GeoPoint(lat, lon)
        if lat == 0 and lon == 0:
            f.bad("latitude", "coordinates are 0, 0; fill in the real latitude and longitude.")
        elif depot is not None and km_between(location, depot.location) > MAX_KM_FROM_DEPOT:
            flipped = GeoPoint(lon, lat) if abs(lon) <= 90 else None
            if flipped and km_between(flipped, depot.location) <= MAX_KM_FROM_DEPOT:
                f.bad("latitude", "latitude and longitude look swapped; exchange the two values.")
            else:
                km = km_between(location, depot.location)
                problems.warning(
                    EMPLOYEES_FILE,
                    row.line,
                    "latitude",
                    f"the home is {km:.0f} km from the depot; check the coordinates.",
                )
    start = f.parsed("home_office_start", parse_date, required=False)
    home_days = f.parsed("home_days_per_week", parse_whole, required=False)
    if home_days is not None and not 0 <= home_days <= 7:
        f.bad("home_days_per_week", f"{home_days} is not a number of days in a week (0..7).")
    hours = f.parsed("weekly_hours", parse_number, required=False)
    if hours is not None and not 0 < hours <= 60:
        f.bad("weekly_hours", f"{hours:g} is not plausible weekly working time (0..60 hours).")
    work_model = f.word("work_model", _WORK_MODELS, WORK_MODEL_WORDS)
    days = f.parsed("delivery_days", parse_weekdays, required=False)
    window_hours = f.parsed("delivery_hours", parse_hours, required=False)
    window = None
    if days is not None or window_hours is not None:
        van_day = (delivery.day_start, delivery.day_end) if delivery else None
        start_t, end_t = window_hours or van_day or (dt.time(0), dt.time(23, 59))
        window = TimeWindow(days or (0, 1, 2, 3, 4), start_t, end_t)
        if van_day and (end_t <= van_day[0] or start_t >= van_day[1]):
            problems.warning(
                EMPLOYEES_FILE,
                row.line,
                "delivery_hours",
                f"{start_t:%H:%M}-{end_t:%H:%M} lies outside the vans' working day "
                f"{van_day[0]:%H:%M}-{van_day[1]:%H:%M}; no van can deliver then.",
            )
    if not f.ok or location is None:
        return None
    return Employee(
        employee_id=employee_id,
        first_name=first_name,
        last_name=last_name,
        email=email or "",
        phone=f.text("phone", required=False),
        language=language or "de",
        team=f.text("team", required=False),
        address=Address(street, postcode or "", city),
        location=location,
        status=status or "active",
        home_office_start=start,
        home_days_per_week=5 if home_days is None else home_days,
        weekly_hours=40.0 if hours is None else hours,
        work_model=work_model or "telearbeit",
        delivery_window=window,
        delivery_note=f.text("delivery_note", required=False),
    )


# -- assets.csv ----------------------------------------------------------------------------
def _parse_asset(row: CsvRow, problems: _Problems) -> Asset | None:
    f = _Fields(problems, ASSETS_FILE, row)
    f.identifier("asset_tag", "an asset tag")
    f.identifier("employee_id", "an employee ID")
    f.plain_text({}, skip=("asset_tag", "employee_id"))
    tag = f.text("asset_tag", what="the asset tag (Inventarnummer)")
    kind = f.word("type", _ASSET_TYPES, ASSET_TYPE_WORDS)
    model = f.text("model")
    serial = f.text("serial_number", what="the serial number from the device's label")
    boxes = f.number("boxes", 0, 20, whole=True)
    ready = f.parsed("available_from", parse_date, required=False)
    if not f.ok:
        return None
    return Asset(
        asset_tag=tag,
        type=kind or "other",
        model=model,
        serial_number=serial,
        employee_id=f.text("employee_id", required=False) or None,
        boxes=int(boxes or 0),
        condition=f.text("condition", required=False) or "good",
        available_from=ready,
    )


# -- hosts.yml -----------------------------------------------------------------------------
@dataclass
class _HostEntry:
    line: int
    groups: set[str]
    variables: dict[str, Any]


@dataclass
class _HostsWalk:
    """What walking hosts.yml collects; ``seen`` makes sure each group is walked once."""

    hosts: dict[str, _HostEntry] = field(default_factory=dict)
    children: dict[str, dict[str, int]] = field(default_factory=dict)  # group -> child -> line
    seen: set[int] = field(default_factory=set)


def _is_empty(node: yaml.Node | None) -> bool:
    return node is None or (isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null"))


def _name_of(node: yaml.Node, problems: _Problems, group: str) -> str | None:
    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    problems.error(
        HOSTS_FILE,
        node.start_mark.line + 1,
        group,
        "group and host names must be plain text, not a list or mapping.",
    )
    return None


def _walk_group(node: yaml.Node, group: str, walk: _HostsWalk, problems: _Problems) -> None:
    if id(node) in walk.seen:
        return
    walk.seen.add(id(node))
    if _is_empty(node):
        return
    if not isinstance(node, yaml.MappingNode):
        problems.error(
            HOSTS_FILE,
            node.start_mark.line + 1,
            group,
            "a group must be a mapping with 'hosts', 'children' or 'vars'.",
        )
        return
    for key_node, value_node in node.value:
        key = _name_of(key_node, problems, group)
        line = key_node.start_mark.line + 1
        if key is None:
            continue
        if key == "hosts":
            if _is_empty(value_node):
                continue
            if not isinstance(value_node, yaml.MappingNode):
                problems.error(HOSTS_FILE, line, group, "'hosts' must be a mapping.")
                continue
            for host_key, host_vars in value_node.value:
                name = _name_of(host_key, problems, group)
                if name is None:
                    continue
                host_line = host_key.start_mark.line + 1
                try:
                    variables = yamlio.construct(host_vars, HOSTS_FILE) or {}
                except InputFileError as exc:
                    problems.items.append(exc.problem)
                    variables = {}
                if not isinstance(variables, dict):
                    problems.error(HOSTS_FILE, host_line, name, "host variables must be a mapping.")
                    variables = {}
                entry = walk.hosts.setdefault(name, _HostEntry(host_line, set(), {}))
                entry.groups.add(group)
                entry.variables.update(variables)
        elif key == "children":
            if isinstance(value_node, yaml.MappingNode):
                for child_key, child in value_node.value:
                    child_name = _name_of(child_key, problems, group)
                    if child_name is None:
                        continue
                    walk.children.setdefault(group, {}).setdefault(
                        child_name, child_key.start_mark.line + 1
                    )
                    _walk_group(child, child_name, walk, problems)
            elif not _is_empty(value_node):
                problems.error(HOSTS_FILE, line, group, "'children' must be a mapping.")
        elif key != "vars":
            problems.error(
                HOSTS_FILE,
                line,
                group,
                f"unexpected key {shown(key)}; a group holds only 'hosts', 'children' and 'vars'.",
            )


def group_loop(children: dict[str, dict[str, int]]) -> list[str] | None:
    """A chain of groups that contains itself (``['a', 'b', 'a']``), or None."""
    done: set[str] = set()
    for start in children:
        if start in done:
            continue
        path, on_path = [start], {start}
        stack = [iter(children.get(start, ()))]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                finished = path.pop()
                on_path.discard(finished)
                done.add(finished)
                continue
            if child in on_path:
                return path[path.index(child) :] + [child]
            if child not in done:
                path.append(child)
                on_path.add(child)
                stack.append(iter(children.get(child, ())))
    return None


def _load_hosts(root: Path, problems: _Problems) -> list[tuple[Workstation, int]]:
    node = yamlio.compose(root / HOSTS_FILE, HOSTS_FILE, ansible=True)
    walk = _HostsWalk()
    if isinstance(node, yaml.MappingNode):
        for group_key, group_node in node.value:
            group = _name_of(group_key, problems, "")
            if group is not None:
                _walk_group(group_node, group, walk, problems)
    elif node is not None:
        problems.error(HOSTS_FILE, 1, None, "must be a YAML mapping of groups (start with 'all:').")
    loop = group_loop(walk.children)
    if loop:
        problems.error(
            HOSTS_FILE,
            walk.children[loop[-2]][loop[-1]],
            loop[-2],
            f"the groups contain each other in a loop ({' > '.join(loop)}); a group cannot be "
            "its own child. Remove one of these 'children' entries.",
        )
    result = []
    for hostname, entry in walk.hosts.items():
        employee_id = entry.variables.get("employee_id")
        if employee_id in (None, ""):
            problems.error(
                HOSTS_FILE,
                entry.line,
                "employee_id",
                f"host {hostname} has no employee_id; add 'employee_id: <ID>' to its variables.",
            )
            continue
        problem = id_problem(str(employee_id), "an employee ID")
        if problem:
            problems.error(HOSTS_FILE, entry.line, "employee_id", f"host {hostname}: {problem}")
            continue
        ansible_host = entry.variables.get("ansible_host")
        groups = tuple(sorted(entry.groups - {"all"}))
        workstation = Workstation(
            hostname=hostname,
            employee_id=str(employee_id),
            groups=groups,
            ansible_host=None if ansible_host is None else str(ansible_host),
        )
        result.append((workstation, entry.line))
    return result


def _check_group_vars(root: Path, problems: _Problems) -> None:
    folder = root / "group_vars"
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if path.suffix not in (".yml", ".yaml") or not path.is_file():
            continue
        name = str(path.relative_to(root))
        try:
            if read_input_bytes(path, name, yamlio.MAX_BYTES).startswith(b"$ANSIBLE_VAULT"):
                continue  # encrypted; ansible-vault checks it when it is used
            yamlio.compose(path, name, ansible=True)
        except InputFileError as exc:
            problems.items.append(exc.problem)


# -- the whole company ---------------------------------------------------------------------
@dataclass
class CheckReport:
    """Everything :func:`check_company` found; ``company`` is None when there are errors.

    ``causes`` are the problems that stopped a whole file from being read (they are also in
    ``problems``, first); checks of other files against such a file are skipped.
    """

    root: Path
    problems: list[Problem]
    company: Company | None = None
    causes: tuple[Problem, ...] = ()

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def check_company(root: str | Path) -> CheckReport:
    """Load and cross-validate a company folder; collect every problem instead of stopping
    at the first. Never raises for bad data: problems are in the report."""
    root = Path(root)
    problems = _Problems()
    missing = _missing_folder(root)
    if missing:
        problems.error(str(root), None, None, missing.replace("It ", "is not a folder: it ", 1))
        return CheckReport(root, problems.items)
    causes: list[Problem] = []  # files that could not be read; shown first

    def guarded(load: Callable[[], T], default: T) -> T:
        try:
            return load()
        except InputFileError as exc:
            causes.append(exc.problem)
            return default

    details, sites, delivery, readiness = guarded(
        lambda: _load_company_yml(root, problems), (None, (), None, ReadinessSettings())
    )
    depot = next((s for s in sites if s.depot), None)
    employee_table = guarded(
        lambda: read_csv(
            root / EMPLOYEES_FILE,
            display_name=EMPLOYEES_FILE,
            aliases=_EMPLOYEE_ALIASES,
            required=EMPLOYEE_REQUIRED,
        ),
        None,
    )
    asset_table = guarded(
        lambda: read_csv(
            root / ASSETS_FILE,
            display_name=ASSETS_FILE,
            aliases=_ASSET_ALIASES,
            required=ASSET_REQUIRED,
        ),
        None,
    )
    hosts = guarded(lambda: _load_hosts(root, problems), None)
    _check_group_vars(root, problems)
    # A file that could not be read (or lacks a required column) is the cause; checks of the
    # other files against it are skipped instead of failing row after row.
    employees_read = _usable(employee_table, causes, problems)
    assets_read = _usable(asset_table, causes, problems)
    hosts_read = hosts is not None
    for file, fld, other, skipped in (
        (ASSETS_FILE, "employee_id", EMPLOYEES_FILE, assets_read and not employees_read),
        (HOSTS_FILE, "employee_id", EMPLOYEES_FILE, hosts_read and not employees_read),
        (ASSETS_FILE, "employee_id", HOSTS_FILE, assets_read and not hosts_read),
        (EMPLOYEES_FILE, "home_office_start", ASSETS_FILE, employees_read and not assets_read),
    ):
        if skipped:
            problems.warning(
                file,
                None,
                fld,
                f"not checked against {other}, which could not be read; fix {other} first "
                "and check again.",
            )

    employees: dict[str, Employee] = {}
    employee_rows: dict[str, int] = {}
    if employees_read:
        for row in employee_table.rows:
            if _already_used(
                employee_rows,
                row,
                problems,
                EMPLOYEES_FILE,
                "employee_id",
                "give each employee their own ID.",
            ):
                continue
            employee = _parse_employee(row, problems, delivery, depot)
            if employee is not None:
                employees[employee.employee_id] = employee

    assets: list[Asset] = []
    asset_rows: dict[str, int] = {}
    if assets_read:
        serial_rows: dict[tuple[str, str], int] = {}
        for row in asset_table.rows:
            if _already_used(
                asset_rows, row, problems, ASSETS_FILE, "asset_tag", "asset tags are unique."
            ):
                continue
            asset = _parse_asset(row, problems)
            if asset is None:
                continue
            key = (asset.model.casefold(), asset.serial_number.casefold())
            if key in serial_rows:
                problems.error(
                    ASSETS_FILE,
                    row.line,
                    "serial_number",
                    f"{asset.serial_number} ({asset.model}) is already listed on line "
                    f"{serial_rows[key]}; check the label on the device.",
                )
                continue
            serial_rows[key] = row.line
            if employees_read and asset.employee_id and asset.employee_id not in employee_rows:
                problems.error(
                    ASSETS_FILE,
                    row.line,
                    "employee_id",
                    f"{asset.employee_id} is not in {EMPLOYEES_FILE}; fix the ID or leave "
                    "it empty for spare stock.",
                )
                continue
            assets.append(asset)

    workstations: list[Workstation] = []
    host_of_employee: dict[str, str] = {}
    for workstation, line in hosts or ():
        if employees_read and workstation.employee_id not in employee_rows:
            problems.error(
                HOSTS_FILE,
                line,
                "employee_id",
                f"host {workstation.hostname}: employee {workstation.employee_id} is not in "
                f"{EMPLOYEES_FILE}; fix the ID or remove the host.",
            )
            continue
        if workstation.employee_id in host_of_employee:
            problems.error(
                HOSTS_FILE,
                line,
                "employee_id",
                f"host {workstation.hostname}: employee {workstation.employee_id} already has "
                f"workstation {host_of_employee[workstation.employee_id]}; each agent has one.",
            )
            continue
        host_of_employee[workstation.employee_id] = workstation.hostname
        workstations.append(workstation)

    # PCs <-> workstations, and equipment for everyone going home.
    pcs_of: dict[str, list[Asset]] = {}
    owned: Counter[str] = Counter()
    assets_of: dict[str, list[Asset]] = {}
    for asset in assets:
        if asset.employee_id:
            owned[asset.employee_id] += 1
            assets_of.setdefault(asset.employee_id, []).append(asset)
        if asset.type != "pc":
            continue
        if asset.employee_id is None:
            problems.warning(
                ASSETS_FILE,
                asset_rows[asset.asset_tag],
                "employee_id",
                f"PC {asset.asset_tag} is not assigned to anyone (spare stock).",
            )
            continue
        pcs_of.setdefault(asset.employee_id, []).append(asset)
        if hosts_read and asset.employee_id not in host_of_employee:
            problems.error(
                ASSETS_FILE,
                asset_rows[asset.asset_tag],
                "employee_id",
                f"PC {asset.asset_tag} of {asset.employee_id} has no workstation; add a host "
                f"with 'employee_id: {asset.employee_id}' to {HOSTS_FILE}.",
            )
    for employee_id, pcs in pcs_of.items():
        if len(pcs) > 1:
            problems.warning(
                ASSETS_FILE,
                asset_rows[pcs[1].asset_tag],
                "employee_id",
                f"{employee_id} has {len(pcs)} PCs ({', '.join(p.asset_tag for p in pcs)}); "
                "the workstation is matched with the first.",
            )
    workstations = [
        replace(w, pc_asset_tag=pcs_of[w.employee_id][0].asset_tag)
        if w.employee_id in pcs_of
        else w
        for w in workstations
    ]
    if assets_read:
        for employee in employees.values():
            line = employee_rows[employee.employee_id]
            if employee.scheduled_for_home_office and not owned[employee.employee_id]:
                problems.error(
                    EMPLOYEES_FILE,
                    line,
                    "home_office_start",
                    f"{employee.employee_id} ({employee.full_name}) starts home office on "
                    f"{employee.home_office_start:%Y-%m-%d} but has no equipment in "
                    f"{ASSETS_FILE}; assign devices or clear the date.",
                )
            elif employee.scheduled_for_home_office and employee.employee_id not in pcs_of:
                problems.warning(
                    EMPLOYEES_FILE,
                    line,
                    "employee_id",
                    f"{employee.employee_id} is scheduled for home office but has no PC in "
                    f"{ASSETS_FILE}.",
                )
            if employee.status != "left" and contradicts_work_model(
                employee, assets_of.get(employee.employee_id, ())
            ):
                problems.warning(
                    EMPLOYEES_FILE,
                    line,
                    "work_model",
                    f"{employee.employee_id} ({employee.full_name}) is 'mobile' but gets a "
                    f"desktop PC and monitors at home on {employee.home_days_per_week} days a "
                    "week: that is a Telearbeitsplatz (ArbStättV § 2 Abs. 7), so the agreements "
                    "treat it as Telearbeit. Set work_model to telearbeit, or lower "
                    f"home_days_per_week below {TELEARBEIT_MIN_HOME_DAYS} if the agent really "
                    "works mostly in the office.",
                )
            owned_assets = assets_of.get(employee.employee_id, ())
            ready = max((a.available_from for a in owned_assets if a.available_from), default=None)
            if employee.scheduled_for_home_office and ready and delivery is not None:
                due = due_date(employee.home_office_start, delivery.lead_days, delivery.holidays)
                if ready > due:
                    late_tags = ", ".join(
                        a.asset_tag
                        for a in assets_of[employee.employee_id]
                        if a.available_from and a.available_from > due
                    )
                    problems.warning(
                        ASSETS_FILE,
                        asset_rows.get(late_tags.split(", ")[0]),
                        "available_from",
                        f"{employee.employee_id} ({employee.full_name}) starts home office on "
                        f"{employee.home_office_start:%Y-%m-%d}, so the equipment must arrive by "
                        f"{due:%Y-%m-%d} (delivery.lead_days {delivery.lead_days}), but "
                        f"{late_tags} is ready only from {ready:%Y-%m-%d}: the delivery will be "
                        "late whatever the plan. Move the start date or free the device earlier.",
                    )
            if employee.status == "left" and owned[employee.employee_id]:
                problems.warning(
                    EMPLOYEES_FILE,
                    line,
                    "status",
                    f"{employee.employee_id} has left but still holds "
                    f"{owned[employee.employee_id]} assets; arrange their return.",
                )

    rota = None
    if (root / "rota.yml").exists():
        if employees_read:
            from remoteops.rota.loading import load_rota

            holidays = delivery.holidays if delivery else ()
            rota = guarded(lambda: load_rota(root, employees, holidays, problems), None)
        else:
            problems.warning(
                "rota.yml", None, None, f"not checked: {EMPLOYEES_FILE} could not be read."
            )
    report = CheckReport(root, causes + problems.items, causes=tuple(causes))
    if not report.errors and details is not None and delivery is not None:
        report.company = Company(
            root=str(root),
            details=details,
            sites=sites,
            delivery=delivery,
            employees=tuple(employees.values()),
            assets=tuple(assets),
            workstations=tuple(workstations),
            readiness=readiness,
            rota=rota,
        )
    return report


def _missing_folder(root: Path) -> str | None:
    """Why ``root`` is not an inventory folder (it does not exist, or is a file), or None."""
    if root.is_dir():
        return None
    what = "is a file" if root.exists() else "does not exist"
    return (
        f"It {what}. Check the -i/--inventory option (or REMOTEOPS_INVENTORY): it must name "
        f"the folder that holds {EMPLOYEES_FILE}, {ASSETS_FILE}, {HOSTS_FILE} and {COMPANY_FILE}."
    )


def _usable(table: CsvTable | None, causes: list[Problem], problems: _Problems) -> bool:
    """Record the problems of a CSV table; True if its rows can be checked (it was read and
    has every required column)."""
    if table is None:
        return False
    errors = [p for p in table.problems if p.severity == "error"]
    causes.extend(errors)
    problems.items.extend(p for p in table.problems if p.severity != "error")
    return not errors


def load_company(root: str | Path) -> Company:
    """The company in ``root``, or :class:`InventoryError` listing every problem
    (:class:`NotFoundError` if the folder itself is missing)."""
    missing = _missing_folder(Path(root))
    if missing:
        what = "does not exist" if not Path(root).exists() else "is not a folder"
        raise NotFoundError(f"The inventory folder {root} {what}.", hint=missing)
    report = check_company(root)
    if report.company is None:
        raise InventoryError(report.problems, root=str(root))
    return report.company
