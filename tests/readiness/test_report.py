"""The whole report: as-of, totals per stage, team and owner, overdue, the funnel, the
delivery outlook, and the daily snapshots behind the burn-down."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from readiness_helpers import (
    NOW,
    ago,
    deliver,
    plan,
    record_apply,
    record_check,
    render_records,
    sign,
)

from remoteops.errors import UsageError
from remoteops.inventory import check_company
from remoteops.readiness import readiness
from remoteops.readiness.snapshots import snapshots
from remoteops.state import StateStore


def everything_for(store, planned, eid, at):
    """Every stage of ``eid`` done at ``at`` (each step a little later)."""
    host = f"ws-{eid.lower()}"
    record_apply(store, host, eid, "changed", at)
    render_records(store, eid, at)
    sign(store, eid, at + dt.timedelta(hours=1))
    deliver(store, planned, eid, at + dt.timedelta(hours=2))
    record_check(store, host, eid, at + dt.timedelta(hours=3))


@pytest.fixture
def planned(firm, store):
    return plan(store, firm, dt.date(2026, 12, 1), 8, ago(days=5))


def test_as_of_counts_only_what_was_recorded_by_then(firm, store, planned):
    everything_for(store, planned, "E0002", ago(days=1))  # 2 December
    today = readiness(firm, store, now=NOW)
    before = readiness(firm, store, as_of=dt.date(2026, 12, 1), now=NOW)
    (e2_today,) = [e for e in today.employees if e.employee_id == "E0002"]
    (e2_before,) = [e for e in before.employees if e.employee_id == "E0002"]
    assert e2_today.status == "ready"
    assert e2_before.status == "blocked"
    assert {r.stage: r.status for r in e2_before.stages} == {
        "provisioned": "blocked",
        "remote_check": "blocked",
        "agreements": "blocked",
        "equipment": "blocked",
    }
    assert e2_before.result("agreements").evidence.startswith("not generated")
    assert e2_before.result("equipment").evidence.startswith("planned: ")
    # a day in the future: the IT evidence has grown old and the start date has passed
    later = readiness(firm, store, as_of=dt.date(2026, 12, 14), now=NOW)
    (e2_later,) = [e for e in later.employees if e.employee_id == "E0002"]
    assert e2_later.status == "unknown"
    assert e2_later.days_overdue == 6  # started 8 December
    assert before.moment == dt.datetime(2026, 12, 1, 23, 59, 59, 999999, tzinfo=dt.UTC)


def test_totals_per_stage_team_and_owner_and_the_funnel(firm, store, planned):
    everything_for(store, planned, "E0002", ago(days=1))
    record_apply(store, "ws-e0004", "E0004", "ok", ago(days=1))
    render_records(store, "E0006", ago(days=1))
    sign(store, "E0006", ago(hours=20))
    report = readiness(firm, store, now=NOW)
    assert report.stage_totals() == {
        "provisioned": {"ready": 2, "unknown": 0, "blocked": 6},
        "remote_check": {"ready": 1, "unknown": 0, "blocked": 7},
        "agreements": {"ready": 2, "unknown": 0, "blocked": 6},
        "equipment": {"ready": 1, "unknown": 0, "blocked": 7},
    }
    assert report.counts.as_dict() == {
        "employees": 8,
        "ready": 1,
        "blocked": 7,
        "unknown": 0,
        "overdue": 2,  # E0001 and E0005 start today, 3 December
    }
    assert [e.employee_id for e in report.overdue] == ["E0001", "E0005"]
    assert report.blocked_by_owner() == {"IT": 7, "HR": 6, "operations": 7}
    assert report.funnel() == [
        ("provisioned", 2),
        ("equipment", 1),
        ("remote_check", 1),
        ("agreements", 1),
    ]
    teams = {t: c.as_dict() for t, c in report.team_totals().items()}
    assert teams == {
        "Backoffice": {"employees": 1, "ready": 0, "blocked": 1, "unknown": 0, "overdue": 0},
        "Inbound Gas": {"employees": 4, "ready": 1, "blocked": 3, "unknown": 0, "overdue": 1},
        "Inbound Strom": {"employees": 3, "ready": 0, "blocked": 3, "unknown": 0, "overdue": 1},
    }
    hr = report.blockers("HR")
    assert {b.employee_id for b in hr} == {"E0001", "E0003", "E0004", "E0005", "E0007", "E0008"}
    assert [b.due for b in hr] == sorted(b.due for b in hr)


def test_team_filter_and_an_unknown_team(firm, store):
    report = readiness(firm, store, team="inbound s", now=NOW)
    assert [e.employee_id for e in report.employees] == ["E0003", "E0005", "E0007"]
    with pytest.raises(UsageError, match="No employee scheduled for home office") as refused:
        readiness(firm, store, team="Vertrieb", now=NOW)
    assert "Backoffice, Inbound Gas, Inbound Strom" in refused.value.hint


def test_the_delivery_plan_says_when_everyone_has_their_equipment(firm, store, planned, tmp_path):
    report = readiness(firm, store, now=NOW)
    last = max(r.day for r in planned.runs)
    assert report.outlook.ready_by == last
    assert report.outlook.waiting == 8 and report.outlook.unplanned == ()
    late = {
        s.employee_id
        for r in planned.runs
        for s in r.stops
        if r.day >= firm.employee(s.employee_id).home_office_start
    }
    assert set(report.outlook.late) == late
    empty = readiness(firm, StateStore(tmp_path / "other.db"), now=NOW)
    assert empty.outlook.ready_by is None and len(empty.outlook.unplanned) == 8


def test_one_snapshot_per_day_the_latest_run_wins(firm, store, planned):
    readiness(firm, store, now=NOW - dt.timedelta(days=2))
    readiness(firm, store, now=NOW - dt.timedelta(days=1, hours=6))
    everything_for(store, planned, "E0002", NOW - dt.timedelta(days=1, hours=5))
    readiness(firm, store, now=NOW - dt.timedelta(days=1))  # same day: replaces the morning
    report = readiness(firm, store, now=NOW)
    with store.reading() as conn:
        stored = snapshots(conn)
    assert [s.day for s in stored] == [dt.date(2026, 12, 1), dt.date(2026, 12, 2), NOW.date()]
    assert [s.counts.ready for s in stored] == [0, 1, 1]
    assert stored[1].taken_at == NOW - dt.timedelta(days=1)
    assert stored[0].blocked_by_owner == {"IT": 8, "HR": 8, "operations": 8}
    assert stored[2].blocked_by_owner == {"IT": 7, "HR": 7, "operations": 7}
    assert report.trend == stored and report.snapshot == stored[-1]
    # a run that evaluates another day stores nothing, and shows the trend up to that day
    past = readiness(firm, store, as_of=dt.date(2026, 12, 1), now=NOW)
    assert past.snapshot is None and [s.day for s in past.trend] == [dt.date(2026, 12, 1)]
    with store.reading() as conn:
        assert len(snapshots(conn)) == 3
    # the trend of one team comes from the same snapshots
    gas = readiness(firm, store, team="Inbound Gas", now=NOW)
    assert [(s.counts.employees, s.counts.ready) for s in gas.trend] == [(4, 0), (4, 1), (4, 1)]
    assert gas.snapshot.counts.employees == 8  # the stored one is the whole company's


def test_an_older_run_finishing_late_does_not_replace_a_newer_snapshot(firm, store):
    readiness(firm, store, now=NOW)
    readiness(firm, store, now=NOW - dt.timedelta(hours=1), record=True)
    with store.reading() as conn:
        (only,) = snapshots(conn)
    assert only.taken_at == NOW


def _set_readiness(root, value):
    data = yaml.safe_load((root / "company.yml").read_text(encoding="utf-8"))
    data["readiness"] = value
    (root / "company.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_the_age_limits_are_company_settings(company_dir):
    assert check_company(company_dir).company.readiness.max_age("provisioned") == dt.timedelta(
        days=14
    )
    _set_readiness(company_dir, {"max_age_days": {"remote_check": 3, "agreements": "never"}})
    settings = check_company(company_dir).company.readiness
    assert (settings.remote_check, settings.agreements, settings.provisioned) == (3, None, 14)
    _set_readiness(company_dir, {"max_age_days": {"remote_check": 0, "deliveries": 5}})
    problems = {(p.field, p.message) for p in check_company(company_dir).problems}
    assert (
        "readiness.max_age_days.remote_check",
        "must be a whole number of days from 1 to 365, or never.",
    ) in problems
    assert (
        "readiness.max_age_days.deliveries",
        "is not a stage; use provisioned, remote_check, agreements, equipment.",
    ) in problems
