"""Delivery plans and what happened to them, in the state database.

The tables are created by the "delivery runs" migration in :mod:`remoteops.state`.
The functions here work inside the caller's transaction
(``with store.transaction() as conn:``) and write the audit entry through the ``audit``
callable they are given (``store.audit``), so a change and its audit entry are committed
together or not at all.

The model:

- ``delivery_plans``: one row per ``routes plan`` / ``routes replan``: horizon, vans, the
  travel model and the solver settings used (so the plan can be explained later).
- ``delivery_runs``: one van on one day.  ``status`` is ``planned`` until ``routes load``
  makes it ``loaded`` (locked: its stops never change again); a replan marks the runs that
  were merely ``planned`` as ``replaced`` and adds new ones.
- ``delivery_stops``: the employees of a run, in order, with their arrival windows.
- ``delivery_left_over``: who did not fit a plan, and why.
- ``delivery_events``: append-only: ``delivered`` (received by) or ``failed`` (reason).

An employee is *delivered* once a ``delivered`` event exists; *on a van* while they are a
stop of a loaded run without an event for that stop; otherwise *outstanding* (a failed
stop returns to the pool and is planned again by the next replan).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from remoteops.errors import ConflictError, NotFoundError, UsageError
from remoteops.routes import FAIL_REASONS
from remoteops.routes.planning import DeliveryPlan, DeliveryRun, LeftOver, PlannedStop
from remoteops.routes.solver import SolveOptions
from remoteops.routes.travel import TravelSettings

if TYPE_CHECKING:
    from remoteops.state import Connection

#: ``audit(conn, action, *, employee_id=None, subject=None, details=None)`` (``store.audit``).
Audit = Callable[..., object]


def _actor(actor: str | None) -> str:
    if actor:
        return actor
    from remoteops.state import current_actor

    return current_actor()


def _now(at: dt.datetime | None) -> str:
    return (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat()


def _no_audit(*args: object, **kwargs: object) -> None:
    return None


# -- saving and loading plans ------------------------------------------------------------------


def save_plan(
    conn: Connection,
    plan: DeliveryPlan,
    *,
    audit: Audit = _no_audit,
    kind: str = "plan",
    actor: str | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Store ``plan`` as the current schedule: runs that were only ``planned`` become
    ``replaced``; ``loaded`` runs stay.  Returns the plan's ID."""
    if kind not in ("plan", "replan"):
        raise ValueError(kind)
    loaded = {(r.day, r.van) for r in current_runs(conn) if r.status == "loaded"}
    clash = [r for r in plan.runs if (r.day, r.van) in loaded]
    if clash:
        r = clash[0]
        raise ConflictError(
            f"Van {r.van} on {r.day:%Y-%m-%d} is already loaded; the new plan cannot use it.",
            hint="Replan with 'remoteops routes replan', which keeps loaded runs.",
        )
    taken = [
        s.employee_id
        for r in plan.runs
        for s in r.stops
        if employee_delivery(conn, s.employee_id).state in ("delivered", "on-van")
    ]
    if taken:
        raise ConflictError(
            f"The plan includes employees already delivered or on a loaded van: "
            f"{', '.join(taken[:5])}{' ...' if len(taken) > 5 else ''}.",
            hint="Use 'remoteops routes replan', which leaves them out.",
        )
    who = _actor(actor)
    solver = {
        **plan.solve.to_dict(),
        "seed_used": plan.seed,
        "stopped_by": plan.stopped_by,
        "iterations": plan.iterations,
        "solve_seconds": plan.solve_seconds,
        "rental": plan.rental,
        "holidays": [d.isoformat() for d in plan.holidays],
        "cost_per_van_day": plan.cost_per_van_day,
        "cost_per_km": plan.cost_per_km,
    }
    plan_id = conn.execute(
        "INSERT INTO delivery_plans (created_at, created_by, kind, first_day, days, vans, "
        "travel, solver) VALUES (:created_at, :created_by, :kind, :first_day, :days, :vans, "
        ":travel, :solver) RETURNING id",
        {
            "created_at": _now(at),
            "created_by": who,
            "kind": kind,
            "first_day": plan.first_day.isoformat(),
            "days": json.dumps([d.isoformat() for d in plan.days]),
            "vans": json.dumps(list(plan.vans), ensure_ascii=False),
            "travel": json.dumps(plan.travel.to_dict(), ensure_ascii=False),
            "solver": json.dumps(solver),
        },
    ).scalar()
    replaced = conn.execute(
        "UPDATE delivery_runs SET status = 'replaced' WHERE status = 'planned'"
    ).rowcount
    for run in plan.runs:
        _insert_run(conn, plan_id, run)
    for left in plan.left_over:
        conn.execute(
            "INSERT INTO delivery_left_over (plan_id, employee_id, name, boxes, reason, detail) "
            "VALUES (:plan_id, :employee_id, :name, :boxes, :reason, :detail)",
            {
                "plan_id": plan_id,
                "employee_id": left.employee_id,
                "name": left.name,
                "boxes": left.boxes,
                "reason": left.reason,
                "detail": left.detail,
            },
        )
    audit(
        conn,
        f"routes.{kind}",
        actor=who,
        subject=f"plan {plan_id}",
        details={
            "first_day": plan.first_day.isoformat(),
            "days": len(plan.days),
            "runs": len(plan.runs),
            "stops": plan.stop_count,
            "left_over": len(plan.left_over),
            "late": len(plan.late),
            "km": round(plan.km, 1),
            "replaced_runs": replaced,
            "travel": plan.travel.method,
            "seed": plan.seed,
        },
    )
    return plan_id


