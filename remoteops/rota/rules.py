"""The rules of the support rota, one function each, in one list (:data:`RULES`).

The same list plans a rota (:mod:`remoteops.rota.model`, each statement a CP-SAT
constraint or objective term) and checks one (:func:`remoteops.rota.check.check_duties`,
each broken statement a violation naming the rule and the law). Each rule walks the board's
options (a person on a channel for a shift on a day) and says what must hold:

Hard: skills and languages, absences, Sunday and public-holiday rest (§ 9, § 10 ArbZG),
breaks (§ 4), one duty a day, 10 hours a day and 48 a week (§ 3), contract hours, working
days a week (works agreement), 11 hours of rest (§ 5), 15 free Sundays a year (§ 11 Abs. 1),
a replacement rest day for Sunday work (§ 11 Abs. 3), on-call weeks per quarter (works
agreement).

Soft (penalties, weights in :class:`~remoteops.rota.settings.Weights`): coverage per channel
and hour (missing people are a gap, not a failure), fair late, weekend and on-call duties and
hours, wishes, rotation of roles, stable weekly patterns, no needless duties.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from remoteops.rota.board import Board, Option, RuleRef
from remoteops.rota.settings import Channel, RotaPerson, RotaSettings

#: A Sunday's replacement rest day lies in the Sunday's week or the week after (a period of
#: two weeks that includes the Sunday, § 11 Abs. 3 ArbZG). Runs of at most this many
#: consecutive working Sundays are checked together (each needs its own rest day).
MAX_SUNDAY_RUN = 10


@dataclass(frozen=True)
class Rule:
    ref: RuleRef
    hard: bool
    apply: Callable[[Board], None]
    #: only removes options that can never be taken (applied before the solver's variables
    #: exist)
    filter: bool = False


def who(person: RotaPerson) -> str:
    return f"{person.name} ({person.employee_id})"


def hours(minutes: float) -> str:
    return f"{minutes / 60:g} h"


def week_of(day: dt.date) -> tuple[int, int]:
    year, week, _ = day.isocalendar()
    return year, week


def rest_day(day: dt.date, holidays: frozenset[dt.date]) -> bool:
    """Sunday or a public holiday (§ 9 ArbZG)."""
    return day.weekday() == 6 or day in holidays


def weekend(day: dt.date, holidays: frozenset[dt.date]) -> bool:
    return day.weekday() >= 5 or day in holidays


def by_week(options: list[Option]) -> dict[tuple[int, int], list[Option]]:
    weeks: dict[tuple[int, int], list[Option]] = defaultdict(list)
    for o in options:
        weeks[week_of(o.day)].append(o)
    return weeks


def break_needed(work_minutes: int) -> int:
    """§ 4 ArbZG: 30 minutes over 6 hours of work, 45 minutes over 9 hours."""
    return 45 if work_minutes > 9 * 60 else 30 if work_minutes > 6 * 60 else 0


# -- hard: who may take an option at all ------------------------------------------------------
def skills_and_languages(board: Board) -> None:
    for o in board.options:
        if o.removed or o.person.can_take(o.channel):
            continue
        missing = [o.channel.skill or o.channel.channel_id]
        missing = [s for s in missing if s not in o.person.skills]
        missing += [f"language {lang}" for lang in o.channel.languages]
        missing = [m for m in missing if m.removeprefix("language ") not in o.person.languages]
        board.forbid(
            o,
            f"{who(o.person)} is on {o.channel.channel_id} on {o.day:%a %Y-%m-%d} but lacks "
            f"{', '.join(missing)} (rota.yml people).",
        )


def absences(board: Board) -> None:
    for o in board.options:
        if o.removed:
            continue
        off = board.settings.off(o.person.employee_id, o.day)
        if off is not None:
            where = f" (line {off.line})" if off.line else ""
            board.forbid(
                o,
                f"{who(o.person)} is on {o.channel.channel_id} on {o.day:%a %Y-%m-%d} but is "
                f"off ({off.kind} {off.first:%Y-%m-%d}..{off.last:%Y-%m-%d}{where}).",
            )


def sunday_rest(board: Board) -> None:
    for o in board.options:
        if o.removed or o.channel.legal_basis or not rest_day(o.day, board.holidays):
            continue
        what = "Sunday" if o.day.weekday() == 6 else "public holiday"
        board.forbid(
            o,
            f"{who(o.person)} works on {o.channel.channel_id} on {what} {o.day:%Y-%m-%d}, and "
            "the channel names no legal basis for Sunday and holiday work (§ 10 ArbZG).",
        )


def breaks(board: Board) -> None:
    for o in board.options:
        if o.removed:
            continue
        needed = break_needed(o.shift.work_minutes)
        if o.shift.break_minutes < needed:
            board.forbid(
                o,
                f"{who(o.person)} works {hours(o.shift.work_minutes)} on {o.day:%a %Y-%m-%d} "
                f"({o.shift.describe()}) with {o.shift.break_minutes} min break; at least "
                f"{needed} min are needed.",
            )


# -- hard: limits over a person's duties ------------------------------------------------------
def one_duty_a_day(board: Board) -> None:
    for person in board.people():
        for day in sorted({o.day for o in board.of(person)}):
            options = board.on(person, day)
            board.at_most(
                board.total(o.x for o in options),
                1,
                lambda n, options=options: (
                    f"{who(options[0].person)} has {n} duties on "
                    f"{options[0].day:%a %Y-%m-%d}: "
                    + ", ".join(o.describe() for o in options if o.x)
                ),
                person=person,
                day=day,
            )


def daily_hours(board: Board) -> None:
    limit = board.rules.max_day_hours * 60
    for person in board.people():
        for day in sorted({o.day for o in board.of(person)}):
            options = board.on(person, day)
            board.at_most(
                board.total((o.x for o in options), (o.shift.work_minutes for o in options)),
                limit,
                lambda m, day=day, person=person: (
                    f"{who(person)} works {hours(m)} on "
                    f"{day:%a %Y-%m-%d}; at most {hours(limit)} a day."
                ),
                person=person,
                day=day,
            )


def _weekly(board: Board, limit_of: Callable[[RotaPerson], float | None], what: str) -> None:
    for person in board.people():
        limit = limit_of(person)
        if limit is None:
            continue
        for (year, week), options in sorted(by_week(board.of(person)).items()):
            board.at_most(
                board.total((o.x for o in options), (o.shift.work_minutes for o in options)),
                limit * 60,
                lambda m, year=year, week=week, person=person, limit=limit: (
                    f"{who(person)} works {hours(m)} in week {year}-W{week:02d}; {what} "
                    f"{limit:g} h."
                ),
                person=person,
                day=options[0].day,
            )


def weekly_hours(board: Board) -> None:
    _weekly(board, lambda p: board.rules.max_week_hours, "the law allows at most")


def contract_hours(board: Board) -> None:
    _weekly(board, lambda p: p.weekly_hours, "the contract (employees.csv weekly_hours) says")


def days_a_week(board: Board) -> None:
    limit = board.rules.max_days_per_week
    if limit is None:
        return
    for person in board.people():
        for (year, week), options in sorted(by_week(board.of(person)).items()):
            board.at_most(
                board.total(board.works(person, d) for d in sorted({o.day for o in options})),
                limit,
                lambda n, year=year, week=week, person=person: (
                    f"{who(person)} has {n} duties in week {year}-W{week:02d}; at most {limit}."
                ),
                person=person,
                day=options[0].day,
            )


def rest_between_shifts(board: Board) -> None:
    """A duty on a later day starts at least 11 hours after the end of the one before."""
    gap = dt.timedelta(hours=board.rules.min_rest_hours)
    for person in board.people():
        options = board.of(person)
        days = sorted({o.day for o in options})
        for day in days:
            nxt = board.on(person, day + dt.timedelta(days=1))
            if not nxt:
                continue
            by_end: dict[dt.datetime, list[Option]] = defaultdict(list)
            for o in board.on(person, day):
                by_end[o.end_at].append(o)
            for end, ending in by_end.items():
                too_soon = [b for b in nxt if b.start_at < end + gap]
                if not too_soon:
                    continue
                board.at_most(
                    board.total(o.x for o in ending + too_soon),
                    1,
                    lambda n, ending=ending, too_soon=too_soon: _rest_message(
                        ending, too_soon, gap
                    ),
                    person=person,
                    day=day + dt.timedelta(days=1),
                )


def _rest_message(ending: list[Option], too_soon: list[Option], gap: dt.timedelta) -> str:
    before = next(o for o in ending if o.x)
    after = next(o for o in too_soon if o.x)
    rest = (after.start_at - before.end_at) / dt.timedelta(hours=1)
    return (
        f"{who(before.person)} has {rest:g} h of rest between {before.describe()} and "
        f"{after.describe()}; at least {gap / dt.timedelta(hours=1):g} h."
    )


def _sundays(board: Board, first: dt.date, last: dt.date) -> list[dt.date]:
    day = first + dt.timedelta(days=(6 - first.weekday()) % 7)
    found = []
    while day <= last:
        found.append(day)
        day += dt.timedelta(days=7)
    return found


def free_sundays(board: Board) -> None:
    """At least 15 free Sundays a year, pro rata over the Sundays the rota knows of."""
    days = board.days()
    per_year = board.rules.free_sundays_per_year
    for year in sorted({d.year for d in days}):
        first = max(days[0], board.known_from, dt.date(year, 1, 1))
        last = min(days[-1], dt.date(year, 12, 31))
        known = _sundays(board, first, last)
        in_year = len(_sundays(board, dt.date(year, 1, 1), dt.date(year, 12, 31)))
        if not known:
            continue
        free = math.floor(per_year * len(known) / in_year)
        allowed = len(known) - free
        for person in board.people():
            worked = [s for s in known if board.on(person, s)]
            if not worked:
                continue
            board.at_most(
                board.total(board.works(person, s) for s in worked),
                allowed,
                lambda n, person=person, known=known, free=free: (
                    f"{who(person)} works {n} of the {len(known)} Sundays from "
                    f"{known[0]:%Y-%m-%d} to {known[-1]:%Y-%m-%d}; {free} of them must stay "
                    f"free ({per_year} a year, pro rata)."
                ),
                person=person,
                day=known[-1],
            )


def replacement_rest_day(board: Board) -> None:
    """Each worked Sunday needs its own work-free weekday (Mon-Sat, not a holiday) in the
    Sunday's week or the next; consecutive Sundays are checked together."""
    weeks = board.rules.replacement_rest_weeks
    for person in board.people():
        sundays = sorted({o.day for o in board.of(person) if o.day.weekday() == 6})
        runs: list[list[dt.date]] = []
        for s in sundays:
            if runs and (s - runs[-1][-1]).days == 7:
                runs[-1].append(s)
            else:
                runs.append([s])
        for run in runs:
            for i in range(len(run)):
                for j in range(i, min(len(run), i + MAX_SUNDAY_RUN)):
                    chosen = run[i : j + 1]
                    first = chosen[0] - dt.timedelta(days=6)
                    last = chosen[-1] + dt.timedelta(days=7 * (weeks - 1))
                    weekdays = [
                        first + dt.timedelta(days=k)
                        for k in range((last - first).days + 1)
                        if not rest_day(first + dt.timedelta(days=k), board.holidays)
                    ]
                    worked = [d for d in (*chosen, *weekdays) if board.on(person, d)]
                    board.at_most(
                        board.total(board.works(person, d) for d in worked),
                        len(weekdays),
                        lambda n, chosen=chosen, weekdays=weekdays, person=person: (
                            f"{who(person)} works on Sunday "
                            f"{', '.join(f'{s:%Y-%m-%d}' for s in chosen)} without a "
                            f"replacement rest day: no free weekday from {weekdays[0]:%Y-%m-%d}"
                            f" to {weekdays[-1]:%Y-%m-%d} is left for "
                            f"{'it' if len(chosen) == 1 else 'each'}."
                        ),
                        person=person,
                        day=chosen[-1],
                    )


