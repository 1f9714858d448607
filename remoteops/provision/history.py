"""Provisioning runs in the state store: who ran what, when, against whom, and the result.

:data:`PROVISION_SCHEMA` is the migration the state store registers; the functions take an
open ``Connection`` (inside ``store.transaction()`` for writes). No secret is ever
stored: only counts, task names, plain-word failure messages and report-only facts.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

from remoteops.errors import NotFoundError, UsageError
from remoteops.provision.results import HostResult, ProvisionRun
from remoteops.state import PROVISION_SCHEMA as PROVISION_SCHEMA  # created by migration 4

if TYPE_CHECKING:
    from remoteops.state import Connection


@dataclass(frozen=True)
class RunSummary:
    """One line of ``remoteops provision history``."""

    run_id: str
    started_at: dt.datetime
    actor: str
    mode: str
    targets: tuple[str, ...]
    status: str
    hosts: int
    succeeded: int
    failed: int
    unreachable: int
    seconds: float

    def as_row(self) -> dict[str, object]:
        return {
            "run": self.run_id,
            "started": self.started_at.isoformat(timespec="seconds"),
            "actor": self.actor,
            "mode": self.mode,
            "targets": " ".join(self.targets) or "(all)",
            "status": self.status,
            "hosts": self.hosts,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "unreachable": self.unreachable,
            "seconds": round(self.seconds, 1),
        }


def record_run(conn: Connection, run: ProvisionRun) -> None:
    """Store a run and its per-host results (call inside ``store.transaction()``)."""
    conn.execute(
        "INSERT INTO provision_runs (id, started_at, finished_at, actor, playbook, mode, "
        "targets, host_limit, tags, skip_tags, status, return_code, error, artifacts) "
        "VALUES (:id, :started_at, :finished_at, :actor, :playbook, :mode, :targets, "
        ":host_limit, :tags, :skip_tags, :status, :return_code, :error, :artifacts)",
        {
            "id": run.run_id,
            "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat(),
            "actor": run.actor,
            "playbook": run.playbook,
            "mode": run.mode,
            "targets": json.dumps(list(run.targets)),
            "host_limit": run.limit,
            "tags": json.dumps(list(run.tags)),
            "skip_tags": json.dumps(list(run.skip_tags)),
            "status": run.status,
            "return_code": run.return_code,
            "error": run.error,
            "artifacts": run.artifacts,
        },
    )
    if not run.hosts:
        return
    conn.execute(
        "INSERT INTO provision_hosts (run_id, host, employee_id, status, ok, changed, failed, "
        "unreachable, skipped, rescued, ignored, failed_task, message, report) "
        "VALUES (:run_id, :host, :employee_id, :status, :ok, :changed, :failed, :unreachable, "
        ":skipped, :rescued, :ignored, :failed_task, :message, :report)",
        [
            {
                "run_id": run.run_id,
                "host": h.host,
                "employee_id": h.employee_id,
                "status": h.status,
                "ok": h.ok,
                "changed": h.changed,
                "failed": h.failed,
                "unreachable": h.unreachable,
                "skipped": h.skipped,
                "rescued": h.rescued,
                "ignored": h.ignored,
                "failed_task": h.failed_task,
                "message": h.message,
                "report": json.dumps(h.report, sort_keys=True, default=str),
            }
            for h in run.hosts
        ],
    )


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def list_runs(
    conn: Connection, *, limit: int = 20, employee_id: str | None = None
) -> list[RunSummary]:
    """The newest runs first (only those touching ``employee_id``, if given)."""
    where, params = "", {"limit": int(limit)}
    if employee_id:
        where = (
            "WHERE r.id IN (SELECT run_id FROM provision_hosts WHERE employee_id = :employee_id)"
        )
        params["employee_id"] = employee_id
    rows = conn.execute(
        "SELECT r.id, r.started_at, r.finished_at, r.actor, r.mode, r.targets, r.status, "
        "COUNT(h.host) AS hosts, "
        "COALESCE(SUM(CASE WHEN h.status IN ('ok', 'changed') THEN 1 END), 0) AS succeeded, "
        "COALESCE(SUM(CASE WHEN h.status = 'failed' THEN 1 END), 0) AS failed, "
        "COALESCE(SUM(CASE WHEN h.status = 'unreachable' THEN 1 END), 0) AS unreachable "
        f"FROM provision_runs r LEFT JOIN provision_hosts h ON h.run_id = r.id {where} "
        "GROUP BY r.id ORDER BY r.started_at DESC, r.id DESC LIMIT :limit",
        params,
    ).fetchall()
    return [
        RunSummary(
            run_id=r[0],
            started_at=_time(r[1]),
            actor=r[3],
            mode=r[4],
            targets=tuple(json.loads(r[5])),
            status=r[6],
            hosts=r[7],
            succeeded=r[8],
            failed=r[9],
            unreachable=r[10],
            seconds=(_time(r[2]) - _time(r[1])).total_seconds(),
        )
        for r in rows
    ]


def get_run(conn: Connection, run_id: str) -> ProvisionRun:
    """A recorded run by its id, or by the unique start of its id (``20261123T12``)."""
    rows = conn.execute(
        "SELECT id, started_at, finished_at, actor, playbook, mode, targets, host_limit, tags, "
        "skip_tags, status, return_code, error, artifacts FROM provision_runs "
        "WHERE id = :id OR id LIKE :prefix ESCAPE '\\' ORDER BY id",
        {
            "id": run_id,
            "prefix": run_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",
        },
    ).fetchall()
    exact = [r for r in rows if r[0] == run_id]
    rows = exact or rows
    if not rows:
        raise NotFoundError(
            f"No provisioning run {run_id!r}.", hint="List them with 'remoteops provision history'."
        )
    if len(rows) > 1:
        raise UsageError(
            f"{run_id!r} matches {len(rows)} runs ({', '.join(r[0] for r in rows[:3])}, ...).",
            hint="Give more of the run id.",
        )
    r = rows[0]
    hosts = conn.execute(
        "SELECT host, status, ok, changed, failed, unreachable, skipped, rescued, ignored, "
        "employee_id, failed_task, message, report FROM provision_hosts WHERE run_id = :id "
        "ORDER BY host",
        {"id": r[0]},
    ).fetchall()
    return ProvisionRun(
        run_id=r[0],
        started_at=_time(r[1]),
        finished_at=_time(r[2]),
        actor=r[3],
        playbook=r[4],
        mode=r[5],
        targets=tuple(json.loads(r[6])),
        limit=r[7],
        tags=tuple(json.loads(r[8])),
        skip_tags=tuple(json.loads(r[9])),
        status=r[10],
        return_code=r[11],
        error=r[12],
        artifacts=r[13],
        hosts=tuple(
            HostResult(
                host=h[0],
                status=h[1],
                ok=h[2],
                changed=h[3],
                failed=h[4],
                unreachable=h[5],
                skipped=h[6],
                rescued=h[7],
                ignored=h[8],
                employee_id=h[9],
                failed_task=h[10],
                message=h[11],
                report=json.loads(h[12]),
            )
            for h in hosts
        ),
    )


def last_run(conn: Connection, playbook: str | None = None) -> ProvisionRun | None:
    """The most recent run (of ``playbook``, if given), or None.

    Runs record the playbook's full path; ``playbook`` may be that path or just the file
    name (``workstation.yml``), which also matches runs made from another checkout.
    """
    rows = conn.execute("SELECT id, playbook FROM provision_runs ORDER BY started_at DESC, id DESC")
    for run_id, path in rows:
        if not playbook or path == playbook or PurePath(path).name == playbook:
            return get_run(conn, run_id)
    return None


@dataclass(frozen=True)
class LastApply:
    """A workstation's result in the last run that applied a playbook (not ``--check``)."""

    host: str
    employee_id: str | None
    status: str  # ok, changed, failed, unreachable
    run_id: str
    finished_at: dt.datetime
    failed_task: str | None
    message: str | None

    @property
    def succeeded(self) -> bool:
        return self.status in ("ok", "changed")


