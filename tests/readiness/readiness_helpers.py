"""Real evidence for the readiness tests, recorded through the library functions of each
part (importable as ``readiness_helpers``): provisioning runs, diagnoses, agreements and
their signature steps, delivery plans and deliveries, in a real state store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from remoteops.contracts.manifest import DocumentRecord, record_rendered, set_document_status
from remoteops.contracts.templates import DOCUMENTS
from remoteops.provision.history import record_run
from remoteops.provision.results import HostResult, ProvisionRun
from remoteops.readiness.evidence import template_versions
from remoteops.routes import store as rs
from remoteops.routes.planning import delivery_problem, plan_deliveries
from remoteops.routes.solver import SolveOptions
from remoteops.state import StateStore
from remoteops.support.policies import POLICIES
from remoteops.support.results import Diagnosis, PolicyResult, failed, passed
from remoteops.support.store import record_diagnosis

#: "Now" in these tests: Thursday, 3 December 2026, 10:00 UTC.
NOW = dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)
PLAYBOOK = "/srv/remoteops/playbooks/workstation.yml"


def ago(days: float = 0, hours: float = 0) -> dt.datetime:
    return NOW - dt.timedelta(days=days, hours=hours)


def record_apply(
    store: StateStore,
    host: str,
    employee_id: str,
    status: str,
    at: dt.datetime,
    *,
    mode: str = "apply",
    failed_task: str | None = None,
) -> str:
    """One run of workstation.yml on one workstation, finished at ``at``."""
    run_id = f"{at:%Y%m%dT%H%M%S}Z-{host}-{mode}"
    ok = status in ("ok", "changed")
    run = ProvisionRun(
        run_id=run_id,
        playbook=PLAYBOOK,
        mode=mode,
        targets=(host,),
        limit=host,
        started_at=at - dt.timedelta(minutes=4),
        finished_at=at,
        actor="it@test",
        status="succeeded" if ok else "failed",
        hosts=(
            HostResult(
                host=host,
                status=status,
                ok=20,
                changed=3 if status == "changed" else 0,
                failed=0 if ok else 1,
                employee_id=employee_id,
                failed_task=failed_task,
                message=None if ok else "the task failed",
            ),
        ),
    )
    with store.transaction() as conn:
        record_run(conn, run)
    return run_id


def record_check(
    store: StateStore,
    host: str,
    employee_id: str,
    at: dt.datetime,
    *,
    reachable: bool = True,
    failing: tuple[str, ...] = (),
    baseline: str | None = "pass",
) -> int:
    """One diagnosis: every policy passes except ``failing``; ``baseline`` pass, fail or
    None (not checked)."""
    results = []
    if reachable:
        for p in POLICIES:
            if p.id == "reachable" or (p.id == "baseline" and baseline is None):
                continue
            fails = p.id in failing or (p.id == "baseline" and baseline == "fail")
            verdict = failed(f"{p.title} is not right") if fails else passed(f"{p.title} fine")
            results.append(PolicyResult.of(p.id, verdict, at))
    diagnosis = Diagnosis(
        host=host,
        employee_id=employee_id,
        at=at,
        actor="support@test",
        reachable=reachable,
        results=tuple(results),
        error=None if reachable else "Unreachable: nothing answers on its SSH port.",
    )
    with store.transaction() as conn:
        return record_diagnosis(conn, diagnosis)


def render_records(
    store: StateStore,
    employee_id: str,
    at: dt.datetime,
    *,
    lang: str = "de",
    version: str | None = None,
    templates: Path | None = None,
) -> None:
    """Record the packet of ``employee_id`` as generated at ``at`` (template ``version``,
    default the current one); what it replaces becomes superseded."""
    version = version or template_versions(templates)[lang]
    records = [
        DocumentRecord(
            employee_id=employee_id,
            document=name,
            language=lang,
            title=name,
            document_id=f"{name[:2].upper()}-{employee_id}-{version[:4]}",
            template_version=version,
            input_hash=f"{employee_id}-{version}",
            pdf_path=f"{employee_id}-{lang}-packet.pdf",
            pages=str(k + 1),
            page_count=1,
            sha256="0" * 64,
            generated_at=at,
        )
        for k, name in enumerate(DOCUMENTS)
    ]
    with store.transaction() as conn:
        record_rendered(conn, records, at=at)


def sign(
    store: StateStore, employee_id: str, at: dt.datetime, documents=None, status="signed"
) -> None:
    from remoteops.contracts.templates import AGREEMENTS

    with store.transaction() as conn:
        for name in documents or AGREEMENTS:
            set_document_status(conn, employee_id, name, status, at=at)


FAST = SolveOptions(seconds=30, seed=3, max_iterations=150)


def plan(store: StateStore, company, first_day: dt.date, days: int, at: dt.datetime):
    """A real plan (PyVRP) of everyone who needs equipment, saved at ``at``."""
    result = plan_deliveries(delivery_problem(company, first_day, days), options=FAST)
    with store.transaction() as conn:
        rs.save_plan(conn, result, audit=store.audit, actor="ops@test", at=at)
    return result


def run_of(plan_result, employee_id: str):
    return next(r for r in plan_result.runs for s in r.stops if s.employee_id == employee_id)


def _loaded(conn, plan_result, employee_id: str, at: dt.datetime) -> None:
    """Load the employee's run two hours before ``at``, unless it is loaded."""
    run = run_of(plan_result, employee_id)
    current = [r for r in rs.current_runs(conn, run.day) if r.van == run.van]
    if current and current[0].status == "planned":
        rs.load_run(conn, run.day, run.van, at=at - dt.timedelta(hours=2))


