"""The state store: one SQLite file that remembers what remoteops did, when, and by whom.

The inventory says what the company *is*; the state store says what remoteops *did*:
provisioning runs, generated documents, delivery runs, support diagnoses, and an
append-only audit log.

- One file, by default ``.remoteops/state.db`` beside the inventory folder (override with
  ``--state`` or ``REMOTEOPS_STATE``), created owner-only (0600) in an owner-only folder.
- WAL mode, so readers never block writers; every write happens in ``BEGIN IMMEDIATE``
  transactions with a generous busy timeout, so several terminals writing at once queue up
  instead of losing updates; a crash mid-command rolls back to the last commit.
- A versioned schema (``PRAGMA user_version``) with forward-only migrations. Each feature
  adds its tables by appending to :data:`MIGRATIONS`; a database written by a newer remoteops
  is refused rather than damaged.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from remoteops.errors import StateError

STATE_ENV = "REMOTEOPS_STATE"
ACTOR_ENV = "REMOTEOPS_ACTOR"
BUSY_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sql: str


_AUDIT_SCHEMA = """
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,               -- UTC, ISO 8601 with microseconds
    actor       TEXT NOT NULL,               -- user@host, or REMOTEOPS_ACTOR
    action      TEXT NOT NULL,               -- e.g. 'contracts.signed', 'routes.delivered'
    employee_id TEXT,                        -- the employee concerned, if any
    subject     TEXT,                        -- run id, document id, ... if any
    details     TEXT NOT NULL DEFAULT '{}'   -- JSON object
);
CREATE INDEX audit_log_employee ON audit_log (employee_id, at);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""

