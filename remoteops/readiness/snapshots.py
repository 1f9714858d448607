"""Daily snapshots of the readiness counts, for the burn-down: one row per day in
``readiness_snapshots`` (created by the "readiness snapshots" migration in
:mod:`remoteops.state`); the latest run of a day replaces that day's row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from remoteops.readiness.model import OWNERS, Counts, EmployeeReadiness, Snapshot

if TYPE_CHECKING:
    from remoteops.state import Connection


def _owner_counts(people: Sequence[EmployeeReadiness]) -> dict[str, int]:
    return {o: sum(o in p.owners_blocking for p in people) for o in OWNERS}


def snapshot_of(
    people: Sequence[EmployeeReadiness], day: dt.date, taken_at: dt.datetime
) -> Snapshot:
    """The counts of ``people`` (everyone, whatever the report shows), overall and per team."""
    teams = {}
    for team in sorted({p.team for p in people}):
        members = [p for p in people if p.team == team]
        teams[team] = {
            **Counts.of(members).as_dict(),
            "blocked_by_owner": _owner_counts(members),
        }
    return Snapshot(day, taken_at, Counts.of(people), _owner_counts(people), teams)


def record_snapshot(conn: Connection, snapshot: Snapshot, actor: str) -> None:
    """Store the day's snapshot; a later run of the same day replaces it (an older one, e.g.
    a slow run finishing after a newer one, does not)."""
    c, owners = snapshot.counts, snapshot.blocked_by_owner
    conn.execute(
        "INSERT INTO readiness_snapshots (day, taken_at, actor, employees, ready, blocked, "
        "unknown, overdue, blocked_it, blocked_hr, blocked_operations, teams) "
        "VALUES (:day, :taken_at, :actor, :employees, :ready, :blocked, :unknown, :overdue, "
        ":blocked_it, :blocked_hr, :blocked_operations, :teams) "
        "ON CONFLICT (day) DO UPDATE SET taken_at = excluded.taken_at, actor = excluded.actor, "
        "employees = excluded.employees, ready = excluded.ready, blocked = excluded.blocked, "
        "unknown = excluded.unknown, overdue = excluded.overdue, "
        "blocked_it = excluded.blocked_it, blocked_hr = excluded.blocked_hr, "
        "blocked_operations = excluded.blocked_operations, teams = excluded.teams "
        "WHERE excluded.taken_at >= readiness_snapshots.taken_at",
        {
            "day": snapshot.day.isoformat(),
            "taken_at": snapshot.taken_at.astimezone(dt.UTC).isoformat(),
            "actor": actor,
            "employees": c.employees,
            "ready": c.ready,
            "blocked": c.blocked,
            "unknown": c.unknown,
            "overdue": c.overdue,
            "blocked_it": owners["IT"],
            "blocked_hr": owners["HR"],
            "blocked_operations": owners["operations"],
            "teams": json.dumps(snapshot.teams, ensure_ascii=False, sort_keys=True),
        },
    )


def snapshots(
    conn: Connection,
    *,
    until: dt.date | None = None,
    teams: Collection[str] | None = None,
) -> tuple[Snapshot, ...]:
    """The stored snapshots up to ``until`` (default: all), oldest first; with ``teams``,
    the sum of those teams' counts (days without any of them are left out)."""
    rows = conn.execute(
        "SELECT day, taken_at, employees, ready, blocked, unknown, overdue, blocked_it, "
        "blocked_hr, blocked_operations, teams FROM readiness_snapshots "
        "WHERE CAST(:until AS TEXT) IS NULL OR day <= :until ORDER BY day",
        {"until": until.isoformat() if until else None},
    ).fetchall()
    out = []
    for r in rows:
        day, taken = dt.date.fromisoformat(r[0]), dt.datetime.fromisoformat(r[1])
        stored = json.loads(r[10])
        if teams is None:
            owners = dict(zip(OWNERS, r[7:10], strict=True))
            out.append(Snapshot(day, taken, Counts(*r[2:7]), owners, stored))
            continue
        found = [stored[t] for t in teams if t in stored]
        if not found:
            continue
        counts = Counts(
            **{k: sum(int(f[k]) for f in found) for k in _COUNT_KEYS},
        )
        owners = {o: sum(int(f["blocked_by_owner"].get(o, 0)) for f in found) for o in OWNERS}
        out.append(Snapshot(day, taken, counts, owners, {}))
    return tuple(out)


_COUNT_KEYS = ("employees", "ready", "blocked", "unknown", "overdue")
