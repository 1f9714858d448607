"""The fleet view: diagnose many workstations in one run and show which policies fail how
often ("12 of 150 (8 %): security updates older than 7 days"), whom they affect, and what
is *newly* failing since the previous fleet run - the list support acts on first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from remoteops.employees import in_team
from remoteops.errors import UsageError
from remoteops.models import Company
from remoteops.provision.driver import hosts_of
from remoteops.provision.operations import inventories_for
from remoteops.provision.results import ProgressUpdate
from remoteops.state import StateStore
from remoteops.support.diagnosis import (
    DiagnoseOptions,
    Target,
    run_diagnoses,
    workstation_hosts,
)
from remoteops.support.policies import POLICIES, SEVERITIES, Limits, Policy, policy
from remoteops.support.results import Diagnosis
from remoteops.support.store import (
    FleetRun,
    get_fleet_run,
    previous_fleet_diagnoses,
    previous_fleet_run,
)


@dataclass(frozen=True)
class Affected:
    """One workstation in a group of the fleet view."""

    host: str
    employee_id: str | None
    name: str
    team: str
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {
            "host": self.host,
            "employee_id": self.employee_id,
            "name": self.name,
            "team": self.team,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class PolicyGroup:
    """The workstations on which one policy fails (or could not be checked)."""

    policy: Policy
    label: str  # "security updates older than 7 days"
    status: str  # fail or error
    affected: tuple[Affected, ...]
    total: int  # workstations in the fleet run

    @property
    def count(self) -> int:
        return len(self.affected)

    @property
    def percent(self) -> int:
        return round(100 * self.count / self.total) if self.total else 0

    def headline(self) -> str:
        """'12 of 150 (8 %): security updates older than 7 days'."""
        return f"{self.count} of {self.total} ({self.percent} %): {self.label}"

    def as_dict(self) -> dict[str, object]:
        return {
            "policy": self.policy.id,
            "title": self.policy.title,
            "severity": self.policy.severity,
            "status": self.status,
            "label": self.label,
            "count": self.count,
            "total": self.total,
            "percent": self.percent,
            "headline": self.headline(),
            "repair": self.policy.repair,
            "affected": [a.as_dict() for a in self.affected],
        }


@dataclass(frozen=True)
class NewlyFailing:
    affected: Affected
    policy: Policy
    before: str  # the policy's status in the previous fleet run

    def as_dict(self) -> dict[str, object]:
        return {
            **self.affected.as_dict(),
            "policy": self.policy.id,
            "title": self.policy.title,
            "before": self.before,
        }


@dataclass(frozen=True)
class FleetReport:
    """What ``remoteops support fleet`` shows."""

    run: FleetRun
    diagnoses: tuple[Diagnosis, ...]
    failing: tuple[PolicyGroup, ...]  # most severe and most frequent first
    not_checked: tuple[PolicyGroup, ...]
    newly_failing: tuple[NewlyFailing, ...]
    previous: FleetRun | None
    first_time: tuple[str, ...]  # workstations without an earlier fleet diagnosis

    def as_dict(self) -> dict[str, object]:
        return {
            "run": self.run.as_dict(),
            "failing": [g.as_dict() for g in self.failing],
            "not_checked": [g.as_dict() for g in self.not_checked],
            "newly_failing": [n.as_dict() for n in self.newly_failing],
            "previous_run": self.previous.as_dict() if self.previous else None,
            "first_time": list(self.first_time),
            "diagnoses": [d.as_dict() for d in self.diagnoses],
        }


def fleet_targets(
    company: Company,
    inventories: Sequence[Path],
    *,
    group: str | None = None,
    team: str | None = None,
) -> tuple[list[Target], str]:
    """The workstations of an inventory group (or one host), of a team of the roster, or
    all workstations; and the scope in words."""
    if group and team:
        raise UsageError("Give either a group or --team, not both.")
    hosts = workstation_hosts(inventories)
    if group:
        chosen = hosts_of([group], inventories) & set(hosts)
        if not chosen:
            raise UsageError(
                f"No workstation in an inventory group or host called {group!r}.",
                hint="Groups are in hosts.yml (team_outbound, workstations) or 'lab'.",
            )
        scope = group
    elif team:
        members = {e.employee_id.upper() for e in company.employees if in_team(e, team)}
        chosen = {h for h, e in hosts.items() if e and e.upper() in members}
        if not chosen:
            raise UsageError(
                f"No workstation belongs to an employee of team {team!r}.",
                hint="Teams are in employees.csv; 'remoteops employees list' shows them.",
            )
        scope = f"team {team}"
    else:
        chosen, scope = set(hosts), "all workstations"
    return [Target(h, hosts[h]) for h in sorted(chosen)], scope


def fleet(
    company: Company,
    store: StateStore,
    inventory_dir: Path,
    *,
    group: str | None = None,
    team: str | None = None,
    lab_dir: Path | None = None,
    options: DiagnoseOptions | None = None,
    progress: Callable[[ProgressUpdate], None] | None = None,
) -> FleetReport:
    """Diagnose the workstations of ``group`` (or ``team``, or all) in one run, record them
    as a fleet run, and group what fails."""
    inventories = inventories_for(inventory_dir, lab_dir)
    targets, scope = fleet_targets(company, inventories, group=group, team=team)
    diagnoses = run_diagnoses(
        company,
        store,
        inventory_dir,
        targets,
        lab_dir=lab_dir,
        options=options or DiagnoseOptions(),
        progress=progress,
        fleet_scope=scope,
    )
    run_id = diagnoses[0].fleet_run
    with store.reading() as conn:
        previous = previous_fleet_run(conn, before=run_id)
        earlier = previous_fleet_diagnoses(conn, [d.host for d in diagnoses], run_id)
        current = get_fleet_run(conn, run_id)
    return summarise(company, current, diagnoses, earlier, previous)


def summarise(
    company: Company,
    run: FleetRun,
    diagnoses: Sequence[Diagnosis],
    earlier: dict[str, Diagnosis],
    previous: FleetRun | None,
) -> FleetReport:
    """Group the diagnoses of a fleet run by failing policy and compare with ``earlier``
    (per host, its diagnosis in the previous fleet run that included it)."""

    roster = {e.employee_id: e for e in company.employees}

    def affected(d: Diagnosis, detail: str) -> Affected:
        employee = roster.get(d.employee_id or "")
        return Affected(
            host=d.host,
            employee_id=d.employee_id,
            name=employee.full_name if employee else "",
            team=employee.team if employee else "",
            detail=detail,
        )

    groups: dict[str, list[PolicyGroup]] = {"fail": [], "error": []}
    total = len(diagnoses)
    for p in POLICIES:
        for status in ("fail", "error"):
            hits = [(d, d.result(p.id)) for d in diagnoses]
            hits = [(d, r) for d, r in hits if r is not None and r.status == status]
            if not hits:
                continue
            limits = next((d.limits for d, _r in hits if d.reachable), Limits())
            groups[status].append(
                PolicyGroup(
                    policy=p,
                    label=p.failing_text(limits) if status == "fail" else p.title,
                    status=status,
                    affected=tuple(
                        affected(d, r.detail if status == "fail" else (r.error or r.detail))
                        for d, r in hits
                    ),
                    total=total,
                )
            )
    order = {s: i for i, s in enumerate(SEVERITIES)}
    newly = []
    for d in diagnoses:
        before = earlier.get(d.host)
        if before is None:
            continue
        for result in d.failing:
            old = before.result(result.policy)
            if old is not None and old.status != "fail":
                newly.append(
                    NewlyFailing(affected(d, result.detail), policy(result.policy), old.status)
                )
    return FleetReport(
        run=run,
        diagnoses=tuple(diagnoses),
        failing=tuple(sorted(groups["fail"], key=lambda g: (order[g.policy.severity], -g.count))),
        not_checked=tuple(sorted(groups["error"], key=lambda g: -g.count)),
        newly_failing=tuple(newly),
        previous=previous,
        first_time=tuple(d.host for d in diagnoses if d.host not in earlier),
    )
