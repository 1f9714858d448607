"""``remoteops provision``: apply the home-office baseline to workstations, live."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from remoteops.cli.common import CsvOption, JsonOption, console, emit, output_format, session

HOST_COLUMNS = {
    "host": "Workstation",
    "employee_id": "Employee",
    "status": "Result",
    "ok": "ok",
    "changed": "changed",
    "failed": "failed",
    "unreachable": "unreachable",
    "failed_task": "First failing task",
    "message": "What went wrong",
}
HISTORY_COLUMNS = {
    "run": "Run",
    "started": "Started (UTC)",
    "actor": "Who",
    "mode": "Mode",
    "targets": "Targets",
    "status": "Status",
    "hosts": "Hosts",
    "failed": "Failed",
    "unreachable": "Unreachable",
    "seconds": "Seconds",
}


def host_columns(rows: list[dict]) -> dict[str, str]:
    """The per-host table's columns; the failure columns only when something failed."""
    if any(row["failed_task"] or row["message"] for row in rows):
        return HOST_COLUMNS
    return {k: v for k, v in HOST_COLUMNS.items() if k not in ("failed_task", "message")}


class _RunByDefault(TyperGroup):
    """``remoteops provision TARGETS...`` runs the baseline; ``history`` and ``show`` are
    subcommands."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        elif not args:
            args = ["run"]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_RunByDefault,
    help="""Apply the home-office baseline to workstations; see past runs.

    Run it as 'remoteops provision TARGETS... [OPTIONS]': TARGETS are employee IDs,
    hostnames or inventory groups ('all', 'lab', 'team_outbound'). Options: --check (report
    what would change, change nothing), --diff, --tags T1,T2, --forks N, --retry-failed,
    --vault-password-file FILE, --json; 'remoteops provision run --help' explains each.

    Example:

        remoteops provision E0042 ws-e0043 --check

        remoteops provision team_outbound --forks 10

        remoteops provision --retry-failed

        remoteops provision history
    """,
)


@app.command("run")
def run_command(
    ctx: typer.Context,
    targets: Annotated[
        list[str] | None,
        typer.Argument(help="Employee IDs, hostnames or inventory groups (e.g. lab)."),
    ] = None,
    check: Annotated[bool, typer.Option(help="Report what would change; change nothing.")] = False,
    diff: Annotated[
        bool, typer.Option(help="Show what each task changed in files (as a diff).")
    ] = False,
    tags: Annotated[
        str | None, typer.Option(help="Only these controls, comma-separated tags.")
    ] = None,
    forks: Annotated[int, typer.Option(help="Workstations worked on at once.")] = 5,
    retry_failed: Annotated[
        bool, typer.Option(help="Only the failed and unreachable hosts of the last run.")
    ] = False,
    vault_password_file: Annotated[
        Path | None,
        typer.Option(
            help="The ansible-vault password [default: <inventory>/.vault-password, "
            "or REMOTEOPS_VAULT_PASSWORD]."
        ),
    ] = None,
    no_host_key_checking: Annotated[
        bool,
        typer.Option(help="Accept unknown SSH host keys (freshly installed machines only)."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Apply playbooks/workstation.yml to workstations through ansible-runner, with a live
    view, a table per host at the end, and the run recorded in the state store. Exit code
    0 only if every targeted workstation succeeded.

    Example:

        remoteops provision E0042 ws-e0043 team_outbound --check

        remoteops provision lab

        remoteops provision --retry-failed
    """
    from remoteops.errors import UsageError
    from remoteops.lab import default_lab_directory
    from remoteops.provision.operations import ProvisionRequest, provision

    output_format(as_json, False)
    if retry_failed and targets:
        raise UsageError("Use either targets or --retry-failed, not both.")
    if not retry_failed and not targets:
        raise UsageError("Name the workstations: employee IDs, hostnames or groups (or 'all').")
    if forks < 1:
        raise UsageError("--forks must be at least 1.")
    request = ProvisionRequest(
        targets=tuple(targets or ()),
        check=check,
        diff=diff,
        tags=tuple(t.strip() for t in (tags or "").split(",") if t.strip()),
        forks=forks,
        retry_failed=retry_failed,
        vault_password_file=vault_password_file,
        host_key_checking=not no_host_key_checking,
    )
    s = session(ctx)
    company = s.company()
    if as_json:
        run = provision(company, s.store(), s.inventory, request, lab_dir=default_lab_directory())
    else:
        run = _run_live(company, s, request, default_lab_directory())
    rows = [h.as_row() for h in run.hosts]
    changes = {h.host: [{"task": c.task, "diff": c.diff} for c in h.changes] for h in run.hosts}
    if as_json:
        emit(
            [
                {
                    "run": run.run_id,
                    "status": run.status,
                    "mode": run.mode,
                    "hosts": rows,
                    "report": {h.host: h.report for h in run.hosts},
                    **({"changes": changes} if diff else {}),
                }
            ],
            {},
            as_json=True,
        )
    else:
        if diff:
            _print_changes(run)
        emit(rows, host_columns(rows), title=f"Run {run.run_id} ({run.mode})")
        console().print(run.summary())
    if run.exit_code:
        raise typer.Exit(run.exit_code)


