"""The solver plans rotas that keep every rule: full coverage where people suffice, the
gaps named where they do not, earlier duties respected."""

from __future__ import annotations

import dataclasses
import datetime as dt

from rota_helpers import CHAT, MONDAY, ON_CALL, PHONE, duty, person, settings

from remoteops.rota.check import check_duties
from remoteops.rota.model import plan_duties


def test_a_feasible_rota_is_planned_with_full_coverage_and_no_violation():
    s = settings()
    last = MONDAY + dt.timedelta(days=13)
    duties, stats = plan_duties(s, MONDAY, last, seconds=5, workers=2)
    result = check_duties(s, duties, MONDAY, last)
    assert result.violations == ()
    assert result.gaps == ()
    assert result.coverage == {"phone": 100.0, "chat": 100.0, "on-call": 100.0}
    assert stats.workers == 2 and stats.status in ("optimal", "feasible")
    # each weekday one phone and one chat duty, each weekend day one on-call duty
    assert len(duties) == 2 * (5 * 2 + 2)


def test_an_infeasible_coverage_is_planned_anyway_and_the_gap_named():
    phone_two = dataclasses.replace(PHONE, needs=(dataclasses.replace(PHONE.needs[0], people=2),))
    s = settings(people=[person(1, "phone")], channels=(phone_two, CHAT, ON_CALL))
    duties, _ = plan_duties(s, MONDAY, MONDAY, seconds=3)
    result = check_duties(s, duties, MONDAY, MONDAY)
    assert result.violations == ()
    assert [g.as_row() for g in result.gaps] == [
        {"channel": "chat", "day": "2027-01-04", "hours": "14:00-22:00", "missing": 1, "needed": 1},
        {
            "channel": "phone",
            "day": "2027-01-04",
            "hours": "08:00-16:00",
            "missing": 1,
            "needed": 2,
        },
    ]
    assert duties == [
        dataclasses.replace(duty(MONDAY, 1, "phone", "08:00", "16:30", 30), shift="day")
    ]


def test_duties_kept_from_an_earlier_plan_are_respected():
    tuesday = MONDAY + dt.timedelta(days=1)
    s = settings()
    # everyone but E0006 worked until 22:00 on Monday: only E0006 may start at 08:00
    kept = [duty(MONDAY, n, "chat", "14:00", "22:00", 30) for n in range(1, 6)]
    duties, _ = plan_duties(s, tuesday, tuesday, kept=kept, seconds=3)
    phone = [d for d in duties if d.channel == "phone"]
    assert [d.employee_id for d in phone] == ["E0006"]
    result = check_duties(s, duties, tuesday, tuesday, kept=kept)
    assert result.violations == ()
