"""Diagnoses in the state store: kept whole, append-only, never blank; first-seen updates,
newly failing policies between fleet runs, and a workstation's history."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy
from sqlalchemy.exc import IntegrityError
from support_helpers import NOW

from remoteops.state import MIGRATIONS, StateStore
from remoteops.support.fleet import summarise
from remoteops.support.history import history, latest_of_employee
from remoteops.support.results import Diagnosis, PolicyResult, failed, passed, unknown
from remoteops.support.store import (
    get_fleet_run,
    latest_reached,
    pending_since,
    previous_fleet_diagnoses,
    previous_fleet_run,
    record_diagnosis,
    record_fleet_run,
)
from remoteops.synthetic import write_company


@pytest.fixture
def store(state_target):
    """On both databases: an SQLite file and a PostgreSQL database."""
    with StateStore(state_target) as store:
        yield store


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    from remoteops.inventory import load_company

    root = tmp_path_factory.mktemp("company") / "inventory"
    write_company(root, employees=8, seed=7)
    return load_company(root)


def diagnosis(host="ws-e0001", at=NOW, reachable=True, fleet_run=None, **verdicts) -> Diagnosis:
    results = {"reachable": passed("reached")} if reachable else {"reachable": failed("down")}
    results |= {k.replace("_", "-"): v for k, v in verdicts.items()}
    return Diagnosis(
        host=host,
        employee_id="E" + host[-4:].upper().lstrip("E").rjust(4, "0"),
        at=at,
        actor="tester@desk",
        reachable=reachable,
        results=tuple(PolicyResult.of(p, v, at) for p, v in results.items()),
        error=None if reachable else "Unreachable: nothing answers on its SSH port.",
        fleet_run=fleet_run,
    )


def save(store, *diagnoses) -> list[int]:
    with store.transaction() as conn:
        return [record_diagnosis(conn, d) for d in diagnoses]


def test_the_support_tables_come_with_migration_6(store):
    (support,) = [m for m in MIGRATIONS if m.version == 6]
    assert support.description == "support desk" and "CREATE TABLE support_results" in support.sql
    assert store.schema_version == MIGRATIONS[-1].version
    with store.reading() as conn:
        tables = set(sqlalchemy.inspect(conn.sa).get_table_names())
    assert {"support_fleet_runs", "support_diagnoses", "support_results"} <= tables


def test_a_diagnosis_is_stored_whole_and_read_back(store):
    d = diagnosis(disk=failed("/ is 96 % full", use={"/": 96}), clock=unknown("no bus"))
    (number,) = save(store, d)
    with store.reading() as conn:
        back = latest_reached(conn, "ws-e0001")
    assert back.id == number
    assert back.employee_id == "E0001" and back.actor == "tester@desk"
    assert [(r.policy, r.status, r.detail, r.error, r.repair) for r in back.results] == [
        ("reachable", "pass", "reached", None, None),
        ("disk", "fail", "/ is 96 % full", None, "free-disk"),
        ("clock", "error", "could not be checked", "no bus", None),
    ]
    assert back.result("disk").facts == {"use": {"/": 96}}


def test_diagnoses_are_append_only_and_never_blank(store):
    (number,) = save(store, diagnosis(disk=passed("fine")))
    with (
        pytest.raises(IntegrityError, match="history and cannot change"),
        store.transaction() as conn,
    ):
        conn.execute(
            "UPDATE support_results SET status = 'pass' WHERE diagnosis_id = :id", {"id": number}
        )
    with (
        pytest.raises(IntegrityError, match="history and cannot change"),
        store.transaction() as conn,
    ):
        conn.execute("DELETE FROM support_diagnoses WHERE id = :id", {"id": number})
    with (
        pytest.raises(IntegrityError, match="CHECK constraint failed|violates check constraint"),
        store.transaction() as conn,
    ):
        conn.execute(
            "INSERT INTO support_results (diagnosis_id, host, policy, status, detail, at) "
            "VALUES (:id, 'ws-e0001', 'vpn', 'error', 'could not be checked', 'x')",
            {"id": number},
        )  # an error without its text
    with (
        pytest.raises(IntegrityError, match="CHECK constraint failed|violates check constraint"),
        store.transaction() as conn,
    ):
        conn.execute(
            "INSERT INTO support_results (diagnosis_id, host, policy, status, detail, at) "
            "VALUES (:id, 'ws-e0001', 'vpn', 'pass', '', 'x')",
            {"id": number},
        )  # a blank detail


def test_security_updates_are_dated_from_their_first_unbroken_sighting(store):
    day = dt.timedelta(days=1)
    openssl, tzdata = "openssl 3.0.17", "tzdata 2025b"
    save(
        store,
        diagnosis(at=NOW - 9 * day, security_updates=passed("x", pending=[openssl, tzdata])),
        diagnosis(at=NOW - 6 * day, security_updates=passed("x", pending=[openssl])),
        diagnosis(at=NOW - 5 * day, security_updates=unknown("apt is busy")),
        diagnosis(at=NOW - 4 * day, security_updates=passed("x", pending=[openssl, tzdata])),
        diagnosis(
            host="ws-e0002", at=NOW - 20 * day, security_updates=passed("x", pending=[openssl])
        ),
    )
    with store.reading() as conn:
        since = pending_since(conn, "ws-e0001", [openssl, tzdata, "curl 8"], NOW)
    assert since == {openssl: NOW - 9 * day, tzdata: NOW - 4 * day, "curl 8": NOW}


def test_newly_failing_compares_with_each_workstations_previous_fleet_run(store, company):
    hour = dt.timedelta(hours=1)
    with store.transaction() as conn:
        first = record_fleet_run(
            conn,
            started_at=NOW - 2 * hour,
            finished_at=NOW - 2 * hour,
            actor="a",
            scope="all workstations",
            hosts=3,
            reached=2,
        )
    save(
        store,
        diagnosis(
            "ws-e0001", NOW - 2 * hour, fleet_run=first, disk=passed("ok"), vpn=failed("down")
        ),
        diagnosis("ws-e0002", NOW - 2 * hour, fleet_run=first, disk=unknown("df broke")),
        diagnosis("ws-e0003", NOW - 2 * hour, reachable=False, fleet_run=first),
    )
    with store.transaction() as conn:
        second = record_fleet_run(
            conn,
            started_at=NOW,
            finished_at=NOW,
            actor="a",
            scope="all workstations",
            hosts=4,
            reached=4,
        )
    now = [
        diagnosis("ws-e0001", fleet_run=second, disk=failed("/ is 95 % full"), vpn=failed("down")),
        diagnosis("ws-e0002", fleet_run=second, disk=failed("/home is 99 % full")),
        diagnosis("ws-e0003", fleet_run=second, disk=failed("/ is 91 % full")),
        diagnosis("ws-e0004", fleet_run=second, disk=failed("/ is 92 % full")),
    ]
    save(store, *now)
    with store.reading() as conn:
        previous = previous_fleet_run(conn, before=second)
        earlier = previous_fleet_diagnoses(conn, [d.host for d in now], second)
        run = get_fleet_run(conn, second)
    report = summarise(company, run, now, earlier, previous)
    assert previous.id == first
    newly = [(n.affected.host, n.policy.id, n.before) for n in report.newly_failing]
    # e0001's disk passed before; e0002's could not be checked; e0003 was unreachable (its
    # disk unknown) and e0004 was not in the first run: only the first two are "newly".
    assert newly == [("ws-e0001", "disk", "pass"), ("ws-e0002", "disk", "error")]
    assert report.first_time == ("ws-e0004",)
    (vpn, disk) = report.failing  # the most severe first, then the most frequent
    assert disk.headline() == "4 of 4 (100 %): file systems fuller than 90 %"
    assert (
        vpn.headline()
        == "1 of 4 (25 %): VPN not connected, not set up or silent for more than 300 seconds"
    )
    assert [a.employee_id for a in disk.affected] == ["E0001", "E0002", "E0003", "E0004"]
    assert disk.affected[0].name == company.employee("E0001").full_name


def test_history_lists_each_policy_over_time_and_since_when_it_fails(store, company):
    hour, minute = dt.timedelta(hours=1), dt.timedelta(minutes=1)
    save(
        store,
        diagnosis(at=NOW - 3 * hour, disk=passed("ok"), clock=passed("ok")),
        diagnosis(at=NOW - 2 * hour, disk=failed("/ is 93 % full"), clock=passed("ok")),
        diagnosis(at=NOW - 90 * minute, clock=passed("ok")),  # disk not judged then
        diagnosis(at=NOW - hour, reachable=False),
        diagnosis(at=NOW, disk=failed("/ is 95 % full"), clock=unknown("no bus")),
    )
    found = history(company, store, "E0001", limit=10)
    assert found.host == "ws-e0001" and found.employee.employee_id == "E0001"
    rows = {p.policy: p for p in found.policies()}
    assert rows["disk"].statuses == ("fail", None, None, "fail", "pass")
    assert rows["disk"].failing_since == NOW - 2 * hour
    assert rows["disk"].latest_detail == "/ is 95 % full"
    assert rows["reachable"].statuses == ("pass", "fail", "pass", "pass", "pass")
    assert rows["clock"].failing_since is None and rows["clock"].latest_detail == "no bus"
    assert latest_of_employee(store, "E0001").at == NOW
    with store.reading() as conn:
        assert latest_reached(conn, "ws-e0001").at == NOW


def test_history_of_something_never_diagnosed_says_so(store, company):
    from remoteops.errors import NotFoundError

    with pytest.raises(NotFoundError, match="No diagnosis of a workstation or employee 'E0009'"):
        history(company, store, "E0009")