def _print_changes(run) -> None:
    """--diff: per workstation, what each task changed (would change, in check mode)."""
    from rich.markup import escape

    out = console()
    verb = "would change" if run.mode == "check" else "changed"
    for host in run.hosts:
        if not host.changes:
            out.print(f"{escape(host.host)}: no file {verb}.", highlight=False)
            continue
        out.print(
            f"[bold]{escape(host.host)}[/]: {len(host.changes)} task(s) {verb} files",
            highlight=False,
        )
        for change in host.changes:
            out.print(f"[bold]-- {escape(change.task)}[/]", highlight=False)
            out.print(change.diff, markup=False, highlight=False, soft_wrap=True)


class LiveView:
    """What IT staff watch during a run: an overall progress bar over every targeted
    workstation's tasks, then one line per workstation with its current task. Failed and
    unreachable workstations come first; past ``max_lines`` the rest are counted."""

    ICONS = {
        "waiting": "[dim]·[/]",
        "running": "[cyan]>[/]",
        "failed": "[bold red]x[/]",
        "unreachable": "[bold red]?[/]",
        "finished": "[green]v[/]",
    }
    ORDER = {"failed": 0, "unreachable": 0, "running": 1, "waiting": 2, "finished": 3}

    def __init__(self, max_lines: int = 12) -> None:
        self.max_lines = max_lines
        self.hosts: dict[str, object] = {}  # host -> its latest ProgressUpdate
        self.trouble: dict[str, tuple[str, str]] = {}  # host -> (failed/unreachable, task)
        self._spinner = None

    def update(self, update) -> None:
        if update.state in ("failed", "unreachable") and update.host not in self.trouble:
            self.trouble[update.host] = (update.state, update.task)
        self.hosts[update.host] = update

    def _phase(self, update) -> str:
        if update.host in self.trouble:
            return self.trouble[update.host][0]
        if update.state in ("waiting", "finished"):
            return update.state
        return "running"

    def progress(self, updates=None) -> tuple[int, int | None]:
        """Tasks done and tasks in all (``None`` while the run's outline is not known)."""
        updates = list(self.hosts.values()) if updates is None else updates
        totals = [u.tasks_total for u in updates]
        if not totals or None in totals:
            return sum(u.tasks_done for u in updates), None
        done = 0
        for update in updates:
            finished = update.state == "finished" or update.host in self.trouble
            done += update.tasks_total if finished else min(update.tasks_done, update.tasks_total)
        return done, sum(totals)

    def __rich__(self):
        from rich.console import Group
        from rich.markup import escape
        from rich.progress_bar import ProgressBar
        from rich.spinner import Spinner
        from rich.table import Table

        updates = list(self.hosts.values())  # a snapshot: the run updates it meanwhile
        done, total = self.progress(updates)
        finished = [self._phase(u) for u in updates].count("finished")
        header = Table.grid(padding=(0, 1))
        words = f"{finished} of {len(updates)} workstations done"
        if not updates:
            words = "Starting Ansible..."
        elif total:
            words += f", {done} of {total} tasks ({100 * done // total} %)"
        else:
            words += f", {done} tasks"
        if self.trouble:
            words += f", [bold red]{len(self.trouble)} with problems[/]"
        if self._spinner is None:
            self._spinner = Spinner("dots")
        header.add_row(self._spinner, ProgressBar(total=total, completed=done, width=40), words)

        lines = Table.grid(padding=(0, 2))
        for column in range(4):
            lines.add_column(no_wrap=True, overflow="ellipsis", max_width=None if column else 4)
        ordered = sorted(updates, key=lambda u: (self.ORDER[self._phase(u)], u.host))
        for update in ordered[: self.max_lines]:
            phase = self._phase(update)
            planned = update.tasks_total
            count = f"{min(update.tasks_done, planned)}/{planned}" if planned else ""
            if phase in ("failed", "unreachable"):
                doing = f"[red]{phase}: {escape(self.trouble[update.host][1])}[/]"
            elif phase == "running":
                doing = escape(f"{update.state}: {update.task}" if update.task else update.state)
            else:
                doing = phase
            lines.add_row(f"  {self.ICONS[phase]}", f"[bold]{escape(update.host)}[/]", count, doing)
        if len(ordered) > self.max_lines:
            lines.add_row("", f"... and {len(ordered) - self.max_lines} more workstations")
        return Group(header, lines)


