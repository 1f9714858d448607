"""``readiness``: who can work from home, what holds the others back, who owns the next
step, and how the counts went over the days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from remoteops.employees import in_team
from remoteops.errors import UsageError
from remoteops.models import READINESS_STAGES, Company, Employee, ReadinessSettings
from remoteops.readiness import stages
from remoteops.readiness.evidence import Evidence, gather
from remoteops.readiness.model import (
    DeliveryOutlook,
    EmployeeReadiness,
    ReadinessReport,
    Snapshot,
)
from remoteops.readiness.snapshots import record_snapshot, snapshot_of, snapshots
from remoteops.state import StateStore, current_actor, utcnow


def evaluation_moment(as_of: dt.date | None, now: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The day evaluated and the moment up to which evidence counts: now for today (the
    default), the end of the day (UTC) for any other day."""
    today = now.astimezone(dt.UTC).date()
    day = as_of or today
    if day == today:
        return day, now
    return day, dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)


def judge(
    company: Company,
    employee: Employee,
    evidence: Evidence,
    day: dt.date,
    settings: ReadinessSettings,
) -> EmployeeReadiness:
    """One employee's readiness from the evidence."""
    eid = employee.employee_id
    workstation = company.workstation_of(eid)
    results = (
        stages.provisioned(
            eid,
            workstation.hostname if workstation else None,
            evidence.applies.get(eid, ()),
            evidence.drift.get(eid),
        ),
        stages.remote_check(eid, evidence.diagnoses.get(eid)),
        stages.agreements(eid, evidence.documents.get(eid, ()), evidence.versions, evidence.moment),
        stages.equipment(eid, eid in evidence.needing, evidence.deliveries.get(eid)),
    )
    results = tuple(
        stages.aged(r, eid, evidence.moment, settings.max_age(r.stage)) for r in results
    )
    return EmployeeReadiness(
        employee_id=eid,
        name=employee.full_name,
        team=employee.team,
        start=employee.home_office_start,
        stages=results,
        as_of=day,
    )


def delivery_outlook(people: Sequence[EmployeeReadiness], evidence: Evidence) -> DeliveryOutlook:
    """When the last of ``people`` still waiting for equipment gets it, by the current plan."""
    waiting = [
        p
        for p in people
        if p.employee_id in evidence.needing and p.result("equipment").status != "ready"
    ]
    days, unplanned, late = [], [], []
    for p in waiting:
        delivery = evidence.deliveries.get(p.employee_id)
        if delivery is None or delivery.state not in ("planned", "on-van"):
            unplanned.append(p.employee_id)
            continue
        days.append(delivery.day)
        if p.start is not None and delivery.day >= p.start:
            late.append(p.employee_id)
    return DeliveryOutlook(
        ready_by=max(days) if days and not unplanned else None,
        waiting=len(waiting),
        unplanned=tuple(unplanned),
        late=tuple(late),
    )


def _scope(company: Company, team: str | None) -> tuple[list[Employee], list[Employee]]:
    everyone = [e for e in company.employees if e.scheduled_for_home_office]
    if not team:
        return everyone, everyone
    chosen = [e for e in everyone if in_team(e, team)]
    if not chosen:
        teams = sorted({e.team for e in everyone})
        raise UsageError(
            f"No employee scheduled for home office in a team {team!r}.",
            hint=f"Teams: {', '.join(teams)}.",
        )
    return everyone, chosen


def readiness(
    company: Company,
    store: StateStore,
    *,
    team: str | None = None,
    as_of: dt.date | None = None,
    max_age: ReadinessSettings | None = None,
    templates_dir: Path | None = None,
    record: bool = True,
    now: dt.datetime | None = None,
) -> ReadinessReport:
    """Per employee scheduled for home office (of ``team``, if given): ready, blocked or
    unknown, with the evidence of every stage as it stood on ``as_of`` (default today).

    ``max_age``: how old each stage's evidence may be (default: the company's
    ``readiness`` settings). With ``record`` (the default) a run for today also stores the
    day's snapshot of the whole company's counts (the latest run of a day wins); a run for
    another day stores nothing. The report carries the stored snapshots up to ``as_of``.
    """
    now = now or utcnow()
    day, moment = evaluation_moment(as_of, now)
    settings = max_age or company.readiness
    everyone, chosen = _scope(company, team)
    evidence = gather(company, store, everyone, moment, templates_dir=templates_dir)
    people = [judge(company, e, evidence, day, settings) for e in everyone]
    stored: Snapshot | None = None
    if record and day == now.astimezone(dt.UTC).date():
        stored = snapshot_of(people, day, now)
        with store.transaction() as conn:
            record_snapshot(conn, stored, current_actor())
    wanted = {e.employee_id for e in chosen}
    shown = tuple(p for p in people if p.employee_id in wanted)
    teams = sorted({e.team for e in chosen}) if team else None
    with store.reading() as conn:
        trend = snapshots(conn, until=day, teams=teams)
    return ReadinessReport(
        as_of=day,
        moment=moment,
        team=team,
        employees=shown,
        outlook=delivery_outlook(shown, evidence),
        max_age_days={s: getattr(settings, s) for s in READINESS_STAGES},
        trend=trend,
        snapshot=stored,
    )


def take_snapshot(
    company: Company,
    store: StateStore,
    *,
    templates_dir: Path | None = None,
    now: dt.datetime | None = None,
) -> Snapshot:
    """Store today's snapshot of the counts (``remoteops readiness snapshot``, for cron)."""
    report = readiness(company, store, templates_dir=templates_dir, now=now)
    assert report.snapshot is not None  # a run for today always stores one
    return report.snapshot


def run_readiness(
    company: Company,
    store: StateStore,
    *,
    team: str | None = None,
    as_of: dt.date | None = None,
    html: Path | None = None,
) -> tuple[ReadinessReport, Path | None]:
    """What ``remoteops readiness`` does: the report (storing today's snapshot) and, with
    ``html``, the HTML page written there (owner-only, atomically)."""
    from remoteops.readiness.page import write_report_html

    report = readiness(company, store, team=team, as_of=as_of)
    page = None
    if html is not None:
        page = write_report_html(html, report, company_name=company.details.legal_name)
    return report, page
