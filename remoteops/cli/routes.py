"""``remoteops routes``: plan, print and track the van runs that bring the equipment home."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from remoteops.cli.common import CsvOption, JsonOption, console, emit, output_format, session
from remoteops.errors import UsageError
from remoteops.routes import FAIL_REASONS

app = typer.Typer(
    help="""Delivery runs: plan the vans, print run sheets, track every stop.

    A day's work: plan the runs, print the run sheets and map, send the invitations, load
    the van, then record each stop as delivered or failed; replan what is left.

    Example:

        remoteops routes plan --from 2026-12-01 --days 5

        remoteops routes sheet 2026-12-01

        remoteops routes map 2026-12-01

        remoteops routes notify 2026-12-01

        remoteops routes load 2026-12-01 --van "VW Bus 1"

        remoteops routes deliver E0042 --received-by "Anna Weiß"

        remoteops routes status
    """
)


RUN_COLUMNS = {
    "day": "Day",
    "van": "Van",
    "stops": "Stops",
    "trips": "Trips",
    "boxes": "Boxes",
    "start": "Start",
    "end": "Back",
    "km": "km",
    "driving_minutes": "Driving min",
    "working_minutes": "Working min",
}
STOP_COLUMNS = {
    "stop": "#",
    "trip": "Trip",
    "employee_id": "ID",
    "name": "Employee",
    "arrival_window": "Arrival window",
    "boxes": "Boxes",
    "km_from_previous": "km",
    "starts": "Starts",
    "slack_days": "Slack",
    "note": "Note",
}
COMPARE_COLUMNS = {
    "variant": "Variant",
    "late": "Late",
    "employee_days_late": "Employee-days late",
    "left_over": "Left over",
    "van_days": "Van-days",
    "rental_days": "Rental days",
    "km": "km",
    "driving_hours": "Driving h",
    "cost_eur": "Cost EUR",
}
LATE_COLUMNS = {
    "employee_id": "ID",
    "name": "Employee",
    "due": "Due",
    "day": "Delivered",
    "days_late": "Days late",
    "reason": "Why",
}
LEFT_COLUMNS = {
    "employee_id": "ID",
    "name": "Employee",
    "boxes": "Boxes",
    "reason": "Reason",
    "detail": "Why",
}


def _day(text: str, option: str) -> dt.date:
    from remoteops.inventory import parse_date

    try:
        return parse_date(text)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def _next_working_day() -> dt.date:
    day = dt.date.today() + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _out_dir(ctx: typer.Context, out: Path | None, *parts: str) -> Path:
    from remoteops.files import default_output_dir

    return out or default_output_dir(session(ctx).inventory).joinpath("routes", *parts)


FromOption = Annotated[
    str | None,
    typer.Option("--from", help="First delivery day, YYYY-MM-DD [default: next working day]."),
]
DaysOption = Annotated[int, typer.Option(help="Working days to plan (weekends, holidays skipped).")]
VansOption = Annotated[int | None, typer.Option(help="Vans per day [default: company.yml].")]
CapacityOption = Annotated[
    int | None, typer.Option(help="Boxes per van load [default: company.yml].")
]
SecondsOption = Annotated[
    float | None,
    typer.Option(help="Time limit for the solver in seconds, above 0 [default: 20]."),
]
SeedOption = Annotated[
    int | None, typer.Option(help="Solver seed, 0 or more: same seed, same plan.")
]
OsrmOption = Annotated[
    str | None,
    typer.Option(help="Road distances from an OSRM server (table service), http(s) URL."),
]
MatrixOption = Annotated[
    Path | None, typer.Option(help="Road distances from a CSV file: from,to,km,minutes.")
]
OutOption = Annotated[
    Path | None, typer.Option(help="Output folder [default: out/routes/ beside the inventory].")
]


RequireProvisionedOption = Annotated[
    bool,
    typer.Option(
        "--require-provisioned",
        help="Leave out employees whose workstation's last baseline run failed or never ran.",
    ),
]
WhatIfOption = Annotated[
    list[str] | None,
    typer.Option(
        "--what-if",
        help="Also plan with KEY=VALUE changed (vans, days, from, capacity, lead_days, "
        "rental) and compare side by side; repeatable; not stored.",
    ),
]


_PLAN_OPTIONS = (
    "start",
    "days",
    "vans",
    "capacity",
    "seconds",
    "seed",
    "osrm",
    "matrix",
    "as_json",
    "require_provisioned",
    "what_if",
)


def _options(values: dict) -> dict:
    """The options ``routes plan`` and ``routes replan`` share, from a command's locals."""
    return {name: values[name] for name in _PLAN_OPTIONS}


