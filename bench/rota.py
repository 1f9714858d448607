"""Benchmark of the support-rota planner (issue 18).

Invented support teams of 20, 60 and 150 people over 4 weeks (from Monday 2027-01-04) with
five channels (phone, chat, tickets, triage, IT on-call on evenings and weekends, the last
with a § 10 ArbZG basis for Sundays), the people needed growing with the team; skills,
English, contract hours (40/30/20 h) and one week of vacation for every tenth person drawn
with a fixed seed. Two rotas per team, both checked by the same checker
(:func:`remoteops.rota.check.check_duties`, every rule of the planner):

- ``remoteops``: :func:`remoteops.rota.model.plan_duties` (CP-SAT, the product's planner,
  with the time limit and workers given here);
- ``round-robin``: the plain rota a lead makes by hand, computed in the same run: day by
  day and channel by channel the same shift patterns cover the hours that need people,
  each taken by the next person in turn who has the skill, is not on vacation and has no
  duty that day; nothing else is looked at.

Measured: planning time (wall, model building included), coverage (person-hours covered
of those needed, all channels), violations of the hard rules (the law and the works
agreement), and the fairness spread: most minus fewest weekend duties per person among
those who can take weekend duties.

Usage::

    python bench/rota.py                        # 20, 60, 150 people, 25 s limit, 2 workers
    python bench/rota.py --people 60 --seconds 20
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from remoteops.rota.check import check_duties  # noqa: E402
from remoteops.rota.model import plan_duties  # noqa: E402
from remoteops.rota.settings import (  # noqa: E402
    Absence,
    Channel,
    Duty,
    Need,
    RotaPerson,
    RotaRules,
    RotaSettings,
    Shift,
)

FIRST = dt.date(2027, 1, 4)
WEEKS = 4
T = dt.time
WEEKDAYS = (0, 1, 2, 3, 4)
SHIFTS = (
    Shift("early", T(8), T(16, 30), 30),
    Shift("late", T(9, 30), T(18), 30),
    Shift("saturday", T(9), T(14), 0),
    Shift("on-call-evening", T(18), T(22), 0),
    Shift("on-call-day", T(8), T(14), 0),
    Shift("on-call-afternoon", T(14), T(20), 0),
)


def team(size: int, seed: int = 18) -> RotaSettings:
    """An invented support team of ``size`` people and what its five channels need."""
    rnd = random.Random(seed * 1000 + size)
    k = size / 20
    people, absences = [], []
    for i in range(size):
        skills = {"phone", "tickets"}
        if rnd.random() < 0.6:
            skills.add("chat")
        if rnd.random() < 0.5:
            skills.add("triage")
        if rnd.random() < 0.5:
            skills.add("on-call")
        languages = {"de", "en"} if "chat" in skills else {"de"}
        hours = rnd.choices((40.0, 30.0, 20.0), weights=(6, 3, 1))[0]
        employee_id = f"E{i + 1:04d}"
        people.append(
            RotaPerson(
                employee_id,
                f"Person {i + 1}",
                "",
                frozenset(skills),
                frozenset(languages),
                hours,
            )
        )
        if i % 10 == 3:
            monday = FIRST + dt.timedelta(days=7 * rnd.randrange(WEEKS))
            absences.append(Absence(employee_id, monday, monday + dt.timedelta(days=6), "vacation"))

    def n(base: float) -> int:
        return max(1, round(base * k))

    channels = (
        Channel(
            "phone",
            "Phone",
            languages=("de",),
            shifts=("early", "late", "saturday"),
            needs=(
                Need(WEEKDAYS, 8, 18, n(2)),
                Need(WEEKDAYS, 9, 12, n(3)),
                Need((5,), 9, 14, n(3)),
            ),
        ),
        Channel(
            "chat",
            "Chat",
            languages=("en",),
            shifts=("early", "late"),
            needs=(Need(WEEKDAYS, 8, 18, n(1)),),
        ),
        Channel(
            "tickets", "Tickets", shifts=("early", "late"), needs=(Need(WEEKDAYS, 8, 17, n(2)),)
        ),
        Channel("triage", "Triage", shifts=("early",), needs=(Need(WEEKDAYS, 8, 16, n(1)),)),
        Channel(
            "on-call",
            "IT on-call",
            kind="on-call",
            shifts=("on-call-evening", "on-call-day", "on-call-afternoon"),
            legal_basis="§ 10 Abs. 1 Nr. 14 ArbZG",
            needs=(Need(WEEKDAYS, 18, 22, n(0.5)), Need((5, 6), 8, 20, n(0.5))),
        ),
    )
    return RotaSettings(
        channels=channels,
        shifts=SHIFTS,
        people=tuple(people),
        rules=RotaRules(max_days_per_week=5, max_on_call_weeks_per_quarter=6, rotate=("triage",)),
        absences=tuple(absences),
    )


def round_robin(settings: RotaSettings, first: dt.date, last: dt.date) -> list[Duty]:
    """The plain rota: same patterns, people in turn per channel, nothing else checked."""
    duties: list[Duty] = []
    turn: dict[str, int] = defaultdict(int)
    busy: set[tuple[str, dt.date]] = set()
    day = first
    while day <= last:
        for channel in settings.channels:
            able = [p for p in settings.people if p.can_take(channel)]
            missing = {h: channel.need(day, h, settings.holidays) for h in range(24)}
            patterns = [settings.shift(s) for s in channel.shifts]
            while able:
                hour = max(missing, key=lambda h: missing[h])
                if missing[hour] <= 0:
                    break
                fitting = [s for s in patterns if hour in s.hours()]
                shift = max(fitting, key=lambda s: sum(missing[h] > 0 for h in s.hours()))
                taker = None
                for _ in range(len(able)):
                    p = able[turn[channel.channel_id] % len(able)]
                    turn[channel.channel_id] += 1
                    if (p.employee_id, day) not in busy and settings.off(
                        p.employee_id, day
                    ) is None:
                        taker = p
                        break
                if taker is None:
                    missing[hour] = 0
                    continue
                busy.add((taker.employee_id, day))
                duties.append(
                    Duty(
                        day,
                        taker.employee_id,
                        channel.channel_id,
                        shift.start,
                        shift.end,
                        shift.break_minutes,
                        shift.shift_id,
                    )
                )
                for h in shift.hours():
                    missing[h] -= 1
        day += dt.timedelta(days=1)
    return duties


def measure(settings, duties, first, last, seconds: float | None) -> dict:
    result = check_duties(settings, duties, first, last)
    needed = missing = 0
    for channel in settings.channels:
        day = first
        while day <= last:
            needed += sum(channel.need(day, h, settings.holidays) for h in range(24))
            day += dt.timedelta(days=1)
    missing = sum(g.missing * (g.end_hour - g.start_hour) for g in result.gaps)
    rules = defaultdict(int)
    for v in result.violations:
        rules[v.rule.name] += 1
    return {
        "seconds": seconds,
        "duties": len(duties),
        "coverage": 100.0 * (needed - missing) / needed,
        "violations": len(result.violations),
        "broken": dict(rules),
        "spread": result.spreads["weekend"],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, action="append", help="team size (repeatable)")
    parser.add_argument(
        "--seconds",
        type=float,
        help="time limit of a plan [default: 25 s up to 60 people (the 30 s target), 60 s above]",
    )
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT workers")
    args = parser.parse_args(argv)
    sizes = args.people or [20, 60, 150]
    last = FIRST + dt.timedelta(days=7 * WEEKS - 1)
    rows = []
    for size in sizes:
        settings = team(size)
        started = time.perf_counter()
        limit = args.seconds or (25.0 if size <= 60 else 60.0)
        planned, stats = plan_duties(settings, FIRST, last, seconds=limit, workers=args.workers)
        wall = time.perf_counter() - started
        ours = measure(settings, planned, FIRST, last, wall)
        started = time.perf_counter()
        plain = round_robin(settings, FIRST, last)
        rr = measure(settings, plain, FIRST, last, time.perf_counter() - started)
        rows.append((size, ours, rr, stats))
        print(
            f"{size} people: remoteops {ours['seconds']:.1f} s ({stats.status}), coverage "
            f"{ours['coverage']:.1f} %, {ours['violations']} violations, weekend spread "
            f"{ours['spread']}; round-robin coverage {rr['coverage']:.1f} %, "
            f"{rr['violations']} violations {rr['broken']}, weekend spread {rr['spread']}",
            flush=True,
        )
    print()
    print(
        f"4 weeks from {FIRST:%Y-%m-%d}, five channels; CP-SAT num_workers={args.workers}; "
        "time limit per plan (model building included) in the table."
    )
    print()
    print(
        "| people | rota | limit s | planning s | solver | coverage | violations | "
        "weekend spread | targets (0 violations, coverage >= round-robin, spread <= half) |"
    )
    print("|---:|---|---:|---:|---|---:|---:|---:|---|")
    for size, ours, rr, stats in rows:
        met = (
            ours["violations"] == 0
            and ours["coverage"] >= rr["coverage"] - 1e-9
            and ours["spread"] <= rr["spread"] / 2
        )
        print(
            f"| {size} | remoteops | {stats.time_limit:g} | {ours['seconds']:.1f} | "
            f"{stats.status} | {ours['coverage']:.1f} % | {ours['violations']} | "
            f"{ours['spread']} | {'met' if met else 'NOT met'} |"
        )
        broken = ", ".join(f"{k} {v}" for k, v in sorted(rr["broken"].items()))
        print(
            f"| | round-robin | | {rr['seconds']:.2f} | | {rr['coverage']:.1f} % | "
            f"{rr['violations']} ({broken}) | {rr['spread']} | |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
