"""Each rule of the rota: a rota that breaks it is reported by the checker, naming the law;
the same rota without the break is clean."""

from __future__ import annotations

import dataclasses
import datetime as dt

from rota_helpers import CHAT, MONDAY, ON_CALL, PHONE, days, duty, person, settings

from remoteops.rota.check import check_duties
from remoteops.rota.settings import Absence, RotaRules


def violations(rota_settings, duties, first=None, last=None, **kwargs):
    first = first or min(d.day for d in duties)
    last = last or max(d.day for d in duties)
    result = check_duties(rota_settings, duties, first, last, **kwargs)
    return [(v.rule.name, v.rule.law, v.employee_id, v.day, v.message) for v in result.violations]


def rules_broken(found) -> list[str]:
    return sorted({v[0] for v in found})


def test_a_clean_week_has_no_violation():
    s = settings()
    duties = [duty(d, 1, "phone", "08:00", "16:30", 30) for d in days(MONDAY, 5)]
    assert violations(s, duties) == []


def test_more_than_ten_hours_a_day_breaks_section_3():
    s = settings(people=[person(1, hours=60)])
    found = violations(s, [duty(MONDAY, 1, "phone", "07:00", "18:30", 45)])
    assert rules_broken(found) == ["daily-hours"]
    rule, law, employee, day, message = found[0]
    assert law == "§ 3 ArbZG: at most 10 h of work a day"
    assert (employee, day) == ("E0001", MONDAY)
    assert message == "Person 1 (E0001) works 10.75 h on Mon 2027-01-04; at most 10 h a day."


def test_more_than_48_hours_a_week_breaks_section_3():
    s = settings(people=[person(1, hours=60)], rules=RotaRules(max_days_per_week=6))
    duties = [duty(d, 1, "phone", "08:00", "17:30", 30) for d in days(MONDAY, 6)]  # 6 x 9 h
    found = violations(s, duties)
    assert rules_broken(found) == ["weekly-hours"]
    assert found[0][1] == "§ 3 ArbZG: at most 48 h of work a week"
    assert "works 54 h in week 2027-W01" in found[0][4]


def test_less_than_eleven_hours_of_rest_breaks_section_5():
    s = settings()
    duties = [
        duty(MONDAY, 1, "chat", "14:00", "22:00", 30),
        duty(MONDAY + dt.timedelta(days=1), 1, "phone", "08:00", "16:30", 30),
    ]
    found = violations(s, duties)
    assert rules_broken(found) == ["rest"]
    assert found[0][1] == "§ 5 Abs. 1 ArbZG: at least 11 h of rest between duties"
    assert found[0][3] == MONDAY + dt.timedelta(days=1)
    assert "has 10 h of rest between chat Mon 2027-01-04 14:00-22:00" in found[0][4]


def test_missing_breaks_break_section_4():
    s = settings()
    found = violations(
        s,
        [
            duty(MONDAY, 1, "phone", "08:00", "15:00", 0),  # 7 h, no break
            duty(MONDAY, 2, "phone", "08:00", "18:00", 30),  # 9.5 h, 30 min instead of 45
        ],
    )
    assert rules_broken(found) == ["breaks"]
    assert [(v[2], v[1]) for v in found] == [
        ("E0001", "§ 4 ArbZG: 30 min break over 6 h of work, 45 min over 9 h"),
        ("E0002", "§ 4 ArbZG: 30 min break over 6 h of work, 45 min over 9 h"),
    ]
    assert "at least 30 min are needed" in found[0][4]
    assert "at least 45 min are needed" in found[1][4]


def test_sunday_and_holiday_work_without_legal_basis_breaks_section_9():
    sunday = MONDAY - dt.timedelta(days=1)
    holiday = MONDAY + dt.timedelta(days=2)
    sunday_phone = dataclasses.replace(PHONE, needs=())
    s = settings(channels=(sunday_phone, CHAT, ON_CALL), holidays=[holiday])
    found = violations(
        s,
        [
            duty(sunday, 1, "phone", "08:00", "14:00"),
            duty(holiday, 2, "phone", "08:00", "14:00"),
            duty(sunday, 3, "on-call", "08:00", "14:00"),  # legal basis: allowed
        ],
    )
    assert rules_broken(found) == ["sunday-rest"]
    assert [(v[2], v[3]) for v in found] == [("E0001", sunday), ("E0002", holiday)]
    assert found[0][1].startswith("§ 9 Abs. 1 ArbZG")
    assert "on Sunday 2027-01-03" in found[0][4]
    assert "on public holiday 2027-01-06" in found[1][4]