def deliver(store: StateStore, plan_result, employee_id: str, at: dt.datetime, who="Neighbour"):
    """Record the handover at ``at`` (loading the run first if needed)."""
    with store.transaction() as conn:
        _loaded(conn, plan_result, employee_id, at)
        rs.deliver(conn, employee_id, who, at=at)


def fail(store: StateStore, plan_result, employee_id: str, at: dt.datetime, reason="not-home"):
    with store.transaction() as conn:
        _loaded(conn, plan_result, employee_id, at)
        rs.fail(conn, employee_id, reason, at=at)


#: Names from a hostile HR export: they must show literally and run nothing.
SCRIPT_NAME = "</script><script>window.pwned=1;alert(1)</script>"
TEMPLATE_NAME = "{{ 7*7 }}"
ATTRIBUTE_TEAM = 'Team "><img src=x onerror=alert(2)>'
FORMULA_RECEIVER = '=HYPERLINK("http://x","y")'
FORMULA_NAME = "@SUM(1+1)"


def hostile_inventory(root: Path) -> None:
    """Put script, template and formula payloads into the names and a team of the 8."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from companyfiles import edit_row

    edit_row(root / "employees.csv", 0, first_name=SCRIPT_NAME)
    edit_row(root / "employees.csv", 1, last_name=TEMPLATE_NAME)
    edit_row(root / "employees.csv", 3, first_name=FORMULA_NAME)
    edit_row(root / "employees.csv", 5, team=ATTRIBUTE_TEAM)


def scenario(store: StateStore, company) -> dict[str, str]:
    """Every state on show (now is NOW): E0002 ready; E0003 unknown (its IT evidence is
    old); E0004 blocked by drift; E0006 blocked by an agreement of an earlier version; E0008
    delivered, received by a formula; the rest blocked by having nothing done. Snapshots of
    the three days before today. Returns the expected status per employee."""
    from remoteops.readiness import readiness

    result = plan(store, company, dt.date(2026, 12, 1), 8, ago(days=6))
    for days_back in (3, 2, 1):
        readiness(company, store, now=NOW - dt.timedelta(days=days_back, hours=-1))
        if days_back == 2:
            record_apply(store, "ws-e0002", "E0002", "changed", ago(days=2))
            render_records(store, "E0002", ago(days=2))
            sign(store, "E0002", ago(days=1, hours=20))
        if days_back == 1:
            deliver(store, result, "E0002", ago(days=1, hours=2), who="Julia selbst")
            record_check(store, "ws-e0002", "E0002", ago(days=1))
    record_apply(store, "ws-e0003", "E0003", "ok", ago(days=20))
    record_check(store, "ws-e0003", "E0003", ago(days=19), baseline="pass")
    render_records(store, "E0003", ago(days=3))
    sign(store, "E0003", ago(days=2))
    deliver(store, result, "E0003", ago(days=1), who="Nachbar")
    record_apply(store, "ws-e0004", "E0004", "ok", ago(days=2))
    record_check(store, "ws-e0004", "E0004", ago(hours=3), baseline="fail")
    render_records(store, "E0006", ago(days=3), version="0ld0ld0ld0ld")
    sign(store, "E0006", ago(days=2))
    deliver(store, result, "E0008", ago(hours=6), who=FORMULA_RECEIVER)
    return {
        "E0001": "blocked",
        "E0002": "ready",
        "E0003": "unknown",
        "E0004": "blocked",
        "E0005": "blocked",
        "E0006": "blocked",
        "E0007": "blocked",
        "E0008": "blocked",
    }
