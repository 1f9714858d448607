"""Delivery plans on small companies: constraints, left-overs, determinism, bad input."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from routes_helpers import DEPOT, FAST, MONDAY, check_plan, company, employee, haversine_m, ring

from remoteops.errors import RemoteOpsError, UsageError
from remoteops.models import TimeWindow
from remoteops.routes.planning import (
    REASON_CAPACITY,
    REASON_HORIZON,
    REASON_TIME_WINDOWS,
    DeliveryInputError,
    delivery_problem,
    plan_deliveries,
    working_days,
)

ALL_WEEK = (0, 1, 2, 3, 4)


def test_working_days_skip_weekends_and_holidays():
    friday = dt.date(2027, 3, 5)
    days = working_days(friday, 3, holidays=[dt.date(2027, 3, 9)])
    assert days == (friday, dt.date(2027, 3, 8), dt.date(2027, 3, 10))
    with pytest.raises(UsageError):
        working_days(friday, 0)


def test_plan_respects_capacity_working_day_and_windows():
    people = ring(14)
    # Some are home only in the afternoon, some only in the morning, one only on Wednesday.
    for k in (1, 4, 9):
        people[k] = employee(
            people[k].employee_id,
            people[k].location.latitude,
            people[k].location.longitude,
            window=TimeWindow(ALL_WEEK, dt.time(13, 0), dt.time(16, 0)),
        )
    for k in (2, 7):
        people[k] = employee(
            people[k].employee_id,
            people[k].location.latitude,
            people[k].location.longitude,
            window=TimeWindow(ALL_WEEK, dt.time(8, 0), dt.time(11, 0)),
        )
    people[5] = employee(
        people[5].employee_id,
        people[5].location.latitude,
        people[5].location.longitude,
        window=TimeWindow((2,), dt.time(8, 0), dt.time(17, 0)),
    )
    problem = delivery_problem(company(people, vans=2, capacity=12), MONDAY, 3)
    plan = plan_deliveries(problem, options=FAST)
    check_plan(plan, problem)
    assert not plan.left_over
    wednesday = [r for r in plan.runs if any(s.employee_id == "E006" for s in r.stops)]
    assert [r.day.weekday() for r in wednesday] == [2]
    # 12 boxes per trip and 4 boxes each: at most three stops per trip.
    assert all(len(r.trip_stops(t)) <= 3 for r in plan.runs for t in range(1, r.trips + 1))
    assert any(r.trips > 1 for r in plan.runs)


def test_kilometres_follow_the_travel_model():
    """Each leg is the great-circle distance (the tests' own haversine) times the default
    detour factor 1.35; the run's kilometres are its legs plus the way back."""
    people = ring(5)
    problem = delivery_problem(company(people), MONDAY, 1)
    plan = plan_deliveries(problem, options=FAST)
    (run,) = plan.runs
    assert run.trips == 1  # 5 x 4 boxes fit into one van of 40
    where = {e.employee_id: e.location for e in people}
    points = [DEPOT] + [where[s.employee_id] for s in run.stops]
    for stop, (a, b) in zip(run.stops, zip(points, points[1:], strict=False), strict=True):
        assert stop.km_from_previous == pytest.approx(haversine_m(a, b) * 1.35 / 1000, abs=0.01)
    legs = [*points, DEPOT]
    metres = sum(haversine_m(a, b) for a, b in zip(legs, legs[1:], strict=False))
    assert run.km == pytest.approx(metres * 1.35 / 1000, abs=0.05)
    back = haversine_m(points[-1], DEPOT) * 1.35 / 1000
    assert run.km == pytest.approx(sum(s.km_from_previous for s in run.stops) + back, abs=0.05)
    assert 0 < run.driving_minutes < run.working_minutes


def test_unavailable_weekdays_are_respected():
    tue_thu = TimeWindow((1, 3), dt.time(8, 0), dt.time(17, 0))
    people = ring(6, window=tue_thu) + ring(4, prefix="F", radius_km=5)
    problem = delivery_problem(company(people, vans=2), MONDAY, 5)
    plan = plan_deliveries(problem, options=FAST)
    check_plan(plan, problem)
    for run in plan.runs:
        for s in run.stops:
            if s.employee_id.startswith("E"):
                assert run.day.weekday() in (1, 3)
    assert not plan.left_over


def test_same_seed_same_plan():
    problem = delivery_problem(company(ring(12), vans=2, capacity=16), MONDAY, 2)

    def fingerprint(plan):
        return [
            (r.day, r.van, [(s.employee_id, s.service_start) for s in r.stops]) for r in plan.runs
        ]

    first = plan_deliveries(problem, options=FAST)
    second = plan_deliveries(problem, options=FAST)
    assert first.deterministic and second.deterministic
    assert fingerprint(first) == fingerprint(second)
    assert first.km == second.km


def test_left_over_when_only_available_outside_the_horizon():
    wednesday_only = TimeWindow((2,), dt.time(8, 0), dt.time(17, 0))
    people = ring(3) + [employee("W001", 52.52, 13.42, window=wednesday_only)]
    problem = delivery_problem(company(people), MONDAY, 2)  # Monday and Tuesday
    plan = plan_deliveries(problem, options=FAST)
    check_plan(plan, problem)
    (left,) = plan.left_over
    assert left.employee_id == "W001" and left.reason == REASON_HORIZON
    assert "Wed" in left.detail


def test_left_over_for_capacity_without_reloading():
    people = ring(6, radius_km=3)
    problem = delivery_problem(company(people, capacity=8, multi_trip=False), MONDAY, 1)
    plan = plan_deliveries(problem, options=FAST)
    check_plan(plan, problem)
    assert plan.stop_count == 2  # 8 boxes, 4 each, one trip
    assert len(plan.left_over) == 4
    assert {x.reason for x in plan.left_over} == {REASON_CAPACITY}


def test_left_over_when_the_day_is_too_short():
    # Two hours of working day and 27 minutes per delivery: not everyone fits.
    people = ring(8, radius_km=4)
    short_day = (dt.time(9, 0), dt.time(11, 0))
    problem = delivery_problem(company(people, day=short_day), MONDAY, 1)
    plan = plan_deliveries(problem, options=FAST)
    check_plan(plan, problem)
    assert 0 < plan.stop_count < 8
    assert plan.left_over
    assert {x.reason for x in plan.left_over} == {REASON_HORIZON}
    # More days: everyone fits.
    longer = delivery_problem(company(people, day=short_day), MONDAY, 4)
    plan = plan_deliveries(longer, options=FAST)
    check_plan(plan, longer)
    assert not plan.left_over


def test_the_drivers_break_shortens_the_working_day():
    people = ring(8, radius_km=4)
    day = (dt.time(9, 0), dt.time(12, 0))
    without = plan_deliveries(delivery_problem(company(people, day=day), MONDAY, 1), options=FAST)
    problem = delivery_problem(company(people, day=day, break_minutes=60), MONDAY, 1)
    assert {v.break_minutes for v in problem.van_days} == {60}
    with_break = plan_deliveries(problem, options=FAST)
    check_plan(with_break, problem)
    assert all(r.working_minutes <= 120 + 1e-6 for r in with_break.runs)
    assert with_break.stop_count < without.stop_count


def test_left_over_for_an_unreachable_window():
    # Lives 60 km away and is home only until 08:40: the van starts at 08:00.
    far = employee("X001", 52.05, 13.80, window=TimeWindow(ALL_WEEK, dt.time(7, 0), dt.time(8, 40)))
    problem = delivery_problem(company(ring(3) + [far]), MONDAY, 2)
    plan = plan_deliveries(problem, options=FAST)
    check_plan(plan, problem)
    (left,) = plan.left_over
    assert left.employee_id == "X001" and left.reason == REASON_TIME_WINDOWS


def test_earlier_home_office_start_is_served_first():
    early = MONDAY
    late = MONDAY + dt.timedelta(days=14)
    people = ring(6, radius_km=3, start=late)
    people[3] = employee(
        "E004", people[3].location.latitude, people[3].location.longitude, start=early
    )
    problem = delivery_problem(company(people, capacity=8, multi_trip=False), MONDAY, 1)
    plan = plan_deliveries(problem, options=FAST)
    assert "E004" in {s.employee_id for r in plan.runs for s in r.stops}


def test_bad_input_names_the_employees():
    people = ring(4)
    people[0] = employee("E001", math.nan, 13.4)
    people[1] = employee("E002", 52.5, 13.4, window=TimeWindow(ALL_WEEK, dt.time(15), dt.time(9)))
    people[2] = employee("E003", 52.5, 13.4, window=TimeWindow(ALL_WEEK, dt.time(18), dt.time(20)))
    big = {"E001": 2, "E002": 2, "E003": 2, "E004": 60}
    problem = delivery_problem(company(people, boxes=big, capacity=40), MONDAY, 1)
    with pytest.raises(DeliveryInputError) as caught:
        plan_deliveries(problem)
    err = caught.value
    assert isinstance(err, RemoteOpsError)
    assert err.employee_ids == ("E001", "E002", "E003", "E004")
    text = " ".join(str(p) for p in err.problems)
    assert "coordinates" in text and "empty" in text and "60 boxes" in text
    assert "working day" in text
    assert "E001" in str(err) and "Person E001" in str(err)


def test_weekend_only_window_is_refused():
    people = [employee("S001", 52.5, 13.4, window=TimeWindow((5, 6), dt.time(9), dt.time(12)))]
    with pytest.raises(DeliveryInputError, match="S001"):
        plan_deliveries(delivery_problem(company(people), MONDAY, 5))


def test_holidays_get_no_runs():
    tuesday = MONDAY + dt.timedelta(days=1)
    problem = delivery_problem(company(ring(10), holidays=(tuesday,)), MONDAY, 2)
    assert problem.days == (MONDAY, MONDAY + dt.timedelta(days=2))
    plan = plan_deliveries(problem, options=FAST)
    assert tuesday not in {r.day for r in plan.runs}


def test_nobody_to_plan_gives_an_empty_plan():
    problem = delivery_problem(company([]), MONDAY, 1)
    plan = plan_deliveries(problem, options=FAST)
    assert plan.runs == () and plan.left_over == ()


def test_vans_and_capacity_options():
    c = company(ring(4), vans=1, capacity=40)
    problem = delivery_problem(c, MONDAY, 1, vans=3, capacity=10)
    assert {v.van for v in problem.van_days} == {"Van 1", "Van 2", "Van 3"}
    assert {v.capacity for v in problem.van_days} == {10}
    with pytest.raises(UsageError):
        delivery_problem(c, MONDAY, 1, vans=0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_synthetic_companies_get_valid_plans(tmp_path, seed):
    from remoteops.inventory import load_company
    from remoteops.synthetic import DEFAULT_START, write_company

    write_company(tmp_path / "inventory", employees=25, seed=seed)
    c = load_company(tmp_path / "inventory")
    problem = delivery_problem(c, DEFAULT_START, 3, vans=1)
    assert problem.stops, "the synthetic company has employees waiting for equipment"
    plan = plan_deliveries(problem, options=FAST)
    check_plan(plan, problem)
    assert plan.stop_count > 0
    for left in plan.left_over:
        assert left.reason in (REASON_CAPACITY, REASON_TIME_WINDOWS, REASON_HORIZON)
        assert left.detail


def test_rows_for_output():
    problem = delivery_problem(company(ring(7), vans=2, capacity=12), MONDAY, 2)
    plan = plan_deliveries(problem, options=FAST)
    stops = plan.stop_rows()
    assert [(r["day"], r["van"], r["employee_id"]) for r in stops] == [
        (run.day.isoformat(), run.van, s.employee_id) for run in plan.runs for s in run.stops
    ]
    assert sum(r["stops"] for r in plan.run_rows()) == len(stops) == plan.stop_count
    totals = plan.totals()
    assert totals["van_days"] == len(plan.runs) and totals["km"] == round(plan.km, 1)
    assert "great-circle" in totals["travel_model"]


def test_solve_options_keep_the_iteration_budget():
    from remoteops.routes.planning import DEFAULT_SOLVE, solve_options

    options = solve_options(seconds=5, seed=9)
    assert (options.seconds, options.seed) == (5, 9)
    assert options.max_iterations == DEFAULT_SOLVE.max_iterations is not None
