"""Diagnoses in the state store: each diagnosis of a workstation and its results per policy,
kept over time (append-only), and the fleet runs "newly failing" is measured against.

:data:`SUPPORT_SCHEMA` is the migration the state store registers; the functions take an
open ``Connection`` (inside ``store.transaction()`` for writes).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from remoteops.errors import NotFoundError
from remoteops.state import SUPPORT_SCHEMA as SUPPORT_SCHEMA  # created by migration 6
from remoteops.support.results import Diagnosis, PolicyResult

if TYPE_CHECKING:
    from remoteops.state import Connection


@dataclass(frozen=True)
class FleetRun:
    """One ``remoteops support fleet`` run."""

    id: int
    started_at: dt.datetime
    finished_at: dt.datetime
    actor: str
    scope: str
    hosts: int
    reached: int

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "finished_at": self.finished_at.isoformat(timespec="seconds"),
            "actor": self.actor,
            "scope": self.scope,
            "hosts": self.hosts,
            "reached": self.reached,
        }


def record_diagnosis(conn: Connection, diagnosis: Diagnosis) -> int:
    """Store a diagnosis and its results; returns its id."""
    diagnosis_id = conn.execute(
        "INSERT INTO support_diagnoses (at, actor, host, employee_id, reachable, error, "
        "fleet_run, run_id, seconds) VALUES (:at, :actor, :host, :employee_id, :reachable, "
        ":error, :fleet_run, :run_id, :seconds) RETURNING id",
        {
            "at": diagnosis.at.isoformat(),
            "actor": diagnosis.actor,
            "host": diagnosis.host,
            "employee_id": diagnosis.employee_id,
            "reachable": int(diagnosis.reachable),
            "error": diagnosis.error,
            "fleet_run": diagnosis.fleet_run,
            "run_id": diagnosis.run_id,
            "seconds": diagnosis.seconds,
        },
    ).scalar()
    if diagnosis.results:
        conn.execute(
            "INSERT INTO support_results (diagnosis_id, host, policy, status, detail, error, "
            "repair, facts, at) VALUES (:diagnosis_id, :host, :policy, :status, :detail, "
            ":error, :repair, :facts, :at)",
            [
                {
                    "diagnosis_id": diagnosis_id,
                    "host": diagnosis.host,
                    "policy": r.policy,
                    "status": r.status,
                    "detail": r.detail,
                    "error": r.error,
                    "repair": r.repair,
                    "facts": json.dumps(r.facts, sort_keys=True, default=str),
                    "at": r.at.isoformat(),
                }
                for r in diagnosis.results
            ],
        )
    return int(diagnosis_id)


def record_fleet_run(
    conn: Connection,
    *,
    started_at: dt.datetime,
    finished_at: dt.datetime,
    actor: str,
    scope: str,
    hosts: int,
    reached: int,
) -> int:
    return int(
        conn.execute(
            "INSERT INTO support_fleet_runs (started_at, finished_at, actor, scope, hosts, "
            "reached) VALUES (:started_at, :finished_at, :actor, :scope, :hosts, :reached) "
            "RETURNING id",
            {
                "started_at": started_at.isoformat(),
                "finished_at": finished_at.isoformat(),
                "actor": actor,
                "scope": scope,
                "hosts": hosts,
                "reached": reached,
            },
        ).scalar()
    )


_DIAGNOSIS_COLUMNS = (
    "id, at, actor, host, employee_id, reachable, error, fleet_run, run_id, seconds"
)


def _diagnoses(conn: Connection, where: str, params: dict, limit: int | None):
    sql = f"SELECT {_DIAGNOSIS_COLUMNS} FROM support_diagnoses WHERE {where} "
    sql += "ORDER BY at DESC, id DESC"
    if limit:
        sql += f" LIMIT {int(limit)}"
    rows = conn.execute(sql, params).fetchall()
    results: dict[int, list[PolicyResult]] = {r[0]: [] for r in rows}
    for chunk in _chunks(list(results), 500):
        for r in conn.execute(
            "SELECT diagnosis_id, policy, status, detail, error, repair, facts, at "
            "FROM support_results WHERE diagnosis_id IN :ids ORDER BY rowid",
            {"ids": chunk},
            expanding=("ids",),
        ):
            results[r[0]].append(_policy_result(r))
    return [
        Diagnosis(
            id=r[0],
            at=dt.datetime.fromisoformat(r[1]),
            actor=r[2],
            host=r[3],
            employee_id=r[4],
            reachable=bool(r[5]),
            error=r[6],
            fleet_run=r[7],
            run_id=r[8],
            seconds=r[9],
            results=tuple(results[r[0]]),
        )
        for r in rows
    ]


def _policy_result(row) -> PolicyResult:
    """A result from a row whose columns 1-7 are policy, status, detail, error, repair,
    facts, at."""
    return PolicyResult(
        policy=row[1],
        status=row[2],
        detail=row[3],
        error=row[4],
        repair=row[5],
        facts=json.loads(row[6]),
        at=dt.datetime.fromisoformat(row[7]),
    )


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def host_diagnoses(conn: Connection, host: str, *, limit: int | None = None) -> list[Diagnosis]:
    """The diagnoses of ``host``, newest first."""
    return _diagnoses(conn, "host = :host", {"host": host}, limit)


def latest_diagnosis(conn: Connection, host: str) -> Diagnosis | None:
    found = host_diagnoses(conn, host, limit=1)
    return found[0] if found else None


def latest_reached(conn: Connection, host: str) -> Diagnosis | None:
    """The newest diagnosis of ``host`` that reached it (its last known state)."""
    found = _diagnoses(conn, "host = :host AND reachable = 1", {"host": host}, 1)
    return found[0] if found else None


def latest_for_employee(conn: Connection, employee_id: str) -> Diagnosis | None:
    """The newest diagnosis of any workstation of ``employee_id``."""
    found = _diagnoses(conn, "employee_id = :employee_id", {"employee_id": employee_id}, 1)
    return found[0] if found else None


def _until(until: dt.datetime | None) -> str | None:
    return until.astimezone(dt.UTC).isoformat(timespec="microseconds") if until else None


def latest_by_employee(
    conn: Connection, *, until: dt.datetime | None = None
) -> dict[str, Diagnosis]:
    """Per employee, the newest diagnosis of any of their workstations made by ``until``
    (default: all)."""
    cutoff = _until(until)
    found = _diagnoses(
        conn,
        "employee_id IS NOT NULL AND (CAST(:cutoff AS TEXT) IS NULL OR at <= :cutoff) "
        "AND NOT EXISTS (SELECT 1 FROM support_diagnoses n "
        "WHERE n.employee_id = support_diagnoses.employee_id "
        "AND (CAST(:cutoff AS TEXT) IS NULL OR n.at <= :cutoff) AND (n.at > support_diagnoses.at "
        "OR (n.at = support_diagnoses.at AND n.id > support_diagnoses.id)))",
        {"cutoff": cutoff},
        None,
    )
    return {d.employee_id: d for d in found if d.employee_id}


def latest_result_by_employee(
    conn: Connection, policy_id: str, *, until: dt.datetime | None = None
) -> dict[str, PolicyResult]:
    """Per employee, the newest answer (pass or fail) of ``policy_id`` on any of their
    workstations by ``until``; a result that could not be checked (error) answers nothing,
    so an earlier answer stands."""
    rows = conn.execute(
        "SELECT employee_id, policy, status, detail, error, repair, facts, at FROM ("
        "SELECT d.employee_id, r.policy, r.status, r.detail, r.error, r.repair, r.facts, r.at, "
        "ROW_NUMBER() OVER (PARTITION BY d.employee_id ORDER BY r.at DESC, r.diagnosis_id DESC) "
        "AS newest FROM support_results r JOIN support_diagnoses d ON d.id = r.diagnosis_id "
        "WHERE r.policy = :policy AND r.status IN ('pass', 'fail') "
        "AND d.employee_id IS NOT NULL "
        "AND (CAST(:until AS TEXT) IS NULL OR r.at <= :until)) AS answers WHERE newest = 1",
        {"policy": policy_id, "until": _until(until)},
    )
    return {r[0]: _policy_result(r) for r in rows}


def diagnosed_hosts(conn: Connection, employee_id: str) -> list[str]:
    """Workstations of ``employee_id`` that were ever diagnosed, most recent first."""
    rows = conn.execute(
        "SELECT host, MAX(at) AS last FROM support_diagnoses WHERE employee_id = :employee_id "
        "GROUP BY host ORDER BY last DESC",
        {"employee_id": employee_id},
    )
    return [r[0] for r in rows]


def pending_since(
    conn: Connection, host: str, pending: Sequence[str], now: dt.datetime
) -> dict[str, dt.datetime]:
    """When each of ``pending`` (security updates, "package version") was first seen pending
    on ``host`` without a break: walking back through the host's results, an update's time
    is the oldest result in a row that listed it. Results that could not check updates
    (error) do not break a row."""
    since = {item: now for item in pending}
    still = set(pending)
    rows = conn.execute(
        "SELECT facts, at FROM support_results WHERE host = :host "
        "AND policy = 'security-updates' AND status IN ('pass', 'fail') ORDER BY at DESC",
        {"host": host},
    )
    for facts, at in rows:
        if not still:
            break
        listed = set(json.loads(facts).get("pending") or [])
        for item in list(still):
            if item in listed:
                since[item] = dt.datetime.fromisoformat(at)
            else:
                still.discard(item)
    return since


def _fleet_run(row) -> FleetRun:
    return FleetRun(
        id=row[0],
        started_at=dt.datetime.fromisoformat(row[1]),
        finished_at=dt.datetime.fromisoformat(row[2]),
        actor=row[3],
        scope=row[4],
        hosts=row[5],
        reached=row[6],
    )


def get_fleet_run(conn: Connection, run_id: int) -> FleetRun:
    row = conn.execute(
        "SELECT id, started_at, finished_at, actor, scope, hosts, reached FROM support_fleet_runs "
        "WHERE id = :id",
        {"id": run_id},
    ).fetchone()
    if row is None:
        raise NotFoundError(f"No fleet run {run_id}.")
    return _fleet_run(row)


def previous_fleet_run(conn: Connection, before: int | None = None) -> FleetRun | None:
    """The newest fleet run (before run ``before``, if given)."""
    row = conn.execute(
        "SELECT id, started_at, finished_at, actor, scope, hosts, reached FROM support_fleet_runs "
        "WHERE CAST(:before AS INTEGER) IS NULL OR id < :before ORDER BY id DESC LIMIT 1",
        {"before": before},
    ).fetchone()
    return _fleet_run(row) if row else None


def previous_fleet_diagnoses(
    conn: Connection, hosts: Sequence[str], before: int
) -> dict[str, Diagnosis]:
    """Per host, its diagnosis in the newest fleet run before run ``before`` that included it."""
    found: dict[str, Diagnosis] = {}
    for host in hosts:
        earlier = _diagnoses(
            conn,
            "host = :host AND fleet_run IS NOT NULL AND fleet_run < :before",
            {"host": host, "before": before},
            1,
        )
        if earlier:
            found[host] = earlier[0]
    return found