def _plan(
    ctx,
    *,
    replan,
    start,
    days,
    vans,
    capacity,
    seconds,
    seed,
    osrm,
    matrix,
    as_json,
    require_provisioned=False,
    what_if=None,
):
    from remoteops.routes.operations import PlanRequest, plan
    from remoteops.routes.whatif import parse_what_if

    output_format(as_json, False)
    request = PlanRequest(
        start=_day(start, "--from") if start else _next_working_day(),
        days=days,
        vans=vans,
        capacity=capacity,
        seconds=seconds,
        seed=seed,
        osrm_url=osrm,
        matrix_file=matrix,
        require_provisioned=require_provisioned,
        what_if=tuple(parse_what_if(w) for w in what_if or ()),
    )
    s = session(ctx)
    company = s.company()
    with console(stderr=True).status("Planning the delivery runs ..."):
        outcome = plan(company, s.store(), request, replan=replan)
    result = outcome.plan
    if as_json:
        emit(
            [
                {
                    "plan_id": outcome.plan_id,
                    "totals": result.totals(),
                    "runs": result.run_rows(),
                    "stops": result.stop_rows(not_provisioned=outcome.not_provisioned),
                    "left_over": result.left_over_rows(),
                    "late": result.late_rows(),
                    "fix": outcome.fix.text if outcome.fix else None,
                    "what_if": list(outcome.comparison),
                }
            ],
            {},
            as_json=True,
        )
        return
    _print_plan(outcome)


def _table_stop(row: dict) -> dict:
    """A stop row as the plan's table shows it: start date as dd.mm., one short note."""
    start = row["home_office_start"]
    note = ", ".join(x for x in (row["late"], "not provisioned" if row["workstation"] else "") if x)
    return {**row, "starts": f"{start[8:10]}.{start[5:7]}." if start else "", "note": note}


def _print_plan(outcome) -> None:
    out = console()
    plan_id, result = outcome.plan_id, outcome.plan
    rows = [_table_stop(r) for r in result.stop_rows(not_provisioned=outcome.not_provisioned)]
    for run in result.run_rows():
        stops = [r for r in rows if r["day"] == run["day"] and r["van"] == run["van"]]
        emit(
            stops,
            STOP_COLUMNS,
            title=(
                f"{run['day']} {run['van']}: {run['stops']} stops, {run['boxes']} boxes, "
                f"{run['km']} km, {run['start']}-{run['end']}, driving {run['driving_minutes']} "
                f"min, working {run['working_minutes']} min"
            ),
        )
    emit(result.run_rows(), RUN_COLUMNS, title="Van-days")
    if result.left_over:
        emit(result.left_over_rows(), LEFT_COLUMNS, title="Not in this plan")
    t = result.totals()
    if result.late:
        emit(result.late_rows(), LATE_COLUMNS, title="Late: equipment after the due date")
    out.print(
        f"Plan {plan_id}: {t['stops']} stops on {t['van_days']} van-days over {t['days']} "
        f"working days ({t['rental_days']} rental days, {t['rental']}), {t['boxes']} boxes, "
        f"{t['km']} km, {t['driving_hours']} h driving, {t['working_hours']} h working; "
        f"{t['left_over']} left over. Travel: {t['travel_model']}; seed {t['seed']}, "
        f"{t['solve_seconds']:.1f} s."
    )
    if not result.late:
        out.print("[bold green]Late: 0[/] - everyone planned gets their equipment by the due date.")
    else:
        avoidable = t["late"] - t["late_unavoidable"]
        out.print(
            f"[bold red]Late: {t['late']}[/] ({t['employee_days_late']} employee-days; "
            f"{t['late_unavoidable']} unavoidable in this horizon, {avoidable} for lack of "
            "vans). See the table above."
        )
    if outcome.fix:
        out.print(f"Fix, planned and checked: {outcome.fix.text}.")
    elif result.late:
        out.print("No extra van or earlier start tried brings them on time.")
    flagged = sum(1 for r in rows if r["workstation"])
    if flagged:
        out.print(
            f"[yellow]{flagged} planned workstation(s) are not provisioned[/] (column "
            "Note): run 'remoteops provision' before loading, or plan with "
            "--require-provisioned."
        )
    if outcome.comparison:
        emit(list(outcome.comparison), COMPARE_COLUMNS, title="What if")
    if not result.deterministic:
        out.print(
            "[yellow]The solver hit its time limit, so another run may differ; give it more "
            "--seconds for a repeatable plan.[/]"
        )