def _insert_run(conn: Connection, plan_id: int, run: DeliveryRun) -> int:
    run_id = conn.execute(
        "INSERT INTO delivery_runs (plan_id, day, van, start_at, end_at, reloads, km, "
        "driving_minutes, working_minutes, boxes) VALUES (:plan_id, :day, :van, :start_at, "
        ":end_at, :reloads, :km, :driving_minutes, :working_minutes, :boxes) RETURNING id",
        {
            "plan_id": plan_id,
            "day": run.day.isoformat(),
            "van": run.van,
            "start_at": run.start.isoformat(),
            "end_at": run.end.isoformat(),
            "reloads": json.dumps([[a.isoformat(), b.isoformat()] for a, b in run.reloads]),
            "km": run.km,
            "driving_minutes": run.driving_minutes,
            "working_minutes": run.working_minutes,
            "boxes": run.boxes,
        },
    ).scalar()
    if not run.stops:
        return run_id
    conn.execute(
        "INSERT INTO delivery_stops (run_id, employee_id, name, sequence, trip, boxes, arrival, "
        "service_start, service_end, window_start, window_end, km_from_previous, "
        "drive_minutes_from_previous, home_office_start, due, slack_days, unavoidable) "
        "VALUES (:run_id, :employee_id, :name, :sequence, :trip, :boxes, :arrival, "
        ":service_start, :service_end, :window_start, :window_end, :km_from_previous, "
        ":drive_minutes_from_previous, :home_office_start, :due, :slack_days, :unavoidable)",
        [
            {
                "run_id": run_id,
                "employee_id": s.employee_id,
                "name": s.name,
                "sequence": s.sequence,
                "trip": s.trip,
                "boxes": s.boxes,
                "arrival": s.arrival.isoformat(),
                "service_start": s.service_start.isoformat(),
                "service_end": s.service_end.isoformat(),
                "window_start": s.window_start.isoformat(),
                "window_end": s.window_end.isoformat(),
                "km_from_previous": s.km_from_previous,
                "drive_minutes_from_previous": s.drive_minutes_from_previous,
                "home_office_start": (
                    s.home_office_start.isoformat() if s.home_office_start else None
                ),
                "due": s.due.isoformat() if s.due else None,
                "slack_days": s.slack_days,
                "unavoidable": int(s.unavoidable),
            }
            for s in run.stops
        ],
    )
    return run_id