def last_applies(
    conn: Connection,
    playbook: str = "workstation.yml",
    *,
    until: dt.datetime | None = None,
) -> dict[str, LastApply]:
    """Per workstation (host name), its result in the last run of ``playbook`` that applied
    it (not ``--check``), among the runs finished by ``until`` (default: all). A workstation
    that no such run reached is missing."""
    rows = conn.execute(
        "SELECT h.host, h.employee_id, h.status, r.id, r.finished_at, h.failed_task, "
        "h.message, r.playbook FROM provision_hosts h "
        "JOIN provision_runs r ON r.id = h.run_id WHERE r.mode = 'apply' "
        "ORDER BY r.started_at DESC, r.id DESC"
    )
    out: dict[str, LastApply] = {}
    for host, employee_id, status, run_id, finished, task, message, path in rows:
        if host in out or not (path == playbook or PurePath(path).name == playbook):
            continue
        finished_at = _time(finished)
        if until is not None and finished_at > until:
            continue
        out[host] = LastApply(host, employee_id, status, run_id, finished_at, task, message)
    return out


def baseline_results(conn: Connection, playbook: str = "workstation.yml") -> dict[str, str]:
    """Per workstation (host name) the result of the last run of ``playbook`` that applied it
    (not ``--check``): ``ok``, ``changed``, ``failed`` or ``unreachable``.  A workstation
    that no such run reached is missing."""
    return {host: result.status for host, result in last_applies(conn, playbook).items()}


def retry_targets(conn: Connection, playbook: str | None = None) -> list[str]:
    """The hosts that failed or were unreachable in the last run (``--retry-failed``).

    Raises :class:`~remoteops.errors.UsageError` when there is nothing to retry.
    """
    run = last_run(conn, playbook)
    if run is None:
        raise UsageError(
            "There is no earlier provisioning run to retry.", hint="Run 'remoteops provision'."
        )
    if not run.hosts:
        raise UsageError(
            f"The last run {run.run_id} reached no workstation ({run.error or 'no hosts'}).",
            hint="Fix that, then run 'remoteops provision' with targets.",
        )
    failed = list(run.failed_hosts)
    if not failed:
        raise UsageError(
            f"Nothing to retry: every workstation in run {run.run_id} succeeded.",
        )
    return failed
