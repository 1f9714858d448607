"""``remoteops log``: the audit log, who did what when."""

from __future__ import annotations

from typing import Annotated

import typer

from remoteops.cli.common import CsvOption, JsonOption, emit, output_format, session

LOG_COLUMNS = {
    "at": "When (UTC)",
    "actor": "Who",
    "action": "What",
    "employee_id": "Employee",
    "subject": "About",
    "details": "Details",
}


def log(
    ctx: typer.Context,
    employee: Annotated[
        str | None, typer.Option("--employee", "-e", help="Only entries about this employee.")
    ] = None,
    action: Annotated[
        str | None, typer.Option(help="Only actions starting with this, e.g. 'contracts'.")
    ] = None,
    limit: Annotated[
        int, typer.Option(min=1, help="At most this many entries (newest first).")
    ] = 50,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Show the audit log: who did what, when, newest first.

    Example:

        remoteops log --employee E0042

        remoteops log --action routes --limit 200 --csv > deliveries.csv
    """
    output_format(as_json, as_csv)
    entries = (
        session(ctx)
        .store(read_only=True)
        .read_log(employee_id=employee, action_prefix=action, limit=limit)
    )
    emit(
        [e.as_row(details_as_text=not as_json) for e in entries],
        LOG_COLUMNS,
        as_json=as_json,
        as_csv=as_csv,
        title="Audit log",
        empty="The audit log is empty: remoteops has not recorded anything yet.",
    )
