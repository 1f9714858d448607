"""The state store: what remoteops did, when, and by whom, in SQLite or PostgreSQL.

The inventory says what the company *is*; the state store says what remoteops *did*:
provisioning runs, generated documents, delivery runs, support diagnoses, and an
append-only audit log.

- SQLite (the default): one file, ``.remoteops/state.db`` beside the inventory folder
  (override with ``--state`` or ``REMOTEOPS_STATE``), owner-only (0600) in an owner-only
  folder, in WAL mode so readers never block writers.
- PostgreSQL (``--state postgresql://user@host/db``) for many operators on many machines.
- Every write happens in one transaction that holds the write lock from its first
  statement (see :mod:`remoteops.state.backends`), so several terminals writing at once
  queue up instead of losing updates; a crash or a lost server mid-command keeps nothing of
  it.
- A versioned schema with forward-only migrations (:mod:`remoteops.state.schema`); a
  database written by a newer remoteops is refused rather than damaged.

Features write SQL with named parameters (``:employee_id``) through :class:`Connection`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from remoteops.errors import StateError
from remoteops.state import backends
from remoteops.state.backends import Location, locate
from remoteops.state.paths import STATE_ENV, current_actor, utcnow
from remoteops.state.schema import MIGRATIONS, Migration


class Record(tuple):
    """A result row: by position (``row[0]``) or by column name (``row["id"]``)."""

    _index: dict[str, int]

    def __new__(cls, values: Sequence[Any], index: dict[str, int]) -> Record:
        record = super().__new__(cls, values)
        record._index = index
        return record

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


class Result:
    """The rows of one statement (or, for writes, how many rows it changed)."""

    def __init__(self, result: sa.CursorResult) -> None:
        self._result = result
        self._index = {k: i for i, k in enumerate(result.keys())} if result.returns_rows else {}

    @property
    def rowcount(self) -> int:
        return self._result.rowcount

    def keys(self) -> list[str]:
        return list(self._index)

    def fetchone(self) -> Record | None:
        row = self._result.fetchone()
        return None if row is None else Record(row, self._index)

    def fetchall(self) -> list[Record]:
        return [Record(row, self._index) for row in self._result]

    def __iter__(self) -> Iterator[Record]:
        return (Record(row, self._index) for row in self._result)

    def scalar(self) -> Any:
        return self._result.scalar()


class Connection:
    """An open transaction of the store. SQL uses named parameters (``:name``); a list of
    dicts as ``params`` runs the statement once per dict; names in ``expanding`` take a
    list (``WHERE id IN :ids``)."""

    def __init__(self, conn: sa.Connection) -> None:
        self.sa = conn

    @property
    def dialect(self) -> str:
        return self.sa.dialect.name

    def execute(
        self,
        sql: str,
        params: dict[str, Any] | list[dict[str, Any]] | None = None,
        *,
        expanding: Sequence[str] = (),
    ) -> Result:
        statement = sa.text(sql)
        if expanding:
            statement = statement.bindparams(*(sa.bindparam(n, expanding=True) for n in expanding))
        return Result(self.sa.execute(statement, params if params is not None else {}))


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor: str
    action: str
    employee_id: str | None
    subject: str | None
    details: dict

    def as_row(self, *, details_as_text: bool = True) -> dict:
        """A flat row for tables and CSV; JSON output keeps ``details`` as an object."""
        return {
            "id": self.id,
            "at": self.at.isoformat(timespec="seconds"),
            "actor": self.actor,
            "action": self.action,
            "employee_id": self.employee_id or "",
            "subject": self.subject or "",
            "details": (
                json.dumps(self.details, ensure_ascii=False, sort_keys=True)
                if details_as_text
                else self.details
            ),
        }


class StateStore:
    """The state database. Open it once per command; it is cheap."""

    def __init__(
        self,
        target: str | Path,
        *,
        migrations: tuple[Migration, ...] = MIGRATIONS,
        create: bool = True,
        migrate: bool | None = None,
    ) -> None:
        """Open the store at ``target``: a path, ``sqlite:///path`` or
        ``postgresql://user@host/db``.

        With ``create=False`` (read-only commands such as ``log`` or ``contracts status``) a
        missing SQLite file is not created: the store is then an empty one in memory, and
        :attr:`exists` is False. ``migrate`` brings the schema up to date on opening; by
        default SQLite always is, a shared PostgreSQL database only when it is new (an
        existing one moves forward with ``remoteops state migrate``, decided by a person);
        ``migrate=False`` opens it as it is (to show what is pending)."""
        self.location: Location = locate(target)
        self.path = self.location.path  # None for PostgreSQL
        self._migrations = migrations
        sqlite = self.location.dialect == "sqlite"
        self.exists = create or not sqlite or self.location.path.exists()
        try:
            if sqlite:
                if self.exists:
                    self._create_private_file()
                self.engine = backends.sqlite_engine(self.path if self.exists else None)
                with self.engine.connect().execution_options(sqlite_begin="") as conn:
                    mode = conn.exec_driver_sql("PRAGMA journal_mode = WAL").scalar()
                if self.exists and str(mode).lower() != "wal":
                    raise StateError(f"Could not switch {self.path} to WAL mode (got {mode}).")
            else:
                self.engine = backends.postgresql_engine(self.location.url)
            current = self.schema_version
            self._check_not_newer(current)
            if migrate or (migrate is None and (sqlite or current == 0)):
                self.migrate()
            elif migrate is None and current < self._latest:
                raise StateError(
                    f"The state database {self.location} has schema {current}; this "
                    f"remoteops needs {self._latest}.",
                    hint="Run 'remoteops state migrate' (it shows what changes first).",
                )
        except sa.exc.DBAPIError as exc:
            raise self._friendly(exc) from exc

    # -- lifecycle ---------------------------------------------------------------------
    def _create_private_file(self) -> None:
        from remoteops.files import private_dir, tighten_private_file

        path = self.path
        try:
            if path.parent.exists() and not path.parent.is_dir():
                raise StateError(
                    f"Cannot create the state database {path}: "
                    f"{path.parent} is a file, not a folder.",
                    hint=f"Choose another place with --state or {STATE_ENV}.",
                )
            if path.is_dir():
                raise StateError(
                    f"The state database {path} is a folder, not a file.",
                    hint=f"Give the path of a file with --state or {STATE_ENV}.",
                )
            private_dir(path.parent, notice=False)
            if not path.exists():
                fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
                os.close(fd)
            for p in (path, *(Path(f"{path}{s}") for s in ("-wal", "-shm"))):
                tighten_private_file(p, what="the state database")
        except OSError as exc:
            raise StateError(
                f"Cannot create the state database {path}: {exc.strerror}.",
                hint=f"Choose another place with --state or {STATE_ENV}.",
            ) from exc

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        return self.location.dialect

    @property
    def local_folder(self) -> Path:
        """Where this machine keeps the files that go with the store (the Ansible runs'
        output while kept): beside an SQLite file; for a PostgreSQL store, which has no
        folder, ``$XDG_STATE_HOME/remoteops`` (default ``~/.local/state/remoteops``)."""
        if self.path is not None:
            return self.path.parent
        base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        return Path(base) / "remoteops"

    def _friendly(self, exc: sa.exc.DBAPIError) -> Exception:
        return backends.friendly(exc, self.location) or exc

    # -- schema ------------------------------------------------------------------------
    @property
    def _latest(self) -> int:
        return self._migrations[-1].version if self._migrations else 0

    @property
    def schema_version(self) -> int:
        with self._connect(write=False) as conn:
            return backends.read_schema_version(conn.sa)

    def pending_migrations(self) -> list[Migration]:
        current = self.schema_version
        self._check_not_newer(current)
        return [m for m in self._migrations if m.version > current]

    def _check_not_newer(self, current: int) -> None:
        if current > self._latest:
            raise StateError(
                f"The state database {self.location} was written by a newer remoteops "
                f"(schema {current}, this version knows {self._latest}).",
                hint="Upgrade remoteops; nothing was changed.",
            )

    def migrate(self) -> list[Migration]:
        """Apply the pending migrations in one transaction; returns those applied."""
        if self.schema_version == self._latest:
            return []
        applied = []
        with self.transaction() as conn:
            # Re-read inside the write lock: another process may have migrated meanwhile.
            current = backends.read_schema_version(conn.sa)
            self._check_not_newer(current)
            for migration in self._migrations:
                if migration.version > current:
                    for statement in migration.statements(self.dialect):
                        conn.sa.exec_driver_sql(statement)
                    backends.write_schema_version(conn.sa, migration.version)
                    applied.append(migration)
        return applied

    # -- transactions ------------------------------------------------------------------
    @contextmanager
    def _connect(self, *, write: bool) -> Iterator[Connection]:
        """One transaction; errors about reaching the database become :class:`StateError`."""
        try:
            if write:
                with self.engine.begin() as conn:
                    backends.take_write_lock(conn)
                    yield Connection(conn)
                return
            options: dict[str, Any] = {"sqlite_begin": "BEGIN DEFERRED"}
            if self.dialect == "postgresql":
                options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
            with self.engine.connect().execution_options(**options) as conn:
                yield Connection(conn)
        except sa.exc.DBAPIError as exc:
            raise self._friendly(exc) from exc

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction: the write lock is taken up front, so two writers never
        read-modify-write over each other; commit on success, roll back on any exception
        (including Ctrl-C)."""
        with self._connect(write=True) as conn:
            yield conn

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read transaction: one consistent snapshot for several queries (writers go on
        meanwhile). Do not write through it."""
        with self._connect(write=False) as conn:
            yield conn

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[Record]:
        """Rows of one statement, outside any transaction (also for SQLite's PRAGMAs)."""
        try:
            with self.engine.connect().execution_options(sqlite_begin="") as conn:
                return Connection(conn).execute(sql, params).fetchall()
        except sa.exc.DBAPIError as exc:
            raise self._friendly(exc) from exc

    # -- audit log ---------------------------------------------------------------------
    def audit(
        self,
        conn: Connection,
        action: str,
        *,
        employee_id: str | None = None,
        subject: str | None = None,
        details: dict | None = None,
        actor: str | None = None,
        at: dt.datetime | None = None,
    ) -> int:
        """Append one entry to the audit log, inside the caller's transaction, so the entry
        and the change it describes are committed together or not at all."""
        return int(
            conn.execute(
                "INSERT INTO audit_log (at, actor, action, employee_id, subject, details) "
                "VALUES (:at, :actor, :action, :employee_id, :subject, :details) RETURNING id",
                {
                    "at": (at or utcnow()).isoformat(),
                    "actor": actor or current_actor(),
                    "action": action,
                    "employee_id": employee_id,
                    "subject": subject,
                    "details": json.dumps(
                        details or {}, ensure_ascii=False, sort_keys=True, default=str
                    ),
                },
            ).scalar()
        )

    def read_log(
        self,
        *,
        employee_id: str | None = None,
        action_prefix: str | None = None,
        since: dt.datetime | None = None,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        """Audit entries, newest first."""
        where, params = [], {}
        if employee_id:
            where.append("employee_id = :employee_id")
            params["employee_id"] = employee_id
        if action_prefix:
            where.append("action LIKE :prefix ESCAPE '\\'")
            params["prefix"] = _like_escape(action_prefix) + "%"
        if since:
            where.append("at >= :since")
            params["since"] = since.astimezone(dt.UTC).isoformat()
        sql = "SELECT * FROM audit_log"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY at DESC, id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self.reading() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [
            AuditEntry(
                id=r["id"],
                at=dt.datetime.fromisoformat(r["at"]),
                actor=r["actor"],
                action=r["action"],
                employee_id=r["employee_id"],
                subject=r["subject"],
                details=json.loads(r["details"]),
            )
            for r in rows
        ]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
