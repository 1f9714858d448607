"""A workstation's diagnoses over time: per policy its result in each diagnosis, and since
when it has been failing (``remoteops support history``), and the latest diagnosis of an
employee (``remoteops employees show``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from remoteops.errors import NotFoundError, UsageError
from remoteops.models import Company, Employee
from remoteops.state import StateStore
from remoteops.support.policies import POLICIES
from remoteops.support.results import Diagnosis
from remoteops.support.store import (
    diagnosed_hosts,
    host_diagnoses,
    latest_diagnosis,
    latest_for_employee,
)


@dataclass(frozen=True)
class PolicyHistory:
    """One policy's results over time (newest first, one per diagnosis; None where the
    diagnosis did not judge it, e.g. the workstation was unreachable)."""

    policy: str
    title: str
    statuses: tuple[str | None, ...]
    failing_since: dt.datetime | None  # when the current run of failures began, if failing
    latest_detail: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "policy": self.policy,
            "title": self.title,
            "statuses": list(self.statuses),
            "failing_since": self.failing_since.isoformat(timespec="seconds")
            if self.failing_since
            else None,
            "latest_detail": self.latest_detail,
        }


@dataclass(frozen=True)
class HostHistory:
    host: str
    employee_id: str | None
    employee: Employee | None
    diagnoses: tuple[Diagnosis, ...]  # newest first

    def policies(self) -> list[PolicyHistory]:
        rows = []
        for p in POLICIES:
            results = [d.result(p.id) for d in self.diagnoses]
            if not any(results):
                continue
            since = None
            for d, r in zip(self.diagnoses, results, strict=True):
                if r is None:
                    continue  # not judged then (unreachable, or left out): says nothing
                if r.status != "fail":
                    break
                since = d.at
            latest = next((r for r in results if r is not None), None)
            rows.append(
                PolicyHistory(
                    policy=p.id,
                    title=p.title,
                    statuses=tuple(r.status if r else None for r in results),
                    failing_since=since,
                    latest_detail=(latest.error or latest.detail)
                    if latest and latest.status == "error"
                    else (latest.detail if latest else None),
                )
            )
        return rows

    def as_dict(self) -> dict[str, object]:
        return {
            "host": self.host,
            "employee_id": self.employee_id,
            "employee": self.employee.full_name if self.employee else None,
            "policies": [p.as_dict() for p in self.policies()],
            "diagnoses": [d.as_dict() for d in self.diagnoses],
        }


def history(company: Company, store: StateStore, target: str, *, limit: int = 8) -> HostHistory:
    """The last ``limit`` diagnoses of a workstation (host name, or an employee ID whose one
    diagnosed workstation it is)."""
    with store.reading() as conn:
        host = target if latest_diagnosis(conn, target) else None
        if host is None:
            hosts = diagnosed_hosts(conn, target.upper()) or diagnosed_hosts(conn, target)
            if len(hosts) > 1:
                raise UsageError(
                    f"{target} has diagnoses of {len(hosts)} workstations ({', '.join(hosts)}).",
                    hint="Name the workstation instead of the employee.",
                )
            if not hosts:
                raise NotFoundError(
                    f"No diagnosis of a workstation or employee {target!r} is recorded.",
                    hint="Diagnose it first: remoteops support diagnose " + target,
                )
            host = hosts[0]
        diagnoses = tuple(host_diagnoses(conn, host, limit=limit))
    employee_id = next((d.employee_id for d in diagnoses if d.employee_id), None)
    employee = None
    if employee_id:
        try:
            employee = company.employee(employee_id)
        except NotFoundError:
            employee = None
    return HostHistory(host, employee_id, employee, diagnoses)


def latest_of_employee(store: StateStore, employee_id: str) -> Diagnosis | None:
    """The employee's newest diagnosis (of any of their workstations), or None."""
    with store.reading() as conn:
        return latest_for_employee(conn, employee_id)