def on_call_weeks(board: Board) -> None:
    limit = board.rules.max_on_call_weeks_per_quarter
    if limit is None:
        return
    for person in board.people():
        quarters: dict[tuple[int, int], list] = defaultdict(list)
        for (year, week), options in sorted(by_week(board.of(person)).items()):
            on_call = [o.x for o in options if o.channel.on_call]
            if not on_call:
                continue
            monday = dt.date.fromisocalendar(year, week, 1)
            quarters[monday.year, (monday.month - 1) // 3 + 1].append(board.any_of(on_call))
        for (year, quarter), weeks in quarters.items():
            board.at_most(
                board.total(weeks),
                limit,
                lambda n, year=year, quarter=quarter, person=person: (
                    f"{who(person)} is on call in {n} weeks of {year}-Q{quarter}; the works "
                    f"agreement allows {limit}."
                ),
                person=person,
            )


# -- soft -----------------------------------------------------------------------------------
def coverage(board: Board) -> None:
    """People per channel and hour; hours covered by the same options are one statement."""
    by_channel_day: dict[tuple[str, dt.date], list[Option]] = defaultdict(list)
    for o in board.options:
        if not o.removed and board.in_period(o.day):
            by_channel_day[o.channel.channel_id, o.day].append(o)
    first, last = board.period
    for channel in board.settings.channels:
        for k in range((last - first).days + 1):
            day = first + dt.timedelta(days=k)
            options = by_channel_day.get((channel.channel_id, day), [])
            groups: dict[tuple[int, ...], list[tuple[int, int]]] = defaultdict(list)
            for hour in range(24):
                need = channel.need(day, hour, board.holidays)
                if need:
                    there = tuple(i for i, o in enumerate(options) if hour in o.shift.hours())
                    groups[there].append((hour, need))
            for there, hours in groups.items():
                value = board.total(options[i].x for i in there)
                board.cover(channel, day, hours, value)


def duty_kinds(option: Option, settings: RotaSettings) -> dict[str, bool]:
    """Which fairness counts a duty adds to: late, weekend (Sat, Sun, holiday), on-call."""
    return {
        "late": option.shift.end_minute
        > settings.rules.late_from.hour * 60 + settings.rules.late_from.minute,
        "weekend": weekend(option.day, settings.holidays),
        "on_call": option.channel.on_call,
    }


def fair_candidates(settings: RotaSettings, first: dt.date, last: dt.date) -> dict[str, list]:
    """Per duty kind, the people who could take such a duty in the period at all (fairness
    is measured among them)."""
    days = [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]
    # (channel, day) -> the kinds of duty a shift there would be
    kinds_at: dict[tuple[str, dt.date], set[str]] = defaultdict(set)
    nobody = RotaPerson("", "", "", frozenset(), frozenset())
    for channel in settings.channels:
        for shift_id in channel.shifts:
            shift = settings.shift(shift_id)
            for day in days:
                if shift and any(channel.need(day, h, settings.holidays) for h in shift.hours()):
                    probe = Option(nobody, day, shift, channel)
                    kinds_at[channel.channel_id, day] |= {
                        k for k, v in duty_kinds(probe, settings).items() if v
                    }
    found: dict[str, list[RotaPerson]] = {"late": [], "weekend": [], "on_call": []}
    for person in settings.people:
        kinds: set[str] = set()
        for channel in settings.channels:
            if person.can_take(channel):
                for day in days:
                    kinds_here = kinds_at.get((channel.channel_id, day))
                    if kinds_here and settings.off(person.employee_id, day) is None:
                        kinds |= kinds_here
        for kind in kinds:
            found[kind].append(person)
    return found


def fair_duties(board: Board) -> None:
    first, last = board.period
    weights = board.rules.weights
    for kind, people in fair_candidates(board.settings, first, last).items():
        counts = []
        for person in people:
            options = [
                o
                for o in board.of(person)
                if board.in_period(o.day) and duty_kinds(o, board.settings)[kind]
            ]
            counts.append(board.total(o.x for o in options))
        board.spread(counts, weights.fairness)
    loads = []
    for person in board.people():
        options = [o for o in board.of(person) if board.in_period(o.day)]
        scale = 40.0 / max(person.weekly_hours, 1.0)
        loads.append(
            board.total(
                (o.x for o in options), (round(o.shift.work_minutes * scale / 60) for o in options)
            )
        )
    board.spread(loads, weights.hours_fairness)


def wishes(board: Board) -> None:
    for wish in board.settings.wishes():
        person = board.settings.person(wish.employee_id)
        if person is None:
            continue
        day = wish.first
        while day <= wish.last:
            if board.in_period(day):
                options = board.on(person, day)
                if wish.kind == "wish-shift":
                    options = [o for o in options if o.shift.shift_id != wish.shift]
                board.penalty(board.total(o.x for o in options), board.rules.weights.wishes)
            day += dt.timedelta(days=1)


def rotation(board: Board) -> None:
    first, last = board.period
    for channel_id in board.rules.rotate:
        channel = board.settings.channel(channel_id)
        if channel is None:
            continue
        for person in board.people():
            if not person.can_take(channel):
                continue
            options = [
                o.x for o in board.of(person) if o.channel is channel and board.in_period(o.day)
            ]
            board.penalty(1 - board.any_of(options), board.rules.weights.rotation)


def stable_weeks(board: Board) -> None:
    for person in board.people():
        period = [o for o in board.of(person) if board.in_period(o.day)]
        for _week, options in sorted(by_week(period).items()):
            patterns: dict[tuple[int, int], list] = defaultdict(list)
            for o in options:
                patterns[o.shift.start_minute, o.shift.end_minute].append(o.x)
            if len(patterns) > 1:
                used = [board.any_of(xs) for xs in patterns.values()]
                board.penalty(board.total(used) - 1, board.rules.weights.stable)


def few_duties(board: Board) -> None:
    """No needless duties, and no longer ones than needed."""
    w = board.rules.weights
    options = [o for o in board.options if not o.removed and board.in_period(o.day)]
    board.penalty(
        board.total(
            (o.x for o in options),
            (w.shift + w.hour * o.shift.work_minutes // 60 for o in options),
        ),
        1,
    )


def _rule(name: str, law: str, apply, *, hard: bool = True, filter: bool = False) -> Rule:
    return Rule(RuleRef(name, law), hard, apply, filter)


#: Every rule, in the order they are applied (the filters first).
RULES: tuple[Rule, ...] = (
    _rule(
        "skills",
        "rota.yml: only people with the channel's skill and languages take it",
        skills_and_languages,
        filter=True,
    ),
    _rule("absence", "absences (rota_absences.csv): nobody works while off", absences, filter=True),
    _rule(
        "sunday-rest",
        "§ 9 Abs. 1 ArbZG: no work on Sundays and public holidays (exceptions: § 10 ArbZG)",
        sunday_rest,
        filter=True,
    ),
    _rule(
        "breaks",
        "§ 4 ArbZG: 30 min break over 6 h of work, 45 min over 9 h",
        breaks,
        filter=True,
    ),
    _rule("one-duty", "rota: one duty per person and day", one_duty_a_day),
    _rule("daily-hours", "§ 3 ArbZG: at most 10 h of work a day", daily_hours),
    _rule("weekly-hours", "§ 3 ArbZG: at most 48 h of work a week", weekly_hours),
    _rule("contract", "employment contract: weekly hours (employees.csv)", contract_hours),
    _rule("days-a-week", "works agreement: working days a week", days_a_week),
    _rule("rest", "§ 5 Abs. 1 ArbZG: at least 11 h of rest between duties", rest_between_shifts),
    _rule("free-sundays", "§ 11 Abs. 1 ArbZG: at least 15 free Sundays a year", free_sundays),
    _rule(
        "replacement-rest",
        "§ 11 Abs. 3 ArbZG: a replacement rest day within two weeks of Sunday work",
        replacement_rest_day,
    ),
    _rule("on-call-weeks", "works agreement: on-call weeks per quarter", on_call_weeks),
    _rule("coverage", "rota.yml: people per channel and hour", coverage, hard=False),
    _rule("fairness", "fair late, weekend and on-call duties and hours", fair_duties, hard=False),
    _rule("wishes", "wishes (rota_absences.csv)", wishes, hard=False),
    _rule("rotation", "rota.yml rules.rotate: everyone takes each role", rotation, hard=False),
    _rule("stable-weeks", "one shift pattern per person and week", stable_weeks, hard=False),
    _rule("few-duties", "no needless duties", few_duties, hard=False),
)


def apply_rules(board: Board, rules: tuple[Rule, ...] = RULES) -> None:
    for rule in rules:
        board.rule = rule.ref
        rule.apply(board)
    board.rule = None


def rule_names() -> list[str]:
    return [r.ref.name for r in RULES]


__all__ = ["RULES", "Channel", "Rule", "apply_rules", "duty_kinds", "fair_candidates"]
