"""``remoteops support``: diagnose home workstations, watch the fleet, read the history."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from remoteops.cli.common import CsvOption, JsonOption, console, emit, output_format, session

app = typer.Typer(
    help="""The support desk: find out what is wrong with a home workstation, tell the
    employee in their language what happens next, and watch every workstation at once.

    Example:

        remoteops support diagnose E0042

        remoteops support fleet team_outbound

        remoteops support history ws-e0042

        remoteops support policies
    """
)

NoBaselineOption = Annotated[
    bool,
    typer.Option(
        "--no-baseline",
        help="Skip the check of the company settings (a check-mode run of workstation.yml; "
        "the slowest part).",
    ),
]
VaultOption = Annotated[
    Path | None,
    typer.Option(
        help="The ansible-vault password [default: <inventory>/.vault-password, "
        "or REMOTEOPS_VAULT_PASSWORD]."
    ),
]
RESULT_COLUMNS = {
    "result": "Result",
    "title": "Check",
    "meaning": "What it means",
    "repair": "Repair",
}
_SHOWN = {"pass": "pass", "fail": "FAIL", "error": "error"}


def _rows(results) -> list[dict]:
    """One line per policy: result, what it means (an error shows its reason), repair."""
    rows = []
    for r in results:
        meaning = r.detail if r.status != "error" else f"{r.detail}: {r.error}"
        repair = (r.repair or "none remotely (see the message)") if r.status == "fail" else "-"
        rows.append(
            {"result": _SHOWN[r.status], "title": r.title, "meaning": meaning, "repair": repair}
        )
    return rows


def _live(run):
    """Run ``run(progress)`` with the provisioning live view on stderr."""
    from rich.live import Live

    from remoteops.cli.provision import LiveView

    view = LiveView()
    with Live(view, console=console(stderr=True), transient=True, refresh_per_second=4):
        return run(view.update)


def _who(host: str, employee, employee_id: str | None) -> str:
    if employee is not None:
        return f"{host} ({employee.full_name}, {employee.employee_id})"
    return f"{host} ({employee_id})" if employee_id else host


@app.command("diagnose")
def diagnose_command(
    ctx: typer.Context,
    target: Annotated[
        str, typer.Argument(help="An employee ID (E0042) or a workstation (ws-e0042).")
    ],
    no_baseline: NoBaselineOption = False,
    vault_password_file: VaultOption = None,
    as_json: JsonOption = False,
) -> None:
    """Diagnose one workstation: one line per check (pass, FAIL or error with its reason),
    what it means and the suggested repair, then the message for the employee in their
    language. Changes nothing on the workstation. An unreachable workstation shows its last
    known state and what the employee can check; exit code 1.

    Example:

        remoteops support diagnose E0042

        remoteops support diagnose lab-01 --no-baseline --json
    """
    from remoteops.lab import default_lab_directory
    from remoteops.support import DiagnoseOptions, diagnose

    s = session(ctx)
    company = s.company()
    options = DiagnoseOptions(baseline=not no_baseline, vault_password_file=vault_password_file)

    def run(progress=None):
        return diagnose(
            company,
            s.store(),
            s.inventory,
            target,
            lab_dir=default_lab_directory(),
            options=options,
            progress=progress,
        )

    report = run() if as_json else _live(run)
    if as_json:
        emit([report.as_dict()], {}, as_json=True)
        raise typer.Exit(report.exit_code)
    from rich.markup import escape

    out = console()
    d = report.diagnosis
    who = _who(d.host, report.employee, d.employee_id)
    out.print(
        f"[bold]{escape(who)}[/]: diagnosed {d.at:%Y-%m-%d %H:%M} UTC in {d.seconds:.0f} s: "
        f"{escape(d.summary())}"
    )
    if d.reachable:
        emit(_rows(d.results), RESULT_COLUMNS)
    else:
        last = report.last_known
        if last is None:
            out.print("Last known state: none - this workstation was never reached before.")
        else:
            out.print(
                f"Last known state, from {last.at:%Y-%m-%d %H:%M} UTC: {escape(last.summary())}"
            )
            emit(_rows(last.results), RESULT_COLUMNS)
    language = {"de": "German", "en": "English"}[report.language]
    out.print(f"\n[bold]Message for the employee[/] ({language}):\n")
    for line in report.message.splitlines():
        out.print(f"  {escape(line)}" if line else "")
    raise typer.Exit(report.exit_code)


FLEET_CSV_COLUMNS = {
    "host": "host",
    "employee_id": "employee_id",
    "name": "name",
    "team": "team",
    "policy": "policy",
    "title": "title",
    "severity": "severity",
    "status": "status",
    "detail": "detail",
    "repair": "repair",
    "newly_failing": "newly_failing",
}


def _names(affected, most: int = 8) -> str:
    shown = [f"{a.employee_id or '-'} {a.name or a.host}".strip() for a in affected[:most]]
    more = f" and {len(affected) - most} more" if len(affected) > most else ""
    return ", ".join(shown) + more


@app.command("fleet")
def fleet_command(
    ctx: typer.Context,
    group: Annotated[
        str | None,
        typer.Argument(
            help="An inventory group (team_outbound, lab) [default: every workstation]."
        ),
    ] = None,
    team: Annotated[str | None, typer.Option(help="A team of the roster, or its start.")] = None,
    forks: Annotated[int, typer.Option(min=1, help="Workstations diagnosed at once.")] = 5,
    no_baseline: NoBaselineOption = False,
    vault_password_file: VaultOption = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Diagnose many workstations in one run and show the failing checks grouped, with
    counts and percentages, the employees affected and what is newly failing since the
    previous fleet run. Changes nothing on the workstations.

    Example:

        remoteops support fleet

        remoteops support fleet team_outbound --forks 10

        remoteops support fleet --team Inbound --csv > fleet.csv
    """
    from remoteops.lab import default_lab_directory
    from remoteops.support import DiagnoseOptions, fleet

    fmt = output_format(as_json, as_csv)
    s = session(ctx)
    company = s.company()
    options = DiagnoseOptions(
        baseline=not no_baseline, forks=forks, vault_password_file=vault_password_file
    )

    def run(progress=None):
        return fleet(
            company,
            s.store(),
            s.inventory,
            group=group,
            team=team,
            lab_dir=default_lab_directory(),
            options=options,
            progress=progress,
        )

    report = _live(run) if fmt == "table" else run()
    exit_code = 0 if report.run.reached else 1
    if fmt == "json":
        emit([report.as_dict()], {}, as_json=True)
        raise typer.Exit(exit_code)
    if fmt == "csv":
        newly = {(n.affected.host, n.policy.id) for n in report.newly_failing}
        rows = [
            {
                **a.as_dict(),
                "policy": g.policy.id,
                "title": g.policy.title,
                "severity": g.policy.severity,
                "status": g.status,
                "repair": g.policy.repair if g.status == "fail" else "",
                "newly_failing": "yes" if (a.host, g.policy.id) in newly else "no",
            }
            for g in report.failing + report.not_checked
            for a in g.affected
        ]
        emit(rows, FLEET_CSV_COLUMNS, as_csv=True)
        raise typer.Exit(exit_code)
    _print_fleet(report)
    raise typer.Exit(exit_code)


