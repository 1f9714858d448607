"""Each stage ready, blocked or unknown from real evidence in a real state store."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from readiness_helpers import (
    NOW,
    ago,
    deliver,
    fail,
    plan,
    record_apply,
    record_check,
    render_records,
    sign,
)

from remoteops.contracts.manifest import set_document_status
from remoteops.readiness import readiness


def stage_of(report, employee_id, stage_id):
    return next(e for e in report.employees if e.employee_id == employee_id).result(stage_id)


def run(firm, store, **kw):
    return readiness(firm, store, now=kw.pop("now", NOW), **kw)


def test_nothing_recorded_blocks_every_stage_with_its_owner_and_next_step(firm, store):
    report = run(firm, store)
    e1 = next(e for e in report.employees if e.employee_id == "E0001")
    assert e1.status == "blocked"
    assert [(r.stage, r.status, r.owner) for r in e1.stages] == [
        ("provisioned", "blocked", "IT"),
        ("remote_check", "blocked", "IT"),
        ("agreements", "blocked", "HR"),
        ("equipment", "blocked", "operations"),
    ]
    assert e1.result("provisioned").evidence == "ws-e0001 was never provisioned"
    assert e1.result("provisioned").action == "Provision it: remoteops provision E0001"
    assert e1.result("agreements").evidence == (
        "not generated: home-office, data-protection, equipment-loan"
    )
    assert e1.result("equipment").evidence == "on no delivery run"
    (first, *_rest) = e1.open_items
    assert (first.owner, first.due) == ("IT", dt.date(2026, 12, 3))
    assert report.counts.employees == 8 and report.counts.blocked == 8


def test_provisioned_follows_the_last_apply_and_the_drift_check(firm, store):
    record_apply(store, "ws-e0002", "E0002", "changed", ago(days=2))
    assert stage_of(run(firm, store), "E0002", "provisioned").status == "ready"

    record_apply(store, "ws-e0002", "E0002", "failed", ago(days=1), failed_task="Install VPN")
    result = stage_of(run(firm, store), "E0002", "provisioned")
    assert result.status == "blocked"
    assert "failed at task 'Install VPN'" in result.evidence
    assert result.action == "Fix it and run again: remoteops provision ws-e0002"
    assert result.at == ago(days=1)

    # a check-mode run changes nothing on the machine: it does not count as an apply
    record_apply(store, "ws-e0002", "E0002", "ok", ago(hours=20), mode="check")
    assert stage_of(run(firm, store), "E0002", "provisioned").status == "blocked"

    record_apply(store, "ws-e0002", "E0002", "ok", ago(hours=10))
    ready = stage_of(run(firm, store), "E0002", "provisioned")
    assert (ready.status, ready.at) == ("ready", ago(hours=10))

    record_check(store, "ws-e0002", "E0002", ago(hours=5), baseline="fail")
    drifted = stage_of(run(firm, store), "E0002", "provisioned")
    assert drifted.status == "blocked"
    assert drifted.evidence.startswith("company settings drifted since")
    assert drifted.action == "Restore them: remoteops support repair ws-e0002 reapply-baseline"

    # a diagnosis without the baseline check says nothing about drift: the drift stands
    record_check(store, "ws-e0002", "E0002", ago(hours=4), baseline=None)
    assert stage_of(run(firm, store), "E0002", "provisioned").status == "blocked"

    record_apply(store, "ws-e0002", "E0002", "changed", ago(hours=3))
    record_check(store, "ws-e0002", "E0002", ago(hours=1), baseline="pass")
    again = stage_of(run(firm, store), "E0002", "provisioned")
    assert (again.status, again.at) == ("ready", ago(hours=1))
    assert "no drift" in again.evidence


def test_remote_check_needs_reach_and_no_failing_high_policy(firm, store):
    record_check(store, "ws-e0003", "E0003", ago(hours=6), reachable=False)
    unreachable = stage_of(run(firm, store), "E0003", "remote_check")
    assert unreachable.status == "blocked"
    assert unreachable.evidence.startswith("ws-e0003 not reachable: Unreachable")

    record_check(store, "ws-e0003", "E0003", ago(hours=5), failing=("vpn", "disk"))
    vpn = stage_of(run(firm, store), "E0003", "remote_check")
    assert (vpn.status, vpn.evidence) == ("blocked", "failing on ws-e0003: VPN")
    assert vpn.action == "remoteops support repair ws-e0003 restart-vpn"

    record_check(store, "ws-e0003", "E0003", ago(hours=4), failing=("headset",))
    headset = stage_of(run(firm, store), "E0003", "remote_check")
    assert headset.action == "Call the employee about: Headset"

    # medium severity (disk space) does not block
    record_check(store, "ws-e0003", "E0003", ago(hours=3), failing=("disk",))
    passed = stage_of(run(firm, store), "E0003", "remote_check")
    assert passed.status == "ready"
    assert passed.evidence == "passed on ws-e0003; 1 less serious check(s) failing"
    assert passed.at == ago(hours=3)


def test_stale_evidence_is_unknown_never_ready(firm, store):
    record_apply(store, "ws-e0004", "E0004", "ok", ago(days=15))
    record_check(store, "ws-e0004", "E0004", ago(days=8), baseline=None)
    report = run(firm, store)
    prov, check = (stage_of(report, "E0004", s) for s in ("provisioned", "remote_check"))
    assert prov.status == "unknown" and check.status == "unknown"
    assert prov.evidence.startswith("last known 15 days ago (ready: applied on ws-e0004")
    assert prov.evidence.endswith("older than 14 days")
    assert check.action == "Check it again: remoteops support diagnose E0004"
    # a failure that old is not known to be a failure any more either
    record_check(store, "ws-e0005", "E0005", ago(days=9), reachable=False)
    assert stage_of(run(firm, store), "E0005", "remote_check").status == "unknown"
    # the limits come from the company's settings
    longer = dataclasses.replace(firm.readiness, provisioned=30, remote_check=10)
    report = run(firm, store, max_age=longer)
    assert stage_of(report, "E0004", "provisioned").status == "ready"
    assert stage_of(report, "E0005", "remote_check").status == "blocked"


def test_agreements_count_only_when_all_are_signed_in_the_current_version(firm, store):
    render_records(store, "E0006", ago(days=3))
    blocked = stage_of(run(firm, store), "E0006", "agreements")
    assert blocked.evidence == (
        "not signed yet: home-office, data-protection, equipment-loan (generated)"
    )
    assert blocked.action == (
        "Get the signature, then record it: remoteops contracts mark E0006 home-office signed"
    )

    sign(store, "E0006", ago(days=2), ["home-office", "data-protection"])
    two = stage_of(run(firm, store), "E0006", "agreements")
    assert (two.status, two.evidence) == ("blocked", "not signed yet: equipment-loan (generated)")
    with store.transaction() as conn:
        set_document_status(conn, "E0006", "equipment-loan", "sent", at=ago(days=2))
    sent = stage_of(run(firm, store), "E0006", "agreements")
    assert sent.evidence == "not signed yet: equipment-loan (sent)"

    sign(store, "E0006", ago(days=1), ["equipment-loan"], status="returned")
    ready = stage_of(run(firm, store), "E0006", "agreements")
    assert (ready.status, ready.at) == ("ready", ago(days=1))

    # an employee who signed a packet made from earlier templates: it does not count
    render_records(store, "E0007", ago(days=3), version="0ld0ld0ld0ld")
    sign(store, "E0007", ago(days=2))
    outdated = stage_of(run(firm, store), "E0007", "agreements")
    assert outdated.status == "blocked"
    assert outdated.evidence == (
        "signed in an earlier version: home-office, data-protection, equipment-loan"
    )
    assert outdated.action.endswith("remoteops contracts render E0007")
    # the current version rendered: the signed old one is superseded, the new one unsigned
    render_records(store, "E0007", ago(days=1))
    redone = stage_of(run(firm, store), "E0007", "agreements")
    assert redone.evidence.startswith("not signed yet: home-office, data-protection")
    sign(store, "E0007", ago(hours=2))
    assert stage_of(run(firm, store), "E0007", "agreements").status == "ready"


@pytest.fixture
def planned(firm, store):
    return plan(store, firm, dt.date(2026, 12, 1), 8, ago(days=4))


def test_equipment_follows_the_delivery(firm, store, planned):
    report = run(firm, store)
    planned_stage = stage_of(report, "E0008", "equipment")
    (run8,) = [r for r in planned.runs if any(s.employee_id == "E0008" for s in r.stops)]
    assert planned_stage.status == "blocked"
    assert planned_stage.evidence.startswith(f"planned: {run8.van} {run8.day:%Y-%m-%d}")
    assert planned_stage.action == (
        f"Load the van on {run8.day:%Y-%m-%d}: remoteops routes load {run8.day:%Y-%m-%d} "
        f'--van "{run8.van}"'
    )

    deliver(store, planned, "E0008", ago(hours=5), who="Anna Nachbarin")
    done = stage_of(run(firm, store), "E0008", "equipment")
    assert done.status == "ready"
    assert done.evidence.endswith("received by Anna Nachbarin")
    assert done.at == ago(hours=5)
    # on the same loaded run, another stop: on the van
    others = [s.employee_id for s in run8.stops if s.employee_id != "E0008"]
    assert others, "the van carries more than one employee's equipment"
    on_van = stage_of(run(firm, store), others[0], "equipment")
    assert on_van.evidence.startswith(f"on the van {run8.van}")
    assert on_van.action == (
        f"Deliver it, then: remoteops routes deliver {others[0]} --received-by NAME"
    )
    fail(store, planned, others[0], ago(hours=4))
    failed = stage_of(run(firm, store), others[0], "equipment")
    assert failed.evidence.startswith(f"delivery failed {run8.day:%Y-%m-%d} (not-home)")
    assert failed.action.startswith("Plan it again: remoteops routes replan")


def test_an_employee_without_equipment_needs_no_delivery(firm, store):
    without = dataclasses.replace(
        firm, assets=tuple(a for a in firm.assets if a.employee_id != "E0002")
    )
    result = stage_of(run(without, store), "E0002", "equipment")
    assert (result.status, result.evidence, result.at) == (
        "ready",
        "no equipment to deliver",
        None,
    )


def test_employee_status_blocked_beats_unknown_beats_ready(firm, store, planned):
    eid, host = "E0003", "ws-e0003"
    record_apply(store, host, eid, "ok", ago(days=2))
    record_check(store, host, eid, ago(days=1))
    render_records(store, eid, ago(days=2))
    sign(store, eid, ago(days=1))
    deliver(store, planned, eid, ago(hours=30))
    report = run(firm, store)
    (e3,) = [e for e in report.employees if e.employee_id == eid]
    assert e3.status == "ready" and e3.open_items == () and not e3.overdue
    later = run(firm, store, now=NOW + dt.timedelta(days=7))  # the diagnosis is 8 days old
    (e3,) = [e for e in later.employees if e.employee_id == eid]
    assert e3.status == "unknown"
    assert [b.stage for b in e3.open_items] == ["remote_check"]
