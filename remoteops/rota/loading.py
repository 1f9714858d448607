"""Read ``inventory/rota.yml`` and its absences CSV, cross-validated with the roster.

Called by :func:`remoteops.inventory.check_company` when ``rota.yml`` exists; every problem
is reported with the file and the field (``channels.phone.need[1].hours``) or the CSV line,
and what to do. The people of the rota come from ``employees.csv``: by team (``team:``) or
one by one (``employee_id:``); their name, phone number and contract hours stay in the
roster.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from remoteops import inventory as inv
from remoteops import yamlio
from remoteops.csvio import read_csv
from remoteops.errors import InputFileError
from remoteops.models import LANGUAGES, Employee
from remoteops.rota.rules import break_needed
from remoteops.rota.settings import (
    ABSENCE_KINDS,
    ABSENCES_FILE,
    CHANNEL_KINDS,
    ROTA_FILE,
    Absence,
    Channel,
    Need,
    RotaPerson,
    RotaRules,
    RotaSettings,
    Shift,
    Weights,
)

#: Columns of the absences CSV (canonical name -> accepted header spellings).
ABSENCE_COLUMNS = {
    "employee_id": ("Personalnummer", "Mitarbeiter-ID", "ID"),
    "from": ("von", "ab", "first", "start"),
    "to": ("bis", "last", "end"),
    "kind": ("Art", "type"),
    "shift": ("Schicht", "wish"),
    "note": ("Notiz", "Bemerkung", "comment"),
    "name": ("Name",),  # in the template, for the lead; not read
}


class _Where:
    """A mapping of rota.yml at ``prefix``; reports bad keys as ``prefix.key``."""

    def __init__(self, problems, prefix: str, data: Any, *, required: bool = True) -> None:
        self.problems, self.prefix = problems, prefix
        if data is None and not required:
            data = {}
        if not isinstance(data, dict):
            self.bad_here("must be a mapping (key: value lines); see inventory/README.md.")
            data = {}
        self.data = data

    def at(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def bad_here(self, message: str) -> None:
        self.problems.error(ROTA_FILE, None, self.prefix or None, message)

    def bad(self, key: str, message: str) -> None:
        self.problems.error(ROTA_FILE, None, self.at(key), message)

    def parsed(self, key: str, parse, default, *, required: bool = False):
        value = self.data.get(key)
        if value is None:
            if required:
                self.bad(key, "is missing; fill it in.")
            return default
        try:
            return parse(str(value))
        except ValueError as exc:
            self.bad(key, str(exc))
            return default

    def whole(self, key: str, default: int | None, low: int, high: int) -> int | None:
        value = self.data.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.bad(key, f"{value!r} is not a whole number from {low} to {high}.")
            return default
        return value

    def words(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.bad(key, "must be a list of words, e.g. [phone, chat].")
            return ()
        return tuple(v.strip() for v in value if v.strip())

    def languages(self) -> tuple[str, ...]:
        found = self.words("languages")
        for lang in found:
            if lang not in LANGUAGES:
                self.bad("languages", f"{lang!r} is not one of {', '.join(LANGUAGES)}.")
        return tuple(lang for lang in found if lang in LANGUAGES)


def _time_of(text: str) -> dt.time:
    if text.strip() in ("24:00", "24"):
        return dt.time(23, 59)
    return inv.parse_time(text)


def _shifts(problems, data: Any) -> dict[str, Shift]:
    root = _Where(problems, "shifts", data)
    shifts: dict[str, Shift] = {}
    for name, raw in root.data.items():
        name = str(name)
        s = _Where(problems, f"shifts.{name}", raw)
        problem = inv.id_problem(name, "a shift name")
        if problem:
            root.bad(name, problem)
            continue
        start = s.parsed("start", _time_of, None, required=True)
        end = s.parsed("end", _time_of, None, required=True)
        pause = s.whole("break", 0, 0, 240)
        if start is None or end is None or pause is None:
            continue
        shift = Shift(name, start, end, pause)
        if shift.end_minute <= shift.start_minute:
            s.bad(
                "end",
                "must be later than start on the same day (a shift ends by 24:00; split a "
                "night into two shifts).",
            )
            continue
        if shift.work_minutes <= 0:
            s.bad("break", "is as long as the whole shift.")
            continue
        needed = break_needed(shift.work_minutes)
        if pause < needed:
            s.bad(
                "break",
                f"{shift.work_minutes / 60:g} h of work need at least {needed} minutes of "
                "break (§ 4 ArbZG: 30 min over 6 h, 45 min over 9 h).",
            )
            continue
        if shift.work_minutes > 10 * 60:
            s.bad(
                "end",
                f"{shift.work_minutes / 60:g} h of work is more than 10 h a day (§ 3 ArbZG).",
            )
            continue
        shifts[name] = shift
    if not shifts and not problems.items:
        root.bad_here("needs at least one shift pattern (start, end, break).")
    return shifts


def _needs(problems, prefix: str, raw: Any, legal_basis: str) -> tuple[Need, ...]:
    if not isinstance(raw, list) or not raw:
        problems.error(
            ROTA_FILE,
            None,
            prefix,
            "needs a list of {days: Mon-Fri, hours: 08:00-18:00, people: 2} entries.",
        )
        return ()
    needs = []
    for i, item in enumerate(raw):
        n = _Where(problems, f"{prefix}[{i}]", item)
        days = n.parsed("days", inv.parse_weekdays, None, required=True)
        hours = n.parsed("hours", _hour_range, None, required=True)
        people = n.whole("people", None, 1, 1000)
        if "people" not in n.data:
            n.bad("people", "is missing; say how many people are needed.")
        if days is None or hours is None or people is None:
            continue
        if 6 in days and not legal_basis:
            n.bad(
                "days",
                "includes Sunday, but the channel has no legal_basis: work on Sundays and "
                "public holidays is forbidden (§ 9 ArbZG) unless an exception of § 10 ArbZG "
                "applies. Add legal_basis (e.g. '§ 10 Abs. 1 Nr. 14 ArbZG') or remove Sunday.",
            )
            continue
        needs.append(Need(days, hours[0], hours[1], people))
    return tuple(needs)


def _hour_range(text: str) -> tuple[int, int]:
    parts = text.replace("–", "-").split("-")
    if len(parts) != 2:
        raise ValueError(f"{text!r} is not a time range; write it as HH:00-HH:00.")
    start, end = (_time_of(p) for p in parts)
    if start.minute or end.minute not in (0, 59):
        raise ValueError(f"{text!r}: needs are per full hour; write e.g. 08:00-18:00.")
    first, last = start.hour, 24 if end == dt.time(23, 59) else end.hour
    if first >= last:
        raise ValueError(f"{text!r} ends before it starts; write the earlier time first.")
    return first, last


def _channels(problems, data: Any, shifts: dict[str, Shift]) -> list[Channel]:
    root = _Where(problems, "channels", data)
    channels = []
    for name, raw in root.data.items():
        name = str(name)
        c = _Where(problems, f"channels.{name}", raw)
        problem = inv.id_problem(name, "a channel name")
        if problem:
            root.bad(name, problem)
            continue
        kind = str(c.data.get("kind", "service"))
        if kind not in CHANNEL_KINDS:
            c.bad("kind", f"{kind!r} is not one of {', '.join(CHANNEL_KINDS)}.")
        languages = c.languages()
        patterns = c.words("shifts")
        if not patterns:
            c.bad("shifts", "needs the shift patterns this channel uses, e.g. [early, late].")
        for p in patterns:
            if p not in shifts:
                c.bad("shifts", f"{p!r} is not a shift pattern under 'shifts:'; add it there.")
        legal_basis = str(c.data.get("legal_basis") or "").strip()
        channel = Channel(
            channel_id=name,
            name=str(c.data.get("name") or name),
            kind=kind,
            skill=str(c.data.get("skill") or name),
            languages=languages,
            needs=_needs(problems, c.at("need"), c.data.get("need"), legal_basis),
            shifts=tuple(p for p in patterns if p in shifts),
            legal_basis=legal_basis,
            phone=str(c.data.get("phone") or ""),
        )
        for p in channel.shifts:
            hours = shifts[p].hours()
            if not any(
                hour in hours for n in channel.needs for hour in range(n.start_hour, n.end_hour)
            ):
                problems.warning(
                    ROTA_FILE,
                    None,
                    c.at("shifts"),
                    f"shift {p} ({shifts[p].describe()}) spans no full hour this channel "
                    "needs people; it is never planned here.",
                )
        channels.append(channel)
    if not channels and not root.data:
        root.bad_here("needs at least one channel (phone, chat, tickets, ...).")
    return channels


def _people(problems, data: Any, employees: dict[str, Employee]) -> list[RotaPerson]:
    if not isinstance(data, list) or not data:
        problems.error(
            ROTA_FILE,
            None,
            "people",
            "needs a list of entries with 'team:' (everyone of a team in employees.csv) or "
            "'employee_id:', each with skills.",
        )
        return []
    by_team: dict[str, list[Employee]] = {}
    for e in employees.values():
        by_team.setdefault(e.team.casefold(), []).append(e)
    chosen: dict[str, RotaPerson] = {}
    explicit: set[str] = set()
    for i, raw in enumerate(data):
        p = _Where(problems, f"people[{i}]", raw)
        skills = frozenset(p.words("skills"))
        if not skills:
            p.bad("skills", "is missing; list the channels' skills this person or team has.")
        languages = p.languages()
        if "team" in p.data:
            team = str(p.data["team"])
            members = by_team.get(team.casefold())
            if not members:
                p.bad("team", f"no employee in employees.csv has team {team!r}; check spelling.")
                continue
        elif "employee_id" in p.data:
            employee_id = str(p.data["employee_id"])
            if employee_id not in employees:
                p.bad("employee_id", f"{employee_id!r} is not in employees.csv.")
                continue
            if employee_id in explicit:
                p.bad("employee_id", f"{employee_id} is listed twice; merge the entries.")
                continue
            explicit.add(employee_id)
            members = [employees[employee_id]]
        else:
            p.bad_here("needs 'team:' or 'employee_id:'.")
            continue
        for e in members:
            if e.status != "active" or (e.employee_id in explicit and "team" in p.data):
                continue
            chosen[e.employee_id] = RotaPerson(
                employee_id=e.employee_id,
                name=e.full_name,
                phone=e.phone,
                skills=skills,
                languages=frozenset(languages or (e.language,)),
                weekly_hours=e.weekly_hours,
            )
    return sorted(chosen.values(), key=lambda p: p.employee_id)


def _rules(problems, data: Any, channels: Iterable[Channel]) -> RotaRules:
    r = _Where(problems, "rules", data, required=False)
    w = _Where(problems, "rules.weights", r.data.get("weights"), required=False)
    defaults, weights = RotaRules(), Weights()
    rotate = r.words("rotate")
    known = {c.channel_id for c in channels}
    for channel in rotate:
        if channel not in known:
            r.bad("rotate", f"{channel!r} is not a channel under 'channels:'.")
    return RotaRules(
        max_days_per_week=r.whole("max_days_per_week", defaults.max_days_per_week, 1, 6),
        max_on_call_weeks_per_quarter=r.whole("max_on_call_weeks_per_quarter", None, 0, 14),
        late_from=r.parsed("late_from", _time_of, defaults.late_from),
        rotate=tuple(c for c in rotate if c in known),
        weights=Weights(
            **{
                key: w.whole(key, getattr(weights, key), 0, 100_000)
                for key in weights.__dataclass_fields__
            }
        ),
    )


def read_absences(
    path: Path,
    display_name: str,
    people: dict[str, RotaPerson],
    shifts: Iterable[str],
    problems,
) -> list[Absence]:
    """The absences and wishes in ``path`` (one row: employee_id, from, to, kind, shift)."""
    table = read_absences_table(path, display_name)
    problems.items.extend(table.problems)
    if any(p.severity == "error" for p in table.problems):
        return []
    return absences_from_rows(table.rows, display_name, people, shifts, problems)


def read_absences_table(path: Path, display_name: str):
    return read_csv(
        path,
        display_name=display_name,
        aliases=inv._aliases(ABSENCE_COLUMNS),
        required=("employee_id", "from", "kind"),
    )


def absences_from_rows(
    rows, display_name: str, people: dict[str, RotaPerson], shifts: Iterable[str], problems
) -> list[Absence]:
    shifts = set(shifts)
    found = []
    for row in rows:
        f = inv._Fields(problems, display_name, row)
        f.plain_text({"note": 200})
        employee_id = f.text("employee_id", what="the employee's ID")
        if employee_id and employee_id not in people:
            f.bad("employee_id", f"{employee_id!r} is not on the rota (rota.yml people).")
        first = f.parsed("from", inv.parse_date)
        last = f.parsed("to", inv.parse_date, required=False) or first
        kind = row.values.get("kind", "").strip().casefold()
        if kind not in ABSENCE_KINDS:
            f.bad("kind", f"{kind!r} is not one of {', '.join(ABSENCE_KINDS)}.")
        shift = row.values.get("shift", "").strip()
        if kind == "wish-shift" and shift not in shifts:
            f.bad("shift", f"{shift!r} is not a shift pattern of rota.yml; name one.")
        if first and last and last < first:
            f.bad("to", "is before 'from'; write the first day, then the last.")
        if f.ok:
            found.append(
                Absence(employee_id, first, last, kind, shift, row.values.get("note", ""), row.line)
            )
    return found


def load_rota(
    root: Path, employees: dict[str, Employee], holidays: Iterable[dt.date], problems
) -> RotaSettings | None:
    """``root/rota.yml`` as :class:`RotaSettings`, problems recorded in ``problems``;
    None if it has errors."""
    before = len([p for p in problems.items if p.severity == "error"])
    data = yamlio.construct(yamlio.compose(root / ROTA_FILE, ROTA_FILE), ROTA_FILE)
    if not isinstance(data, dict):
        problems.error(ROTA_FILE, None, None, "must be a mapping with shifts, channels, people.")
        return None
    inv._check_yaml_text(data, ROTA_FILE, problems)
    top = _Where(problems, "", data)
    for key in sorted(str(k) for k in data):
        if key not in ("shifts", "channels", "people", "rules", "absences", "holidays"):
            top.bad(key, "is not a known section; use shifts, channels, people, rules, absences.")
    shifts = _shifts(problems, data.get("shifts"))
    channels = _channels(problems, data.get("channels"), shifts)
    people = _people(problems, data.get("people"), employees)
    rules = _rules(problems, data.get("rules"), channels)
    extra = []
    for i, raw in enumerate(data.get("holidays") or []):
        try:
            extra.append(raw if isinstance(raw, dt.date) else inv.parse_date(str(raw)))
        except ValueError as exc:
            top.bad(f"holidays[{i}]", str(exc))
    for channel in channels:
        if not any(p.can_take(channel) for p in people):
            problems.warning(
                ROTA_FILE,
                None,
                f"channels.{channel.channel_id}",
                f"nobody on the rota has skill {channel.skill!r}"
                + (f" and languages {', '.join(channel.languages)}" if channel.languages else "")
                + "; every hour it needs people will be a gap.",
            )
    absences_name = str(data.get("absences") or ABSENCES_FILE)
    problem = inv.id_problem(absences_name.removesuffix(".csv"), "the absences file name")
    absences: list[Absence] = []
    if problem or not absences_name.endswith(".csv"):
        top.bad("absences", problem or "must name a .csv file beside rota.yml.")
    elif (root / absences_name).exists():
        try:
            absences = read_absences(
                root / absences_name,
                absences_name,
                {p.employee_id: p for p in people},
                shifts,
                problems,
            )
        except InputFileError as exc:
            problems.items.append(exc.problem)
    if len([p for p in problems.items if p.severity == "error"]) > before:
        return None
    return RotaSettings(
        channels=tuple(channels),
        shifts=tuple(shifts.values()),
        people=tuple(people),
        rules=rules,
        absences=tuple(absences),
        holidays=frozenset(holidays) | frozenset(extra),
        absences_file=absences_name,
    )
