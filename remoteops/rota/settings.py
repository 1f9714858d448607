"""The support rota as remoteops sees it after loading ``inventory/rota.yml``.

- :class:`Shift`: a shift pattern (start, end, break); every duty is one shift.
- :class:`Channel`: a channel or role (phone, chat, tickets, triage, IT on-call) with the
  people it needs per weekday and hour, the skill and languages it takes, its shift patterns
  and, if it works on Sundays and public holidays, the legal basis for that (§ 10 ArbZG).
- :class:`RotaPerson`: an employee on the rota with skills, languages and contract hours.
- :class:`Absence`: a day range off (vacation, absent) or a wish (a day off, a shift).
- :class:`RotaRules`: the limits of the law and of the works agreement, and the weights of
  the soft rules.
- :class:`Duty`: one person on one channel for one shift on one day (what a rota is made of).

Plain frozen dataclasses; nothing here imports the solver.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from remoteops.errors import Problem, RemoteOpsError

#: The file in the inventory folder, and the absences file it names by default.
ROTA_FILE = "rota.yml"
ABSENCES_FILE = "rota_absences.csv"
#: The time zone of every rota time (local wall-clock time in the company's offices).
TIMEZONE = "Europe/Berlin"

CHANNEL_KINDS = ("service", "on-call")
#: Absence kinds: days off (hard) and wishes (soft).
OFF_KINDS = ("vacation", "absent")
WISH_KINDS = ("wish-off", "wish-shift")
ABSENCE_KINDS = OFF_KINDS + WISH_KINDS


@dataclass(frozen=True)
class Shift:
    """A shift pattern: ``start``-``end`` on one day (ending at 24:00 at the latest) with
    ``break_minutes`` of break inside it (taken in turns, so the channel stays covered)."""

    shift_id: str
    start: dt.time
    end: dt.time  # dt.time(0, 0) is not allowed; 24:00 is written as 23:59 and means midnight
    break_minutes: int

    @property
    def start_minute(self) -> int:
        return self.start.hour * 60 + self.start.minute

    @property
    def end_minute(self) -> int:
        if self.end == dt.time(23, 59):
            return 24 * 60
        return self.end.hour * 60 + self.end.minute

    @property
    def work_minutes(self) -> int:
        return self.end_minute - self.start_minute - self.break_minutes

    def hours(self) -> range:
        """The hours of the day (0-23) the shift spans completely."""
        return range(-(-self.start_minute // 60), self.end_minute // 60)

    def describe(self) -> str:
        end = "24:00" if self.end_minute == 24 * 60 else f"{self.end:%H:%M}"
        return f"{self.start:%H:%M}-{end}"


@dataclass(frozen=True)
class Need:
    """``people`` on the channel during ``start_hour``-``end_hour`` on ``weekdays``."""

    weekdays: tuple[int, ...]
    start_hour: int
    end_hour: int  # exclusive, at most 24
    people: int


@dataclass(frozen=True)
class Channel:
    channel_id: str
    name: str
    kind: str = "service"  # one of CHANNEL_KINDS
    skill: str = ""  # the skill a person needs (default: the channel id)
    languages: tuple[str, ...] = ()  # a person needs every one of them
    needs: tuple[Need, ...] = ()
    shifts: tuple[str, ...] = ()  # the shift patterns this channel uses
    legal_basis: str = ""  # why it may work on Sundays and public holidays (§ 10 ArbZG)
    phone: str = ""  # the channel's own number (hotline), shown by 'rota now'

    @property
    def on_call(self) -> bool:
        return self.kind == "on-call"

    def need(self, day: dt.date, hour: int, holidays: frozenset[dt.date]) -> int:
        """People needed in ``hour`` of ``day``: the largest matching need; none on Sundays
        and public holidays unless the channel has a legal basis for them."""
        if not self.legal_basis and (day.weekday() == 6 or day in holidays):
            return 0
        return max(
            (
                n.people
                for n in self.needs
                if day.weekday() in n.weekdays and n.start_hour <= hour < n.end_hour
            ),
            default=0,
        )


@dataclass(frozen=True)
class RotaPerson:
    employee_id: str
    name: str
    phone: str
    skills: frozenset[str]
    languages: frozenset[str]
    weekly_hours: float = 40.0

    def can_take(self, channel: Channel) -> bool:
        return (channel.skill or channel.channel_id) in self.skills and set(
            channel.languages
        ) <= set(self.languages)


@dataclass(frozen=True)
class Absence:
    """Days ``first``..``last`` of one person: off (vacation, absent) or a wish."""

    employee_id: str
    first: dt.date
    last: dt.date
    kind: str  # one of ABSENCE_KINDS
    shift: str = ""  # for wish-shift: the wished shift pattern
    note: str = ""
    line: int | None = None  # in the absences file

    def covers(self, day: dt.date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True)
class Weights:
    """How much each soft rule counts (per unit) in the solver's objective."""

    coverage: int = 1000  # per person-hour missing
    surplus: int = 20  # per person-hour more than needed (never bought with fairness)
    fairness: int = 40  # per duty of spread (max - min) in late, weekend, on-call duties
    hours_fairness: int = 2  # per hour of spread in planned hours
    wishes: int = 30  # per wish not granted
    rotation: int = 15  # per person who never takes a rotating role in the period
    stable: int = 4  # per extra shift pattern in a person's week
    shift: int = 100  # per duty: no needless duties (more than a fairness gain)
    hour: int = 10  # per planned hour: the shorter pattern where it covers as much


