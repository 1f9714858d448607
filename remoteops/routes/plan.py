"""A delivery plan in the users' words: per day and van a run with its stops in order, who
is late, who is left over and why, and the figures operations decide on (van-days, rental
days, km, hours, cost).  Made by :func:`remoteops.routes.planning.plan_deliveries`, stored by
:mod:`remoteops.routes.store`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from remoteops.routes.problem import working_days_between
from remoteops.routes.solver import SolveOptions
from remoteops.routes.travel import TravelSettings


@dataclass(frozen=True)
class PlannedStop:
    employee_id: str
    name: str
    sequence: int  # 1-based position in the run
    trip: int  # 1-based; a new trip starts after reloading at the depot
    boxes: int
    arrival: dt.datetime  # expected, with the travel model's speed by time of day
    service_start: dt.datetime  # arrival plus any wait for the employee's window
    service_end: dt.datetime
    window_start: dt.datetime  # the arrival window told to the employee
    window_end: dt.datetime
    km_from_previous: float
    drive_minutes_from_previous: float
    home_office_start: dt.date | None = None  # as the plan knew it
    due: dt.date | None = None  # the equipment had to arrive by this day (None: no start date)
    slack_days: int | None = None  # working days from delivery to ``due`` (negative: late)
    unavoidable: bool = False  # late, and no van could have come on time in this horizon

    @property
    def days_late(self) -> int:
        """Working days after the due date (0: on time)."""
        return max(0, -self.slack_days) if self.slack_days is not None else 0

    @property
    def late(self) -> bool:
        return self.days_late > 0


@dataclass(frozen=True)
class DeliveryRun:
    """One van on one day: leaves the depot loaded, delivers, maybe reloads, comes back."""

    day: dt.date
    van: str
    stops: tuple[PlannedStop, ...]
    start: dt.datetime  # loading starts
    end: dt.datetime  # back at the depot
    reloads: tuple[tuple[dt.datetime, dt.datetime], ...]  # (back at depot, leaves again)
    km: float
    driving_minutes: float
    working_minutes: float
    boxes: int

    @property
    def trips(self) -> int:
        return len(self.reloads) + 1

    def trip_stops(self, trip: int) -> tuple[PlannedStop, ...]:
        return tuple(s for s in self.stops if s.trip == trip)

    @property
    def heaviest_trip(self) -> int:
        """Boxes on the fullest trip: the capacity a van needs for this run."""
        return max(sum(s.boxes for s in self.trip_stops(t)) for t in range(1, self.trips + 1))

    def loading_order(self, trip: int = 1) -> tuple[PlannedStop, ...]:
        """Load the last stop first, so the first stop's boxes are at the door."""
        return tuple(reversed(self.trip_stops(trip)))


@dataclass(frozen=True)
class LeftOver:
    employee_id: str
    name: str
    boxes: int
    reason: str  # REASON_CAPACITY, REASON_TIME_WINDOWS or REASON_HORIZON
    detail: str