# Delivery runs (remoteops.routes.store): plans, runs (planned -> loaded, or replaced by a
# replan), their stops in order, who was left over and why, and append-only delivery events.
_DELIVERY_SCHEMA = """
CREATE TABLE delivery_plans (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at    TEXT NOT NULL,              -- UTC, ISO 8601
    created_by    TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('plan', 'replan')),
    first_day     TEXT NOT NULL,              -- ISO date
    days          TEXT NOT NULL,              -- JSON list of ISO dates (working days)
    vans          TEXT NOT NULL,              -- JSON list of van names
    travel        TEXT NOT NULL,              -- JSON: TravelSettings.to_dict()
    solver        TEXT NOT NULL               -- JSON: options, seed, stopped_by, iterations
);
CREATE TABLE delivery_runs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id         INTEGER NOT NULL REFERENCES delivery_plans (id),
    day             TEXT NOT NULL,            -- ISO date
    van             TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'planned'
                    CHECK (status IN ('planned', 'loaded', 'replaced')),
    start_at        TEXT NOT NULL,            -- local time, ISO 8601
    end_at          TEXT NOT NULL,
    reloads         TEXT NOT NULL DEFAULT '[]',  -- JSON [[back, leaves again], ...]
    km              REAL NOT NULL,
    driving_minutes REAL NOT NULL,
    working_minutes REAL NOT NULL,
    boxes           INTEGER NOT NULL,
    loaded_at       TEXT,                     -- UTC, when 'routes load' locked it
    loaded_by       TEXT
);
CREATE UNIQUE INDEX delivery_runs_active ON delivery_runs (day, van)
    WHERE status IN ('planned', 'loaded');
CREATE TABLE delivery_stops (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id          INTEGER NOT NULL REFERENCES delivery_runs (id),
    employee_id     TEXT NOT NULL,
    name            TEXT NOT NULL,
    sequence        INTEGER NOT NULL,
    trip            INTEGER NOT NULL,
    boxes           INTEGER NOT NULL,
    arrival         TEXT NOT NULL,            -- local time, ISO 8601
    service_start   TEXT NOT NULL,
    service_end     TEXT NOT NULL,
    window_start    TEXT NOT NULL,
    window_end      TEXT NOT NULL,
    km_from_previous            REAL NOT NULL,
    drive_minutes_from_previous REAL NOT NULL,
    UNIQUE (run_id, sequence)
);
CREATE INDEX delivery_stops_employee ON delivery_stops (employee_id);
CREATE TABLE delivery_left_over (
    plan_id     INTEGER NOT NULL REFERENCES delivery_plans (id),
    employee_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    boxes       INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    PRIMARY KEY (plan_id, employee_id)
);
CREATE TABLE delivery_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,                -- UTC, ISO 8601
    actor       TEXT NOT NULL,
    stop_id     INTEGER NOT NULL REFERENCES delivery_stops (id),
    employee_id TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('delivered', 'failed')),
    received_by TEXT,
    reason      TEXT CHECK (reason IS NULL OR reason IN
                ('not-home', 'refused', 'wrong-address', 'damaged', 'other')),
    note        TEXT,
    CHECK (kind = 'failed' OR (received_by IS NOT NULL AND received_by <> '')),
    CHECK (kind = 'delivered' OR reason IS NOT NULL)
);
CREATE INDEX delivery_events_employee ON delivery_events (employee_id, at);
CREATE UNIQUE INDEX delivery_events_one_per_stop ON delivery_events (stop_id);
CREATE TRIGGER delivery_events_no_update BEFORE UPDATE ON delivery_events
BEGIN SELECT RAISE(ABORT, 'delivery events are append-only'); END;
CREATE TRIGGER delivery_events_no_delete BEFORE DELETE ON delivery_events
BEGIN SELECT RAISE(ABORT, 'delivery events are append-only'); END;
CREATE TRIGGER delivery_stops_locked_update BEFORE UPDATE ON delivery_stops
WHEN (SELECT status FROM delivery_runs WHERE id = OLD.run_id) = 'loaded'
BEGIN SELECT RAISE(ABORT, 'the run is loaded; its stops cannot change'); END;
CREATE TRIGGER delivery_stops_locked_delete BEFORE DELETE ON delivery_stops
WHEN (SELECT status FROM delivery_runs WHERE id = OLD.run_id) = 'loaded'
BEGIN SELECT RAISE(ABORT, 'the run is loaded; its stops cannot change'); END;
CREATE TRIGGER delivery_stops_locked_insert BEFORE INSERT ON delivery_stops
WHEN (SELECT status FROM delivery_runs WHERE id = NEW.run_id) <> 'planned'
BEGIN SELECT RAISE(ABORT, 'stops can only be added to a planned run'); END;
CREATE TRIGGER delivery_runs_stay_loaded BEFORE UPDATE OF status ON delivery_runs
WHEN OLD.status <> 'planned'
BEGIN SELECT RAISE(ABORT, 'a loaded or replaced run cannot change its status'); END;
"""

# Agreements (remoteops.contracts): every generated document with its template version,
# input hash and PDF hash, and its signature status with the date of each step.
DOCUMENTS_SCHEMA = """
CREATE TABLE documents (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    employee_id      TEXT NOT NULL,
    document         TEXT NOT NULL,   -- setup-letter, home-office, data-protection, equipment-loan
    language         TEXT NOT NULL,   -- de, en
    title            TEXT NOT NULL,
    document_id      TEXT NOT NULL,   -- short ID stamped in the footer, e.g. HO-7K3F9QX2
    template_version TEXT NOT NULL,   -- hash of the template files
    input_hash       TEXT NOT NULL,   -- hash of the employee's data + template version
    pdf_path         TEXT NOT NULL,   -- relative to the output folder
    pages            TEXT NOT NULL,   -- page range in that file, e.g. '3-7'
    page_count       INTEGER NOT NULL,
    sha256           TEXT NOT NULL,   -- of the PDF file
    status           TEXT NOT NULL DEFAULT 'generated'
                     CHECK (status IN ('generated', 'sent', 'signed', 'returned',
                                       'superseded', 'void')),
    generated_at     TEXT NOT NULL,   -- UTC, ISO 8601
    sent_at          TEXT,
    signed_at        TEXT,
    returned_at      TEXT,
    superseded_at    TEXT,
    voided_at        TEXT,
    superseded_by    INTEGER REFERENCES documents (id),
    note             TEXT
);
CREATE UNIQUE INDEX documents_in_force ON documents (employee_id, document, language)
    WHERE status NOT IN ('superseded', 'void');
CREATE INDEX documents_employee ON documents (employee_id, document);
CREATE INDEX documents_status ON documents (status, generated_at);
"""

