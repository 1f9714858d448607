"""What is to be planned, in the users' words: the depot, the employees still waiting for
equipment (with the day it must arrive by), and every van on every working day.

The due date is the one fact the whole plan serves: an employee's equipment must arrive at
the latest ``delivery.lead_days`` working days before their ``home_office_start`` (default 1,
the working day before; on the start day itself is late).  Days are counted in the company's
working days (Monday to Friday without its holidays).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from remoteops.errors import UsageError
from remoteops.models import Employee, Site


@dataclass(frozen=True)
class VanDay:
    """One van on one working day: its own vehicle in the solver."""

    van: str
    day: dt.date
    capacity: int  # boxes per trip
    start: dt.time
    end: dt.time
    multi_trip: bool = True  # may come back to the depot to load again
    break_minutes: int = 0  # the working time left for the run is end - start - break


@dataclass(frozen=True)
class DeliveryStop:
    """An employee still waiting for equipment."""

    employee: Employee
    boxes: int
    service_minutes: int
    due: dt.date | None = None  # arrives at the latest on this day (None: no start date)
    ready: dt.date | None = None  # all equipment may go out from this day (None: now)
    provisioned: bool | None = None  # the workstation's last baseline run (None: not checked)


@dataclass(frozen=True)
class DeliveryProblem:
    depot: Site
    stops: tuple[DeliveryStop, ...]
    van_days: tuple[VanDay, ...]
    first_day: dt.date
    days: tuple[dt.date, ...]  # the working days of the horizon
    loading_minutes: int = 15  # at the depot before every trip
    max_reloads: int = 3  # extra trips per day for multi-trip vans
    cost_per_km: float = 0.35
    cost_per_hour: float = 30.0
    cost_per_van_day: float = 90.0
    arrival_window_minutes: int = 60
    holidays: tuple[dt.date, ...] = ()  # the company's closed days (for counting days late)
    rental: str = "per-day"  # or "contiguous": each van rented from its first to last run
    # Employees not offered to the solver, with the reason and its detail (e.g. the
    # workstation is not provisioned and the plan requires it).
    left_out: tuple[tuple[DeliveryStop, str, str], ...] = ()


def is_working_day(day: dt.date, holidays: Iterable[dt.date] = ()) -> bool:
    """Monday to Friday and not one of ``holidays`` (pass a set when calling in a loop)."""
    skip = holidays if isinstance(holidays, (set, frozenset)) else set(holidays)
    return day.weekday() < 5 and day not in skip


def working_days(
    start: dt.date, days: int, holidays: Iterable[dt.date] = ()
) -> tuple[dt.date, ...]:
    """``days`` working days from ``start`` on (``start`` included), skipping weekends and
    ``holidays``."""
    if days < 1:
        raise UsageError(f"--days must be at least 1, not {days}.")
    skip = set(holidays)
    out: list[dt.date] = []
    day = start
    while len(out) < days:
        if is_working_day(day, skip):
            out.append(day)
        day += dt.timedelta(days=1)
    return tuple(out)


def next_working_day(day: dt.date, holidays: Iterable[dt.date] = ()) -> dt.date:
    """The first working day after ``day``."""
    skip = set(holidays)
    day += dt.timedelta(days=1)
    while not is_working_day(day, skip):
        day += dt.timedelta(days=1)
    return day


def due_date(start: dt.date, lead_days: int, holidays: Iterable[dt.date] = ()) -> dt.date:
    """The last day the equipment may arrive for a home-office start on ``start``: ``lead_days``
    working days before it (0: the start day itself)."""
    skip = set(holidays)
    day = start
    left = lead_days
    while left > 0:
        day -= dt.timedelta(days=1)
        if is_working_day(day, skip):
            left -= 1
    return day


def working_days_late(due: dt.date, day: dt.date, holidays: Iterable[dt.date] = ()) -> int:
    """How many working days after ``due`` the delivery on ``day`` comes (0: on time; at
    least 1 when ``day`` is later, even across a weekend-only gap)."""
    if day <= due:
        return 0
    return max(working_days_between(due, day, holidays), 1)


def working_days_between(a: dt.date, b: dt.date, holidays: Iterable[dt.date] = ()) -> int:
    """Working days from ``a`` to ``b``: positive when ``b`` is later (the days after ``a`` up
    to and including ``b``), negative when earlier."""
    if b < a:
        return -working_days_between(b, a, holidays)
    skip = set(holidays)
    return sum(is_working_day(a + dt.timedelta(days=k), skip) for k in range(1, (b - a).days + 1))