@app.command("plan")
def plan_command(
    ctx: typer.Context,
    start: FromOption = None,
    days: DaysOption = 5,
    vans: VansOption = None,
    capacity: CapacityOption = None,
    seconds: SecondsOption = None,
    seed: SeedOption = None,
    osrm: OsrmOption = None,
    matrix: MatrixOption = None,
    require_provisioned: RequireProvisionedOption = False,
    what_if: WhatIfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Plan the van runs for everyone waiting for equipment and store the plan.

    The equipment must arrive by each employee's due date (delivery.lead_days working days
    before their home-office start). The plan keeps everyone on time where the vans allow,
    then uses the fewest van-days, then drives the least. Prints per day and van the stops
    in order with arrival windows, start date and slack; who is late (and a fix that was
    planned and works), who is left over and why.

    Example:

        remoteops routes plan --from 2026-12-01 --days 8

        remoteops routes plan --from 2026-12-01 --days 8 --what-if vans=2 --what-if days=10

        remoteops routes plan --from 2026-12-01 --days 3 --vans 2 --capacity 30 --seconds 10
    """
    _plan(ctx, replan=False, **_options(locals()))


@app.command("replan")
def replan_command(
    ctx: typer.Context,
    start: FromOption = None,
    days: DaysOption = 5,
    vans: VansOption = None,
    capacity: CapacityOption = None,
    seconds: SecondsOption = None,
    seed: SeedOption = None,
    osrm: OsrmOption = None,
    matrix: MatrixOption = None,
    require_provisioned: RequireProvisionedOption = False,
    what_if: WhatIfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Plan again everything not yet delivered (failed stops included) from a day on;
    loaded runs stay exactly as they are, everyone else is planned against their due date
    again.

    Example:

        remoteops routes replan --from 2026-12-03 --days 5
    """
    _plan(ctx, replan=True, **_options(locals()))


@app.command("sheet")
def sheet_command(
    ctx: typer.Context,
    day: Annotated[str, typer.Argument(help="The delivery day, YYYY-MM-DD.")],
    van: Annotated[str | None, typer.Option(help="Only this van.")] = None,
    lang: Annotated[
        str | None,
        typer.Option(help="Language of the sheet: de or en [default: delivery.language]."),
    ] = None,
    out: OutOption = None,
) -> None:
    """The driver's run sheet (PDF and CSV): driver, van, number plate and dispatcher's
    phone; what to do when nobody is home; each stop with ETA, arrival window, time at the
    door, name, address, phone, delivery note, a tick box per device, a QR code to navigate
    there, and "received by" and signature fields; the loading order and an overview map.

    Example:

        remoteops routes sheet 2026-12-01 --van "VW Bus 1"

        remoteops routes sheet 2026-12-01 --lang en
    """
    from remoteops.routes.operations import write_run_sheets

    s = session(ctx)
    when = _day(day, "DAY")
    folder = _out_dir(ctx, out, str(when))
    paths = write_run_sheets(s.company(), s.store(), when, folder, van=van, language=lang)
    _print_written(paths)


@app.command("map")
def map_command(
    ctx: typer.Context,
    day: Annotated[str | None, typer.Argument(help="One day [default: every day].")] = None,
    lang: Annotated[
        str | None,
        typer.Option(help="Language of the map: de or en [default: delivery.language]."),
    ] = None,
    out: OutOption = None,
) -> None:
    """A map of the runs: interactive HTML (Leaflet) and a static PNG, in the company's
    language.

    Example:

        remoteops routes map 2026-12-01

        remoteops routes map --lang en
    """
    from remoteops.routes.operations import write_maps

    s = session(ctx)
    when = _day(day, "DAY") if day else None
    folder = _out_dir(ctx, out)
    _print_written(write_maps(s.company(), s.store(), when, folder, language=lang))


@app.command("notify")
def notify_command(
    ctx: typer.Context,
    day: Annotated[str | None, typer.Argument(help="One day [default: every day].")] = None,
    out: OutOption = None,
) -> None:
    """Per employee a calendar invitation (.ics) with the arrival window, and the message
    text in their language (.txt), ready to send.

    Example:

        remoteops routes notify 2026-12-01
    """
    from remoteops.routes.operations import write_notifications

    s = session(ctx)
    when = _day(day, "DAY") if day else None
    folder = _out_dir(ctx, out, "notify", str(when) if when else "all")
    _print_written(write_notifications(s.company(), s.store(), when, folder), summary=True)


