"""Which work model the facts make: Telearbeit or mobile Arbeit (ArbStättV § 2 Abs. 7).

A Telearbeitsplatz is a screen workplace that the employer has set up in the employee's home,
with agreed weekly hours there. Whether the law sees one depends on the facts, not on the
``work_model`` column: an agent who gets a desktop PC and monitors at home and works there
most of the week has one, whatever the column says. The agreements follow the facts (they
treat such an employee as Telearbeit) and ``remoteops check`` warns about the contradiction.
"""

from __future__ import annotations

from collections.abc import Iterable

from remoteops.models import Asset, Employee

#: From this many home days a week, a desktop PC with monitors at home is a Telearbeitsplatz.
TELEARBEIT_MIN_HOME_DAYS = 4


def has_fixed_screen_workplace(employee: Employee, assets: Iterable[Asset]) -> bool:
    """A desktop PC and at least one monitor at home on most working days."""
    types = {asset.type for asset in assets}
    return (
        "pc" in types
        and "monitor" in types
        and employee.home_days_per_week >= TELEARBEIT_MIN_HOME_DAYS
    )


def contradicts_work_model(employee: Employee, assets: Iterable[Asset]) -> bool:
    """``work_model`` says mobile, but the equipment and days make a Telearbeitsplatz."""
    return employee.work_model == "mobile" and has_fixed_screen_workplace(employee, assets)


def effective_work_model(employee: Employee, assets: Iterable[Asset]) -> str:
    """The work model the agreements state: ``telearbeit`` where the facts make one."""
    if contradicts_work_model(employee, assets):
        return "telearbeit"
    return employee.work_model