# Provisioning runs (remoteops.provision): who ran which playbook on which targets, in
# which mode, and per workstation the result and the first failing task.
PROVISION_SCHEMA = """
CREATE TABLE provision_runs (
    id            TEXT PRIMARY KEY,              -- e.g. 20261123T124501Z-3f9a (UTC start)
    started_at    TEXT NOT NULL,                 -- UTC, ISO 8601
    finished_at   TEXT NOT NULL,
    actor         TEXT NOT NULL,                 -- user@host, or REMOTEOPS_ACTOR
    playbook      TEXT NOT NULL,                 -- path of the playbook that ran
    mode          TEXT NOT NULL CHECK (mode IN ('apply', 'check')),
    targets       TEXT NOT NULL DEFAULT '[]',    -- JSON list, as the user typed them
    host_limit    TEXT NOT NULL DEFAULT '',      -- the Ansible --limit that was used
    tags          TEXT NOT NULL DEFAULT '[]',    -- JSON list
    skip_tags     TEXT NOT NULL DEFAULT '[]',    -- JSON list
    status        TEXT NOT NULL
                  CHECK (status IN ('succeeded', 'failed', 'canceled', 'error')),
    return_code   INTEGER,                       -- ansible-playbook's exit code
    error         TEXT,                          -- why the whole run failed, in plain words
    artifacts     TEXT                           -- folder of the run's output while kept
);
CREATE INDEX provision_runs_started ON provision_runs (started_at);
CREATE TABLE provision_hosts (
    run_id        TEXT NOT NULL REFERENCES provision_runs (id) ON DELETE CASCADE,
    host          TEXT NOT NULL,
    employee_id   TEXT,
    status        TEXT NOT NULL CHECK (status IN ('ok', 'changed', 'failed', 'unreachable')),
    ok            INTEGER NOT NULL DEFAULT 0,
    changed       INTEGER NOT NULL DEFAULT 0,
    failed        INTEGER NOT NULL DEFAULT 0,
    unreachable   INTEGER NOT NULL DEFAULT 0,
    skipped       INTEGER NOT NULL DEFAULT 0,
    rescued       INTEGER NOT NULL DEFAULT 0,
    ignored       INTEGER NOT NULL DEFAULT 0,
    failed_task   TEXT,                          -- the first task that failed
    message       TEXT,                          -- the first failure, in plain words
    report        TEXT NOT NULL DEFAULT '{}',    -- JSON: disk encryption, Secure Boot, reboot
    PRIMARY KEY (run_id, host)
);
CREATE INDEX provision_hosts_employee ON provision_hosts (employee_id, run_id);
CREATE INDEX provision_hosts_host ON provision_hosts (host, run_id);
"""

# Delivery due dates (remoteops.routes): what each stop was planned against.
_DELIVERY_DUE_SCHEMA = """
ALTER TABLE delivery_stops ADD COLUMN home_office_start TEXT;   -- ISO date, as planned
ALTER TABLE delivery_stops ADD COLUMN due TEXT;                 -- ISO date: arrive by
ALTER TABLE delivery_stops ADD COLUMN slack_days INTEGER;       -- working days, < 0: late
ALTER TABLE delivery_stops ADD COLUMN unavoidable INTEGER NOT NULL DEFAULT 0;
"""

