"""Looking after a state store: bring its schema forward (``remoteops state migrate``) and
move an SQLite store into PostgreSQL (``remoteops state copy``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from remoteops.errors import StateError, UsageError
from remoteops.state.backends import locate
from remoteops.state.schema import Migration
from remoteops.state.store import StateStore

#: Tables the databases keep for themselves, never copied.
_OWN_TABLES = {"sqlite_sequence", "remoteops_schema"}
_BATCH = 1000


@dataclass(frozen=True)
class MigrationReport:
    where: str  # the store, without any password
    version_before: int
    pending: tuple[Migration, ...]
    applied: bool

    @property
    def version_after(self) -> int:
        if self.applied and self.pending:
            return self.pending[-1].version
        return self.version_before

    def rows(self) -> list[dict[str, object]]:
        return [
            {
                "version": m.version,
                "description": m.description,
                "status": "applied" if self.applied else "pending",
            }
            for m in self.pending
        ]


def migrate_store(target: str | Path, *, apply: bool = True) -> MigrationReport:
    """The migrations ``target`` lacks, applied in one transaction unless ``apply`` is
    False. A database written by a newer remoteops is refused untouched."""
    with StateStore(target, migrate=False) as store:
        before = store.schema_version
        pending = tuple(store.pending_migrations())
        if apply and pending:
            store.migrate()
        return MigrationReport(store.location.shown(), before, pending, apply)


@dataclass(frozen=True)
class CopyReport:
    source: str
    target: str
    schema_version: int
    rows: dict[str, int] = field(default_factory=dict)  # per table, as in both stores

    def as_rows(self) -> list[dict[str, object]]:
        return [{"table": t, "rows": n} for t, n in self.rows.items()]


def copy_store(source: str | Path, target: str | Path, *, actor: str | None = None) -> CopyReport:
    """Copy every table of the store at ``source`` into the empty PostgreSQL store at
    ``target``, in one transaction: the row count of each table must match, or nothing is
    kept. The target gets the schema first; a target holding any row is refused."""
    if locate(target).dialect != "postgresql":
        raise UsageError(
            "The copy goes into a PostgreSQL database.",
            hint="Give it as postgresql://user@host/database.",
        )
    if locate(source).location_key() == locate(target).location_key():
        raise UsageError("The source and the target are the same database.")
    with StateStore(source, create=False, migrate=False) as src:
        if not src.exists:
            raise StateError(
                f"There is no state database at {src.location}.",
                hint="Give the path of the SQLite file to copy (see --state).",
            )
        pending = src.pending_migrations()
        if pending:
            raise StateError(
                f"The state database {src.location} has schema {src.schema_version}; this "
                f"remoteops needs {pending[-1].version}.",
                hint=f"Bring it forward first: remoteops --state {src.location} state migrate",
            )
        with StateStore(target, migrate=True) as dst:
            return _copy(src, dst, actor)


def _copy(src: StateStore, dst: StateStore, actor: str | None) -> CopyReport:
    source_meta = sa.MetaData()
    with src.reading() as read:
        source_meta.reflect(read.sa)
        tables = [t for t in source_meta.sorted_tables if t.name not in _OWN_TABLES]
        with dst.transaction() as write:
            target_meta = sa.MetaData()
            target_meta.reflect(write.sa, only=[t.name for t in tables])
            busy = {
                t.name: n
                for t in tables
                if (n := write.sa.execute(sa.select(sa.func.count()).select_from(t)).scalar())
            }
            if busy:
                raise StateError(
                    f"The target {dst.location} already holds data ("
                    + ", ".join(f"{t}: {n} rows" for t, n in busy.items())
                    + ").",
                    hint="Copy into a new, empty database; nothing was changed.",
                )
            counts = {}
            for table in tables:
                counts[table.name] = _copy_table(read.sa, write.sa, table, target_meta)
            dst.audit(
                write,
                "state.copied",
                actor=actor,
                subject=src.location.shown(),
                details={"from": src.location.shown(), "rows": counts},
            )
    return CopyReport(src.location.shown(), dst.location.shown(), dst.schema_version, counts)


def _copy_table(read: sa.Connection, write: sa.Connection, table: sa.Table, meta) -> int:
    target = meta.tables[table.name]
    columns = [c.name for c in table.columns if c.name in target.columns]
    order = [sa.literal_column("rowid")] if read.dialect.name == "sqlite" else []
    order += list(table.primary_key.columns)
    query = sa.select(*(table.c[c] for c in columns)).order_by(*order)
    # the rules enforced by triggers (a loaded run's stops, append-only history) are about
    # changes made later, not about history copied as it is: off for this transaction only
    write.exec_driver_sql(f'ALTER TABLE "{table.name}" DISABLE TRIGGER USER')
    copied = 0
    result = read.execution_options(yield_per=_BATCH).execute(query)
    for batch in result.mappings().partitions(_BATCH):
        write.execute(target.insert(), [dict(r) for r in batch])
        copied += len(batch)
    write.exec_driver_sql(f'ALTER TABLE "{table.name}" ENABLE TRIGGER USER')
    if "id" in target.columns and target.c.id.identity is not None:
        write.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence(:t, 'id'), "
                f'(SELECT COALESCE(max(id), 0) + 1 FROM "{table.name}"), false)'
            ),
            {"t": table.name},
        )
    in_source = read.execute(sa.select(sa.func.count()).select_from(table)).scalar()
    in_target = write.execute(sa.select(sa.func.count()).select_from(target)).scalar()
    if not in_source == in_target == copied:
        raise StateError(
            f"Copying {table.name} gave {in_target} rows for {in_source} in the source.",
            hint="Nothing was kept in the target; run the copy again.",
        )
    return copied
