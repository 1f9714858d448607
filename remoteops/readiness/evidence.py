"""Reading the evidence of readiness from the state store, as it stood at a moment, through
the public functions of the modules that record it: provisioning runs
(:mod:`remoteops.provision.history`), diagnoses (:mod:`remoteops.support.store`), agreements
(:mod:`remoteops.contracts.manifest`) and deliveries (:mod:`remoteops.routes.store`).
One consistent read; nothing here knows their tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from remoteops.contracts.manifest import DocumentStatus, document_status
from remoteops.models import Company, Employee
from remoteops.provision.history import LastApply, last_applies
from remoteops.routes.operations import needing_equipment
from remoteops.routes.store import EmployeeDelivery, employee_delivery
from remoteops.state import StateStore
from remoteops.support.results import Diagnosis, PolicyResult
from remoteops.support.store import latest_by_employee, latest_result_by_employee

#: The playbook whose last apply says a workstation is provisioned.
BASELINE_PLAYBOOK = "workstation.yml"
#: The support policy that says whether the company settings drifted.
DRIFT_POLICY = "baseline"


@dataclass(frozen=True)
class Evidence:
    """What the state store held at ``moment`` about the employees asked for."""

    moment: dt.datetime
    # employee -> the last apply on each of their workstations, newest first
    applies: dict[str, tuple[LastApply, ...]]
    drift: dict[str, PolicyResult]  # employee -> newest answer of the baseline policy
    diagnoses: dict[str, Diagnosis]  # employee -> newest diagnosis
    documents: dict[str, tuple[DocumentStatus, ...]]  # employee -> every document, with history
    versions: dict[str, str]  # language -> current template version
    needing: frozenset[str]  # employees with equipment to receive
    deliveries: dict[str, EmployeeDelivery]  # of those who need equipment


def template_versions(templates_dir: Path | None = None) -> dict[str, str]:
    """The current version of the agreement templates, per language."""
    from remoteops.contracts.templates import load_templates

    templates = load_templates(templates_dir, check=False)
    return {lang: templates.version(lang) for lang in templates.languages}


def gather(
    company: Company,
    store: StateStore,
    employees: Sequence[Employee],
    moment: dt.datetime,
    *,
    templates_dir: Path | None = None,
) -> Evidence:
    """The evidence about ``employees`` recorded by ``moment``."""
    ids = [e.employee_id for e in employees]
    wanted = set(ids)
    owner_of_host = {w.hostname: w.employee_id for w in company.workstations}
    needing = frozenset(needing_equipment(company)) & wanted
    with store.reading() as conn:
        applies: dict[str, list[LastApply]] = {}
        for result in last_applies(conn, BASELINE_PLAYBOOK, until=moment).values():
            employee_id = result.employee_id or owner_of_host.get(result.host)
            if employee_id in wanted:
                applies.setdefault(employee_id, []).append(result)
        drift = latest_result_by_employee(conn, DRIFT_POLICY, until=moment)
        diagnoses = latest_by_employee(conn, until=moment)
        documents: dict[str, list[DocumentStatus]] = {}
        for row in document_status(conn, employee_ids=ids, include_history=True):
            documents.setdefault(row.employee_id, []).append(row)
        deliveries = {e: employee_delivery(conn, e, until=moment) for e in sorted(needing)}
    return Evidence(
        moment=moment,
        applies={
            e: tuple(sorted(found, key=lambda a: a.finished_at, reverse=True))
            for e, found in applies.items()
        },
        drift={e: r for e, r in drift.items() if e in wanted},
        diagnoses={e: d for e, d in diagnoses.items() if e in wanted},
        documents={e: tuple(rows) for e, rows in documents.items()},
        versions=template_versions(templates_dir),
        needing=needing,
        deliveries=deliveries,
    )
