"""``remoteops contracts``: each employee's agreements, and who has signed what."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from remoteops.cli.common import CsvOption, JsonOption, console, emit, output_format, session
from remoteops.errors import RemoteOpsError, UsageError

app = typer.Typer(
    help="""Agreements: home office, data protection, equipment loan; signatures.

    Render each employee's packet as PDF/A, see who has signed what, record each step
    (sent, signed, returned, void), and check a templates folder before HR uses it. The
    manifest (manifest.csv, manifest.json) beside the PDFs always lists the documents in
    force.

    Example:

        remoteops contracts check --templates /srv/hr/vorlagen

        remoteops contracts render --all

        remoteops contracts status --pending --older-than 7d

        remoteops contracts mark E0042 home-office signed --date 2026-12-03
    """
)

STATUS_COLUMNS = {
    "employee_id": "ID",
    "name": "Employee",
    "document": "Document",
    "language": "Lang",
    "status": "Status",
    "generated_at": "Generated",
    "sent_at": "Sent",
    "signed_at": "Signed",
    "document_id": "Doc ID",
}
#: The status shown for an active employee who has no home-office start (and so no packet).
NOT_SCHEDULED = "not scheduled"
FAILURE_COLUMNS = {"employee_id": "ID", "reason": "Why", "template": "Template", "line": "Line"}


def _out_dir(ctx: typer.Context, out: Path | None) -> Path:
    from remoteops.files import default_output_dir

    return out or default_output_dir(session(ctx).inventory) / "contracts"


@app.command("render")
def render_command(
    ctx: typer.Context,
    employees: Annotated[list[str] | None, typer.Argument(help="Employee IDs.")] = None,
    everyone: Annotated[
        bool, typer.Option("--all", help="Everyone scheduled for home office.")
    ] = False,
    team: Annotated[str | None, typer.Option(help="Only this team (name or its start).")] = None,
    lang: Annotated[
        str | None, typer.Option(help="de or en for everyone [default: each one's own].")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder [default: out/contracts/].")
    ] = None,
    split: Annotated[
        bool, typer.Option("--split", help="One PDF per document instead of one packet.")
    ] = False,
    templates: Annotated[
        Path | None, typer.Option(help="The company's own templates folder.")
    ] = None,
    force: Annotated[bool, typer.Option(help="Render even where nothing changed.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Render each employee's agreement packet as PDF/A (owner-only files). Documents whose
    inputs did not change are skipped; a change makes a new version and supersedes the old.
    Bad employees are listed with the reason; the others are rendered (exit 1 if any failed).

    Example:

        remoteops contracts render --all

        remoteops contracts render E0042 E0043 --lang en --split
    """
    from remoteops.contracts.operations import render

    output_format(as_json, False)
    s = session(ctx)
    company = s.company()
    folder = _out_dir(ctx, out)

    def run(progress=None):
        return render(
            company,
            s.store(),
            employees or [],
            out_dir=folder,
            everyone=everyone,
            team=team,
            lang=lang,
            split=split,
            templates_dir=templates,
            force=force,
            progress=progress,
        )

    if as_json:
        report = run()
    else:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console(stderr=True),
            transient=True,
        ) as bar:
            task = bar.add_task("Rendering agreements", total=None)
            report = run(
                lambda p: bar.update(
                    task, total=p.total, completed=p.done, description=p.employee_id
                )
            )
    failures = [
        {
            "employee_id": f.employee_id,
            "reason": f.reason,
            "template": f.template,
            "line": f.line,
            "field": f.field,
        }
        for f in report.failures
    ]
    if as_json:
        emit(
            [
                {
                    "out_dir": str(report.out_dir),
                    "rendered": report.employees_rendered,
                    "unchanged": report.employees_unchanged,
                    "superseded": len(report.superseded),
                    "pages": report.pages_written,
                    "files": report.files_written,
                    "failures": failures,
                }
            ],
            {},
            as_json=True,
        )
    else:
        if failures:
            emit(failures, FAILURE_COLUMNS, title="Not rendered")
        emit(
            [
                {"what": "employees rendered", "count": len(report.employees_rendered)},
                {"what": "employees unchanged (skipped)", "count": len(report.employees_unchanged)},
                {"what": "employees failed", "count": len(failures)},
                {"what": "documents superseded", "count": len(report.superseded)},
                {"what": "files written", "count": report.files_written},
                {"what": "pages written", "count": report.pages_written},
            ],
            {"what": "Agreements", "count": "Count"},
            title=f"Output: {report.out_dir}/ (manifest.csv, manifest.json)",
        )
    if failures:
        raise typer.Exit(1)


