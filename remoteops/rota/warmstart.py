"""A first rota for the solver to start from (a CP-SAT solution hint), built greedily.

Weekends and holidays first, then the other days, channel by channel: the hour with the most
people missing gets the shift pattern that covers most of what is missing, taken by the
person with the fewest duties of its kind (late, weekend, on-call) and the lowest load who
may still take it (one duty a day, weekly and contract hours, working days a week, 11 hours
of rest, the Sundays allowed, on-call weeks). Then duties of a kind move from those with most
to those with fewest (directly, or in exchange for a weekday duty) while the spread is above
one. It only speeds up the search: the solver may change every duty, it is used as the rota
only if the solver finds nothing better in time, and the result is checked against every
rule afterwards.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from remoteops.rota.board import Option
from remoteops.rota.rules import duty_kinds, fair_candidates, week_of, weekend
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

    def drop(self, o: Option, settings: RotaSettings) -> None:
        week = week_of(o.day)
        del self.days[o.day]
        self.week_minutes[week] -= o.shift.work_minutes
        self.week_days[week] -= 1
        if o.channel.on_call and not any(
            d.channel.on_call and week_of(d.day) == week for d in self.days.values()
        ):
            self.on_call_weeks.discard(week)
        if o.day.weekday() == 6:
            self.sundays -= 1
        for kind, yes in duty_kinds(o, settings).items():
            self.kinds[kind] -= int(yes)
        self.minutes -= o.shift.work_minutes


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
    # weekends and holidays first: their duties go to whoever has had fewest of them while
    # everyone's week is still open
    days = [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]
    days.sort(key=lambda d: (not weekend(d, settings.holidays), d))
    for day in days:
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
                    key = (-gain, o.shift.work_minutes, burden, load, o.person.employee_id)
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
    _balance(settings, first, last, live, people, chosen, allowed)
    return chosen, uncovered


def _balance(settings, first, last, live, people, chosen, allowed) -> None:
    """Hand duties of a kind (weekend, on-call, late) from those with most to those with
    fewest while the spread is above one and someone may take them."""
    same: dict[tuple, list[Option]] = defaultdict(list)
    for o in live:
        same[o.day, o.channel.channel_id, o.person.employee_id].append(o)
    candidates = fair_candidates(settings, first, last)
    for kind in ("late", "on_call", "weekend"):  # the weekend last: on-call moves change it
        able = [p.employee_id for p in candidates[kind]]
        for _ in range(10 * len(able)):
            if not able:
                break
            count = {e: people[e].kinds[kind] for e in able}
            high, low = max(count.values()), min(count.values())
            if high - low <= 1:
                break
            if not _move_one(settings, people, chosen, same, count, kind, allowed):
                break


def _move_one(settings, people, chosen, same, count, kind, allowed) -> bool:
    high, low = max(count.values()), min(count.values())
    takers = [e for e, n in count.items() if n == low]
    for giver in (e for e, n in count.items() if n == high):
        for o in list(people[giver].days.values()):
            if id(o) not in chosen or not duty_kinds(o, settings)[kind]:
                continue
            # the taker may work another pattern that covers the same needed hours
            needed = {h for h in o.shift.hours() if o.channel.need(o.day, h, settings.holidays)}
            for taker in takers:
                for other in same.get((o.day, o.channel.channel_id, taker), ()):
                    if not needed <= set(other.shift.hours()):
                        continue
                    if not duty_kinds(other, settings)[kind]:
                        continue
                    people[giver].drop(o, settings)
                    if _may_take(people[taker], other, settings, allowed):
                        people[taker].take(other, settings)
                        chosen.discard(id(o))
                        chosen.add(id(other))
                        return True
                    if _exchange(settings, people, chosen, same, o, other, kind, allowed):
                        return True
                    people[giver].take(o, settings)
    return False


def _exchange(settings, people, chosen, same, o, other, kind, allowed) -> bool:
    """The taker of ``other`` (instead of ``o``, already dropped by its giver) hands one of
    their other duties to the giver to make room; True if done."""
    giver, taker = people[o.person.employee_id], people[other.person.employee_id]
    for t in list(taker.days.values()):
        if duty_kinds(t, settings)[kind] or t.day == o.day:
            continue
        needed = {h for h in t.shift.hours() if t.channel.need(t.day, h, settings.holidays)}
        for back in same.get((t.day, t.channel.channel_id, o.person.employee_id), ()):
            if not needed <= set(back.shift.hours()) or duty_kinds(back, settings)[kind]:
                continue
            taker.drop(t, settings)
            if _may_take(taker, other, settings, allowed):
                taker.take(other, settings)
                if _may_take(giver, back, settings, allowed):
                    giver.take(back, settings)
                    chosen -= {id(o), id(t)}
                    chosen |= {id(other), id(back)}
                    return True
                taker.drop(other, settings)
            taker.take(t, settings)
    return False
