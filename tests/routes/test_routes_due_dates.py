"""Delivery plans against each employee's due date: on time first, then van-days, then km.

Small companies built in code (``routes_helpers``); the solver really solves every plan.
MONDAY is 2027-03-01; with ``lead_days`` 1 an employee starting on Thursday 04.03. is due on
Wednesday 03.03.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from routes_helpers import FAST, MONDAY, check_plan, company, ring

from remoteops.routes.planning import delivery_problem, plan_deliveries
from remoteops.routes.problem import due_date, working_days, working_days_late
from remoteops.routes.whatif import parse_what_if, suggest_fix

TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = (MONDAY + dt.timedelta(days=k) for k in range(1, 5))
NEXT_MONDAY = MONDAY + dt.timedelta(days=7)


def starting(people, day):
    return [dataclasses.replace(e, home_office_start=day) for e in people]


def delivered_on(plan) -> dict[str, dt.date]:
    return {s.employee_id: r.day for r in plan.runs for s in r.stops}


def test_due_date_counts_working_days_back_over_weekends_and_holidays():
    assert due_date(THURSDAY, 1) == WEDNESDAY
    assert due_date(MONDAY, 1) == MONDAY - dt.timedelta(days=3)  # the Friday before
    assert due_date(THURSDAY, 2, holidays=[TUESDAY]) == MONDAY
    assert due_date(THURSDAY, 0) == THURSDAY
    assert working_days_late(WEDNESDAY, THURSDAY) == 1
    assert working_days_late(FRIDAY, NEXT_MONDAY) == 1  # the weekend does not count
    assert working_days_late(WEDNESDAY, WEDNESDAY) == 0


def test_everyone_fits_on_time_and_no_van_day_after_the_last_due_date():
    # Twelve employees, half starting Thursday, half next Monday; two vans for a week.
    people = starting(ring(6), THURSDAY) + starting(ring(6, prefix="F", radius_km=5), NEXT_MONDAY)
    problem = delivery_problem(company(people, vans=2, capacity=16), MONDAY, 5)
    plan = plan_deliveries(problem, options=FAST)
    check_plan(plan, problem)
    assert not plan.left_over
    assert plan.late == ()
    last_due = max(s.due for s in problem.stops)
    assert max(r.day for r in plan.runs) <= last_due
    for s in (s for r in plan.runs for s in r.stops):
        assert s.slack_days is not None and s.slack_days >= 0
    # Delivered as early as the plan allows: twelve stops of 4 boxes fit one van-day with
    # reloading, so nothing waits for a later day.
    assert {r.day for r in plan.runs} == {MONDAY}


def test_capacity_forces_lateness_on_the_latest_due_and_the_computed_fix_works():
    # One van without reloading, 16 boxes a day: four employees of 4 boxes per day.
    # Eight start on Wednesday (due Tuesday): only Monday and Tuesday are on time, room for 8.
    # Four more start on Thursday (due Wednesday): Wednesday has room for them.  Then four
    # start on Friday (due Thursday), four on next Monday (due Friday): every day is full,
    # so nobody needs to be late...
    waves = [(WEDNESDAY, 8), (THURSDAY, 4), (FRIDAY, 4)]
    people = []
    for n, (start, count) in enumerate(waves):
        people += starting(ring(count, prefix=f"W{n}", radius_km=4 + n), start)
    firm = company(people, vans=1, capacity=16, multi_trip=False)
    problem = delivery_problem(firm, MONDAY, 5)
    plan = plan_deliveries(problem, options=FAST)
    check_plan(plan, problem)
    assert plan.late == (), [(s.employee_id, r.day) for r, s in plan.late]
    # ... until four more start on Wednesday: 12 due Tuesday, room for 8 by then.
    people += starting(ring(4, prefix="X", radius_km=3), WEDNESDAY)
    firm = company(people, vans=1, capacity=16, multi_trip=False)
    problem = delivery_problem(firm, MONDAY, 5)
    plan = plan_deliveries(problem, options=FAST)
    check_plan(plan, problem)
    # Capacity allows 8 of the 12 due on Tuesday.  Every slot of the week is needed, so
    # four employees are late in any plan; the fewest employee-days late is 12 (four due
    # Tuesday a day late, pushing four due Wednesday and four due Thursday a day each, or
    # four due Tuesday three days late), and nobody is left over.
    assert not plan.left_over
    assert plan.employee_days_late == 12
    assert len(plan.late) >= 4
    # The on-time slots before Wednesday go to those due on Tuesday, nobody else.
    early = [s for r in plan.runs if r.day <= TUESDAY for s in r.stops]
    assert len(early) == 8 and {s.due for s in early} == {TUESDAY}
    fix = suggest_fix(problem, plan, options=FAST)
    assert fix is not None
    assert "a second van on" in fix.text
    # Applied, the fix really brings everyone on time.
    assert fix.plan.late == ()
    assert not fix.plan.left_over


def test_equipment_that_is_not_ready_goes_out_only_from_its_day():
    people = starting(ring(6), NEXT_MONDAY)
    firm = company(people, vans=1)
    late_pc = firm.assets_of("E003")[0]
    assets = tuple(
        dataclasses.replace(a, available_from=THURSDAY) if a == late_pc else a for a in firm.assets
    )
    firm = dataclasses.replace(firm, assets=assets)
    problem = delivery_problem(firm, MONDAY, 5)
    assert {s.employee.employee_id: s.ready for s in problem.stops}["E003"] == THURSDAY
    plan = plan_deliveries(problem, options=FAST)
    check_plan(plan, problem)
    days = delivered_on(plan)
    assert days["E003"] >= THURSDAY
    # Fewest van-days comes before delivering early: all six fit one run, on Thursday.
    assert plan.van_days == 1 and plan.late == ()


def test_unavoidably_late_when_due_before_the_first_day_and_the_fix_is_an_earlier_start():
    people = starting(ring(3), MONDAY) + starting(ring(3, prefix="F"), NEXT_MONDAY)
    problem = delivery_problem(company(people, vans=1), MONDAY, 3)
    plan = plan_deliveries(problem, options=FAST)
    check_plan(plan, problem)
    late = {s.employee_id: s for _, s in plan.late}
    assert set(late) == {"E001", "E002", "E003"}
    assert all(s.unavoidable and s.days_late == 1 for s in late.values())  # Monday, due Friday
    fix = suggest_fix(problem, plan, options=FAST)
    assert fix is not None and "starting the deliveries on 2027-02-26" in fix.text
    assert fix.plan.late == ()


def test_contiguous_rental_has_no_empty_day_inside():
    # Starts in two waves a week apart; the van could idle between them.  Runs move to the
    # earliest day on which all their stops are possible, so the rental is one block.
    people = starting(ring(8), WEDNESDAY + dt.timedelta(days=7)) + starting(
        ring(8, prefix="F", radius_km=4), NEXT_MONDAY + dt.timedelta(days=7)
    )
    firm = company(people, vans=1, capacity=16, multi_trip=False, rental="contiguous")
    problem = delivery_problem(firm, MONDAY, 10)
    plan = plan_deliveries(problem, options=FAST)
    check_plan(plan, problem)
    assert plan.late == ()
    days = sorted(r.day for r in plan.runs)
    assert days == list(working_days(MONDAY, len(days)))  # consecutive from the first day
    assert plan.idle_rental_days == 0
    assert plan.rental_days == plan.van_days == 4


def test_employees_without_a_start_date_come_after_everyone_with_one():
    dated = starting(ring(4), THURSDAY)
    undated = starting(ring(4, prefix="U", radius_km=3), None)
    problem = delivery_problem(
        company(dated + undated, vans=1, capacity=16, multi_trip=False),
        MONDAY,
        1,
        employee_ids=[e.employee_id for e in dated + undated],
    )
    plan = plan_deliveries(problem, options=FAST)
    check_plan(plan, problem)
    served = set(delivered_on(plan))
    assert served == {e.employee_id for e in dated}


def test_replan_keeps_due_dates_and_brings_a_failed_stop_before_its_start(tmp_path):
    from remoteops.routes import store as rs
    from remoteops.state import StateStore

    people = starting(ring(8), FRIDAY)
    firm = company(people, vans=1, capacity=16, multi_trip=False)
    with StateStore(tmp_path / "state.db") as state:
        plan = plan_deliveries(delivery_problem(firm, MONDAY, 5), options=FAST)
        with state.transaction() as conn:
            rs.save_plan(conn, plan, audit=state.audit)
            first = plan.runs[0]
            rs.load_run(conn, first.day, first.van, audit=state.audit)
            failed = first.stops[0].employee_id
            rs.fail(conn, failed, "not-home", audit=state.audit)
            for s in first.stops[1:]:
                rs.deliver(conn, s.employee_id, "Self", audit=state.audit)
        with state.transaction() as conn:
            _, again = rs.replan(conn, firm, TUESDAY, 4, audit=state.audit, options=FAST)
    days = delivered_on(again)
    assert failed in days
    stop = next(s for r in again.runs for s in r.stops if s.employee_id == failed)
    assert stop.due == THURSDAY and stop.home_office_start == FRIDAY
    assert days[failed] <= THURSDAY and again.late == ()


def test_what_if_parsing():
    assert parse_what_if("vans=2").changes == {"vans": 2}
    assert parse_what_if("days=10,from=2027-02-26").changes == {
        "days": 10,
        "from": dt.date(2027, 2, 26),
    }
    from remoteops.errors import UsageError

    for bad in ("vans", "vans=0", "colour=red", "from=tomorrow", "rental=weekly"):
        with pytest.raises(UsageError, match="--what-if"):
            parse_what_if(bad)


def test_late_employees_are_stored_with_their_slack(tmp_path):
    from remoteops.routes import store as rs
    from remoteops.state import StateStore

    people = starting(ring(3), MONDAY) + starting(ring(3, prefix="F"), NEXT_MONDAY)
    plan = plan_deliveries(delivery_problem(company(people), MONDAY, 3), options=FAST)
    with StateStore(tmp_path / "state.db") as state:
        with state.transaction() as conn:
            plan_id = rs.save_plan(conn, plan, audit=state.audit)
        with state.reading() as conn:
            again = rs.load_plan(conn, plan_id)
            late_one = rs.employee_delivery(conn, "E001").describe()
            on_time = rs.employee_delivery(conn, "F001").describe()
    # What employees show prints: the due date and the slack, or how late.
    assert "(due 26.02.2027: 1 working day(s) late)" in late_one
    assert "(due 05.03.2027," in on_time and "to spare)" in on_time
    assert again.runs == plan.runs
    assert [s.employee_id for _, s in again.late] == [s.employee_id for _, s in plan.late]
    assert {s.slack_days for _, s in again.late} == {-1}


def test_a_run_the_van_cannot_drive_is_cut_back_until_it_can():
    """What happens when the solver's clock runs out before it found a valid plan: the runs
    are cut back (boxes, windows, working day) and the employees taken off are left over."""
    from remoteops.routes.model import build_model
    from remoteops.routes.repair import Draft, feasible, make_feasible
    from remoteops.routes.travel import TravelSettings

    people = starting(ring(12), NEXT_MONDAY)
    problem = delivery_problem(company(people, capacity=16, multi_trip=False), MONDAY, 1)
    model = build_model(problem, TravelSettings())
    overloaded = Draft(0, (tuple(range(12)),), 8 * 3600)  # 48 boxes in a 16-box van
    assert not feasible(problem, model, overloaded)
    cut = make_feasible(problem, model, overloaded)
    assert feasible(problem, model, cut)
    assert len(cut.trips) == 1 and len(cut.trips[0]) == 4  # 16 boxes: four employees
    assert cut.trips[0] == tuple(range(4))  # the first in driving order stay


def test_contiguous_rental_moves_early_runs_into_a_gap_when_nobody_gets_late():
    # Four employees due in two weeks could go out any day; four more are at home only on
    # Thursdays.  Per day, the van runs Monday and Thursday (two van-days, idle in between);
    # rented contiguously, the Monday run moves to Wednesday: still two van-days, and two
    # rental days instead of four.
    from remoteops.models import TimeWindow

    later = NEXT_MONDAY + dt.timedelta(days=7)
    thursdays = TimeWindow((3,), dt.time(8, 0), dt.time(17, 0))
    people = starting(ring(4), later) + [
        dataclasses.replace(e, delivery_window=thursdays)
        for e in starting(ring(4, prefix="R", radius_km=5), later)
    ]

    def plan_with(rental):
        firm = company(people, vans=1, capacity=16, multi_trip=False, rental=rental)
        problem = delivery_problem(firm, MONDAY, 5)
        plan = plan_deliveries(problem, options=FAST)
        check_plan(plan, problem)
        return plan

    per_day = plan_with("per-day")
    assert sorted(r.day for r in per_day.runs) == [MONDAY, THURSDAY]
    assert per_day.rental_days == 2 and per_day.idle_rental_days == 2
    contiguous = plan_with("contiguous")
    assert sorted(r.day for r in contiguous.runs) == [WEDNESDAY, THURSDAY]
    assert contiguous.rental_days == 2 and contiguous.idle_rental_days == 0
    assert contiguous.late == ()