@app.command("status")
def status_command(
    ctx: typer.Context,
    pending: Annotated[
        bool,
        typer.Option(help="Only agreements not yet signed (the setup letter needs no signature)."),
    ] = False,
    older_than: Annotated[
        str | None, typer.Option(help="Only pending ones this old, e.g. 7d, 36h, 2w.")
    ] = None,
    team: Annotated[str | None, typer.Option(help="Only this team.")] = None,
    history: Annotated[bool, typer.Option(help="Include superseded and void versions.")] = False,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Per employee and document: generated, sent, signed, returned, superseded or void,
    with dates.

    Example:

        remoteops contracts status --pending --older-than 7d

        remoteops contracts status --team Outbound --csv > signatures.csv
    """
    from remoteops.contracts.operations import not_scheduled, status

    output_format(as_json, as_csv)
    s = session(ctx)
    company = s.company()
    rows = []
    for doc in status(
        company,
        s.store(read_only=True),
        pending=pending,
        older_than=older_than,
        team=team,
        history=history,
    ):
        row = doc.as_row()
        row["name"] = company.employee(doc.employee_id).full_name
        rows.append(row)
    documents = len(rows)
    # Active employees without a start date get no packet: show the gap (no dates to filter
    # by age, so not with --older-than).
    gaps = [] if older_than else not_scheduled(company, team=team)
    for employee in gaps:
        rows.append(
            {
                "employee_id": employee.employee_id,
                "name": employee.full_name,
                "document": "(none)",
                "language": employee.language,
                "status": NOT_SCHEDULED,
                "note": "no home_office_start in employees.csv; set the date to generate "
                "the agreements",
            }
        )
    title = f"{documents} document(s)"
    if gaps:
        title += (
            f"; {len(gaps)} active employee(s) {NOT_SCHEDULED}: no home_office_start in "
            "employees.csv, so no agreements"
        )
    emit(
        rows,
        STATUS_COLUMNS,
        as_json=as_json,
        as_csv=as_csv,
        title=title,
        empty="No documents match."
        if (pending or older_than or team)
        else "No agreements generated yet: run 'remoteops contracts render --all'.",
    )


@app.command("mark")
def mark_command(
    ctx: typer.Context,
    employee_id: Annotated[str, typer.Argument(help="The employee.")],
    document: Annotated[
        str,
        typer.Argument(
            help="setup-letter, home-office, data-protection, equipment-loan (or the doc ID)."
        ),
    ],
    new_status: Annotated[str, typer.Argument(help="sent, signed, returned or void.")],
    date: Annotated[
        str | None, typer.Option("--date", help="When it happened [default: now].")
    ] = None,
    note: Annotated[str | None, typer.Option(help="A note, kept with the document.")] = None,
    lang: Annotated[str | None, typer.Option(help="de or en, if both exist.")] = None,
) -> None:
    """Record that a document was sent, signed, returned or voided (in the audit log).
    Repeating a step changes nothing: the first date is kept (exit 0, with a message).

    Example:

        remoteops contracts mark E0042 home-office signed --date 2026-12-03
    """
    from remoteops.contracts.operations import mark
    from remoteops.inventory import parse_date

    on = None
    if date:
        try:
            on = parse_date(date)
        except ValueError as exc:
            raise UsageError(f"--date: {exc}") from None
    s = session(ctx)
    marked = mark(
        s.company(), s.store(), employee_id, document, new_status, on=on, note=note, lang=lang
    )
    doc = marked.document
    if marked.changed:
        console().print(f"{doc.employee_id} {doc.document} ({doc.language}): {doc.status}.")
    else:
        since = f" on {marked.since.date().isoformat()}" if marked.since else ""
        console().print(
            f"{doc.employee_id} {doc.document} ({doc.language}) is already {doc.status}"
            f"{since}; nothing changed."
        )


@app.command("check")
def check_command(
    ctx: typer.Context,
    templates: Annotated[
        Path | None, typer.Option(help="The templates folder [default: the bundled one].")
    ] = None,
) -> None:
    """Check a templates folder before use: every document in both languages, all parse,
    a test render with sample data fills every field, and the sample documents lay out as
    PDF with the renderer's own rules (a stylesheet, image or font outside the folder, a
    link out of it or an http URL is refused here as it would be by render).

    Example:

        remoteops contracts check --templates /srv/hr/vorlagen
    """
    from rich.markup import escape

    from remoteops.contracts.templates import check_templates

    problems = check_templates(templates)
    if problems:
        for problem in problems:
            console().print(f"[red]error[/] {escape(str(problem))}")
        raise RemoteOpsError(
            f"The templates have {len(problems)} problem(s).", hint="Fix them and check again."
        )
    console().print("[green]OK[/] the templates are complete and render with sample data.")
