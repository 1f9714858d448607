"""``remoteops rota``: the support rota (phone, chat, tickets, triage, IT on-call)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from remoteops.cli.common import CsvOption, JsonOption, console, emit, output_format, session
from remoteops.errors import UsageError

app = typer.Typer(
    help="""The support rota: who covers phone, chat, tickets, triage and IT on-call, and
    when, within the Arbeitszeitgesetz and the works agreement (inventory/rota.yml).

    Example:

        remoteops rota plan --from 2027-01-04 --weeks 4

        remoteops rota show --week 2027-W01

        remoteops rota now

        remoteops rota check

        remoteops rota cover 2027-01-05 E0003 --by E0008
    """
)
absences_app = typer.Typer(
    help="""Absences and wishes: a CSV template for the lead, its import, the list.

    Example:

        remoteops rota absences template absences-january.csv

        remoteops rota absences import absences-january.csv
    """
)
app.add_typer(absences_app, name="absences")

VIOLATION_COLUMNS = {"rule": "Rule", "day": "Day", "message": "What", "law": "Law"}
GAP_COLUMNS = {
    "channel": "Channel",
    "day": "Day",
    "hours": "Hours",
    "missing": "Missing",
    "needed": "Needed",
}
COVERAGE_COLUMNS = {
    "channel": "Channel",
    "coverage_percent": "Covered %",
    "gaps": "Gaps",
    "missing_person_hours": "Missing person-hours",
}
FAIRNESS_COLUMNS = {
    "employee_id": "ID",
    "name": "Name",
    "duties": "Duties",
    "hours": "Hours",
    "late": "Late",
    "weekend": "Weekend",
    "on_call": "On call",
    "roles": "Roles",
}
ABSENCE_COLUMNS = {
    "employee_id": "ID",
    "name": "Name",
    "from": "From",
    "to": "To",
    "kind": "Kind",
    "shift": "Shift",
    "note": "Note",
}

WeekOption = Annotated[
    str | None,
    typer.Option("--week", help="A week: 2027-W01 or any date in it [default: every planned day]."),
]


def _day(text: str, what: str) -> dt.date:
    from remoteops.inventory import parse_date

    try:
        return parse_date(text)
    except ValueError as exc:
        raise UsageError(f"{what}: {exc}") from None


def _week(week: str | None) -> tuple[dt.date | None, dt.date | None]:
    from remoteops.rota.operations import parse_week

    return parse_week(week) if week else (None, None)


def _stored(ctx: typer.Context, week: str | None):
    from remoteops.rota.operations import stored_rota

    s = session(ctx)
    return stored_rota(s.company(), s.store(read_only=True), *_week(week))


def _print_result(result, *, title: str) -> None:
    """Coverage, gaps and violations of a checked rota, for people."""
    out = console()
    emit(result.coverage_rows(), COVERAGE_COLUMNS, title=f"Coverage {title}")
    if result.gaps:
        emit([g.as_row() for g in result.gaps], GAP_COLUMNS, title="Gaps: people missing")
    if result.violations:
        emit([v.as_row() for v in result.violations], VIOLATION_COLUMNS, title="Violations")
        out.print(f"[bold red]{len(result.violations)} violation(s)[/] of the rules above.")
    else:
        out.print(
            "[bold green]Violations: 0[/] - every rule of the ArbZG, the works agreement "
            "and rota.yml is kept."
        )
    spreads = ", ".join(f"{k.replace('_', '-')} {v}" for k, v in result.spreads.items())
    out.print(f"Fairness spread (most minus fewest duties of a kind): {spreads}.")


@app.command("plan")
def plan_command(
    ctx: typer.Context,
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (a Monday fits).")],
    weeks: Annotated[int, typer.Option(help="Weeks to plan (1-26).")] = 4,
    seconds: Annotated[
        float, typer.Option(help="Time limit for the whole plan in seconds.")
    ] = 20.0,
    workers: Annotated[int, typer.Option(help="Solver threads (the machine's cores).")] = 2,
    seed: Annotated[int, typer.Option(help="Solver seed.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Plan the rota with the CP-SAT solver and store it; duties of other days stay.

    Hard: coverage comes as close as the rules allow; skills and languages, absences,
    10 h a day and 48 h a week, 11 h rest, breaks, Sundays and public holidays only on
    channels with a legal basis, 15 free Sundays a year, a replacement rest day, contract
    hours and the works agreement. Soft: fair late, weekend and on-call duties, wishes,
    rotation of roles, stable weekly patterns. Where people are missing, the gaps are
    listed (channel, day, hours, how many).

    Example:

        remoteops rota plan --from 2027-01-04 --weeks 4

        remoteops rota plan --from 2027-02-01 --weeks 4 --seconds 60 --json
    """
    from remoteops.rota.exports import duty_rows
    from remoteops.rota.operations import PlanRequest, plan

    output_format(as_json, False)
    request = PlanRequest(_day(start, "--from"), weeks, seconds, workers, seed)
    s = session(ctx)
    company = s.company()
    with console(stderr=True).status("Planning the rota ..."):
        outcome = plan(company, s.store(), request)
    result = outcome.result
    if as_json:
        emit(
            [
                {
                    "plan_id": outcome.plan_id,
                    "first_day": result.first.isoformat(),
                    "last_day": result.last.isoformat(),
                    "solver": outcome.stats.to_dict(),
                    "duties": duty_rows(result.duties, company.rota),
                    **result.summary(),
                }
            ],
            {},
            as_json=True,
        )
        return
    _print_result(result, title=f"{result.first:%Y-%m-%d} to {result.last:%Y-%m-%d}")
    st = outcome.stats
    console().print(
        f"Plan {outcome.plan_id}: {len(result.duties)} duties, {outcome.kept} duties of other "
        f"days kept; solver {st.status} in {st.seconds:.1f} s ({st.workers} workers, limit "
        f"{st.time_limit:g} s). See it with 'remoteops rota show --week "
        f"{result.first:%Y-%m-%d}'."
    )


