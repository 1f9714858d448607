"""``remoteops state``: look after the state store (schema migrations, moving to PostgreSQL)."""

from __future__ import annotations

from typing import Annotated

import typer

from remoteops.cli.common import JsonOption, console, emit, session

app = typer.Typer(
    help="""The state store: where remoteops records what it did (an SQLite file by default,
    or a shared PostgreSQL database given with --state postgresql://user@host/database or
    REMOTEOPS_STATE).

    Example:

        remoteops --state postgresql://ops@db.example.com/remoteops state migrate

        remoteops state copy .remoteops/state.db postgresql://ops@db.example.com/remoteops
    """,
    no_args_is_help=True,
)


@app.command("migrate")
def migrate(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show the pending migrations.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Bring the state store's schema up to date: shows the pending migrations, then applies
    them in one transaction. A shared PostgreSQL database moves forward only through this
    command; an SQLite file also does on first use.

    Example:

        remoteops --state postgresql://ops@db.example.com/remoteops state migrate --dry-run

        remoteops --state postgresql://ops@db.example.com/remoteops state migrate
    """
    from remoteops.state.admin import migrate_store

    report = migrate_store(session(ctx).state_target(), apply=not dry_run)
    emit(
        report.rows(),
        {"version": "Version", "description": "Migration", "status": "Status"},
        as_json=as_json,
        title=f"Migrations of {report.where}",
        empty=f"{report.where} is up to date (schema {report.version_before}).",
    )
    if report.pending and not as_json:
        done = "now at" if report.applied else "would move to"
        console().print(
            f"Schema {report.version_before} -> {done} {report.pending[-1].version}.",
            markup=False,
        )


@app.command("copy")
def copy(
    source: Annotated[str, typer.Argument(help="The store to copy: an SQLite file.")],
    target: Annotated[
        str, typer.Argument(help="An empty PostgreSQL database: postgresql://user@host/db.")
    ],
    as_json: JsonOption = False,
) -> None:
    """Copy a state store (an SQLite file) into an empty PostgreSQL database, in one
    transaction: the schema is created, every table copied, the row counts compared; a
    target that already holds data is refused. The source is left as it is.

    Example:

        remoteops state copy .remoteops/state.db postgresql://ops@db.example.com/remoteops
    """
    from remoteops.state.admin import copy_store

    report = copy_store(source, target)
    emit(
        report.as_rows(),
        {"table": "Table", "rows": "Rows copied (same in both)"},
        as_json=as_json,
        title=f"Copied {report.source} -> {report.target} (schema {report.schema_version})",
    )