@dataclass(frozen=True)
class RotaRules:
    """The limits (ArbZG and the works agreement) and soft-rule settings of ``rota.yml``."""

    max_day_hours: float = 10.0  # § 3 ArbZG
    max_week_hours: float = 48.0  # § 3 ArbZG (6 working days of 8 h)
    min_rest_hours: float = 11.0  # § 5 Abs. 1 ArbZG
    free_sundays_per_year: int = 15  # § 11 Abs. 1 ArbZG
    replacement_rest_weeks: int = 2  # § 11 Abs. 3 ArbZG
    max_days_per_week: int | None = 5  # works agreement
    max_on_call_weeks_per_quarter: int | None = None  # works agreement
    late_from: dt.time = dt.time(18, 0)  # a duty ending after this is a late duty
    rotate: tuple[str, ...] = ()  # channels everyone able should take at least once
    weights: Weights = field(default_factory=Weights)


@dataclass(frozen=True)
class RotaSettings:
    channels: tuple[Channel, ...]
    shifts: tuple[Shift, ...]
    people: tuple[RotaPerson, ...]
    rules: RotaRules = field(default_factory=RotaRules)
    absences: tuple[Absence, ...] = ()
    holidays: frozenset[dt.date] = frozenset()
    absences_file: str = ABSENCES_FILE

    def __post_init__(self) -> None:
        object.__setattr__(self, "_channels", {c.channel_id: c for c in self.channels})
        object.__setattr__(self, "_shifts", {s.shift_id: s for s in self.shifts})
        object.__setattr__(self, "_people", {p.employee_id: p for p in self.people})
        off: dict[str, list[Absence]] = {}
        for a in self.absences:
            if a.kind in OFF_KINDS:
                off.setdefault(a.employee_id, []).append(a)
        object.__setattr__(self, "_off", off)

    def channel(self, channel_id: str) -> Channel | None:
        return self._channels.get(channel_id)

    def shift(self, shift_id: str) -> Shift | None:
        return self._shifts.get(shift_id)

    def person(self, employee_id: str) -> RotaPerson | None:
        return self._people.get(employee_id)

    def off(self, employee_id: str, day: dt.date) -> Absence | None:
        return next((a for a in self._off.get(employee_id, ()) if a.covers(day)), None)

    def wishes(self) -> Iterable[Absence]:
        return (a for a in self.absences if a.kind in WISH_KINDS)


@dataclass(frozen=True, order=True)
class Duty:
    """One person on one channel for one shift (local times, one day)."""

    day: dt.date
    employee_id: str
    channel: str
    start: dt.time
    end: dt.time  # 23:59 stands for 24:00
    break_minutes: int
    shift: str = ""  # the pattern's id, or "" for a duty made elsewhere (imported)
    source: str = "plan"  # plan, swap, cover, import

    @property
    def times(self) -> Shift:
        return Shift(self.shift or "-", self.start, self.end, self.break_minutes)

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.day, self.start)

    @property
    def end_at(self) -> dt.datetime:
        return dt.datetime.combine(self.day, dt.time()) + dt.timedelta(
            minutes=self.times.end_minute
        )

    @property
    def work_minutes(self) -> int:
        return self.times.work_minutes


class RotaFileError(RemoteOpsError):
    """A CSV for the rota (absences, an imported rota) has wrong rows; lists them all."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        errors = [p for p in problems if p.severity == "error"]
        lines = "\n".join(f"  {p}" for p in errors[:20])
        more = f"\n  ... and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(
            f"{file} has {len(errors)} error(s):\n{lines}{more}",
            hint="Fix these rows and run the command again; nothing was changed.",
        )
        self.problems = problems