@dataclass(frozen=True)
class StoredRun:
    """A run as stored: the run itself plus its ID, status and lock."""

    id: int
    plan_id: int
    status: str  # planned, loaded, replaced
    run: DeliveryRun
    stop_ids: tuple[int, ...]  # in stop order
    loaded_at: dt.datetime | None
    loaded_by: str | None

    @property
    def day(self) -> dt.date:
        return self.run.day

    @property
    def van(self) -> str:
        return self.run.van


def _date_or_none(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _row_run(conn: Connection, row) -> StoredRun:
    stops = conn.execute(
        "SELECT * FROM delivery_stops WHERE run_id = :id ORDER BY sequence", {"id": row["id"]}
    ).fetchall()
    t = dt.datetime.fromisoformat
    run = DeliveryRun(
        day=dt.date.fromisoformat(row["day"]),
        van=row["van"],
        stops=tuple(
            PlannedStop(
                employee_id=s["employee_id"],
                name=s["name"],
                sequence=s["sequence"],
                trip=s["trip"],
                boxes=s["boxes"],
                arrival=t(s["arrival"]),
                service_start=t(s["service_start"]),
                service_end=t(s["service_end"]),
                window_start=t(s["window_start"]),
                window_end=t(s["window_end"]),
                km_from_previous=s["km_from_previous"],
                drive_minutes_from_previous=s["drive_minutes_from_previous"],
                home_office_start=_date_or_none(s["home_office_start"]),
                due=_date_or_none(s["due"]),
                slack_days=s["slack_days"],
                unavoidable=bool(s["unavoidable"]),
            )
            for s in stops
        ),
        start=t(row["start_at"]),
        end=t(row["end_at"]),
        reloads=tuple((t(a), t(b)) for a, b in json.loads(row["reloads"])),
        km=row["km"],
        driving_minutes=row["driving_minutes"],
        working_minutes=row["working_minutes"],
        boxes=row["boxes"],
    )
    return StoredRun(
        id=row["id"],
        plan_id=row["plan_id"],
        status=row["status"],
        run=run,
        stop_ids=tuple(s["id"] for s in stops),
        loaded_at=t(row["loaded_at"]) if row["loaded_at"] else None,
        loaded_by=row["loaded_by"],
    )


def current_runs(conn: Connection, day: dt.date | None = None) -> tuple[StoredRun, ...]:
    """The schedule now: planned and loaded runs, by day and van (optionally one day)."""
    sql = "SELECT * FROM delivery_runs WHERE status IN ('planned', 'loaded')"
    params: dict = {}
    if day is not None:
        sql += " AND day = :day"
        params = {"day": day.isoformat()}
    rows = conn.execute(sql + " ORDER BY day, id", params).fetchall()
    return tuple(_row_run(conn, r) for r in rows)


def latest_plan_id(conn: Connection) -> int | None:
    row = conn.execute("SELECT max(id) FROM delivery_plans").fetchone()
    return row[0] if row and row[0] is not None else None


def load_plan(conn: Connection, plan_id: int | None = None) -> DeliveryPlan:
    """A stored plan as it was made (its own runs, whatever their status now)."""
    plan_id = plan_id if plan_id is not None else latest_plan_id(conn)
    row = (
        conn.execute("SELECT * FROM delivery_plans WHERE id = :id", {"id": plan_id}).fetchone()
        if plan_id is not None
        else None
    )
    if row is None:
        raise NotFoundError(
            "No delivery plan is stored yet." if plan_id is None else f"No plan {plan_id}.",
            hint="Make one with 'remoteops routes plan --from DATE --days N'.",
        )
    runs = conn.execute(
        "SELECT * FROM delivery_runs WHERE plan_id = :id ORDER BY day, id", {"id": plan_id}
    ).fetchall()
    left = conn.execute(
        "SELECT * FROM delivery_left_over WHERE plan_id = :id ORDER BY employee_id",
        {"id": plan_id},
    ).fetchall()
    solver = json.loads(row["solver"])
    return DeliveryPlan(
        first_day=dt.date.fromisoformat(row["first_day"]),
        days=tuple(dt.date.fromisoformat(d) for d in json.loads(row["days"])),
        vans=tuple(json.loads(row["vans"])),
        runs=tuple(_row_run(conn, r).run for r in runs),
        left_over=tuple(
            LeftOver(x["employee_id"], x["name"], x["boxes"], x["reason"], x["detail"])
            for x in left
        ),
        travel=TravelSettings.from_dict(json.loads(row["travel"])),
        solve=SolveOptions.from_dict(solver),
        seed=solver.get("seed_used", solver.get("seed", 0)),
        stopped_by=solver.get("stopped_by", ""),
        iterations=solver.get("iterations", 0),
        rental=solver.get("rental", "per-day"),
        holidays=tuple(dt.date.fromisoformat(d) for d in solver.get("holidays", [])),
        cost_per_van_day=solver.get("cost_per_van_day", 90.0),
        cost_per_km=solver.get("cost_per_km", 0.35),
        solve_seconds=solver.get("solve_seconds", 0.0),
        created=dt.datetime.fromisoformat(row["created_at"]),
    )


# -- tracking ------------------------------------------------------------------------------


def load_run(
    conn: Connection,
    day: dt.date,
    van: str,
    *,
    audit: Audit = _no_audit,
    actor: str | None = None,
    at: dt.datetime | None = None,
) -> StoredRun:
    """Lock the run of ``van`` on ``day``: it is being loaded and will never be reordered."""
    runs = [r for r in current_runs(conn, day) if r.van == van]
    if not runs:
        vans = ", ".join(r.van for r in current_runs(conn, day)) or "none"
        raise NotFoundError(
            f"No delivery run for van {van!r} on {day:%Y-%m-%d} (vans that day: {vans}).",
            hint="See the plan with 'remoteops routes status' or plan first.",
        )
    (run,) = runs
    if run.status == "loaded":
        raise ConflictError(
            f"The run of {van} on {day:%Y-%m-%d} was already loaded at "
            f"{run.loaded_at:%Y-%m-%d %H:%M} UTC by {run.loaded_by}."
        )
    who = _actor(actor)
    conn.execute(
        "UPDATE delivery_runs SET status = 'loaded', loaded_at = :at, loaded_by = :who "
        "WHERE id = :id",
        {"at": _now(at), "who": who, "id": run.id},
    )
    audit(
        conn,
        "routes.loaded",
        actor=who,
        subject=f"run {run.id}",
        details={
            "day": day.isoformat(),
            "van": van,
            "stops": [s.employee_id for s in run.run.stops],
            "boxes": run.run.boxes,
        },
    )
    return _row_run(
        conn,
        conn.execute("SELECT * FROM delivery_runs WHERE id = :id", {"id": run.id}).fetchone(),
    )


def _open_stop(conn: Connection, employee_id: str):
    """The employee's stop on a loaded run that has no event yet."""
    row = conn.execute(
        "SELECT s.id AS stop_id, r.id AS run_id, r.day, r.van, r.status FROM delivery_stops s "
        "JOIN delivery_runs r ON r.id = s.run_id "
        "LEFT JOIN delivery_events e ON e.stop_id = s.id "
        "WHERE s.employee_id = :employee_id AND r.status IN ('planned', 'loaded') "
        "AND e.id IS NULL ORDER BY r.day, r.id LIMIT 1",
        {"employee_id": employee_id},
    ).fetchone()
    if row is None:
        if _delivered_event(conn, employee_id) is not None:
            raise ConflictError(f"{employee_id} has already received their equipment.")
        raise NotFoundError(
            f"{employee_id} is not on any planned delivery run.",
            hint="See 'remoteops routes status'; replan to schedule them.",
        )
    if row["status"] != "loaded":
        raise ConflictError(
            f"{employee_id} is on the run of {row['van']} on {row['day']}, which has not been "
            "loaded.",
            hint=f"Load it first: remoteops routes load {row['day']} --van {row['van']!r}",
        )
    return row


def _delivered_event(conn: Connection, employee_id: str):
    return conn.execute(
        "SELECT * FROM delivery_events WHERE employee_id = :employee_id AND kind = 'delivered'",
        {"employee_id": employee_id},
    ).fetchone()


def deliver(
    conn: Connection,
    employee_id: str,
    received_by: str,
    *,
    note: str | None = None,
    audit: Audit = _no_audit,
    actor: str | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Record that ``employee_id``'s equipment was handed over to ``received_by``."""
    received_by = (received_by or "").strip()
    if not received_by:
        raise UsageError("Say who received the equipment (--received-by NAME).")
    stop = _open_stop(conn, employee_id)
    return _event(conn, stop, employee_id, "delivered", received_by, None, note, audit, actor, at)


def fail(
    conn: Connection,
    employee_id: str,
    reason: str,
    *,
    note: str | None = None,
    audit: Audit = _no_audit,
    actor: str | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Record a failed delivery; the employee goes back to the pool for the next replan."""
    if reason not in FAIL_REASONS:
        raise UsageError(
            f"Unknown reason {reason!r}.", hint=f"Use one of: {', '.join(FAIL_REASONS)}."
        )
    stop = _open_stop(conn, employee_id)
    return _event(conn, stop, employee_id, "failed", None, reason, note, audit, actor, at)


def _event(conn, stop, employee_id, kind, received_by, reason, note, audit, actor, at) -> int:
    who = _actor(actor)
    event_id = conn.execute(
        "INSERT INTO delivery_events (at, actor, stop_id, employee_id, kind, received_by, "
        "reason, note) VALUES (:at, :actor, :stop_id, :employee_id, :kind, :received_by, "
        ":reason, :note) RETURNING id",
        {
            "at": _now(at),
            "actor": who,
            "stop_id": stop["stop_id"],
            "employee_id": employee_id,
            "kind": kind,
            "received_by": received_by,
            "reason": reason,
            "note": note,
        },
    ).scalar()
    details = {"day": stop["day"], "van": stop["van"]}
    if received_by:
        details["received_by"] = received_by
    if reason:
        details["reason"] = reason
    if note:
        details["note"] = note
    audit(
        conn,
        f"routes.{kind}",
        actor=who,
        employee_id=employee_id,
        subject=f"run {stop['run_id']}",
        details=details,
    )
    return int(event_id)


# -- status --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryEvent:
    at: dt.datetime
    actor: str
    kind: str  # delivered or failed
    day: dt.date
    van: str
    received_by: str | None
    reason: str | None
    note: str | None


@dataclass(frozen=True)
class EmployeeDelivery:
    """What ``employees show`` prints about one employee's equipment delivery."""

    employee_id: str
    state: str  # delivered, on-van, planned, failed, outstanding
    day: dt.date | None  # the planned or delivered day
    van: str | None
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    events: tuple[DeliveryEvent, ...]
    due: dt.date | None = None  # the planned stop's due date
    slack_days: int | None = None  # working days to spare (negative: late)

    def describe(self) -> str:
        if self.state == "delivered":
            last = self.events[-1]
            return f"delivered {last.at:%Y-%m-%d %H:%M} UTC, received by {last.received_by}"
        if self.state in ("planned", "on-van") and self.window_start and self.window_end:
            where = "on the van" if self.state == "on-van" else "planned"
            timing = ""
            if self.due is not None and self.slack_days is not None:
                timing = (
                    f" (due {self.due:%d.%m.%Y}, {self.slack_days} working day(s) to spare)"
                    if self.slack_days >= 0
                    else f" (due {self.due:%d.%m.%Y}: {-self.slack_days} working day(s) late)"
                )
            return (
                f"{where}: {self.van}, {self.window_start:%a %d.%m.%Y %H:%M}-"
                f"{self.window_end:%H:%M}{timing}"
            )
        if self.state == "failed":
            last = self.events[-1]
            return f"delivery failed on {last.day:%d.%m.%Y} ({last.reason}); to be replanned"
        return "not yet planned"


def employee_delivery(
    conn: Connection, employee_id: str, *, until: dt.datetime | None = None
) -> EmployeeDelivery:
    """Where the employee's delivery stands, counting only what was recorded by ``until``
    (default: all of it): events, loading, and the plans made by then (a past day sees the
    current schedule less later plans; runs a later plan replaced are not brought back)."""
    cutoff = _now(until) if until is not None else None
    events = tuple(
        DeliveryEvent(
            at=dt.datetime.fromisoformat(r["at"]),
            actor=r["actor"],
            kind=r["kind"],
            day=dt.date.fromisoformat(r["day"]),
            van=r["van"],
            received_by=r["received_by"],
            reason=r["reason"],
            note=r["note"],
        )
        for r in conn.execute(
            "SELECT e.*, r.day, r.van FROM delivery_events e "
            "JOIN delivery_stops s ON s.id = e.stop_id JOIN delivery_runs r ON r.id = s.run_id "
            "WHERE e.employee_id = :employee_id "
            "AND (CAST(:cutoff AS TEXT) IS NULL OR e.at <= :cutoff) ORDER BY e.at, e.id",
            {"employee_id": employee_id, "cutoff": cutoff},
        )
    )
    delivered = next((e for e in events if e.kind == "delivered"), None)
    if delivered:
        return EmployeeDelivery(
            employee_id, "delivered", delivered.day, delivered.van, None, None, events
        )
    row = conn.execute(
        "SELECT s.window_start, s.window_end, s.due, s.slack_days, r.day, r.van, r.status, "
        "r.loaded_at FROM delivery_stops s "
        "JOIN delivery_runs r ON r.id = s.run_id "
        "JOIN delivery_plans p ON p.id = r.plan_id "
        "AND (CAST(:cutoff AS TEXT) IS NULL OR p.created_at <= :cutoff) "
        "LEFT JOIN delivery_events e ON e.stop_id = s.id "
        "AND (CAST(:cutoff AS TEXT) IS NULL OR e.at <= :cutoff) "
        "WHERE s.employee_id = :employee_id AND r.status IN ('planned', 'loaded') "
        "AND e.id IS NULL ORDER BY r.day LIMIT 1",
        {"cutoff": cutoff, "employee_id": employee_id},
    ).fetchone()
    if row is not None:
        loaded = row["status"] == "loaded" and (cutoff is None or row["loaded_at"] <= cutoff)
        return EmployeeDelivery(
            employee_id,
            "on-van" if loaded else "planned",
            dt.date.fromisoformat(row["day"]),
            row["van"],
            dt.datetime.fromisoformat(row["window_start"]),
            dt.datetime.fromisoformat(row["window_end"]),
            events,
            due=_date_or_none(row["due"]),
            slack_days=row["slack_days"],
        )
    state = "failed" if events else "outstanding"
    return EmployeeDelivery(employee_id, state, None, None, None, None, events)


@dataclass(frozen=True)
class DeliveryStatus:
    delivered: tuple[str, ...]
    failed: tuple[str, ...]  # last attempt failed, back in the pool
    on_van: tuple[str, ...]  # on a loaded run, no event yet
    planned: tuple[str, ...]  # on a planned run
    outstanding: tuple[str, ...]  # everyone waiting: not delivered (includes the above)
    unplanned: tuple[str, ...]  # waiting and on no current run
    km_so_far: float
    loaded_runs: int
    runs: int


def delivery_status(conn: Connection, employee_ids: Iterable[str] | None = None) -> DeliveryStatus:
    """Where every delivery stands.  ``employee_ids``: everyone who needs equipment (from the
    inventory); without it, everyone who ever appeared in a plan."""
    if employee_ids is None:
        employee_ids = [
            r[0]
            for r in conn.execute(
                "SELECT employee_id FROM delivery_stops UNION "
                "SELECT employee_id FROM delivery_left_over"
            )
        ]
    everyone = sorted(set(employee_ids))
    states = {e: employee_delivery(conn, e).state for e in everyone}

    def having(state: str) -> tuple[str, ...]:
        return tuple(e for e in everyone if states[e] == state)

    km = 0.0
    runs = current_runs(conn)
    done_stops = {r[0] for r in conn.execute("SELECT stop_id FROM delivery_events").fetchall()}
    for run in runs:
        if run.status != "loaded":
            continue
        done = [i for i, sid in enumerate(run.stop_ids) if sid in done_stops]
        if len(done) == len(run.stop_ids):
            km += run.run.km
        elif done:
            km += sum(s.km_from_previous for s in run.run.stops[: max(done) + 1])
    return DeliveryStatus(
        delivered=having("delivered"),
        failed=having("failed"),
        on_van=having("on-van"),
        planned=having("planned"),
        outstanding=tuple(e for e in everyone if states[e] != "delivered"),
        unplanned=tuple(e for e in everyone if states[e] in ("failed", "outstanding")),
        km_so_far=round(km, 1),
        loaded_runs=sum(1 for r in runs if r.status == "loaded"),
        runs=len(runs),
    )


# -- replanning ------------------------------------------------------------------------------


def to_replan(conn: Connection, employee_ids: Iterable[str]) -> tuple[str, ...]:
    """Of ``employee_ids`` (everyone who needs equipment), those a replan must schedule:
    not delivered and not on a loaded run still waiting for its event."""
    out = []
    for e in employee_ids:
        state = employee_delivery(conn, e).state
        if state not in ("delivered", "on-van"):
            out.append(e)
    return tuple(dict.fromkeys(out))


def busy_van_days(conn: Connection) -> frozenset[tuple[dt.date, str]]:
    """(day, van) pairs taken by loaded runs; a replan must not use them."""
    return frozenset((r.day, r.van) for r in current_runs(conn) if r.status == "loaded")


def replan_problem(
    conn: Connection,
    company,
    start: dt.date,
    days: int,
    *,
    vans: int | None = None,
    capacity: int | None = None,
    needing: Iterable[str] | None = None,
    extra_vans: Iterable[tuple[dt.date, int]] = (),
):
    """The :class:`~remoteops.routes.planning.DeliveryProblem` of a replan: everyone not yet
    delivered and not on a loaded van (failed stops included), without the van-days taken
    by loaded runs.  Solve it outside the write transaction, then :func:`save_plan` it with
    ``kind="replan"`` (which re-checks loaded runs and deliveries)."""
    import dataclasses

    from remoteops.routes.planning import delivery_problem, stops_for

    if needing is None:
        needing = [s.employee.employee_id for s in stops_for(company)]
    problem = delivery_problem(
        company,
        start,
        days,
        vans=vans,
        capacity=capacity,
        employee_ids=to_replan(conn, needing),
        extra_vans=extra_vans,
    )
    busy = busy_van_days(conn)
    if busy:
        problem = dataclasses.replace(
            problem, van_days=tuple(v for v in problem.van_days if (v.day, v.van) not in busy)
        )
    return problem


def replan(
    conn: Connection,
    company,
    start: dt.date,
    days: int,
    *,
    audit: Audit = _no_audit,
    travel: TravelSettings | None = None,
    options: SolveOptions | None = None,
    vans: int | None = None,
    capacity: int | None = None,
    needing: Iterable[str] | None = None,
    actor: str | None = None,
    at: dt.datetime | None = None,
) -> tuple[int, DeliveryPlan]:
    """Plan everyone not yet delivered (failed stops included) from ``start`` for ``days``
    working days, keeping loaded runs untouched and their vans busy on their days.

    ``needing``: the employees who need equipment (default: as :func:`stops_for` chooses).
    Returns the new plan's ID and the plan (the new runs only).  Solves inside the caller's
    transaction; the CLI should rather use :func:`replan_problem` and :func:`save_plan`.
    """
    from remoteops.routes.planning import plan_deliveries

    problem = replan_problem(
        conn, company, start, days, vans=vans, capacity=capacity, needing=needing
    )
    plan = plan_deliveries(problem, travel, options)
    plan_id = save_plan(conn, plan, audit=audit, kind="replan", actor=actor, at=at)
    return plan_id, plan


def ensure_can_plan(conn: Connection) -> None:
    """``routes plan`` on top of loaded runs would double-book; ask for a replan instead."""
    if busy_van_days(conn):
        raise ConflictError(
            "Some runs are already loaded; a fresh plan would ignore them.",
            hint="Use 'remoteops routes replan --from DATE --days N', which keeps them.",
        )