# Support desk (remoteops.support): every diagnosis of a workstation (who, when, reached or
# not) and per policy its result (pass / fail / error, never blank), plus the fleet runs
# whose results "newly failing" compares. Diagnoses and results are history: append-only.
SUPPORT_SCHEMA = """
CREATE TABLE support_fleet_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at    TEXT NOT NULL,                 -- UTC, ISO 8601
    finished_at   TEXT NOT NULL,
    actor         TEXT NOT NULL,
    scope         TEXT NOT NULL,                 -- what was asked: a group, 'team Outbound'
    hosts         INTEGER NOT NULL,
    reached       INTEGER NOT NULL
);
CREATE TABLE support_diagnoses (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            TEXT NOT NULL,                 -- UTC, ISO 8601, when it was judged
    actor         TEXT NOT NULL,
    host          TEXT NOT NULL,
    employee_id   TEXT,
    reachable     INTEGER NOT NULL CHECK (reachable IN (0, 1)),
    error         TEXT,                          -- why it could not be diagnosed, if so
    fleet_run     INTEGER REFERENCES support_fleet_runs (id),
    run_id        TEXT,                          -- the Ansible run (artifacts while kept)
    seconds       REAL NOT NULL DEFAULT 0,
    CHECK (reachable = 1 OR (error IS NOT NULL AND error <> ''))
);
CREATE INDEX support_diagnoses_host ON support_diagnoses (host, at);
CREATE INDEX support_diagnoses_employee ON support_diagnoses (employee_id, at);
CREATE INDEX support_diagnoses_fleet ON support_diagnoses (fleet_run);
CREATE TABLE support_results (
    diagnosis_id  INTEGER NOT NULL REFERENCES support_diagnoses (id),
    host          TEXT NOT NULL,
    policy        TEXT NOT NULL,                 -- a policy id, e.g. 'disk'
    status        TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'error')),
    detail        TEXT NOT NULL CHECK (detail <> ''),   -- what was found, in plain words
    error         TEXT,                          -- why it could not be checked (status error)
    repair        TEXT,                          -- the suggested repair action, if any
    facts         TEXT NOT NULL DEFAULT '{}',    -- JSON: the measured values it was judged on
    at            TEXT NOT NULL,                 -- UTC, ISO 8601
    PRIMARY KEY (diagnosis_id, policy),
    CHECK (status <> 'error' OR (error IS NOT NULL AND error <> ''))
);
CREATE INDEX support_results_host ON support_results (host, policy, at);
CREATE TRIGGER support_diagnoses_no_update BEFORE UPDATE ON support_diagnoses
BEGIN SELECT RAISE(ABORT, 'diagnoses are history and cannot change'); END;
CREATE TRIGGER support_diagnoses_no_delete BEFORE DELETE ON support_diagnoses
BEGIN SELECT RAISE(ABORT, 'diagnoses are history and cannot change'); END;
CREATE TRIGGER support_results_no_update BEFORE UPDATE ON support_results
BEGIN SELECT RAISE(ABORT, 'diagnosis results are history and cannot change'); END;
CREATE TRIGGER support_results_no_delete BEFORE DELETE ON support_results
BEGIN SELECT RAISE(ABORT, 'diagnosis results are history and cannot change'); END;
"""

# Support rota (remoteops.rota.store): each plan with its period and solver figures, every
# duty (a person on a channel for a shift on a day) with where it came from; a replan, swap
# or cover marks the duties it changes 'replaced' (kept for the history, never deleted),
# and the gaps of each plan.
_ROTA_SCHEMA = """
CREATE TABLE rota_plans (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at  TEXT NOT NULL,                -- UTC, ISO 8601
    created_by  TEXT NOT NULL,
    first_day   TEXT NOT NULL,                -- ISO date
    last_day    TEXT NOT NULL,
    solver      TEXT NOT NULL,                -- JSON: status, seconds, workers, time limit
    summary     TEXT NOT NULL                 -- JSON: coverage per channel, fairness spreads
);
CREATE TABLE rota_duties (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id       INTEGER NOT NULL REFERENCES rota_plans (id),
    day           TEXT NOT NULL,              -- ISO date
    employee_id   TEXT NOT NULL,
    channel       TEXT NOT NULL,
    shift         TEXT NOT NULL DEFAULT '',   -- the pattern in rota.yml
    start_time    TEXT NOT NULL,              -- HH:MM, local time
    end_time      TEXT NOT NULL,              -- HH:MM (24:00 as 23:59)
    break_minutes INTEGER NOT NULL,
    source        TEXT NOT NULL CHECK (source IN ('plan', 'swap', 'cover')),
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'replaced')),
    replaced_at   TEXT
);
CREATE UNIQUE INDEX rota_duties_one_a_day ON rota_duties (employee_id, day)
    WHERE status = 'active';
CREATE INDEX rota_duties_day ON rota_duties (day, status);
CREATE TABLE rota_gaps (
    plan_id     INTEGER NOT NULL REFERENCES rota_plans (id),
    channel     TEXT NOT NULL,
    day         TEXT NOT NULL,
    start_hour  INTEGER NOT NULL,
    end_hour    INTEGER NOT NULL,
    missing     INTEGER NOT NULL,
    needed      INTEGER NOT NULL
);
CREATE TRIGGER rota_duties_no_delete BEFORE DELETE ON rota_duties
BEGIN SELECT RAISE(ABORT, 'rota duties are kept; mark them replaced'); END;
CREATE TRIGGER rota_duties_stay_replaced BEFORE UPDATE OF status ON rota_duties
WHEN OLD.status = 'replaced'
BEGIN SELECT RAISE(ABORT, 'a replaced duty cannot become active again'); END;
"""

