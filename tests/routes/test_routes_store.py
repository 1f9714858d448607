"""Plans in the state database and the tracking of deliveries (load, deliver, fail, replan)."""

from __future__ import annotations

import pytest
from routes_helpers import FAST, MONDAY, company, ring
from sqlalchemy.exc import IntegrityError

from remoteops.errors import ConflictError, NotFoundError, UsageError
from remoteops.routes import store as rs
from remoteops.routes.planning import delivery_problem, plan_deliveries
from remoteops.state import StateStore


@pytest.fixture
def state(state_target):
    with StateStore(state_target) as st:
        yield st


@pytest.fixture
def firm():
    return company(ring(10), vans=2, capacity=12)


@pytest.fixture
def planned(state, firm):
    plan = plan_deliveries(delivery_problem(firm, MONDAY, 3), options=FAST)
    with state.transaction() as conn:
        plan_id = rs.save_plan(conn, plan, audit=state.audit, actor="ops@test")
    return plan_id, plan


def test_plan_round_trip(state, planned):
    plan_id, plan = planned
    with state.transaction() as conn:
        again = rs.load_plan(conn, plan_id)
        assert rs.latest_plan_id(conn) == plan_id
    assert again.runs == plan.runs
    assert again.left_over == plan.left_over
    assert again.travel == plan.travel and again.seed == plan.seed
    assert again.days == plan.days and again.vans == plan.vans
    (entry,) = state.read_log(action_prefix="routes.plan")
    assert entry.actor == "ops@test" and entry.details["stops"] == plan.stop_count


def test_no_plan_yet(state):
    with state.transaction() as conn, pytest.raises(NotFoundError, match="routes plan"):
        rs.load_plan(conn)


def test_load_deliver_fail_and_status(state, planned):
    _, plan = planned
    first = plan.runs[0]
    # 10 employees, 4 boxes each, 12 per trip: the first run has at least 3 stops
    assert len(first.stops) >= 3
    someone, other = first.stops[0].employee_id, first.stops[1].employee_id
    with state.transaction() as conn:
        with pytest.raises(ConflictError, match="has not been loaded"):
            rs.deliver(conn, someone, "Neighbour")
        run = rs.load_run(conn, first.day, first.van, audit=state.audit)
        assert run.status == "loaded" and run.loaded_by
        with pytest.raises(ConflictError, match="already loaded"):
            rs.load_run(conn, first.day, first.van)
        with pytest.raises(NotFoundError, match="No delivery run"):
            rs.load_run(conn, first.day, "Van 99")
        rs.deliver(conn, someone, "Maria Muster", note="at the door", audit=state.audit)
        with pytest.raises(ConflictError, match="already received"):
            rs.deliver(conn, someone, "Maria Muster")
        with pytest.raises(UsageError, match="Unknown reason"):
            rs.fail(conn, other, "lost")
        rs.fail(conn, other, "not-home", audit=state.audit)
        with pytest.raises(UsageError, match="received"):
            rs.deliver(conn, first.stops[-1].employee_id, "  ")
        status = rs.delivery_status(conn, [s.employee_id for r in plan.runs for s in r.stops])
        shown = rs.employee_delivery(conn, someone)
    assert status.delivered == (someone,)
    assert status.loaded_runs == 1
    assert status.km_so_far > 0
    assert status.failed == (other,)
    assert other in status.unplanned
    assert someone not in status.outstanding
    assert shown.state == "delivered" and "Maria Muster" in shown.describe()
    actions = [e.action for e in state.read_log(employee_id=someone)]
    assert actions == ["routes.delivered"]


def test_loaded_runs_are_locked_in_the_database(state, planned):
    _, plan = planned
    first = plan.runs[0]
    with state.transaction() as conn:
        rs.load_run(conn, first.day, first.van)
        rs.deliver(conn, first.stops[0].employee_id, "Someone")
    with pytest.raises(IntegrityError, match="loaded"), state.transaction() as conn:
        conn.execute("UPDATE delivery_stops SET sequence = sequence + 100")
    with pytest.raises(IntegrityError, match="append-only"), state.transaction() as conn:
        conn.execute("DELETE FROM delivery_events")
    with (
        pytest.raises(IntegrityError, match="cannot change its status"),
        state.transaction() as conn,
    ):
        conn.execute("UPDATE delivery_runs SET status = 'planned' WHERE status = 'loaded'")


def test_replan_keeps_loaded_runs_and_reschedules_failed_stops(state, firm, planned):
    _, plan = planned
    first = plan.runs[0]
    failed = first.stops[-1].employee_id
    with state.transaction() as conn:
        loaded = rs.load_run(conn, first.day, first.van)
        for s in first.stops[:-1]:
            rs.deliver(conn, s.employee_id, "At home")
        rs.fail(conn, failed, "not-home")
        before = {r.id for r in rs.current_runs(conn)}
    everyone = [e.employee_id for e in firm.employees]
    with state.transaction() as conn:
        new_id, new = rs.replan(
            conn, firm, MONDAY, 3, options=FAST, needing=everyone, audit=state.audit
        )
        runs = rs.current_runs(conn)
        kept = next(r for r in runs if r.id == loaded.id)
        status = rs.delivery_status(conn, everyone)
        shown = rs.employee_delivery(conn, failed)
    # The loaded run is untouched: same rows, same order, still loaded.
    assert kept.status == "loaded" and kept.run == loaded.run and kept.stop_ids == loaded.stop_ids
    # Its van on its day is not used again; the failed employee is planned anew.
    assert all((r.day, r.van) != (first.day, first.van) for r in new.runs)
    # three days and two vans for ten employees: the failed one gets a new stop
    assert new.left_over == ()
    assert failed in {s.employee_id for r in new.runs for s in r.stops}
    assert shown.state == "planned"
    # Nobody delivered is planned again; the old planned runs are replaced.
    delivered = {s.employee_id for s in first.stops[:-1]}
    assert not delivered & {s.employee_id for r in new.runs for s in r.stops}
    assert set(status.delivered) == delivered
    assert {r.id for r in runs} - before  # new runs exist
    assert all(r.plan_id == new_id for r in runs if r.id != loaded.id)
    assert state.read_log(action_prefix="routes.replan")


def test_a_fresh_plan_cannot_double_book_a_loaded_van(state, firm, planned):
    _, plan = planned
    first = plan.runs[0]
    with state.transaction() as conn:
        rs.load_run(conn, first.day, first.van)
    again = plan_deliveries(delivery_problem(firm, MONDAY, 3), options=FAST)
    loaded = f"Van {first.van} on {first.day:%Y-%m-%d} is already loaded"
    with pytest.raises(ConflictError, match=loaded), state.transaction() as conn:
        rs.save_plan(conn, again)
    with state.transaction() as conn:
        # Nothing half-stored: still one plan, the loaded run intact.
        assert conn.execute("SELECT count(*) FROM delivery_plans").fetchone()[0] == 1
        with pytest.raises(ConflictError, match="already loaded.*would ignore them"):
            rs.ensure_can_plan(conn)


def test_stop_not_planned(state, planned):
    with state.transaction() as conn, pytest.raises(NotFoundError, match="not on any"):
        rs.fail(conn, "NOBODY", "other")
