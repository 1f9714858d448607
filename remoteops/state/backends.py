"""The two databases behind the state store, and what differs between them.

SQLAlchemy Core does the rest: the connection pool, the drivers (Python's ``sqlite3`` and
psycopg 3), named parameters in every statement. What is left here is what the databases do
differently on purpose:

- how a writer takes the write lock: SQLite's ``BEGIN IMMEDIATE``; on PostgreSQL a
  transaction-scoped advisory lock, so writers queue up exactly as on SQLite and the
  read-check-write code of the features (is this stop delivered already? is the run
  loaded?) never loses an update or meets a serialization failure;
- where the schema version lives: SQLite's ``PRAGMA user_version``; on PostgreSQL the table
  ``remoteops_schema``;
- how a database error reads for the person at the keyboard (server down, no rights).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

from remoteops.errors import StateError
from remoteops.state.paths import STATE_ENV, is_server_url

BUSY_TIMEOUT_SECONDS = 60.0
#: The advisory lock every PostgreSQL writer holds until its transaction ends.
WRITE_LOCK_KEY = 0x52454D4F  # 'REMO'
CONNECT_TIMEOUT_SECONDS = 10


class StateServerError(StateError):
    """The database server cannot be reached, went away, or refuses this user."""


@dataclass(frozen=True)
class Location:
    """Where a state store is: an SQLite file (``path``) or a PostgreSQL ``url``."""

    url: URL
    path: Path | None = None

    @property
    def dialect(self) -> str:
        return (
            "sqlite"
            if self.path is not None or self.url.get_backend_name() == "sqlite"
            else ("postgresql")
        )

    def shown(self) -> str:
        """For people and logs: the file's path, or the address without its password."""
        if self.path is not None:
            return str(self.path)
        return self.url.set(drivername="postgresql").render_as_string(hide_password=True)

    def __str__(self) -> str:
        return self.shown()

    def location_key(self) -> str:
        """The same database gives the same key (a file's absolute path, or host, port and
        database name)."""
        if self.path is not None:
            return str(self.path.resolve())
        url = self.url
        return f"{url.host}:{url.port or 5432}/{url.database}"


def locate(target: str | Path) -> Location:
    """A path, ``sqlite:///path`` or ``postgresql://user@host/db`` as a :class:`Location`."""
    text = str(target)
    if is_server_url(target):
        try:
            url = make_url(text)
        except sa.exc.ArgumentError as exc:
            raise StateError(
                "The state database address is not a valid PostgreSQL URL.",
                hint=f"Write it as postgresql://user@host:5432/database (--state or {STATE_ENV}).",
            ) from exc
        return Location(url.set(drivername="postgresql+psycopg"))
    if text.startswith("sqlite:"):
        database = make_url(text).database
        if not database:
            raise StateError(
                "An in-memory SQLite database cannot hold the state.",
                hint="Give a file: sqlite:///path/to/state.db or just the path.",
            )
        text = database
    path = Path(text)
    return Location(URL.create("sqlite", database=str(path)), path)


def sqlite_engine(path: Path | None) -> sa.Engine:
    """An engine on the file (or, for ``None``, on one private in-memory database), with
    SQLite's own transaction control: every transaction starts with the ``BEGIN`` named in
    the execution option ``sqlite_begin`` (default ``BEGIN IMMEDIATE``; empty: none)."""
    if path is None:
        engine = sa.create_engine("sqlite://", poolclass=StaticPool)
    else:
        engine = sa.create_engine(
            URL.create("sqlite", database=str(path)),
            connect_args={"timeout": BUSY_TIMEOUT_SECONDS},
        )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's begin event decides
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        statement = conn.get_execution_options().get("sqlite_begin", "BEGIN IMMEDIATE")
        if statement:
            conn.exec_driver_sql(statement)

    return engine


def postgresql_engine(url: URL) -> sa.Engine:
    return sa.create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )


def take_write_lock(conn: sa.Connection) -> None:
    """The start of every write transaction (SQLite took its lock with BEGIN IMMEDIATE)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})


def read_schema_version(conn: sa.Connection) -> int:
    if conn.dialect.name == "sqlite":
        return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
    if conn.exec_driver_sql("SELECT to_regclass('remoteops_schema')").scalar() is None:
        return 0
    return int(conn.exec_driver_sql("SELECT max(version) FROM remoteops_schema").scalar() or 0)


def write_schema_version(conn: sa.Connection, version: int) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA user_version = {int(version)}")
        return
    conn.exec_driver_sql(
        "CREATE TABLE IF NOT EXISTS remoteops_schema ("
        "version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )
    conn.execute(sa.text("INSERT INTO remoteops_schema (version) VALUES (:v)"), {"v": version})


def friendly(exc: sa.exc.DBAPIError, location: Location) -> StateError | None:
    """A database error as one sentence for the person at the keyboard, or None if it is
    not about reaching the database (constraint violations stay what they are)."""
    where = location.shown()
    first_line = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    if location.path is not None:
        if isinstance(exc, sa.exc.OperationalError) and "locked" in first_line:
            return StateError(
                f"The state database {where} is busy or locked: {first_line}.",
                hint="Another remoteops command is writing; try again when it has finished.",
            )
        if isinstance(exc, sa.exc.IntegrityError):
            return None
        return StateError(
            f"The state database {where} cannot be used: {first_line}.",
            hint="If the file is damaged, move it away and run the command again; "
            "remoteops starts a new one (the history in the old file stays readable "
            "with sqlite3).",
        )
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    if sqlstate == "42501" or "permission denied" in first_line:
        return StateServerError(
            f"The database user of {where} lacks the rights remoteops needs: {first_line}.",
            hint="Ask the database administrator to let this user read and write the "
            "remoteops tables (and create them, for 'remoteops state migrate').",
        )
    if sqlstate.startswith("28") or "authentication failed" in first_line:
        return StateServerError(
            f"The PostgreSQL server at {where} did not accept the login: {first_line}.",
            hint="Check the user name, and the password in ~/.pgpass or PGPASSWORD.",
        )
    if exc.connection_invalidated or isinstance(
        exc, sa.exc.OperationalError | sa.exc.InterfaceError
    ):
        return StateServerError(
            f"The state database server {where} cannot be reached: {first_line}.",
            hint="Check that the PostgreSQL server is running and the address is right, then "
            "run the command again. Nothing of this command was half-saved: a change is "
            "stored whole or not at all.",
        )
    return None
