"""``remoteops employees``: browse the roster."""

from __future__ import annotations

from typing import Annotated

import typer

from remoteops.cli.common import CsvOption, JsonOption, console, emit, output_format, session

app = typer.Typer(
    help="""Browse employees: who they are, where they live, what they get.

    Example:

        remoteops employees list --team Inbound --postcode 14

        remoteops employees show E0042
    """
)

LIST_COLUMNS = {
    "employee_id": "ID",
    "name": "Name",
    "team": "Team",
    "language": "Lang",
    "postcode": "PLZ",
    "city": "City",
    "status": "Status",
    "home_office_start": "Home office from",
    "workstation": "Workstation",
    "boxes": "Boxes",
}


@app.command("list")
def list_employees(
    ctx: typer.Context,
    team: Annotated[str | None, typer.Option(help="Team name, or its start.")] = None,
    postcode: Annotated[
        str | None, typer.Option("--postcode", help="Postcode prefix, e.g. 14 for Potsdam.")
    ] = None,
    language: Annotated[str | None, typer.Option(help="de or en.")] = None,
    status: Annotated[str | None, typer.Option(help="active, on-leave or left.")] = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """List employees, filtered.

    Example:

        remoteops employees list --team Outbound --postcode 14

        remoteops employees list --language en --csv > english-speakers.csv
    """
    from remoteops.employees import employee_row, find_employees

    output_format(as_json, as_csv)
    company = session(ctx).company()
    found = find_employees(
        company, team=team, postcode_prefix=postcode, language=language, status=status
    )
    emit(
        [employee_row(company, e) for e in found],
        LIST_COLUMNS,
        as_json=as_json,
        as_csv=as_csv,
        title=f"{len(found)} of {len(company.employees)} employees",
        empty="No employee matches these filters.",
    )


@app.command("show")
def show_employee(
    ctx: typer.Context,
    employee_id: Annotated[str, typer.Argument(help="The employee's ID, e.g. E0042.")],
    as_json: JsonOption = False,
) -> None:
    """Everything known about one employee: contact, home, plan, equipment, workstation,
    and what remoteops did for them.

    Example:

        remoteops employees show E0042
    """
    from remoteops.employees import employee_record
    from remoteops.routes.operations import employee_delivery
    from remoteops.support import latest_of_employee

    s = session(ctx)
    record = employee_record(s.company(), employee_id)
    delivery = employee_delivery(s.store(read_only=True), employee_id)
    diagnosis = latest_of_employee(s.store(read_only=True), employee_id)
    repairs = s.store(read_only=True).read_log(
        employee_id=employee_id, action_prefix="support.repair.checked", limit=1
    )
    last_repair = repairs[0] if repairs else None
    activity = [
        e.as_row(details_as_text=not as_json)
        for e in s.store(read_only=True).read_log(employee_id=employee_id, limit=20)
    ]
    if as_json:
        emit(
            [
                {
                    **record,
                    "delivery": {"state": delivery.state, "text": delivery.describe()},
                    "last_diagnosis": diagnosis.as_dict() if diagnosis else None,
                    "last_repair": last_repair.as_row(details_as_text=False)
                    if last_repair
                    else None,
                    "activity": activity,
                }
            ],
            {},
            as_json=True,
        )
        return
    from rich.markup import escape
    from rich.table import Table

    out = console()
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    window = record["delivery_window"] or "any time in the vans' working day"
    for label, value in (
        ("Employee", f"{record['full_name']} ({record['employee_id']})"),
        ("Team", record["team"]),
        ("Status", record["status"]),
        ("Language", record["language"]),
        ("E-mail", record["email"]),
        ("Phone", record["phone"]),
        ("Home", record["address_line"]),
        ("Coordinates", f"{record['location']['latitude']}, {record['location']['longitude']}"),
        ("Home office from", record["home_office_start"] or "not scheduled"),
        (
            "Model",
            f"{record['work_model']}, {record['home_days_per_week']} home day(s)/week, "
            f"{record['weekly_hours']:g} h/week",
        ),
        ("Delivery window", window),
        ("Equipment delivery", delivery.describe()),
        ("Workstation", record["workstation"]["hostname"] if record["workstation"] else "none"),
        (
            "Last diagnosis",
            f"{diagnosis.at:%Y-%m-%d %H:%M} UTC on {diagnosis.host}: {diagnosis.summary()}"
            if diagnosis
            else "none yet",
        ),
        ("Last repair", _repair_line(last_repair)),
    ):
        facts.add_row(label, escape(str(value)))
    out.print(facts)
    emit(
        record["equipment"],
        {
            "type": "Type",
            "model": "Model",
            "serial_number": "Serial number",
            "asset_tag": "Asset tag",
            "boxes": "Boxes",
            "condition": "Condition",
        },
        title=f"Equipment ({record['boxes']} boxes)",
        empty="No equipment assigned.",
    )
    emit(
        activity,
        {"at": "When (UTC)", "actor": "Who", "action": "What", "subject": "About"},
        title="Activity",
        empty="No activity recorded yet.",
    )


def _repair_line(entry) -> str:
    """'2026-12-03 09:12 UTC on ws-e0042: restart-vpn, repaired (fixed: vpn)'."""
    if entry is None:
        return "none"
    d = entry.details
    fixed = f" (fixed: {', '.join(d['fixed'])})" if d.get("fixed") else ""
    return f"{entry.at:%Y-%m-%d %H:%M} UTC on {entry.subject}: {d['repair']}, {d['status']}{fixed}"
