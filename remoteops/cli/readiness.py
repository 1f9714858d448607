"""``remoteops readiness``: who can work from home, what holds the others back, by owner."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from remoteops.cli.common import CsvOption, JsonOption, console, emit, output_format, session
from remoteops.errors import UsageError

app = typer.Typer(
    help="""Readiness: per employee ready, blocked or unknown, with the evidence of each stage
    (IT: provisioned, remote check; HR: agreements signed; operations: equipment delivered),
    and for every blocker its owner, the next step and the due date (the home-office start).

    Every run for today stores the day's snapshot of the counts (the latest run of a day
    wins), which the HTML report draws as a burn-down; 'readiness snapshot' stores one
    without printing the report (for cron).

    Example:

        remoteops readiness

        remoteops readiness --team Outbound --as-of 2026-12-10

        remoteops readiness --html out/readiness.html

        remoteops readiness --csv > readiness.csv

        remoteops readiness snapshot
    """,
    invoke_without_command=True,
)

_STYLE = {"ready": "green", "blocked": "red", "unknown": "yellow"}


def _as_of(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not a date; write YYYY-MM-DD.") from None


@app.callback(invoke_without_command=True)
def readiness_command(
    ctx: typer.Context,
    team: Annotated[
        str | None, typer.Option(help="Only this team (its name or the start of it).")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(help="Evaluate on this day, YYYY-MM-DD: past or future [default: today]."),
    ] = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
    html: Annotated[
        Path | None,
        typer.Option(help="Also write the HTML report to this file (owner-only, offline)."),
    ] = None,
    summary: Annotated[
        bool, typer.Option(help="Only the totals per team and owner, not every employee.")
    ] = False,
) -> None:
    """Per employee scheduled for home office: ready, blocked or unknown, and what to do.

    Example:

        remoteops readiness --team Outbound --html out/readiness.html
    """
    if ctx.invoked_subcommand is not None:
        return
    from remoteops.readiness.report import run_readiness

    fmt = output_format(as_json, as_csv)
    s = session(ctx)
    company = s.company()
    report, page = run_readiness(company, s.store(), team=team, as_of=_as_of(as_of), html=html)
    if fmt == "json":
        json.dump(report.as_dict(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif fmt == "csv":
        rows = [e.as_row() for e in report.employees]
        emit(rows, {k: k for k in rows[0]} if rows else {"employee_id": "employee_id"}, as_csv=True)
    else:
        _print(report, summary=summary)
    if page is not None:
        console(stderr=fmt != "table").print(f"Wrote {page} (owner-only).", markup=False)


def _print_employees(report) -> None:
    from rich.table import Table
    from rich.text import Text

    from remoteops.readiness.model import STAGES

    table = Table(title=f"Readiness on {report.as_of}", title_justify="left", header_style="bold")
    table.add_column("ID", no_wrap=True)
    table.add_column("Employee", no_wrap=True)
    for header in ("Team", "Start", "Status", *(s.short for s in STAGES)):
        table.add_column(header)
    table.add_column("Next step")
    for e in report.employees:
        start = Text(str(e.start or ""))
        if e.overdue:
            start.append(f" +{e.days_overdue}d", style="red")
        first = e.open_items[0] if e.open_items else None
        table.add_row(
            Text(e.employee_id),
            Text(e.name),
            Text(e.team),
            start,
            Text(e.status, style=_STYLE[e.status]),
            *(Text(r.status, style=_STYLE[r.status]) for r in e.stages),
            Text(f"{first.owner}: {first.action}" if first else ""),
        )
    console().print(table)


def _print_teams(report) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=f"Readiness on {report.as_of} by team", title_justify="left", header_style="bold"
    )
    for header in ("Team", "Employees", "Ready", "Blocked", "Unknown", "Overdue"):
        table.add_column(header, justify="left" if header == "Team" else "right")
    for team, c in report.team_totals().items():
        counts = (c.employees, c.ready, c.blocked, c.unknown, c.overdue)
        table.add_row(Text(team), *(str(v) for v in counts))
    console().print(table)


def _print(report, *, summary: bool = False) -> None:
    from remoteops.readiness.model import OWNERS, STAGES

    out = console()
    if summary:
        _print_teams(report)
    else:
        _print_employees(report)
    c = report.counts
    out.print(
        f"{c.employees} employees: {c.ready} ready, {c.blocked} blocked, {c.unknown} unknown; "
        f"{c.overdue} overdue against their start date.",
        markup=False,
    )
    owners = report.blocked_by_owner()
    out.print(
        "Blocked by owner: " + ", ".join(f"{o} {owners[o]}" for o in OWNERS) + ".", markup=False
    )
    totals = report.stage_totals()
    out.print(
        "Stages ready: "
        + ", ".join(f"{s.short} {totals[s.id]['ready']}/{c.employees}" for s in STAGES)
        + ".",
        markup=False,
    )
    outlook = report.outlook
    if outlook.ready_by and outlook.ready_by < report.as_of:
        when = f"its last run was on {outlook.ready_by}; {outlook.waiting} deliveries not recorded"
    elif outlook.ready_by:
        when = f"everyone has their equipment by {outlook.ready_by}"
    elif outlook.waiting:
        when = f"{len(outlook.unplanned)} of {outlook.waiting} still waiting are on no run"
    else:
        when = "every delivery is made"
    late = f"; {len(outlook.late)} planned on or after their start" if outlook.late else ""
    out.print(f"Delivery plan: {when}{late}.", markup=False)
    if report.snapshot is not None:
        out.print(f"Stored the snapshot of {report.snapshot.day}.", markup=False)
    else:
        out.print(f"Evaluated as of {report.as_of}: no snapshot stored.", markup=False)


@app.command("snapshot")
def snapshot_command(ctx: typer.Context) -> None:
    """Store today's snapshot of the counts without printing the report (for cron); a later
    run of the same day replaces it.

    Example:

        remoteops readiness snapshot
    """
    from remoteops.readiness.report import take_snapshot

    s = session(ctx)
    snap = take_snapshot(s.company(), s.store())
    c = snap.counts
    console().print(
        f"Stored the readiness snapshot of {snap.day}: {c.employees} employees, {c.ready} "
        f"ready, {c.blocked} blocked, {c.unknown} unknown.",
        markup=False,
    )