# Readiness (remoteops.readiness): one snapshot of the counts per day (the latest run of the
# day wins), so the report can draw the burn-down of blocked employees per owner.
READINESS_SCHEMA = """
CREATE TABLE readiness_snapshots (
    day                 TEXT PRIMARY KEY,        -- ISO date the counts are of
    taken_at            TEXT NOT NULL,           -- UTC, ISO 8601: the run that wrote them
    actor               TEXT NOT NULL,
    employees           INTEGER NOT NULL,
    ready               INTEGER NOT NULL,
    blocked             INTEGER NOT NULL,
    unknown             INTEGER NOT NULL,
    overdue             INTEGER NOT NULL,
    blocked_it          INTEGER NOT NULL,        -- employees with a blocker IT owns
    blocked_hr          INTEGER NOT NULL,
    blocked_operations  INTEGER NOT NULL,
    teams               TEXT NOT NULL DEFAULT '{}'  -- JSON: the same counts per team
);
"""

#: Forward-only schema migrations, applied in order. Append; never edit a released one.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "audit log", _AUDIT_SCHEMA),
    Migration(2, "delivery runs", _DELIVERY_SCHEMA),
    Migration(3, "agreements", DOCUMENTS_SCHEMA),
    Migration(4, "provisioning runs", PROVISION_SCHEMA),
    Migration(5, "delivery due dates", _DELIVERY_DUE_SCHEMA),
    Migration(6, "support desk", SUPPORT_SCHEMA),
    Migration(7, "support rota", _ROTA_SCHEMA),
    Migration(8, "readiness snapshots", READINESS_SCHEMA),
)


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


def default_state_path(inventory_dir: Path) -> Path:
    """``REMOTEOPS_STATE`` if set, else ``.remoteops/state.db`` beside the inventory folder."""
    env = os.environ.get(STATE_ENV)
    if env:
        return Path(env)
    return Path(inventory_dir).resolve().parent / ".remoteops" / "state.db"


