"""``remoteops lab``: disposable local workstations to try the baseline on (needs root)."""

from __future__ import annotations

from typing import Annotated

import typer

from remoteops.cli.common import JsonOption, console, emit

app = typer.Typer(
    help="""Disposable lab workstations on 127.0.0.1 (needs root), to try the baseline
    before it touches an employee's machine.

    Example:

        remoteops lab up 2

        remoteops provision lab

        remoteops lab down
    """
)

COLUMNS = {
    "name": "Workstation",
    "employee_id": "Employee",
    "ssh": "SSH",
    "running": "Running",
}


def _rows(workstations):
    return [
        {
            "name": w.name,
            "employee_id": w.employee_id,
            "ssh": w.ssh_target,
            "running": "yes" if w.running else "no",
            "root": str(w.root),
        }
        for w in workstations
    ]


@app.command("up")
def up_command(
    count: Annotated[int, typer.Argument(help="How many workstations.")] = 2,
    employees: Annotated[
        str | None,
        typer.Option(
            help="Whose workstations they stand in for: employee IDs, comma-separated, one "
            "per workstation [default: LAB01, LAB02, ...]."
        ),
    ] = None,
    boot: Annotated[
        bool,
        typer.Option(
            "--boot",
            help="Boot each workstation with its own systemd and network (systemd-nspawn), "
            "so services, the firewall and SSH settings are really applied and can be tested.",
        ),
    ] = False,
) -> None:
    """Start COUNT lab workstations (a minimal Debian each, own sshd on 127.0.0.1) and write
    their inventory (group 'lab'), so 'remoteops provision lab' works. The first call builds
    the Debian image with debootstrap (a few minutes). With --employees, each stands in for
    that employee's PC: its runs and diagnoses count for them (e.g. in 'readiness'). With
    --boot, each runs its own systemd and is reached on its own address (10.213.N.2).

    Example:

        remoteops lab up 2 && remoteops provision lab

        remoteops lab up 2 --employees E0001,E0002

        remoteops lab up 1 --boot && remoteops provision lab
    """
    from remoteops.lab import default_lab_directory, lab_up

    err = console(stderr=True)
    ids = [e.strip() for e in employees.split(",") if e.strip()] if employees else None
    workstations = lab_up(
        count,
        default_lab_directory(),
        employee_ids=ids,
        progress=lambda m: err.print(m),
        booted=boot,
    )
    emit(_rows(workstations), COLUMNS, title="Lab workstations")


@app.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """The lab workstations and whether they run.

    Example:

        remoteops lab list
    """
    from remoteops.lab import default_lab_directory, lab_list

    emit(
        _rows(lab_list(default_lab_directory())),
        COLUMNS,
        as_json=as_json,
        title="Lab workstations",
        empty="No lab is up: 'remoteops lab up 2' starts one.",
    )


@app.command("down")
def down_command() -> None:
    """Stop every lab workstation and delete the lab's files.

    Example:

        remoteops lab down
    """
    from remoteops.lab import default_lab_directory, lab_down

    stopped = lab_down(default_lab_directory())
    console().print(f"Stopped and removed {len(stopped)} lab workstation(s).")
