"""Finding employees and describing one of them (what ``remoteops employees`` shows)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from remoteops.errors import UsageError
from remoteops.models import EMPLOYEE_STATUSES, LANGUAGES, Company, Employee


def in_team(employee: Employee, team: str) -> bool:
    """``team`` names the employee's team case-insensitively, in full or as its start."""
    return employee.team.casefold().startswith(team.casefold())


def find_employees(
    company: Company,
    *,
    team: str | None = None,
    postcode_prefix: str | None = None,
    language: str | None = None,
    status: str | None = None,
) -> list[Employee]:
    """Employees matching every given filter, in roster order. ``team`` matches the team
    name case-insensitively, in full or as its start."""
    if language is not None and language not in LANGUAGES:
        raise UsageError(f"Unknown language {language!r}; use one of {', '.join(LANGUAGES)}.")
    if status is not None and status not in EMPLOYEE_STATUSES:
        raise UsageError(f"Unknown status {status!r}; use one of {', '.join(EMPLOYEE_STATUSES)}.")
    found = []
    for employee in company.employees:
        if team and not in_team(employee, team):
            continue
        if postcode_prefix and not employee.address.postcode.startswith(postcode_prefix):
            continue
        if language and employee.language != language:
            continue
        if status and employee.status != status:
            continue
        found.append(employee)
    return found


def employee_row(company: Company, employee: Employee) -> dict[str, Any]:
    """One line about an employee: what the list shows."""
    workstation = company.workstation_of(employee.employee_id)
    return {
        "employee_id": employee.employee_id,
        "name": employee.full_name,
        "team": employee.team,
        "language": employee.language,
        "postcode": employee.address.postcode,
        "city": employee.address.city,
        "status": employee.status,
        "home_office_start": employee.home_office_start,
        "workstation": workstation.hostname if workstation else None,
        "boxes": company.boxes_of(employee.employee_id),
    }


def employee_record(company: Company, employee_id: str) -> dict[str, Any]:
    """Everything the inventory knows about one employee, their equipment and workstation."""
    employee = company.employee(employee_id)
    workstation = company.workstation_of(employee_id)
    record = asdict(employee)
    record["full_name"] = employee.full_name
    record["address_line"] = employee.address.one_line()
    record["delivery_window"] = (
        employee.delivery_window.describe() if employee.delivery_window else None
    )
    record["equipment"] = [asdict(a) for a in company.assets_of(employee_id)]
    record["boxes"] = company.boxes_of(employee_id)
    record["workstation"] = asdict(workstation) if workstation else None
    return record
