"""The board the rules work on: one rule text for planning and for checking.

Every rule of the rota (:mod:`remoteops.rota.rules`) is written once, against a
:class:`Board`: it walks the board's :class:`Option` s (a person on a channel for a shift on
a day) and states limits over them (``at_most``, ``forbid``), coverage
(``cover``) and penalties (``penalty``, ``spread``). Two boards read those statements:

- :class:`ModelBoard` (in :mod:`remoteops.rota.model`): each option of the planned period is
  a CP-SAT Boolean (taken or not); the statements become constraints and objective terms.
- :class:`CheckBoard`: each option is a duty of a finished rota (taken: 1); the statements
  are evaluated, and each broken one becomes a :class:`Violation` naming its rule and law.

Duties kept from earlier plans are options with the constant 1 on both boards, so the rest
time after last week's late duty or the Sundays already worked this year count.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from remoteops.rota.settings import Channel, Duty, RotaPerson, RotaSettings, Shift

#: A value on a board: a CP-SAT expression while planning, an ``int`` while checking.
Value = Any


@dataclass(frozen=True)
class RuleRef:
    """What a violation names: the rule's short name and the law or agreement behind it."""

    name: str
    law: str


@dataclass(eq=False)
class Option:
    """A person on a channel for a shift on a day; ``x`` is 1 if taken (a CP-SAT Boolean
    while planning). ``kept``: a duty of an earlier plan, outside the planned period."""

    person: RotaPerson
    day: dt.date
    shift: Shift
    channel: Channel
    x: Value = 1
    kept: bool = False
    duty: Duty | None = None
    removed: bool = False  # can never be taken (planning only)

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.day, dt.time()) + dt.timedelta(
            minutes=self.shift.start_minute
        )

    @property
    def end_at(self) -> dt.datetime:
        return dt.datetime.combine(self.day, dt.time()) + dt.timedelta(
            minutes=self.shift.end_minute
        )

    def describe(self) -> str:
        return (
            f"{self.channel.channel_id} {self.day:%a %Y-%m-%d} {self.shift.describe()}"
            f" ({self.person.employee_id})"
        )


@dataclass(frozen=True)
class Violation:
    rule: RuleRef
    employee_id: str | None
    day: dt.date | None
    message: str

    def as_row(self) -> dict:
        return {
            "rule": self.rule.name,
            "law": self.rule.law,
            "employee_id": self.employee_id or "",
            "day": self.day.isoformat() if self.day else "",
            "message": self.message,
        }


@dataclass(frozen=True)
class Gap:
    """``missing`` people on ``channel`` on ``day`` from ``start_hour`` to ``end_hour``."""

    channel: str
    day: dt.date
    start_hour: int
    end_hour: int
    missing: int
    needed: int

    def as_row(self) -> dict:
        return {
            "channel": self.channel,
            "day": self.day.isoformat(),
            "hours": f"{self.start_hour:02d}:00-{self.end_hour:02d}:00",
            "missing": self.missing,
            "needed": self.needed,
        }


