"""``remoteops check``: load and cross-validate the inventory, print every problem."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from remoteops.cli.common import JsonOption, console, emit, session
from remoteops.errors import Problem


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

    Example:

        remoteops check inventory/

        remoteops check --json | jq '.problems[] | select(.severity == "error")'
    """
    from remoteops.inventory import check_company

    root = directory or session(ctx).inventory
    report = check_company(root)
    problems = [_located(root, p) for p in report.problems]
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
        }
        emit([summary], {}, as_json=True)
    else:
        out = console()
        from rich.markup import escape

        for p in sorted(problems, key=lambda p: (p.severity != "error", p.file, p.row or 0)):
            colour = "red" if p.severity == "error" else "yellow"
            out.print(f"[{colour}]{p.severity}[/] {escape(str(p))}")
        if company:
            c = _counts(company)
            out.print(
                f"[green]OK[/] {escape(str(root))}: {c['employees']} employees "
                f"({c['scheduled']} scheduled for home office), {c['workstations']} "
                f"workstations, {c['assets']} assets in {c['boxes']} boxes, depot "
                f"{escape(company.depot.name)}; {len(report.warnings)} warning(s)."
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