def _print_fleet(report) -> None:
    from rich.markup import escape

    out = console()
    run = report.run
    out.print(
        f"[bold]Fleet run {run.id}[/] ({escape(run.scope)}), {run.started_at:%Y-%m-%d %H:%M} "
        f"UTC: {run.hosts} workstations, {run.reached} reached, "
        f"{run.hosts - run.reached} unreachable, {run.seconds:.0f} s"
    )
    emit(
        [
            {
                "headline": g.headline(),
                "severity": g.policy.severity,
                "repair": g.policy.repair or "none remotely",
                "who": _names(g.affected),
            }
            for g in report.failing
        ],
        {"headline": "Failing", "severity": "Severity", "repair": "Repair", "who": "Employees"},
        empty="No check fails on any workstation.",
    )
    if report.previous is None:
        out.print("Newly failing: nothing to compare with - this is the first fleet run.")
    elif report.newly_failing:
        emit(
            [
                {
                    "host": n.affected.host,
                    "employee": f"{n.affected.employee_id or '-'} {n.affected.name}".strip(),
                    "title": n.policy.title,
                    "detail": n.affected.detail,
                    "before": n.before,
                }
                for n in report.newly_failing
            ],
            {
                "host": "Workstation",
                "employee": "Employee",
                "title": "Check",
                "detail": "Found",
                "before": "Before",
            },
            title=f"Newly failing since fleet run {report.previous.id} "
            f"({report.previous.started_at:%Y-%m-%d %H:%M} UTC)",
        )
    else:
        out.print(
            f"Newly failing since fleet run {report.previous.id} "
            f"({report.previous.started_at:%Y-%m-%d %H:%M} UTC): nothing."
        )
    if report.previous is not None and report.first_time:
        out.print(f"In a fleet run for the first time: {escape(', '.join(report.first_time))}.")
    if report.not_checked:
        emit(
            [{"headline": g.headline(), "why": g.affected[0].detail} for g in report.not_checked],
            {"headline": "Could not be checked", "why": "Why (first workstation)"},
        )