@dataclass
class Board:
    """The options of a rota over ``days`` and what the rules say about them.

    ``period``: the days being planned or checked (first, last); ``known_from``: the first
    day the rota knows (earlier plans included), for the yearly Sunday count.
    """

    settings: RotaSettings
    options: list[Option]
    period: tuple[dt.date, dt.date]
    known_from: dt.date
    rule: RuleRef | None = None  # the rule being applied (set by the rule runner)
    _index: dict | None = field(default=None, repr=False)

    # -- what the rules read --------------------------------------------------------------
    @property
    def rules(self):
        return self.settings.rules

    @property
    def holidays(self) -> frozenset[dt.date]:
        return self.settings.holidays

    def in_period(self, day: dt.date) -> bool:
        return self.period[0] <= day <= self.period[1]

    def days(self) -> list[dt.date]:
        """Every day from ``known_from`` to the end of the period (and of kept duties)."""
        last = max([self.period[1], *(o.day for o in self.options if o.kept)])
        first = min([self.known_from, self.period[0], *(o.day for o in self.options if o.kept)])
        return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]

    def _indexed(self) -> dict:
        if self._index is None:
            by_person: dict[str, list[Option]] = defaultdict(list)
            by_day: dict[tuple[str, dt.date], list[Option]] = defaultdict(list)
            for o in self.options:
                if o.removed:
                    continue
                by_person[o.person.employee_id].append(o)
                by_day[o.person.employee_id, o.day].append(o)
            self._index = {"person": by_person, "day": by_day}
        return self._index

    def people(self) -> Sequence[RotaPerson]:
        return self.settings.people

    def of(self, person: RotaPerson) -> list[Option]:
        return self._indexed()["person"].get(person.employee_id, [])

    def on(self, person: RotaPerson, day: dt.date) -> list[Option]:
        return self._indexed()["day"].get((person.employee_id, day), [])

    def remove(self, option: Option) -> None:
        """Drop an option that can never be taken (planning only)."""
        option.removed = True
        self._index = None

    def works(self, person: RotaPerson, day: dt.date) -> Value:
        """How many duties ``person`` has on ``day`` (one value, however many options)."""
        return self.total(o.x for o in self.on(person, day))

    # -- what the rules state (the two boards differ here) ----------------------------------
    def total(self, values: Iterable[Value], weights: Iterable[int] | None = None) -> Value:
        raise NotImplementedError

    def forbid(self, option: Option, message: str) -> None:
        raise NotImplementedError

    def at_most(
        self,
        value: Value,
        bound: float,
        message: Callable[[int], str],
        *,
        person: RotaPerson | None = None,
        day: dt.date | None = None,
    ) -> None:
        raise NotImplementedError

    def any_of(self, values: Sequence[Value]) -> Value:
        raise NotImplementedError

    def cover(
        self, channel: Channel, day: dt.date, hours: list[tuple[int, int]], value: Value
    ) -> None:
        """``value`` people on ``channel`` in each of ``hours`` ((hour, people needed))."""
        raise NotImplementedError

    def penalty(self, value: Value, weight: int) -> None:
        raise NotImplementedError

    def spread(self, values: Sequence[Value], weight: int) -> None:
        raise NotImplementedError


@dataclass
class CheckBoard(Board):
    """A finished rota: every option is a duty (taken); broken limits become violations."""

    violations: list[Violation] = field(default_factory=list)
    coverage: dict[tuple[str, dt.date, int], tuple[int, int]] = field(default_factory=dict)
    penalties: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def total(self, values, weights=None):
        if weights is None:
            return sum(values)
        return sum(v * w for v, w in zip(values, weights, strict=True))

    def _violated(self, message: str, person, day) -> None:
        assert self.rule is not None
        self.violations.append(
            Violation(self.rule, person.employee_id if person else None, day, message)
        )

    def forbid(self, option, message):
        if option.x:
            self._violated(message, option.person, option.day)

    def at_most(self, value, bound, message, *, person=None, day=None):
        if value > bound:
            self._violated(message(value), person, day)

    def any_of(self, values):
        return int(any(values))

    def cover(self, channel, day, hours, value):
        for hour, need in hours:
            self.coverage[channel.channel_id, day, hour] = (min(value, need), need)

    def penalty(self, value, weight):
        assert self.rule is not None
        self.penalties[self.rule.name] += value * weight

    def spread(self, values, weight):
        if values:
            mean = sum(values) / len(values)
            excess = sum(max(0, math.ceil(v - mean - 1e-9)) for v in values)
            self.penalty(max(values) - min(values) + excess, weight)

    def gaps(self) -> list[Gap]:
        """The hours a channel was short of people, merged into runs of equal shortage."""
        gaps: list[Gap] = []
        for (channel, day, hour), (covered, need) in sorted(self.coverage.items()):
            missing = need - covered
            if not missing:
                continue
            last = gaps[-1] if gaps else None
            if last and (last.channel, last.day, last.end_hour, last.missing, last.needed) == (
                channel,
                day,
                hour,
                missing,
                need,
            ):
                gaps[-1] = Gap(channel, day, last.start_hour, hour + 1, missing, need)
            else:
                gaps.append(Gap(channel, day, hour, hour + 1, missing, need))
        return gaps

    def coverage_percent(self) -> dict[str, float]:
        """Per channel: person-hours covered of person-hours needed, in percent."""
        covered: dict[str, int] = defaultdict(int)
        needed: dict[str, int] = defaultdict(int)
        for (channel, _day, _hour), (have, need) in self.coverage.items():
            covered[channel] += have
            needed[channel] += need
        return {c: 100.0 * covered[c] / needed[c] for c in needed if needed[c]}
