"""The rules of readiness: one small function per stage turns the recorded evidence of one
employee into a :class:`StageResult` (ready / blocked / unknown, what was found, when, and
the next step). The evidence is read elsewhere (:mod:`remoteops.readiness.evidence`); the
meaning of each record stays with the module that owns it (a delivery's state in
``routes``, a document's status at a moment in ``contracts``, a policy's severity in
``support``).

Evidence older than the stage's limit turns the stage *unknown*, never ready: stale is not
failed, but it is not proof either.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from remoteops.contracts.manifest import SIGNED_STATUSES, DocumentStatus
from remoteops.contracts.templates import AGREEMENTS
from remoteops.provision.history import LastApply
from remoteops.readiness.model import StageResult
from remoteops.routes.store import EmployeeDelivery
from remoteops.support.results import Diagnosis, PolicyResult


def _when(moment: dt.datetime) -> str:
    return f"{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def aged(
    result: StageResult, employee_id: str, moment: dt.datetime, max_age: dt.timedelta | None
) -> StageResult:
    """``result`` itself, or *unknown* when its evidence is older than ``max_age`` at
    ``moment``: what was true then may not be true now, so the stage asks for a fresh look."""
    if max_age is None or result.at is None or moment - result.at <= max_age:
        return result
    days = (moment - result.at).days
    return StageResult(
        result.stage,
        "unknown",
        f"last known {days} days ago ({result.status}: {result.evidence}); older than "
        f"{max_age.days} days",
        result.at,
        refresh_action(result.stage, employee_id),
    )


_REFRESH = {
    "provisioned": "Check it again: remoteops support diagnose {eid}",
    "remote_check": "Check it again: remoteops support diagnose {eid}",
    "agreements": "Confirm the signed agreements: remoteops contracts status",
    "equipment": "Confirm the delivery: remoteops routes status",
}


def refresh_action(stage_id: str, employee_id: str) -> str:
    return _REFRESH[stage_id].format(eid=employee_id)


def provisioned(
    employee_id: str,
    hostname: str | None,
    applies: Sequence[LastApply],
    baseline: PolicyResult | None,
) -> StageResult:
    """IT: the last apply of the workstation baseline succeeded and no later diagnosis found
    the company settings drifted. ``applies``: the last apply per workstation of the
    employee, newest first; ``baseline``: the newest answer of the ``baseline`` policy."""
    if not applies:
        if hostname is None:
            return StageResult(
                "provisioned",
                "blocked",
                "no workstation in hosts.yml",
                action="Add the employee's PC to hosts.yml, then provision it: "
                f"remoteops provision {employee_id}",
            )
        return StageResult(
            "provisioned",
            "blocked",
            f"{hostname} was never provisioned",
            action=f"Provision it: remoteops provision {employee_id}",
        )
    last = applies[0]
    if not last.succeeded:
        where = f" at task '{last.failed_task}'" if last.failed_task else ""
        why = f": {last.message}" if last.message else ""
        return StageResult(
            "provisioned",
            "blocked",
            f"last apply on {last.host} {last.status}{where}{why} (run {last.run_id})",
            last.finished_at,
            f"Fix it and run again: remoteops provision {last.host}",
        )
    applied = f"applied on {last.host} {_when(last.finished_at)}"
    if baseline is not None and baseline.at > last.finished_at:
        if baseline.status == "fail":
            return StageResult(
                "provisioned",
                "blocked",
                f"company settings drifted since: {baseline.detail}",
                baseline.at,
                f"Restore them: remoteops support repair {last.host} reapply-baseline",
            )
        return StageResult(
            "provisioned", "ready", f"{applied}; no drift {_when(baseline.at)}", baseline.at
        )
    return StageResult("provisioned", "ready", applied, last.finished_at)


def remote_check(employee_id: str, diagnosis: Diagnosis | None) -> StageResult:
    """IT: the last diagnosis reached the workstation and no policy of severity high fails."""
    if diagnosis is None:
        return StageResult(
            "remote_check",
            "blocked",
            "never checked remotely",
            action=f"Once it is at home: remoteops support diagnose {employee_id}",
        )
    if not diagnosis.reachable:
        return StageResult(
            "remote_check",
            "blocked",
            f"{diagnosis.host} not reachable: {diagnosis.error}",
            diagnosis.at,
            "Ask the employee to switch the PC on and connect it, then: "
            f"remoteops support diagnose {employee_id}",
        )
    high = [r for r in diagnosis.failing if r.severity == "high"]
    if high:
        titles = ", ".join(r.title for r in high)
        repair = next((r.repair for r in high if r.repair), None)
        action = (
            f"remoteops support repair {diagnosis.host} {repair}"
            if repair
            else f"Call the employee about: {high[0].title}"
        )
        found = f"failing on {diagnosis.host}: {titles}"
        return StageResult("remote_check", "blocked", found, diagnosis.at, action)
    others = len(diagnosis.failing)
    note = f"; {others} less serious check(s) failing" if others else ""
    return StageResult("remote_check", "ready", f"passed on {diagnosis.host}{note}", diagnosis.at)


def agreements(
    employee_id: str,
    documents: Sequence[DocumentStatus],
    versions: dict[str, str],
    moment: dt.datetime,
) -> StageResult:
    """HR: every agreement in :data:`AGREEMENTS` signed (or returned signed) by ``moment``,
    in the current version of its template (``versions``: language -> version); a signed
    document of an earlier template version does not count."""
    missing, pending, outdated, signed_at = [], [], [], []
    for name in AGREEMENTS:
        in_force = [
            (d, d.status_on(moment))
            for d in documents
            if d.document == name and d.status_on(moment) not in (None, "superseded", "void")
        ]
        current = [
            d
            for d, status in in_force
            if status in SIGNED_STATUSES and d.template_version == versions.get(d.language)
        ]
        if current:
            signed_at.append(min(d.signed_at or d.returned_at for d in current))
        elif any(status in SIGNED_STATUSES for _d, status in in_force):
            outdated.append(name)
        elif in_force:
            pending.append((name, in_force[0][1]))
        else:
            missing.append(name)
    if not (missing or pending or outdated):
        return StageResult(
            "agreements",
            "ready",
            f"all {len(AGREEMENTS)} signed, the last {_when(max(signed_at))}",
            max(signed_at),
        )
    found = []
    if missing:
        found.append(f"not generated: {', '.join(missing)}")
    if outdated:
        found.append(f"signed in an earlier version: {', '.join(outdated)}")
    if pending:
        found.append(f"not signed yet: {_pending_text(pending)}")
    if missing or outdated:
        action = f"Render the current version and send it: remoteops contracts render {employee_id}"
    else:
        first = pending[0][0]
        action = (
            "Get the signature, then record it: "
            f"remoteops contracts mark {employee_id} {first} signed"
        )
    return StageResult(
        "agreements", "blocked", "; ".join(found), max(signed_at, default=None), action
    )


def _pending_text(pending: list[tuple[str, str]]) -> str:
    """'home-office, data-protection (generated)' or 'home-office (sent), ...'."""
    steps = {status for _name, status in pending}
    if len(steps) == 1:
        return f"{', '.join(name for name, _s in pending)} ({steps.pop()})"
    return ", ".join(f"{name} ({status})" for name, status in pending)


def equipment(
    employee_id: str, needs_equipment: bool, delivery: EmployeeDelivery | None
) -> StageResult:
    """Operations: the equipment was delivered and someone received it."""
    if not needs_equipment:
        return StageResult("equipment", "ready", "no equipment to deliver")
    if delivery is None or delivery.state == "outstanding":
        return StageResult(
            "equipment",
            "blocked",
            "on no delivery run",
            action="Plan it: remoteops routes replan --from DAY --days N",
        )
    if delivery.state == "delivered":
        event = next(e for e in delivery.events if e.kind == "delivered")
        return StageResult(
            "equipment",
            "ready",
            f"delivered {event.day:%Y-%m-%d} by {event.van}, received by {event.received_by}",
            event.at,
        )
    if delivery.state == "failed":
        event = delivery.events[-1]
        return StageResult(
            "equipment",
            "blocked",
            f"delivery failed {event.day:%Y-%m-%d} ({event.reason})",
            event.at,
            "Plan it again: remoteops routes replan --from DAY --days N",
        )
    day = delivery.day
    late = ""
    if delivery.slack_days is not None and delivery.slack_days < 0:
        late = f", {-delivery.slack_days} working day(s) after it is due"
    if delivery.state == "on-van":
        return StageResult(
            "equipment",
            "blocked",
            f"on the van {delivery.van} {day:%Y-%m-%d}{late}",
            action=f"Deliver it, then: remoteops routes deliver {employee_id} --received-by NAME",
        )
    return StageResult(
        "equipment",
        "blocked",
        f"planned: {delivery.van} {day:%Y-%m-%d}{late}",
        action=f"Load the van on {day:%Y-%m-%d}: remoteops routes load {day:%Y-%m-%d} "
        f'--van "{delivery.van}"',
    )
