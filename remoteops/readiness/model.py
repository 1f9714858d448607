"""What the readiness report says, in the users' words: per employee a status (ready,
blocked, unknown) and per stage its evidence, its time and, when it is not ready, who owns
the next step, what it is and by when.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

#: Who owns a blocker.
OWNERS = ("IT", "HR", "operations")
#: Statuses of a stage and of an employee, best first.
STATUSES = ("ready", "unknown", "blocked")


@dataclass(frozen=True)
class Stage:
    id: str  # provisioned, remote_check, agreements, equipment (models.READINESS_STAGES)
    owner: str  # one of OWNERS
    title: str  # "Workstation provisioned"
    short: str  # a column header: "Provisioned"


#: The stages, in the order of the report's columns.
STAGES: tuple[Stage, ...] = (
    Stage("provisioned", "IT", "Workstation provisioned, settings in place", "IT setup"),
    Stage("remote_check", "IT", "First remote check passed", "Remote check"),
    Stage("agreements", "HR", "Every agreement signed in its current version", "Agreements"),
    Stage("equipment", "operations", "Equipment delivered and received", "Equipment"),
)
_BY_ID = {s.id: s for s in STAGES}
#: The funnel: the order the stages are usually passed in (the PC is set up in the office,
#: delivered, checked at home; the agreements run alongside).
FUNNEL = ("provisioned", "equipment", "remote_check", "agreements")


def stage(stage_id: str) -> Stage:
    return _BY_ID[stage_id]


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


@dataclass(frozen=True)
class StageResult:
    """One stage of one employee: its status, what was found and when, and the next step."""

    stage: str
    status: str  # one of STATUSES
    evidence: str  # what was found, in plain words (never blank)
    at: dt.datetime | None = None  # when that was found (None: nothing recorded)
    action: str | None = None  # the next step, when the stage is not ready

    @property
    def owner(self) -> str:
        return stage(self.stage).owner

    def as_dict(self) -> dict[str, object]:
        return {
            "stage": self.stage,
            "owner": self.owner,
            "status": self.status,
            "evidence": self.evidence,
            "at": _time(self.at),
            "action": self.action,
        }


@dataclass(frozen=True)
class Blocker:
    """A stage that keeps an employee from working at home, and who does what by when."""

    employee_id: str
    name: str
    team: str
    stage: str
    owner: str
    status: str  # blocked or unknown
    action: str
    due: dt.date | None  # the employee's home-office start
    evidence: str

    def as_dict(self) -> dict[str, object]:
        return {
            "employee_id": self.employee_id,
            "name": self.name,
            "team": self.team,
            "stage": self.stage,
            "owner": self.owner,
            "status": self.status,
            "action": self.action,
            "due": self.due.isoformat() if self.due else None,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class EmployeeReadiness:
    employee_id: str
    name: str
    team: str
    start: dt.date | None  # home-office start: the due date of every blocker
    stages: tuple[StageResult, ...]  # in the order of STAGES
    as_of: dt.date

    @property
    def status(self) -> str:
        """blocked if any stage is blocked, else unknown if any is unknown, else ready."""
        found = {r.status for r in self.stages}
        return "blocked" if "blocked" in found else "unknown" if "unknown" in found else "ready"

    def result(self, stage_id: str) -> StageResult:
        return next(r for r in self.stages if r.stage == stage_id)

    @property
    def days_overdue(self) -> int | None:
        """Days since the home-office start while not ready (0 on the start day itself);
        None when not overdue."""
        if self.status == "ready" or self.start is None or self.as_of < self.start:
            return None
        return (self.as_of - self.start).days

    @property
    def overdue(self) -> bool:
        return self.days_overdue is not None

    @property
    def open_items(self) -> tuple[Blocker, ...]:
        """The stages that are not ready, blocked ones first."""
        items = [r for r in self.stages if r.status != "ready"]
        items.sort(key=lambda r: r.status != "blocked")
        return tuple(
            Blocker(
                self.employee_id,
                self.name,
                self.team,
                r.stage,
                r.owner,
                r.status,
                r.action or "",
                self.start,
                r.evidence,
            )
            for r in items
        )

    @property
    def owners_blocking(self) -> tuple[str, ...]:
        return tuple(o for o in OWNERS if any(r.owner == o for r in self.blocking))

    @property
    def blocking(self) -> tuple[StageResult, ...]:
        return tuple(r for r in self.stages if r.status == "blocked")

    def as_dict(self) -> dict[str, object]:
        return {
            "employee_id": self.employee_id,
            "name": self.name,
            "team": self.team,
            "start": self.start.isoformat() if self.start else None,
            "status": self.status,
            "days_overdue": self.days_overdue,
            "stages": {r.stage: r.as_dict() for r in self.stages},
            "blockers": [b.as_dict() for b in self.open_items],
        }

    def as_row(self) -> dict[str, object]:
        """A flat row for CSV and the terminal table."""
        row: dict[str, object] = {
            "employee_id": self.employee_id,
            "name": self.name,
            "team": self.team,
            "start": self.start.isoformat() if self.start else "",
            "status": self.status,
            "days_overdue": "" if self.days_overdue is None else self.days_overdue,
        }
        for r in self.stages:
            row[r.stage] = r.status
            row[f"{r.stage}_evidence"] = r.evidence
            row[f"{r.stage}_at"] = _time(r.at) or ""
        first = self.open_items[0] if self.open_items else None
        row["owner"] = first.owner if first else ""
        row["next_action"] = first.action if first else ""
        return row


@dataclass(frozen=True)
class Counts:
    """How many employees are ready, blocked, unknown (and overdue)."""

    employees: int = 0
    ready: int = 0
    blocked: int = 0
    unknown: int = 0
    overdue: int = 0

    @classmethod
    def of(cls, people: list[EmployeeReadiness] | tuple[EmployeeReadiness, ...]) -> Counts:
        return cls(
            employees=len(people),
            ready=sum(p.status == "ready" for p in people),
            blocked=sum(p.status == "blocked" for p in people),
            unknown=sum(p.status == "unknown" for p in people),
            overdue=sum(p.overdue for p in people),
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "employees": self.employees,
            "ready": self.ready,
            "blocked": self.blocked,
            "unknown": self.unknown,
            "overdue": self.overdue,
        }


@dataclass(frozen=True)
class Snapshot:
    """The counts of one day, as stored for the burn-down."""

    day: dt.date
    taken_at: dt.datetime
    counts: Counts
    blocked_by_owner: dict[str, int]  # owner -> employees with a blocker of theirs
    teams: dict[str, dict[str, int]] = field(default_factory=dict)  # team -> counts

    def as_dict(self) -> dict[str, object]:
        return {
            "day": self.day.isoformat(),
            "taken_at": _time(self.taken_at),
            **self.counts.as_dict(),
            "blocked_by_owner": dict(self.blocked_by_owner),
            "teams": self.teams,
        }


@dataclass(frozen=True)
class DeliveryOutlook:
    """When everyone should be ready according to the delivery plan."""

    ready_by: dt.date | None  # the last planned delivery day of those still waiting
    waiting: int  # employees still waiting for equipment
    unplanned: tuple[str, ...]  # waiting and on no delivery run: no date can be given
    late: tuple[str, ...]  # planned for a day on or after their home-office start

    def as_dict(self) -> dict[str, object]:
        return {
            "ready_by": self.ready_by.isoformat() if self.ready_by else None,
            "waiting": self.waiting,
            "unplanned": list(self.unplanned),
            "late": list(self.late),
        }


@dataclass(frozen=True)
class ReadinessReport:
    """Everything ``remoteops readiness`` shows."""

    as_of: dt.date
    moment: dt.datetime  # the evidence counted was recorded by then
    team: str | None
    employees: tuple[EmployeeReadiness, ...]
    outlook: DeliveryOutlook
    max_age_days: dict[str, int | None]  # per stage; None: never too old
    trend: tuple[Snapshot, ...] = ()  # stored snapshots up to as_of, oldest first
    snapshot: Snapshot | None = None  # the one this run stored, if it stored one

    @property
    def counts(self) -> Counts:
        return Counts.of(self.employees)

    def stage_totals(self) -> dict[str, dict[str, int]]:
        return {
            s.id: {
                status: sum(e.result(s.id).status == status for e in self.employees)
                for status in STATUSES
            }
            for s in STAGES
        }

    def team_totals(self) -> dict[str, Counts]:
        teams = sorted({e.team for e in self.employees})
        return {t: Counts.of([e for e in self.employees if e.team == t]) for t in teams}

    def blocked_by_owner(self) -> dict[str, int]:
        return {o: sum(o in e.owners_blocking for e in self.employees) for o in OWNERS}

    def funnel(self) -> list[tuple[str, int]]:
        """Per stage of :data:`FUNNEL`, the employees ready in it and every stage before."""
        out, passed = [], list(self.employees)
        for stage_id in FUNNEL:
            passed = [e for e in passed if e.result(stage_id).status == "ready"]
            out.append((stage_id, len(passed)))
        return out

    @property
    def overdue(self) -> tuple[EmployeeReadiness, ...]:
        return tuple(
            sorted(
                (e for e in self.employees if e.overdue),
                key=lambda e: (-(e.days_overdue or 0), e.employee_id),
            )
        )

    def blockers(self, owner: str | None = None) -> tuple[Blocker, ...]:
        """Every open item (blocked first, then unknown), by due date; of ``owner`` only."""
        items = [b for e in self.employees for b in e.open_items]
        if owner is not None:
            items = [b for b in items if b.owner == owner]
        return tuple(
            sorted(
                items,
                key=lambda b: (b.status != "blocked", b.due or dt.date.max, b.employee_id),
            )
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "evidence_until": _time(self.moment),
            "team": self.team,
            "totals": self.counts.as_dict(),
            "stages": self.stage_totals(),
            "teams": {t: c.as_dict() for t, c in self.team_totals().items()},
            "blocked_by_owner": self.blocked_by_owner(),
            "funnel": [{"stage": s, "ready": n} for s, n in self.funnel()],
            "overdue": [
                {"employee_id": e.employee_id, "days_overdue": e.days_overdue} for e in self.overdue
            ],
            "delivery_plan": self.outlook.as_dict(),
            "max_age_days": dict(self.max_age_days),
            "employees": [e.as_dict() for e in self.employees],
            "trend": [s.as_dict() for s in self.trend],
            "snapshot_stored": self.snapshot.day.isoformat() if self.snapshot else None,
        }