@app.command("show")
def show_command(
    ctx: typer.Context,
    week: WeekOption = None,
    person: Annotated[str | None, typer.Option("--person", help="Only this employee.")] = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """The rota as a grid: one row per person, one column per day, each cell the channel
    and the hours ("phone 08:00-16:30"). Default: the first planned week.

    Example:

        remoteops rota show --week 2027-W01

        remoteops rota show --week 2027-01-04 --person E0005 --csv
    """
    from remoteops.rota.operations import grid

    s = session(ctx)
    first, last = _week(week)
    if person and not week:
        first = last = None
    g = grid(s.company(), s.store(read_only=True), first, last, person)
    columns = {"employee_id": "ID", "name": "Name"}
    columns |= {d.isoformat(): f"{d:%a %d.%m.}" for d in g.days}
    emit(
        list(g.rows),
        columns,
        as_json=as_json,
        as_csv=as_csv,
        title=f"Rota {g.days[0]:%Y-%m-%d} to {g.days[-1]:%Y-%m-%d}",
        empty="Nobody has a duty in these days.",
    )


@app.command("now")
def now_command(
    ctx: typer.Context,
    at: Annotated[
        str | None, typer.Option(help="Another moment, 'YYYY-MM-DD HH:MM' [default: now].")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Who is on each channel right now, with their phone numbers, and who is missing.

    Example:

        remoteops rota now

        remoteops rota now --at "2027-01-05 10:30"
    """
    from zoneinfo import ZoneInfo

    from remoteops.rota.operations import on_duty_now
    from remoteops.rota.settings import TIMEZONE

    if at:
        try:
            moment = dt.datetime.fromisoformat(at)
        except ValueError:
            raise UsageError(f"--at: {at!r} is not a moment; write 'YYYY-MM-DD HH:MM'.") from None
    else:
        moment = dt.datetime.now(ZoneInfo(TIMEZONE)).replace(tzinfo=None)
    s = session(ctx)
    rows = [r.as_row() for r in on_duty_now(s.company(), s.store(read_only=True), moment)]
    emit(
        rows,
        {"name": "Channel", "hotline": "Hotline", "on_duty": "On duty", "missing": "Missing"},
        as_json=as_json,
        title=f"On duty {moment:%a %Y-%m-%d %H:%M}",
    )


@app.command("coverage")
def coverage_command(
    ctx: typer.Context,
    week: WeekOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Coverage per channel in percent of the person-hours needed, and every gap.

    Example:

        remoteops rota coverage --week 2027-W02

        remoteops rota coverage --json
    """
    result = _stored(ctx, week)
    if as_json:
        rows = {"coverage": result.coverage_rows(), "gaps": [g.as_row() for g in result.gaps]}
        emit([rows], {}, as_json=True)
        return
    emit(result.coverage_rows(), COVERAGE_COLUMNS, as_csv=as_csv, title="Coverage")
    if not as_csv and result.gaps:
        emit([g.as_row() for g in result.gaps], GAP_COLUMNS, title="Gaps: people missing")


@app.command("fairness")
def fairness_command(
    ctx: typer.Context,
    week: WeekOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Per person: duties, hours, late, weekend and on-call duties and the roles taken.

    Example:

        remoteops rota fairness

        remoteops rota fairness --week 2027-W03 --csv > fairness.csv
    """
    result = _stored(ctx, week)
    emit(list(result.fairness), FAIRNESS_COLUMNS, as_json=as_json, as_csv=as_csv, title="Fairness")


@app.command("check")
def check_command(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Argument(help="A rota made elsewhere (CSV) [default: the stored rota]."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check a rota against every rule and list each violation with the law (§ ArbZG) or
    rule it breaks; exit 1 if there is one. The CSV needs employee_id, day, channel, start,
    end and break_minutes (what 'rota export' writes).

    Example:

        remoteops rota check

        remoteops rota check rota-from-the-spreadsheet.csv
    """
    from remoteops.rota.operations import check_file, stored_rota

    s = session(ctx)
    company = s.company()
    result = check_file(company, file) if file else stored_rota(company, s.store(read_only=True))
    if as_json:
        emit(
            [{"ok": result.ok, **result.summary()}],
            {},
            as_json=True,
        )
    else:
        _print_result(result, title=f"{result.first:%Y-%m-%d} to {result.last:%Y-%m-%d}")
    if result.violations:
        raise typer.Exit(1)


@app.command("swap")
def swap_command(
    ctx: typer.Context,
    day: Annotated[str, typer.Argument(help="The day, YYYY-MM-DD.")],
    first: Annotated[str, typer.Argument(help="An employee ID.")],
    second: Annotated[str, typer.Argument(help="The other employee ID.")],
) -> None:
    """Two people exchange their duties of a day (one of them may have none). Refused if
    the result breaks a rule; audit-logged.

    Example:

        remoteops rota swap 2027-01-05 E0003 E0008
    """
    from remoteops.rota.operations import swap

    s = session(ctx)
    change = swap(s.company(), s.store(), _day(day, "DAY"), first, second)
    _print_change(change)


@app.command("cover")
def cover_command(
    ctx: typer.Context,
    day: Annotated[str, typer.Argument(help="The day, YYYY-MM-DD.")],
    absent: Annotated[str, typer.Argument(help="Whose duty is taken over (employee ID).")],
    by: Annotated[str, typer.Option("--by", help="Who takes it over (employee ID).")],
) -> None:
    """Someone takes over another person's duty of a day (e.g. when they are ill).
    Refused if it breaks a rule; audit-logged.

    Example:

        remoteops rota cover 2027-01-05 E0003 --by E0008
    """
    from remoteops.rota.operations import cover

    s = session(ctx)
    change = cover(s.company(), s.store(), _day(day, "DAY"), absent, by)
    _print_change(change)


def _print_change(change) -> None:
    out = console()
    for duty in change.removed:
        out.print(
            f"- {duty.employee_id} {duty.channel} {duty.day:%Y-%m-%d} {duty.times.describe()}"
        )
    for duty in change.added:
        out.print(
            f"+ {duty.employee_id} {duty.channel} {duty.day:%Y-%m-%d} {duty.times.describe()}"
        )
    out.print("[green]Done[/]: checked against every rule and recorded in the audit log.")


@app.command("export")
def export_command(
    ctx: typer.Context,
    week: WeekOption = None,
    formats: Annotated[
        str, typer.Option("--format", help="Comma-separated: csv, json, ics, pdf.")
    ] = "csv,json,ics,pdf",
    out: Annotated[
        Path | None, typer.Option(help="Output folder [default: out/rota/ beside the inventory].")
    ] = None,
) -> None:
    """Write the rota as CSV and JSON, a calendar (.ics) per person and per channel, and a
    printable PDF per week, owner-only.

    Example:

        remoteops rota export --week 2027-W01

        remoteops rota export --format ics --out /tmp/rota
    """
    from remoteops.files import default_output_dir
    from remoteops.rota.operations import export_rota

    s = session(ctx)
    folder = out or default_output_dir(s.inventory) / "rota"
    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    paths = export_rota(s.company(), s.store(read_only=True), folder, *_week(week), chosen)
    out_ = console()
    out_.print(f"Wrote {len(paths)} file(s) to {folder} (owner-only):")
    for path in paths[:12]:
        out_.print(f"  {path}", markup=False)
    if len(paths) > 12:
        out_.print(f"  ... and {len(paths) - 12} more")


@absences_app.command("list")
def absences_list(ctx: typer.Context, as_json: JsonOption = False, as_csv: CsvOption = False):
    """The absences and wishes in the absences file.

    Example:

        remoteops rota absences list
    """
    from remoteops.rota.absences import list_absences

    rows = list_absences(session(ctx).company())
    emit(rows, ABSENCE_COLUMNS, as_json=as_json, as_csv=as_csv, empty="No absences.")


@absences_app.command("template")
def absences_template(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The CSV to write (owner-only).")],
) -> None:
    """Write a CSV with one row per person of the rota for the lead to fill in: from, to
    (YYYY-MM-DD), kind (vacation, absent, wish-off, wish-shift) and for wish-shift the
    shift pattern. Rows left empty are ignored on import.

    Example:

        remoteops rota absences template absences-january.csv
    """
    from remoteops.rota.absences import template

    path = template(session(ctx).company(), file)
    console().print(f"Wrote {path}; fill it in and run 'remoteops rota absences import {path}'.")


@absences_app.command("import")
def absences_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The filled CSV.")],
) -> None:
    """Check a filled absences CSV and add its rows to the company's absences file (nothing
    is written if a row is wrong; every wrong row is listed).

    Example:

        remoteops rota absences import absences-january.csv
    """
    from remoteops.rota.absences import import_absences

    target, added = import_absences(session(ctx).company(), file)
    console().print(f"Added {added} row(s) to {target}. Plan again to use them.")