def current_actor() -> str:
    """Who is acting: ``REMOTEOPS_ACTOR`` if set (e.g. the real person behind a shared
    account), else the login name and host."""
    env = os.environ.get(ACTOR_ENV)
    if env:
        return env
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class StateStore:
    """The state database. Open it once per command; it is cheap."""

    def __init__(
        self,
        path: Path,
        *,
        migrations: tuple[Migration, ...] = MIGRATIONS,
        create: bool = True,
    ) -> None:
        """Open the store at ``path``. With ``create=False`` (read-only commands such as
        ``log`` or ``contracts status``) a missing file is not created: the store is then
        an empty one in memory, and :attr:`exists` is False."""
        self.path = Path(path)
        self._migrations = migrations
        self.exists = create or self.path.exists()
        try:
            if self.exists:
                self._create_private_file()
            self._conn = sqlite3.connect(
                self.path if self.exists else ":memory:",
                timeout=BUSY_TIMEOUT_SECONDS,
                isolation_level=None,
            )
            self._conn.row_factory = sqlite3.Row
            self._conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
            mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if self.exists and mode.lower() != "wal":
                raise StateError(f"Could not switch {self.path} to WAL mode (got {mode}).")
            self._conn.execute("PRAGMA synchronous = FULL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StateError(
                f"The state database {self.path} cannot be used: {exc}.",
                hint="If the file is damaged, move it away and run the command again; "
                "remoteops starts a new one (the history in the old file stays readable "
                "with sqlite3).",
            ) from exc

    # -- lifecycle ---------------------------------------------------------------------
    def _create_private_file(self) -> None:
        from remoteops.files import private_dir, tighten_private_file

        try:
            if self.path.parent.exists() and not self.path.parent.is_dir():
                raise StateError(
                    f"Cannot create the state database {self.path}: "
                    f"{self.path.parent} is a file, not a folder.",
                    hint=f"Choose another place with --state or {STATE_ENV}.",
                )
            if self.path.is_dir():
                raise StateError(
                    f"The state database {self.path} is a folder, not a file.",
                    hint=f"Give the path of a file with --state or {STATE_ENV}.",
                )
            private_dir(self.path.parent, notice=False)
            if not self.path.exists():
                fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
                os.close(fd)
            for path in (self.path, *(Path(f"{self.path}{s}") for s in ("-wal", "-shm"))):
                tighten_private_file(path, what="the state database")
        except OSError as exc:
            raise StateError(
                f"Cannot create the state database {self.path}: {exc.strerror}.",
                hint=f"Choose another place with --state or {STATE_ENV}.",
            ) from exc

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return self._conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        latest = self._migrations[-1].version if self._migrations else 0
        if self.schema_version == latest:
            return
        with self.transaction() as conn:
            # Re-read inside the write lock: another process may have migrated meanwhile.
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            if current > latest:
                raise StateError(
                    f"The state database {self.path} was written by a newer remoteops "
                    f"(schema {current}, this version knows {latest}).",
                    hint="Upgrade remoteops; nothing was changed.",
                )
            for migration in self._migrations:
                if migration.version > current:
                    for statement in _split_sql(migration.sql):
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {int(migration.version)}")

    # -- transactions ------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: ``BEGIN IMMEDIATE`` takes the write lock up front, so two
        writers never read-modify-write over each other; commit on success, roll back on
        any exception (including Ctrl-C)."""
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StateError(
                f"The state database {self.path} is busy or locked: {exc}.",
                hint="Another remoteops command is writing; try again when it has finished.",
            ) from exc
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent snapshot for several queries (WAL lets writers
        go on meanwhile). Do not write through it."""
        conn = self._conn
        conn.execute("BEGIN DEFERRED")
        try:
            yield conn
        finally:
            conn.execute("ROLLBACK")

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        return self._conn.execute(sql, params).fetchall()

    # -- audit log ---------------------------------------------------------------------
    def audit(
        self,
        conn: sqlite3.Connection,
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
        cur = conn.execute(
            "INSERT INTO audit_log (at, actor, action, employee_id, subject, details) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                (at or utcnow()).isoformat(),
                actor or current_actor(),
                action,
                employee_id,
                subject,
                json.dumps(details or {}, ensure_ascii=False, sort_keys=True, default=str),
            ),
        )
        return int(cur.lastrowid)

    def read_log(
        self,
        *,
        employee_id: str | None = None,
        action_prefix: str | None = None,
        since: dt.datetime | None = None,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        """Audit entries, newest first."""
        where, params = [], []
        if employee_id:
            where.append("employee_id = ?")
            params.append(employee_id)
        if action_prefix:
            where.append("action LIKE ? ESCAPE '\\'")
            params.append(_like_escape(action_prefix) + "%")
        if since:
            where.append("at >= ?")
            params.append(since.astimezone(dt.UTC).isoformat())
        sql = "SELECT * FROM audit_log"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY at DESC, id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
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
            for r in self.query(sql, tuple(params))
        ]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _split_sql(script: str) -> list[str]:
    """Split a migration script into statements (``sqlite3.complete_statement`` keeps
    trigger bodies with their inner semicolons together)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
