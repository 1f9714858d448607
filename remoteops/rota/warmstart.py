"""A first rota for the solver to start from (a CP-SAT solution hint), built greedily.

Day by day and channel by channel, the hour with the most people missing gets the shift
pattern that covers most of what is missing, taken by the person with the fewest duties of
its kind (late, weekend, on-call) and the lowest load who may still take it (one duty a
day, weekly hours and contract hours, working days a week, 11 hours of rest, the Sundays
allowed, on-call weeks). It only speeds up the search: the solver may change every duty,
and the solver's rota is checked against every rule afterwards.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from remoteops.rota.board import Option
from remoteops.rota.rules import duty_kinds, week_of
from remoteops.rota.settings import RotaSettings


@dataclass
class _Person:
    days: dict[dt.date, Option] = field(default_factory=dict)
    week_minutes: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))
    week_days: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))
    on_call_weeks: set[tuple[int, int]] = field(default_factory=set)
    sundays: int = 0
    kinds: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    minutes: int = 0

    def take(self, o: Option, settings: RotaSettings) -> None:
        week = week_of(o.day)
        self.days[o.day] = o
        self.week_minutes[week] += o.shift.work_minutes
        self.week_days[week] += 1
        if o.channel.on_call:
            self.on_call_weeks.add(week)
        if o.day.weekday() == 6:
            self.sundays += 1
        for kind, yes in duty_kinds(o, settings).items():
            self.kinds[kind] += int(yes)
        self.minutes += o.shift.work_minutes


def _may_take(p: _Person, o: Option, settings: RotaSettings, sundays_allowed: int) -> bool:
    rules = settings.rules
    week = week_of(o.day)
    if o.day in p.days:
        return False
    limit = min(rules.max_week_hours, o.person.weekly_hours) * 60
    if p.week_minutes[week] + o.shift.work_minutes > limit:
        return False
    if rules.max_days_per_week is not None and p.week_days[week] >= rules.max_days_per_week:
        return False
    rest = dt.timedelta(hours=rules.min_rest_hours)
    before = p.days.get(o.day - dt.timedelta(days=1))
    if before is not None and before.end_at + rest > o.start_at:
        return False
    after = p.days.get(o.day + dt.timedelta(days=1))
    if after is not None and o.end_at + rest > after.start_at:
        return False
    if o.day.weekday() == 6 and p.sundays >= sundays_allowed:
        return False
    limit_weeks = rules.max_on_call_weeks_per_quarter
    return not (
        o.channel.on_call
        and limit_weeks is not None
        and week not in p.on_call_weeks
        and len(p.on_call_weeks) >= limit_weeks
    )


def warm_start(
    settings: RotaSettings,
    first: dt.date,
    last: dt.date,
    live: Sequence[Option],
    kept: Iterable[Option] = (),
) -> tuple[set[int], int]:
    """The ``id`` s of the options of ``live`` a greedy rota takes, and the person-hours it
    leaves uncovered."""
    people: dict[str, _Person] = defaultdict(_Person)
    for o in kept:
        people[o.person.employee_id].take(o, settings)
    sundays = sum(
        1 for k in range((last - first).days + 1) if (first + dt.timedelta(k)).weekday() == 6
    )
    allowed = sundays - math.ceil(settings.rules.free_sundays_per_year * sundays / 52)
    by_channel_day: dict[tuple[str, dt.date], list[Option]] = defaultdict(list)
    for o in live:
        by_channel_day[o.channel.channel_id, o.day].append(o)
    chosen: set[int] = set()
    uncovered = 0
    for k in range((last - first).days + 1):
        day = first + dt.timedelta(days=k)
        for channel in settings.channels:
            options = by_channel_day.get((channel.channel_id, day), [])
            missing = {h: channel.need(day, h, settings.holidays) for h in range(24)}
            while True:
                hour = max(missing, key=lambda h: missing[h])
                if missing[hour] <= 0:
                    break
                best, best_key = None, None
                for o in options:
                    if hour not in o.shift.hours():
                        continue
                    person = people[o.person.employee_id]
                    if not _may_take(person, o, settings, allowed):
                        continue
                    gain = sum(1 for h in o.shift.hours() if missing[h] > 0)
                    kinds = duty_kinds(o, settings)
                    burden = sum(person.kinds[kind] for kind, yes in kinds.items() if yes)
                    load = person.minutes / max(o.person.weekly_hours, 1.0)
                    key = (-gain, burden, load, o.person.employee_id)
                    if best_key is None or key < best_key:
                        best, best_key = o, key
                if best is None:
                    uncovered += missing[hour]
                    missing[hour] = 0  # nobody can take it: a gap
                    continue
                people[best.person.employee_id].take(best, settings)
                chosen.add(id(best))
                for h in best.shift.hours():
                    missing[h] -= 1
    return chosen, uncovered
