"""The state store: schema versions, owner-only files, the append-only audit log, several
writers at once, and a crash in the middle of a transaction."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import stat

import pytest

from remoteops.errors import StateError
from remoteops.state import MIGRATIONS, Migration, StateStore, default_state_path

COUNTER = MIGRATIONS + (
    Migration(
        MIGRATIONS[-1].version + 1,
        "test counter",
        "CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL);"
        "\nINSERT INTO counter VALUES (1, 0);",
    ),
)


def test_new_store_is_private_versioned_and_in_wal_mode(tmp_path):
    path = tmp_path / "deep" / ".remoteops" / "state.db"
    with StateStore(path) as store:
        assert store.schema_version == MIGRATIONS[-1].version
        assert store.query("PRAGMA journal_mode")[0][0] == "wal"
        with store.transaction() as conn:
            store.audit(conn, "test.started", employee_id="E0001")
        # while the database is open, SQLite keeps the write-ahead log and the shared
        # memory index beside it: they hold the same personal data, owner-only too
        for sidecar in (path.with_name("state.db-wal"), path.with_name("state.db-shm")):
            assert stat.S_IMODE(sidecar.stat().st_mode) == 0o600, sidecar
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_migrations_run_forward_once(tmp_path):
    path = tmp_path / "state.db"
    StateStore(path).close()
    with StateStore(path, migrations=COUNTER) as store:
        assert store.schema_version == COUNTER[-1].version
        assert store.query("SELECT value FROM counter")[0][0] == 0
    with StateStore(path, migrations=COUNTER) as store:  # second open: nothing re-applied
        assert len(store.query("SELECT * FROM counter")) == 1


def test_database_from_a_newer_remoteops_is_refused_untouched(tmp_path):
    path = tmp_path / "state.db"
    StateStore(path, migrations=COUNTER).close()
    before = path.read_bytes()
    with pytest.raises(StateError, match="newer remoteops"):
        StateStore(path)
    assert path.read_bytes() == before


def test_not_a_database_gives_a_clear_error(tmp_path):
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StateError, match="cannot be used"):
        StateStore(path)


def test_audit_log_is_append_only(tmp_path):
    with StateStore(tmp_path / "state.db") as store:
        with store.transaction() as conn:
            store.audit(conn, "contracts.signed", employee_id="E0001", details={"doc": "x"})
        for sql in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
            with (
                pytest.raises(sqlite3.DatabaseError, match="append-only"),
                store.transaction() as c,
            ):
                c.execute(sql)
        entries = store.read_log()
        assert [(e.action, e.employee_id, e.details) for e in entries] == [
            ("contracts.signed", "E0001", {"doc": "x"})
        ]


def test_read_log_filters_newest_first(tmp_path, monkeypatch):
    monkeypatch.setenv("REMOTEOPS_ACTOR", "anna@it")
    with StateStore(tmp_path / "state.db") as store:
        with store.transaction() as conn:
            for i in range(5):
                store.audit(conn, f"routes.step{i}", employee_id="E0001" if i % 2 else "E0002")
            store.audit(conn, "contracts_x.other")
        entries = store.read_log(employee_id="E0001")
        assert [e.action for e in entries] == ["routes.step3", "routes.step1"]
        assert all(e.actor == "anna@it" for e in entries)
        assert len(store.read_log(action_prefix="routes")) == 5
        assert store.read_log(action_prefix="contracts_")[0].action == "contracts_x.other"
        assert len(store.read_log(limit=2)) == 2


def test_failed_transaction_leaves_nothing(tmp_path):
    with StateStore(tmp_path / "state.db") as store:
        with pytest.raises(RuntimeError), store.transaction() as conn:
            store.audit(conn, "half.done")
            raise RuntimeError("boom")
        assert store.read_log() == []


def _increment(path: str, times: int) -> None:
    with StateStore(path, migrations=COUNTER) as store:
        for i in range(times):
            with store.transaction() as conn:
                value = conn.execute("SELECT value FROM counter WHERE id = 1").fetchone()[0]
                conn.execute("UPDATE counter SET value = ? WHERE id = 1", (value + 1,))
                store.audit(conn, "test.increment", subject=f"{os.getpid()}-{i}")


@pytest.mark.slow
def test_concurrent_writers_lose_no_update(tmp_path):
    """Several processes (terminals) doing read-modify-write at once: every increment and
    every audit row survives."""
    path = str(tmp_path / "state.db")
    StateStore(path, migrations=COUNTER).close()
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_increment, args=(path, 60)) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    with StateStore(path, migrations=COUNTER) as store:
        assert store.query("SELECT value FROM counter")[0][0] == 240
        subjects = [e.subject for e in store.read_log()]
        assert len(subjects) == 240 and len(set(subjects)) == 240


def _crash_mid_transaction(path: str) -> None:
    store = StateStore(path, migrations=COUNTER)
    conn = store._conn
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE counter SET value = 999 WHERE id = 1")
    conn.execute(
        "INSERT INTO audit_log (at, actor, action) VALUES ('2026-01-01', 'x', 'crash.half')"
    )
    os._exit(3)  # killed mid-command: no commit, no rollback, no cleanup


def test_crash_mid_command_leaves_database_consistent(tmp_path):
    path = str(tmp_path / "state.db")
    with StateStore(path, migrations=COUNTER) as store, store.transaction() as conn:
        store.audit(conn, "before.crash")
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_crash_mid_transaction, args=(path,))
    proc.start()
    proc.join(60)
    assert proc.exitcode == 3
    with StateStore(path, migrations=COUNTER) as store:
        assert store.query("PRAGMA integrity_check")[0][0] == "ok"
        assert store.query("SELECT value FROM counter")[0][0] == 0
        assert [e.action for e in store.read_log()] == ["before.crash"]
        with store.transaction() as conn:  # and it is writable again
            store.audit(conn, "after.crash")


def test_default_path_is_beside_the_inventory(tmp_path, monkeypatch):
    monkeypatch.delenv("REMOTEOPS_STATE", raising=False)
    assert default_state_path(tmp_path / "inventory") == tmp_path / ".remoteops" / "state.db"
    monkeypatch.setenv("REMOTEOPS_STATE", str(tmp_path / "elsewhere.db"))
    assert default_state_path(tmp_path / "inventory") == tmp_path / "elsewhere.db"