@dataclass(frozen=True)
class DeliveryPlan:
    first_day: dt.date
    days: tuple[dt.date, ...]
    vans: tuple[str, ...]
    runs: tuple[DeliveryRun, ...]
    left_over: tuple[LeftOver, ...]
    travel: TravelSettings
    solve: SolveOptions
    seed: int  # the seed whose plan was kept
    stopped_by: str
    iterations: int
    solve_seconds: float
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))
    rental: str = "per-day"  # how the vans are paid (company.yml delivery.rental)
    holidays: tuple[dt.date, ...] = ()
    cost_per_van_day: float = 90.0
    cost_per_km: float = 0.35

    @property
    def late(self) -> tuple[tuple[DeliveryRun, PlannedStop], ...]:
        """The stops after their due date, most days late first."""
        out = [(r, s) for r in self.runs for s in r.stops if s.late]
        return tuple(sorted(out, key=lambda rs: (-rs[1].days_late, rs[1].employee_id)))

    @property
    def employee_days_late(self) -> int:
        return sum(s.days_late for _, s in self.late)

    def rental_spans(self) -> dict[str, tuple[dt.date, dt.date, int]]:
        """Per van: first and last day it runs and the working days in between (inclusive):
        what a contiguous rental pays for."""
        out: dict[str, tuple[dt.date, dt.date, int]] = {}
        for van in dict.fromkeys(r.van for r in self.runs):
            days = sorted(r.day for r in self.runs if r.van == van)
            span = working_days_between(days[0], days[-1], self.holidays) + 1
            out[van] = (days[0], days[-1], span)
        return out

    @property
    def rental_days(self) -> int:
        """Days paid for the vans: the van-days when rented per day, every day from each van's
        first to its last run when rented contiguously."""
        if self.rental == "contiguous":
            return sum(span for _, _, span in self.rental_spans().values())
        return self.van_days

    @property
    def idle_rental_days(self) -> int:
        """Days inside a van's first-to-last span on which it does not run."""
        return sum(span for _, _, span in self.rental_spans().values()) - self.van_days

    @property
    def cost(self) -> float:
        """EUR: rental days times the cost per van-day plus kilometres times the cost per km."""
        return self.rental_days * self.cost_per_van_day + self.km * self.cost_per_km

    @property
    def km(self) -> float:
        return sum(r.km for r in self.runs)

    @property
    def driving_minutes(self) -> float:
        return sum(r.driving_minutes for r in self.runs)

    @property
    def working_minutes(self) -> float:
        return sum(r.working_minutes for r in self.runs)

    @property
    def van_days(self) -> int:
        return len(self.runs)

    @property
    def stop_count(self) -> int:
        return sum(len(r.stops) for r in self.runs)

    @property
    def deterministic(self) -> bool:
        """True when the search ended by an iteration criterion, not by the clock."""
        return self.stopped_by != "time limit"

    # -- rows for the CLI's table / --json / --csv output -----------------------------------

    def run_rows(self) -> list[dict]:
        return [
            {
                "day": r.day.isoformat(),
                "van": r.van,
                "stops": len(r.stops),
                "trips": r.trips,
                "boxes": r.boxes,
                "start": f"{r.start:%H:%M}",
                "end": f"{r.end:%H:%M}",
                "km": round(r.km, 1),
                "driving_minutes": round(r.driving_minutes),
                "working_minutes": round(r.working_minutes),
            }
            for r in self.runs
        ]

    def stop_rows(self, *, not_provisioned: dict[str, str] | None = None) -> list[dict]:
        """One row per stop; ``not_provisioned`` (employee ID -> last baseline result) flags
        workstations that are not ready to go out."""
        flagged = not_provisioned or {}
        return [
            {
                "day": r.day.isoformat(),
                "van": r.van,
                "stop": s.sequence,
                "trip": s.trip,
                "employee_id": s.employee_id,
                "name": s.name,
                "arrival_window": f"{s.window_start:%H:%M}-{s.window_end:%H:%M}",
                "eta": f"{s.service_start:%H:%M}",
                "home_office_start": _iso(s.home_office_start),
                "due": _iso(s.due),
                "slack_days": s.slack_days,
                "days_late": s.days_late,
                "late": ("unavoidable" if s.unavoidable else "late") if s.late else "",
                "workstation": (
                    f"not provisioned: {flagged[s.employee_id]}" if s.employee_id in flagged else ""
                ),
                "boxes": s.boxes,
                "km_from_previous": s.km_from_previous,
                "drive_minutes_from_previous": s.drive_minutes_from_previous,
            }
            for r in self.runs
            for s in r.stops
        ]

    def late_rows(self) -> list[dict]:
        return [
            {
                "employee_id": s.employee_id,
                "name": s.name,
                "home_office_start": _iso(s.home_office_start),
                "due": _iso(s.due),
                "day": r.day.isoformat(),
                "van": r.van,
                "days_late": s.days_late,
                "unavoidable": s.unavoidable,
                "reason": "unavoidable" if s.unavoidable else "vans full",
                "why": (
                    "no van could come by the due date in this plan's days (home days, "
                    "equipment ready, plan start)"
                    if s.unavoidable
                    else "the vans are full on the days before the due date"
                ),
            }
            for r, s in self.late
        ]

    def left_over_rows(self) -> list[dict]:
        return [
            {
                "employee_id": x.employee_id,
                "name": x.name,
                "boxes": x.boxes,
                "reason": x.reason,
                "detail": x.detail,
            }
            for x in self.left_over
        ]

    def totals(self) -> dict:
        return {
            "days": len(self.days),
            "van_days": self.van_days,
            "stops": self.stop_count,
            "left_over": len(self.left_over),
            "late": len(self.late),
            "late_unavoidable": sum(1 for _, s in self.late if s.unavoidable),
            "employee_days_late": self.employee_days_late,
            "rental": self.rental,
            "rental_days": self.rental_days,
            "idle_rental_days": self.idle_rental_days,
            "cost_eur": round(self.cost, 2),
            "boxes": sum(r.boxes for r in self.runs),
            "km": round(self.km, 1),
            "driving_hours": round(self.driving_minutes / 60, 2),
            "working_hours": round(self.working_minutes / 60, 2),
            "travel_model": self.travel.describe(),
            "seed": self.seed,
            "stopped_by": self.stopped_by,
            "solve_seconds": self.solve_seconds,
        }

    def runs_on(self, day: dt.date) -> tuple[DeliveryRun, ...]:
        return tuple(r for r in self.runs if r.day == day)

    def run(self, day: dt.date, van: str) -> DeliveryRun | None:
        return next((r for r in self.runs if r.day == day and r.van == van), None)

    def stop_of(self, employee_id: str) -> tuple[DeliveryRun, PlannedStop] | None:
        for r in self.runs:
            for s in r.stops:
                if s.employee_id == employee_id:
                    return r, s
        return None


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""