def test_working_too_many_sundays_breaks_section_11_free_sundays():
    sundays = [MONDAY + dt.timedelta(days=6 + 7 * k) for k in range(8)]
    s = settings()
    found = violations(
        s,
        [duty(d, 1, "on-call", "08:00", "14:00") for d in sundays],
        first=MONDAY,
        last=sundays[-1],
    )
    assert rules_broken(found) == ["free-sundays"]
    assert found[0][1] == "§ 11 Abs. 1 ArbZG: at least 15 free Sundays a year"
    # 8 Sundays known: floor(15 * 8 / 52) = 2 must stay free (rounded down, so the year
    # can still end with 15), so 6 may be worked
    assert "works 8 of the 8 Sundays" in found[0][4]
    assert "2 of them must stay free" in found[0][4]
    six = [duty(d, 1, "on-call", "08:00", "14:00") for d in sundays[:6]]
    assert violations(s, six, first=MONDAY, last=sundays[-1]) == []


def test_sunday_work_without_a_replacement_rest_day_breaks_section_11_3():
    s = settings(people=[person(1, hours=48)], rules=RotaRules(max_days_per_week=None))
    thirteen = days(MONDAY, 13)  # Mon-Sun, then Mon-Sat: no free weekday in the two weeks
    duties = [duty(d, 1, "on-call", "08:00", "14:00") for d in thirteen]
    found = violations(s, duties)
    assert rules_broken(found) == ["replacement-rest"]
    assert (
        found[0][1] == "§ 11 Abs. 3 ArbZG: a replacement rest day within two weeks of Sunday work"
    )
    assert "works on Sunday 2027-01-10 without a replacement rest day" in found[0][4]
    free_friday = [d for d in duties if d.day != MONDAY + dt.timedelta(days=11)]
    assert violations(s, free_friday) == []


def test_skills_languages_absences_contract_and_days_a_week():
    chat_en = dataclasses.replace(CHAT, languages=("en",))
    s = settings(
        people=[person(1, "phone"), person(2, hours=20), person(3)],
        channels=(PHONE, chat_en, ON_CALL),
        absences=[Absence("E0003", MONDAY, MONDAY, "vacation")],
        rules=RotaRules(max_days_per_week=4),
    )
    duties = [duty(MONDAY, 1, "chat", "14:00", "22:00", 30)]  # no chat skill, no English
    duties += [duty(d, 2, "phone", "08:00", "16:30", 30) for d in days(MONDAY, 3)]  # 24 h > 20
    duties += [duty(d, 3, "phone", "08:00", "16:30", 30) for d in days(MONDAY, 5)]  # off Monday
    found = violations(s, duties)
    assert rules_broken(found) == ["absence", "contract", "days-a-week", "skills"]
    by_rule = {v[0]: v for v in found}
    assert "lacks chat, language en" in by_rule["skills"][4]
    assert by_rule["absence"][2:4] == ("E0003", MONDAY)
    assert by_rule["contract"][2] == "E0002"
    assert by_rule["days-a-week"][4] == "Person 3 (E0003) has 5 duties in week 2027-W01; at most 4."


def test_two_duties_a_day_and_on_call_weeks_per_quarter():
    s = settings(rules=RotaRules(max_on_call_weeks_per_quarter=1))
    saturday = MONDAY + dt.timedelta(days=5)
    duties = [
        duty(MONDAY, 1, "phone", "08:00", "12:00"),
        duty(MONDAY, 1, "chat", "14:00", "18:00"),
        duty(saturday, 2, "on-call", "08:00", "14:00"),
        duty(saturday + dt.timedelta(days=7), 2, "on-call", "08:00", "14:00"),
    ]
    found = violations(s, duties)
    assert rules_broken(found) == ["on-call-weeks", "one-duty"]
    by_rule = {v[0]: v for v in found}
    assert by_rule["one-duty"][2] == "E0001"
    assert by_rule["on-call-weeks"][4] == (
        "Person 2 (E0002) is on call in 2 weeks of 2027-Q1; the works agreement allows 1."
    )


def test_kept_duties_before_the_period_count_for_rest():
    s = settings()
    sunday = MONDAY - dt.timedelta(days=1)
    kept = [duty(sunday - dt.timedelta(days=1), 1, "chat", "14:00", "22:00", 30)]
    found = violations(
        s, [duty(sunday, 1, "on-call", "08:00", "14:00")], first=sunday, last=sunday, kept=kept
    )
    assert rules_broken(found) == ["rest"]


def test_gaps_name_channel_day_hours_and_how_many_are_missing():
    s = settings()
    result = check_duties(s, [duty(MONDAY, 1, "phone", "08:00", "12:00")], MONDAY, MONDAY)
    assert [g.as_row() for g in result.gaps] == [
        {"channel": "chat", "day": "2027-01-04", "hours": "14:00-22:00", "missing": 1, "needed": 1},
        {
            "channel": "phone",
            "day": "2027-01-04",
            "hours": "12:00-16:00",
            "missing": 1,
            "needed": 1,
        },
    ]
    assert result.coverage == {"phone": 50.0, "chat": 0.0}
