"""Delivery tracking and agreements on a shared state store: eight terminals recording
deliveries and signatures at once (SQLite and PostgreSQL), moving an SQLite store into
PostgreSQL with ``remoteops state copy``, ``remoteops state migrate``, and a PostgreSQL
server that goes away in the middle of a command."""

from __future__ import annotations

import datetime as dt
import multiprocessing

import pytest
from routes_helpers import FAST, MONDAY, company, ring

from remoteops.contracts import document_status, record_rendered
from remoteops.contracts.manifest import set_document_status
from remoteops.errors import ConflictError
from remoteops.routes import store as rs
from remoteops.routes.planning import delivery_problem, plan_deliveries
from remoteops.state import StateServerError, StateStore
from remoteops.state.throwaway import Unavailable, throwaway_cluster
from remoteops.synthetic import rendered_agreement

T0 = dt.datetime(2027, 2, 1, 9, 0, tzinfo=dt.UTC)


def fill(store: StateStore) -> list[str]:
    """A planned and loaded week of deliveries and an agreement per employee; returns the
    employees on the loaded runs."""
    plan = plan_deliveries(
        delivery_problem(company(ring(18), vans=2, capacity=20), MONDAY, 3), options=FAST
    )
    with store.transaction() as conn:
        rs.save_plan(conn, plan, audit=store.audit, actor="ops@test")
        for run in plan.runs:
            rs.load_run(conn, run.day, run.van, audit=store.audit, actor="ops@test")
        people = [s.employee_id for r in plan.runs for s in r.stops]
        record_rendered(conn, [rendered_agreement(e, i, T0) for i, e in enumerate(people)])
    return sorted(s.employee_id for r in plan.runs for s in r.stops)


def _terminal(target: str, mine: list[str], contested: str, out) -> None:
    delivered = conflicts = 0
    with StateStore(target) as store:
        for employee_id in [*mine, contested]:
            try:
                with store.transaction() as conn:
                    rs.deliver(conn, employee_id, "Door", audit=store.audit, actor="van@test")
                delivered += 1
            except ConflictError:
                conflicts += 1
            # everyone signs the contested agreement; a repeated step changes nothing
            for step in ("signed",) if employee_id == contested else ("sent", "signed"):
                with store.transaction() as conn:
                    before, after = set_document_status(
                        conn, employee_id, "home-office", step, at=T0 + dt.timedelta(hours=1)
                    )
                    if after.status != before.status:
                        store.audit(conn, f"contracts.{step}", employee_id=employee_id)
    out.put((delivered, conflicts))


@pytest.mark.slow
def test_eight_terminals_record_deliveries_and_signatures_at_once(state_target):
    with StateStore(state_target) as store:
        people = fill(store)
    contested, rest = people[0], people[1:]
    assert len(rest) >= 16
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    shares = [rest[i::8] for i in range(8)]
    workers = [
        ctx.Process(target=_terminal, args=(state_target, share, contested, out))
        for share in shares
    ]
    for w in workers:
        w.start()
    results = [out.get(timeout=300) for _ in workers]
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    assert sum(d for d, _ in results) == len(rest) + 1  # the contested stop: exactly once
    assert sum(c for _, c in results) == 7
    with StateStore(state_target) as store, store.reading() as conn:
        assert rs.delivery_status(conn, people).delivered == tuple(people)
        statuses = document_status(conn)
        assert {d.employee_id: d.status for d in statuses} == dict.fromkeys(people, "signed")
        log = store.read_log(action_prefix="routes.delivered")
        assert sorted(e.employee_id for e in log) == people
        assert len(store.read_log(action_prefix="contracts.signed")) == len(people)


def test_copy_moves_an_sqlite_store_into_postgresql(tmp_path, postgres_cluster, cli):
    source = tmp_path / "state.db"
    with StateStore(source) as store:
        people = fill(store)
        with store.transaction() as conn:
            rs.deliver(conn, people[0], "Door", audit=store.audit)
        before = {e.id: e.action for e in store.read_log()}
    url = postgres_cluster.create_database("test_copy").replace("remoteops@", "remoteops:s3cret@")
    result = cli("state", "copy", str(source), url, "--json")
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output + result.stderr
    copied = {row["table"]: row["rows"] for row in __import__("json").loads(result.stdout)}
    assert copied["audit_log"] == len(before) and copied["delivery_events"] == 1
    with StateStore(url) as store, store.reading() as conn:
        after = store.read_log()
        assert {e.id: e.action for e in after if e.action != "state.copied"} == before
        assert [e.details["from"] for e in after if e.action == "state.copied"] == [str(source)]
        assert rs.delivery_status(conn, people).delivered == (people[0],)
    with StateStore(url) as store:  # numbering goes on after the copied rows
        with store.transaction() as conn:
            rs.deliver(conn, people[1], "Door", audit=store.audit)
        assert max(before) < store.read_log(limit=1)[0].id
    again = cli("state", "copy", str(source), url)
    assert again.exit_code == 1
    assert "already holds data" in again.stderr and "s3cret" not in again.stderr


def test_migrate_shows_the_pending_migrations_then_applies_them(tmp_path, cli):
    state = tmp_path / "state.db"
    fresh = cli("--state", str(state), "state", "migrate", "--json")
    assert fresh.exit_code == 0, fresh.output
    rows = __import__("json").loads(fresh.stdout)
    assert [(r["version"], r["status"]) for r in rows] == [(v, "applied") for v in range(1, 9)]
    again = cli("--state", str(state), "state", "migrate")
    assert "is up to date (schema 8)" in again.stdout


def test_migrate_on_postgresql_lists_then_applies(postgres_cluster, cli):
    url = postgres_cluster.create_database("test_migrate_cli")
    shown = cli("--state", url, "state", "migrate", "--dry-run", "--json")
    assert shown.exit_code == 0, shown.output
    rows = __import__("json").loads(shown.stdout)
    assert [r["version"] for r in rows] == list(range(1, 9))
    assert {r["status"] for r in rows} == {"pending"}
    done = cli("--state", url, "state", "migrate")
    assert done.exit_code == 0 and "now at 8" in done.stdout
    with StateStore(url) as store:
        assert store.schema_version == 8


def test_an_unreachable_server_gives_a_clear_message_without_the_password(cli):
    url = "postgresql://ops:s3cret@127.0.0.1:9/remoteops"  # port 9: nothing listens
    result = cli("--state", url, "log")
    assert result.exit_code == 1
    assert "cannot be reached" in result.stderr and "ops:***@127.0.0.1:9" in result.stderr
    assert "s3cret" not in result.output + result.stderr and "Traceback" not in result.output


@pytest.mark.slow
def test_a_server_stopped_mid_command_keeps_nothing_of_it(tmp_path):
    try:
        cluster_context = throwaway_cluster()
        cluster = cluster_context.__enter__()
    except Unavailable as exc:
        pytest.skip(f"no PostgreSQL server for the tests: {exc}")
    try:
        url = cluster.create_database("test_stop")
        store = StateStore(url)
        people = fill(store)
        with pytest.raises(StateServerError, match="cannot be reached"):  # noqa: SIM117
            with store.transaction() as conn:
                rs.deliver(conn, people[0], "Door", audit=store.audit)
                cluster.stop("fast")  # the server goes away before the command commits
                rs.deliver(conn, people[1], "Door", audit=store.audit)
        store.close()
        cluster.start()
        with StateStore(url) as again, again.reading() as conn:
            assert rs.delivery_status(conn, people).delivered == ()
            assert again.read_log(action_prefix="routes.delivered") == []
    finally:
        cluster_context.__exit__(None, None, None)