@app.command("history")
def history_command(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(help="A workstation (ws-e0042) or an employee ID.")],
    limit: Annotated[int, typer.Option(min=1, help="At most this many diagnoses.")] = 6,
    as_json: JsonOption = False,
) -> None:
    """A workstation's checks over time: per check its result in each diagnosis (newest
    first), since when it has been failing, and the latest finding.

    Example:

        remoteops support history E0042

        remoteops support history ws-e0042 --limit 20 --json
    """
    from remoteops.support import history

    s = session(ctx)
    found = history(s.company(), s.store(read_only=True), target, limit=limit)
    if as_json:
        emit([found.as_dict()], {}, as_json=True)
        return
    from rich.markup import escape
    from rich.table import Table

    out = console()
    who = _who(found.host, found.employee, found.employee_id)
    out.print(f"[bold]{escape(who)}[/]: {len(found.diagnoses)} diagnoses, newest first")
    table = Table(header_style="bold")
    table.add_column("Check", no_wrap=True)
    for d in found.diagnoses:
        table.add_column(
            f"{d.at:%m-%d}\n{d.at:%H:%M}" + ("" if d.reachable else "\ndown"), no_wrap=True
        )
    table.add_column("Failing since", no_wrap=True)
    table.add_column("Latest finding", ratio=1)
    for p in found.policies():
        since = f"{p.failing_since:%m-%d %H:%M}" if p.failing_since else ""
        cells = [_SHOWN.get(status, "-") if status else "-" for status in p.statuses]
        table.add_row(p.title, *cells, since, escape(p.latest_detail or ""))
    out.print(table)


@app.command("policies")
def policies_command(as_json: JsonOption = False, as_csv: CsvOption = False) -> None:
    """The checks a diagnosis makes: id, severity, the question each answers and the repair
    support runs when it fails (the limits are the defaults; the inventory may set others).

    Example:

        remoteops support policies
    """
    from remoteops.support import POLICIES, Limits

    output_format(as_json, as_csv)
    limits = Limits()
    emit(
        [
            {
                "id": p.id,
                "title": p.title,
                "severity": p.severity,
                "question": p.question_text(limits),
                "repair": p.repair or "none remotely",
                "resolution": p.resolution,
            }
            for p in POLICIES
        ],
        {"id": "Id", "severity": "Severity", "question": "Question", "repair": "Repair"},
        as_json=as_json,
        as_csv=as_csv,
        title="Support policies",
    )


