"""``remoteops check``: load and cross-validate the inventory, print every problem."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from remoteops.cli.common import JsonOption, console, emit, session
from remoteops.errors import Problem

#: Problems of one kind (severity, file, field) listed before "... and N more like this".
MAX_PER_KIND = 20


def check(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Argument(help="The company folder [default: --inventory, i.e. ./inventory]."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check the inventory: every problem at once, as FILE:ROW: FIELD: what is wrong and how
    to fix it. Exits 1 if there are errors; warnings alone exit 0.

    A file that cannot be read is listed first; at most 20 problems of one kind (same file,
    field and severity) are listed, then how many more there are. --json lists them all.

    When the inventory loads, it also brings group_vars/workstations/company.yml up to date
    with company.yml: the support contact the playbooks show, for runs without remoteops
    (ansible-playbook, AWX).

    Example:

        remoteops check inventory/

        remoteops check --json | jq '.problems[] | select(.severity == "error")'
    """
    from remoteops.provision.support import COMPANY_VARS_FILE, check_inventory

    root = directory or session(ctx).inventory
    report, vars_updated = check_inventory(root)
    causes = set(report.causes)
    ordered = sorted(
        report.problems,
        key=lambda p: (p.severity != "error", p not in causes, p.file, p.row or 0),
    )
    problems = [_located(root, p) for p in ordered]
    company = report.company
    if as_json:
        summary = {
            "inventory": str(root),
            "ok": not report.errors,
            "errors": len(report.errors),
            "warnings": len(report.warnings),
            "problems": [
                {
                    "file": p.file,
                    "row": p.row,
                    "field": p.field,
                    "message": p.message,
                    "severity": p.severity,
                    "text": str(p),
                }
                for p in problems
            ],
            "counts": _counts(company) if company else None,
            "playbook_vars_updated": str(Path(root, COMPANY_VARS_FILE)) if vars_updated else None,
        }
        emit([summary], {}, as_json=True)
    else:
        out = console()
        from rich.markup import escape

        shown: Counter[tuple[str, str, str | None]] = Counter()
        for p in problems:
            kind = (p.severity, p.file, p.field)
            shown[kind] += 1
            if shown[kind] <= MAX_PER_KIND:
                colour = "red" if p.severity == "error" else "yellow"
                out.print(f"[{colour}]{p.severity}[/] {escape(str(p))}")
        for (severity, file, fld), count in shown.items():
            if count > MAX_PER_KIND:
                colour = "red" if severity == "error" else "yellow"
                out.print(
                    f"[{colour}]... and {count - MAX_PER_KIND:,} more {severity}s like this[/] "
                    f"in {escape(file)}{f' ({escape(fld)})' if fld else ''}; "
                    "'remoteops check --json' lists them all."
                )
        if company:
            c = _counts(company)
            out.print(
                f"[green]OK[/] {escape(str(root))}: {c['employees']} employees "
                f"({c['scheduled']} scheduled for home office), {c['workstations']} "
                f"workstations, {c['assets']} assets in {c['boxes']} boxes, depot "
                f"{escape(company.depot.name)}; {len(report.warnings)} warning(s)."
            )
            if vars_updated:
                out.print(
                    f"Updated {escape(str(Path(root, COMPANY_VARS_FILE)))} from company.yml "
                    "(the support contact the playbooks show; commit it for AWX)."
                )
        else:
            out.print(
                f"[red]{len(report.errors)} error(s)[/], {len(report.warnings)} warning(s) in "
                f"{escape(str(root))}. Fix the errors above and run 'remoteops check' again."
            )
    if report.errors:
        raise typer.Exit(1)


def _located(root: Path, problem: Problem) -> Problem:
    if problem.file == str(root):
        return problem
    return Problem(
        str(Path(root, problem.file)), problem.row, problem.field, problem.message, problem.severity
    )


def _counts(company) -> dict[str, int]:
    return {
        "employees": len(company.employees),
        "scheduled": sum(e.scheduled_for_home_office for e in company.employees),
        "workstations": len(company.workstations),
        "assets": len(company.assets),
        "boxes": sum(a.boxes for a in company.assets if a.employee_id),
    }
