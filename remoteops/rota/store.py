"""Rota plans and their duties in the state database (the "support rota" migration in
:mod:`remoteops.state`).

The functions work inside the caller's transaction (``with store.transaction() as conn:``)
and write their audit entry through the ``audit`` callable they are given (``store.audit``),
so a change and its audit entry are committed together or not at all.

- ``rota_plans``: one row per ``rota plan``: the period and the solver's figures.
- ``rota_duties``: every duty; ``active`` until a later plan of the same days, a swap or a
  cover replaces it (then ``replaced``, never deleted). At most one active duty per person
  and day.
- ``rota_gaps``: the hours a plan could not cover, per channel and day.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from remoteops.rota.board import Gap
from remoteops.rota.settings import Duty

if TYPE_CHECKING:
    from remoteops.state import Connection, Record

Audit = Callable[..., object]


def _time(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def _duty(row: Record) -> Duty:
    return Duty(
        day=dt.date.fromisoformat(row["day"]),
        employee_id=row["employee_id"],
        channel=row["channel"],
        start=_time(row["start_time"]),
        end=_time(row["end_time"]),
        break_minutes=row["break_minutes"],
        shift=row["shift"],
        source=row["source"],
    )


def active_duties(
    conn: Connection, first: dt.date | None = None, last: dt.date | None = None
) -> list[Duty]:
    """The rota as it stands: active duties, optionally of ``first``..``last`` only."""
    sql, params = "SELECT * FROM rota_duties WHERE status = 'active'", {}
    if first is not None:
        sql += " AND day >= :first"
        params["first"] = first.isoformat()
    if last is not None:
        sql += " AND day <= :last"
        params["last"] = last.isoformat()
    return sorted(_duty(r) for r in conn.execute(sql + " ORDER BY day, employee_id", params))


def planned_since(conn: Connection) -> dt.date | None:
    """The first day any stored plan covers (the rota knows the days from then on)."""
    row = conn.execute("SELECT MIN(first_day) AS first FROM rota_plans").fetchone()
    return dt.date.fromisoformat(row["first"]) if row and row["first"] else None


def planned_periods(conn: Connection) -> list[tuple[int, dt.date, dt.date]]:
    return [
        (r["id"], dt.date.fromisoformat(r["first_day"]), dt.date.fromisoformat(r["last_day"]))
        for r in conn.execute("SELECT id, first_day, last_day FROM rota_plans ORDER BY id")
    ]


def _insert(conn: Connection, plan_id: int, duty: Duty, source: str) -> None:
    conn.execute(
        "INSERT INTO rota_duties (plan_id, day, employee_id, channel, shift, start_time, "
        "end_time, break_minutes, source) VALUES (:plan_id, :day, :employee_id, :channel, "
        ":shift, :start_time, :end_time, :break_minutes, :source)",
        {
            "plan_id": plan_id,
            "day": duty.day.isoformat(),
            "employee_id": duty.employee_id,
            "channel": duty.channel,
            "shift": duty.shift,
            "start_time": duty.start.strftime("%H:%M"),
            "end_time": duty.end.strftime("%H:%M"),
            "break_minutes": duty.break_minutes,
            "source": source,
        },
    )


def save_plan(
    conn: Connection,
    first: dt.date,
    last: dt.date,
    duties: Sequence[Duty],
    gaps: Sequence[Gap],
    *,
    solver: dict,
    summary: dict,
    audit: Audit,
    actor: str,
) -> int:
    """Store a plan of ``first``..``last``: the active duties of those days are replaced;
    every other day keeps its duties. Returns the plan's ID."""
    now = dt.datetime.now(dt.UTC).isoformat()
    plan_id = conn.execute(
        "INSERT INTO rota_plans (created_at, created_by, first_day, last_day, solver, summary) "
        "VALUES (:now, :actor, :first, :last, :solver, :summary) RETURNING id",
        {
            "now": now,
            "actor": actor,
            "first": first.isoformat(),
            "last": last.isoformat(),
            "solver": json.dumps(solver, sort_keys=True),
            "summary": json.dumps(summary, sort_keys=True, ensure_ascii=False),
        },
    ).scalar()
    replaced = conn.execute(
        "UPDATE rota_duties SET status = 'replaced', replaced_at = :now "
        "WHERE status = 'active' AND day >= :first AND day <= :last",
        {"now": now, "first": first.isoformat(), "last": last.isoformat()},
    ).rowcount
    for duty in duties:
        _insert(conn, plan_id, duty, "plan")
    for g in gaps:
        conn.execute(
            "INSERT INTO rota_gaps (plan_id, channel, day, start_hour, end_hour, missing, "
            "needed) VALUES (:plan_id, :channel, :day, :start_hour, :end_hour, :missing, :needed)",
            {
                "plan_id": plan_id,
                "channel": g.channel,
                "day": g.day.isoformat(),
                "start_hour": g.start_hour,
                "end_hour": g.end_hour,
                "missing": g.missing,
                "needed": g.needed,
            },
        )
    audit(
        conn,
        "rota.plan",
        actor=actor,
        subject=f"rota plan {plan_id}",
        details={
            "first_day": first.isoformat(),
            "last_day": last.isoformat(),
            "duties": len(duties),
            "replaced": replaced,
            "gaps": len(gaps),
            **summary,
        },
    )
    return plan_id


def change_duties(
    conn: Connection,
    removed: Sequence[Duty],
    added: Sequence[Duty],
    *,
    source: str,
    audit: Audit,
    actor: str,
    details: dict,
) -> None:
    """Replace ``removed`` (active duties) by ``added`` (a swap or a cover), audit-logged."""
    now = dt.datetime.now(dt.UTC).isoformat()
    plan_ids = []
    for duty in removed:
        row = conn.execute(
            "SELECT id, plan_id FROM rota_duties WHERE status = 'active' "
            "AND employee_id = :employee_id AND day = :day",
            {"employee_id": duty.employee_id, "day": duty.day.isoformat()},
        ).fetchone()
        conn.execute(
            "UPDATE rota_duties SET status = 'replaced', replaced_at = :now WHERE id = :id",
            {"now": now, "id": row["id"]},
        )
        plan_ids.append(row["plan_id"])
    for duty in added:
        _insert(conn, plan_ids[0], duty, source)
    for employee_id in sorted({d.employee_id for d in (*removed, *added)}):
        audit(
            conn,
            f"rota.{source}",
            actor=actor,
            employee_id=employee_id,
            subject=f"rota {removed[0].day:%Y-%m-%d}",
            details=details,
        )