@app.command("actions")
def actions_command(
    language: Annotated[
        str, typer.Option("--lang", help="Language of the employee's message: de or en.")
    ] = "en",
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """The repairs support can run: what each does, what it never touches, whether it
    interrupts the employee (and so needs --yes), and what the employee is told.

    Example:

        remoteops support actions

        remoteops support actions --lang de --json
    """
    from remoteops.errors import UsageError
    from remoteops.support.repairs import list_actions

    if language not in ("de", "en"):
        raise UsageError(f"--lang must be de or en, not {language!r}.")
    output_format(as_json, as_csv)
    emit(
        [
            a.as_row(language) | {"needs_yes": "yes" if a.needs_confirmation else "no"}
            for a in list_actions()
        ],
        {
            "action": "Repair",
            "does": "What it does",
            "never_touches": "Never touches",
            "needs_yes": "Needs --yes",
        },
        as_json=as_json,
        as_csv=as_csv,
        title="Support repairs",
    )


@app.command("repair")
def repair_command(
    ctx: typer.Context,
    target: Annotated[
        str, typer.Argument(help="An employee ID (E0042) or a workstation (ws-e0042).")
    ],
    action: Annotated[str, typer.Argument(help="The repair ('remoteops support actions').")],
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Confirm a repair that interrupts the employee.")
    ] = False,
    no_baseline: NoBaselineOption = False,
    vault_password_file: VaultOption = None,
    as_json: JsonOption = False,
) -> None:
    """Repair one workstation: diagnose it, run the repair, diagnose it again, and show what
    was fixed, what still fails and the message for the employee in their language. Every
    step is recorded (support history, provision history, remoteops log). A restart asks
    first (or needs --yes). Exit code 0 when the checks this repair is for pass afterwards.

    Example:

        remoteops support repair E0042 restart-vpn

        remoteops support repair ws-e0042 reboot --yes --json
    """
    from remoteops.lab import default_lab_directory
    from remoteops.support import DiagnoseOptions
    from remoteops.support.checked_repair import repair
    from remoteops.support.repairs import get_action

    s = session(ctx)
    chosen = get_action(action)
    if chosen.needs_confirmation and not yes and not as_json and sys.stdin.isatty():
        yes = typer.confirm(
            f"'{chosen.id}' interrupts {target}'s work ({chosen.title.lower()}). Has the "
            "employee saved their work?",
            default=False,
        )
    company = s.company()
    options = DiagnoseOptions(baseline=not no_baseline, vault_password_file=vault_password_file)

    def run(progress=None):
        return repair(
            company,
            s.store(),
            s.inventory,
            target,
            chosen.id,
            confirm=yes,
            lab_dir=default_lab_directory(),
            options=options,
            progress=progress,
        )

    report = run() if as_json else _live(run)
    if as_json:
        emit([report.as_dict()], {}, as_json=True)
        raise typer.Exit(report.exit_code)
    _print_repair(report)
    raise typer.Exit(report.exit_code)


def _print_repair(report) -> None:
    from rich.markup import escape

    out = console()
    before = report.before
    who = _who(report.host, before.employee, before.diagnosis.employee_id)
    language = {"de": "German", "en": "English"}[before.language]
    out.print(f"[bold]{escape(who)}[/]: {escape(report.action.title)}")
    out.print(f"Before: {escape(before.diagnosis.summary())}")
    if report.result is None:
        out.print("[bold]Not repaired:[/] the workstation did not answer, so nothing ran.")
    else:
        out.print(f"Repair: {escape(report.result.message)} ({report.result.status})")
        out.print(f"After:  {escape(report.after.diagnosis.summary())}")
        rows = [
            {"title": r.title, "before": "FAIL", "after": "pass", "meaning": ""}
            for r in report.fixed
        ] + [
            {"title": r.title, "before": "", "after": "FAIL", "meaning": r.detail}
            for r in report.still_failing
        ]
        emit(
            rows,
            {"title": "Check", "before": "Before", "after": "After", "meaning": "What it means"},
            empty="No check failed before or after.",
        )
        verdict = "done" if report.succeeded else "not done: the checks it is for still fail"
        out.print(f"Result: {verdict}.")
        if report.unconfirmed:
            names = ", ".join(r.title for r in report.unconfirmed)
            out.print(f"Could not be checked afterwards: {escape(names)}.")
    out.print(f"\n[bold]Message for the employee[/] ({language}):\n")
    for line in report.employee_message.splitlines():
        out.print(f"  {escape(line)}" if line else "")