@app.command("load")
def load_command(
    ctx: typer.Context,
    day: Annotated[str, typer.Argument(help="The delivery day, YYYY-MM-DD.")],
    van: Annotated[str, typer.Option(help="The van being loaded.")],
) -> None:
    """Mark a run as loaded: from now on it is never reordered or replanned.

    Example:

        remoteops routes load 2026-12-01 --van "VW Bus 1"
    """
    from remoteops.routes.operations import load

    run = load(session(ctx).store(), _day(day, "DAY"), van)
    console().print(
        f"Loaded: {run.van} on {run.day:%Y-%m-%d}, {len(run.run.stops)} stops, "
        f"{run.run.boxes} boxes. Load in the order of the run sheet."
    )


@app.command("deliver")
def deliver_command(
    ctx: typer.Context,
    employee_id: Annotated[str, typer.Argument(help="The employee whose equipment arrived.")],
    received_by: Annotated[str, typer.Option(help="Who signed for it.")],
    note: Annotated[str | None, typer.Option(help="Anything worth keeping.")] = None,
) -> None:
    """Record a delivery: the equipment was handed over and signed for.

    Example:

        remoteops routes deliver E0042 --received-by "Anna Weiß"
    """
    from remoteops.routes.operations import deliver

    s = session(ctx)
    employee = s.company().employee(employee_id)
    deliver(s.store(), employee_id, received_by, note)
    console().print(
        f"Delivered to {employee.full_name} ({employee_id}), received by {received_by}."
    )


@app.command("fail")
def fail_command(
    ctx: typer.Context,
    employee_id: Annotated[str, typer.Argument(help="The employee the van could not serve.")],
    reason: Annotated[str, typer.Option(help=f"One of: {', '.join(FAIL_REASONS)}.")],
    note: Annotated[str | None, typer.Option(help="What happened.")] = None,
) -> None:
    """Record a failed stop; the employee goes back to the pool for the next replan.

    Example:

        remoteops routes fail E0042 --reason not-home --note "neighbour did not answer"
    """
    from remoteops.routes.operations import fail

    s = session(ctx)
    employee = s.company().employee(employee_id)
    fail(s.store(), employee_id, reason, note)
    console().print(
        f"Recorded: delivery to {employee.full_name} ({employee_id}) failed ({reason}). "
        "Run 'remoteops routes replan' to schedule them again."
    )


@app.command("status")
def status_command(
    ctx: typer.Context,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Where every delivery stands: delivered, failed, on a van, planned, not yet planned,
    and the km driven so far.

    Example:

        remoteops routes status

        remoteops routes status --csv > deliveries.csv
    """
    from remoteops.routes.operations import status

    output_format(as_json, as_csv)
    s = session(ctx)
    company = s.company()
    st = status(company, s.store(read_only=True))
    states = {}
    for state, ids in (
        ("delivered", st.delivered),
        ("failed", st.failed),
        ("on the van", st.on_van),
        ("planned", st.planned),
    ):
        states.update(dict.fromkeys(ids, state))
    rows = [
        {
            "employee_id": e,
            "name": company.employee(e).full_name,
            "postcode": company.employee(e).address.postcode,
            "state": states.get(e, "not planned"),
        }
        for e in sorted(set(st.outstanding) | set(st.delivered))
    ]
    if as_json or as_csv:
        emit(
            rows,
            {"employee_id": "ID", "name": "Employee", "postcode": "PLZ", "state": "State"},
            as_json=as_json,
            as_csv=as_csv,
        )
        return
    emit(
        [r for r in rows if r["state"] != "delivered"],
        {"employee_id": "ID", "name": "Employee", "postcode": "PLZ", "state": "State"},
        title="Still waiting",
        empty="Nobody is waiting: every delivery is done.",
    )
    console().print(
        f"{len(st.delivered)} delivered, {len(st.failed)} failed (to replan), "
        f"{len(st.on_van)} on a van, {len(st.planned)} planned, "
        f"{len(st.unplanned) - len(st.failed)} not planned; "
        f"{st.loaded_runs} of {st.runs} runs loaded; {st.km_so_far} km driven so far."
    )


def _print_written(paths: list[Path], *, summary: bool = False) -> None:
    out = console()
    if summary and len(paths) > 6:
        out.print(f"Wrote {len(paths)} files to {paths[0].parent}/ (owner-only).")
        return
    for path in paths:
        out.print(f"Wrote {path}")