def _run_live(company, s, request, lab_dir):
    from rich.live import Live

    from remoteops.provision.operations import provision

    view = LiveView()
    with Live(view, console=console(stderr=True), transient=True, refresh_per_second=4):
        return provision(
            company, s.store(), s.inventory, request, lab_dir=lab_dir, progress=view.update
        )


@app.command("history")
def history_command(
    ctx: typer.Context,
    employee: Annotated[
        str | None, typer.Option(help="Only runs that touched this employee.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many runs.")] = 20,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Past provisioning runs: who, when, targets, mode, result.

    Example:

        remoteops provision history --employee E0042
    """
    from remoteops.provision.operations import history

    output_format(as_json, as_csv)
    runs = history(session(ctx).store(read_only=True), limit=limit, employee_id=employee)
    emit(
        [r.as_row() for r in runs],
        HISTORY_COLUMNS,
        as_json=as_json,
        as_csv=as_csv,
        title="Provisioning runs",
        empty="No provisioning run recorded yet.",
    )


@app.command("show")
def show_command(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="The run (or a unique start of its ID).")],
    as_json: JsonOption = False,
) -> None:
    """One run: per workstation the result, the first failing task and why, and the
    report-only facts (disk encryption, Secure Boot, reboot pending).

    Example:

        remoteops provision show 20261201T0800
    """
    from remoteops.provision.operations import show

    run = show(session(ctx).store(read_only=True), run_id)
    rows = [{**h.as_row(), "report": h.report} for h in run.hosts]
    if as_json:
        emit(
            [
                {
                    "run": run.run_id,
                    "status": run.status,
                    "mode": run.mode,
                    "targets": list(run.targets),
                    "actor": run.actor,
                    "error": run.error,
                    "hosts": rows,
                }
            ],
            {},
            as_json=True,
        )
        return
    console().print(f"Run {run.run_id}: {run.summary()}")
    emit(
        rows,
        host_columns(rows),
        title=f"{run.mode} by {run.actor}, {run.started_at:%Y-%m-%d %H:%M} UTC",
    )
