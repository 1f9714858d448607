"""The state store on both databases (SQLite and a real throwaway PostgreSQL server): schema
versions, owner-only files, the append-only audit log, several writers at once, a crash in
the middle of a transaction, and a server that goes away."""

from __future__ import annotations

import multiprocessing
import os
import stat

import pytest
from sqlalchemy.exc import IntegrityError

from remoteops.errors import StateError
from remoteops.state import MIGRATIONS, Migration, StateServerError, StateStore, default_state_path

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


def test_sqlite_url_is_the_same_file(tmp_path):
    path = tmp_path / "state.db"
    with StateStore(f"sqlite:///{path}") as store:
        assert store.path == path and store.dialect == "sqlite"
    assert path.exists()


def test_migrations_run_forward_once(state_target):
    StateStore(state_target).close()
    with StateStore(state_target, migrations=COUNTER, migrate=True) as store:
        assert store.schema_version == COUNTER[-1].version
        assert store.query("SELECT value FROM counter")[0][0] == 0
    with StateStore(state_target, migrations=COUNTER) as store:  # second open: nothing re-applied
        assert store.pending_migrations() == []
        assert len(store.query("SELECT * FROM counter")) == 1


def test_a_shared_database_moves_forward_only_when_asked(postgres_cluster):
    url = postgres_cluster.create_database("test_explicit_migrate")
    StateStore(url).close()  # a new database is set up on first use
    with pytest.raises(StateError, match="remoteops state migrate"):
        StateStore(url, migrations=COUNTER)
    with StateStore(url, migrations=COUNTER, migrate=False) as store:
        pass
    with StateStore(url, migrations=COUNTER, migrate=True) as store:
        assert store.schema_version == COUNTER[-1].version


def test_database_from_a_newer_remoteops_is_refused_untouched(state_target, tmp_path):
    StateStore(state_target, migrations=COUNTER).close()
    before = tmp_path.joinpath("state.db").read_bytes() if "://" not in state_target else None
    with pytest.raises(StateError, match="newer remoteops"):
        StateStore(state_target)
    if before is not None:
        assert tmp_path.joinpath("state.db").read_bytes() == before
    with StateStore(state_target, migrations=COUNTER) as store:
        assert store.schema_version == COUNTER[-1].version
        assert store.query("SELECT value FROM counter")[0][0] == 0


def test_not_a_database_gives_a_clear_error(tmp_path):
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StateError, match="cannot be used"):
        StateStore(path)


def test_audit_log_is_append_only(state_target):
    with StateStore(state_target) as store:
        with store.transaction() as conn:
            store.audit(conn, "contracts.signed", employee_id="E0001", details={"doc": "x"})
        statements = ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"]
        if store.dialect == "postgresql":
            statements.append("TRUNCATE audit_log")
        for sql in statements:
            with pytest.raises(IntegrityError, match="append-only"), store.transaction() as c:
                c.execute(sql)
        entries = store.read_log()
        assert [(e.action, e.employee_id, e.details) for e in entries] == [
            ("contracts.signed", "E0001", {"doc": "x"})
        ]


def test_read_log_filters_newest_first(state_target, monkeypatch):
    monkeypatch.setenv("REMOTEOPS_ACTOR", "anna@it")
    with StateStore(state_target) as store:
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


def test_failed_transaction_leaves_nothing(state_target):
    with StateStore(state_target) as store:
        with pytest.raises(RuntimeError), store.transaction() as conn:
            store.audit(conn, "half.done")
            raise RuntimeError("boom")
        assert store.read_log() == []


def _increment(target: str, times: int) -> None:
    with StateStore(target, migrations=COUNTER) as store:
        for i in range(times):
            with store.transaction() as conn:
                value = conn.execute("SELECT value FROM counter WHERE id = 1").scalar()
                conn.execute("UPDATE counter SET value = :v WHERE id = 1", {"v": value + 1})
                store.audit(conn, "test.increment", subject=f"{os.getpid()}-{i}")


@pytest.mark.slow
def test_concurrent_writers_lose_no_update(state_target):
    """Eight processes (terminals) doing read-modify-write at once: every increment and
    every audit row survives."""
    StateStore(state_target, migrations=COUNTER).close()
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_increment, args=(state_target, 30)) for _ in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(180)
        assert w.exitcode == 0
    with StateStore(state_target, migrations=COUNTER) as store:
        assert store.query("SELECT value FROM counter")[0][0] == 240
        subjects = [e.subject for e in store.read_log()]
        assert len(subjects) == 240 and len(set(subjects)) == 240


def _crash_mid_transaction(target: str) -> None:
    store = StateStore(target, migrations=COUNTER)
    with store.transaction() as conn:
        conn.execute("UPDATE counter SET value = 999 WHERE id = 1")
        conn.execute(
            "INSERT INTO audit_log (at, actor, action) VALUES ('2026-01-01', 'x', 'crash.half')"
        )
        os._exit(3)  # killed mid-command: no commit, no rollback, no cleanup


def test_crash_mid_command_leaves_database_consistent(state_target):
    with StateStore(state_target, migrations=COUNTER) as store, store.transaction() as conn:
        store.audit(conn, "before.crash")
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_crash_mid_transaction, args=(state_target,))
    proc.start()
    proc.join(60)
    assert proc.exitcode == 3
    with StateStore(state_target, migrations=COUNTER) as store:
        if store.dialect == "sqlite":
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
    monkeypatch.setenv("REMOTEOPS_STATE", "postgresql://ops@db.example/remoteops")
    assert default_state_path(tmp_path / "inventory") == "postgresql://ops@db.example/remoteops"


def test_a_user_without_rights_gets_a_clear_error(postgres_cluster):
    url = postgres_cluster.create_database("test_rights")
    StateStore(url).close()
    postgres_cluster.psql("CREATE ROLE clerk LOGIN")
    with pytest.raises(StateServerError, match="lacks the rights") as caught:
        StateStore(postgres_cluster.url("test_rights", user="clerk"))
    assert "Ask the database administrator" in caught.value.hint


def test_local_files_go_beside_the_file_or_into_the_state_home(state_target, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    with StateStore(state_target) as store:
        expected = tmp_path if store.dialect == "sqlite" else tmp_path / "xdg" / "remoteops"
        assert store.local_folder == expected
