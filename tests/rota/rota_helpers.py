"""Small rotas built in code (for rule tests) and a small company folder with a rota.yml
(for the command line), shared by the rota tests."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from remoteops.rota.settings import (
    Channel,
    Duty,
    Need,
    RotaPerson,
    RotaRules,
    RotaSettings,
    Shift,
)

T = dt.time
MONDAY = dt.date(2027, 1, 4)  # a Monday without public holidays around it
WEEKDAYS = (0, 1, 2, 3, 4)

SHIFTS = (
    Shift("day", T(8), T(16, 30), 30),
    Shift("eve", T(14), T(22), 30),
    Shift("short", T(8), T(14), 0),
)
PHONE = Channel("phone", "Phone", needs=(Need(WEEKDAYS, 8, 16, 1),), shifts=("day",))
CHAT = Channel("chat", "Chat", needs=(Need(WEEKDAYS, 14, 22, 1),), shifts=("eve",))
ON_CALL = Channel(
    "on-call",
    "IT on-call",
    kind="on-call",
    needs=(Need((5, 6), 8, 14, 1),),
    shifts=("short",),
    legal_basis="§ 10 Abs. 1 Nr. 14 ArbZG",
)


def person(number: int, *skills: str, hours: float = 40.0) -> RotaPerson:
    return RotaPerson(
        f"E{number:04d}",
        f"Person {number}",
        f"+49 30 {number:04d}",
        frozenset(skills or ("phone", "chat", "on-call")),
        frozenset({"de"}),
        hours,
    )


def settings(
    people=None, channels=(PHONE, CHAT, ON_CALL), rules=None, absences=(), holidays=()
) -> RotaSettings:
    return RotaSettings(
        channels=tuple(channels),
        shifts=SHIFTS,
        people=tuple(people or [person(i) for i in range(1, 7)]),
        rules=rules or RotaRules(),
        absences=tuple(absences),
        holidays=frozenset(holidays),
    )


def duty(day: dt.date, employee: int, channel: str, start: str, end: str, pause: int = 0):
    return Duty(
        day,
        f"E{employee:04d}",
        channel,
        dt.time.fromisoformat(start),
        dt.time.fromisoformat(end),
        pause,
    )


def days(first: dt.date, count: int) -> list[dt.date]:
    return [first + dt.timedelta(days=k) for k in range(count)]


ROTA_YML = """\
shifts:
  day: {start: "08:00", end: "16:30", break: 30}
  eve: {start: "14:00", end: "22:00", break: 30}
  short: {start: "08:00", end: "14:00", break: 0}
channels:
  phone:
    name: Hotline
    shifts: [day]
    phone: +49 30 1234 400
    need:
      - {days: Mon-Fri, hours: "08:00-16:00", people: 1}
  chat:
    shifts: [eve]
    need:
      - {days: Mon-Fri, hours: "14:00-22:00", people: 1}
  on-call:
    kind: on-call
    shifts: [short]
    legal_basis: "§ 10 Abs. 1 Nr. 14 ArbZG"
    need:
      - {days: Sat-Sun, hours: "08:00-14:00", people: 1}
people:
PEOPLE
rules:
  max_days_per_week: 5
  rotate: [phone]
"""


def write_rota(root: Path, *, people: int = 6) -> list[str]:
    """A rota.yml for the company in ``root``: its first active employees, all skills.
    Returns their IDs."""
    with open(root / "employees.csv", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["status"] in ("", "active")]
    ids = [r["employee_id"] for r in rows[:people]]
    entries = "\n".join(
        f"  - {{employee_id: {i}, skills: [phone, chat, on-call], languages: [de]}}" for i in ids
    )
    (root / "rota.yml").write_text(ROTA_YML.replace("PEOPLE", entries), encoding="utf-8")
    return ids
