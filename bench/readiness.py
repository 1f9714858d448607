"""Benchmark of ``readiness`` (issue 15): the join of everything recorded, for a company.

A synthetic company of N employees gets a month of history in a real state store: per
workstation a failed and a successful apply of the baseline, a diagnosis every day (each
with every policy's result, every third one with a failing policy), the agreement packet
with its signatures for two thirds, a real delivery plan (PyVRP) with half of the stops
delivered. Then, alternately:

- ``readiness``: the report as ``remoteops readiness`` makes it (one read of each kind of
  evidence for everyone; the snapshot is not stored, so every repeat does the same work);
- baseline: the same questions asked per employee through the per-employee readers the other
  commands use (``employees show`` for everyone: the newest diagnosis, the baseline
  results, the documents and the delivery of one employee at a time).

The table shows the median wall time of each and the ratio readiness / baseline.

Usage::

    python bench/readiness.py                 # 150 and 600 employees, 5 repeats
    python bench/readiness.py --employees 150 --repeats 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from remoteops.contracts.manifest import (  # noqa: E402
    DocumentRecord,
    document_status,
    record_rendered,
    set_document_status,
)
from remoteops.contracts.templates import AGREEMENTS, DOCUMENTS  # noqa: E402
from remoteops.inventory import load_company  # noqa: E402
from remoteops.provision.history import baseline_results, record_run  # noqa: E402
from remoteops.provision.results import HostResult, ProvisionRun  # noqa: E402
from remoteops.readiness import readiness  # noqa: E402
from remoteops.readiness.evidence import template_versions  # noqa: E402
from remoteops.routes import store as rs  # noqa: E402
from remoteops.routes.planning import delivery_problem, plan_deliveries  # noqa: E402
from remoteops.routes.solver import SolveOptions  # noqa: E402
from remoteops.state import StateStore  # noqa: E402
from remoteops.support.policies import POLICIES  # noqa: E402
from remoteops.support.results import Diagnosis, PolicyResult, failed, passed  # noqa: E402
from remoteops.support.store import latest_for_employee, record_diagnosis  # noqa: E402
from remoteops.synthetic import write_company  # noqa: E402

NOW = dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)
DAYS = 30


def fill(store: StateStore, company) -> dict[str, int]:
    """A month of history; returns how many records of each kind."""
    counts = {"applies": 0, "diagnoses": 0, "documents": 0, "deliveries": 0}
    version = template_versions()["de"]
    with store.transaction() as conn:
        for k, w in enumerate(company.workstations):
            for status, back in (("failed", 25), ("changed", 20)):
                at = NOW - dt.timedelta(days=back, minutes=k)
                record_run(
                    conn,
                    ProvisionRun(
                        run_id=f"{at:%Y%m%dT%H%M%S}Z-{w.hostname}",
                        playbook="workstation.yml",
                        mode="apply",
                        targets=(w.hostname,),
                        limit=w.hostname,
                        started_at=at - dt.timedelta(minutes=3),
                        finished_at=at,
                        actor="bench",
                        status="succeeded" if status == "changed" else "failed",
                        hosts=(HostResult(w.hostname, status, employee_id=w.employee_id),),
                    ),
                )
                counts["applies"] += 1
            for day in range(DAYS):
                at = NOW - dt.timedelta(days=DAYS - day, minutes=k)
                failing = {"disk"} if (k + day) % 3 else {"vpn"}
                results = tuple(
                    PolicyResult.of(p.id, failed("bad") if p.id in failing else passed("fine"), at)
                    for p in POLICIES
                    if p.id != "reachable"
                )
                record_diagnosis(
                    conn,
                    Diagnosis(w.hostname, w.employee_id, at, "bench", True, results),
                )
                counts["diagnoses"] += 1
        for k, e in enumerate(e for e in company.employees if e.scheduled_for_home_office):
            at = NOW - dt.timedelta(days=10)
            records = [
                DocumentRecord(
                    e.employee_id,
                    name,
                    "de",
                    name,
                    f"{name[:2]}-{e.employee_id}",
                    version,
                    "x",
                    f"{e.employee_id}.pdf",
                    "1",
                    1,
                    "0" * 64,
                    at,
                )
                for name in DOCUMENTS
            ]
            record_rendered(conn, records, at=at)
            counts["documents"] += len(records)
            if k % 3:
                for name in AGREEMENTS:
                    set_document_status(conn, e.employee_id, name, "signed", at=at)
    problem = delivery_problem(company, dt.date(2026, 11, 16), 10)
    plan = plan_deliveries(problem, options=SolveOptions(seconds=30, seed=1, max_iterations=100))
    with store.transaction() as conn:
        rs.save_plan(conn, plan, at=NOW - dt.timedelta(days=20))
        for run in plan.runs[: len(plan.runs) // 2]:
            rs.load_run(conn, run.day, run.van, at=NOW - dt.timedelta(days=5))
            for stop in run.stops:
                rs.deliver(conn, stop.employee_id, "Neighbour", at=NOW - dt.timedelta(days=4))
                counts["deliveries"] += 1
    return counts


def baseline(company, store: StateStore) -> int:
    """The same evidence, asked for one employee at a time."""
    found = 0
    with store.reading() as conn:
        applies = baseline_results(conn)
        for e in company.employees:
            if not e.scheduled_for_home_office:
                continue
            w = company.workstation_of(e.employee_id)
            found += bool(w and applies.get(w.hostname))
            found += latest_for_employee(conn, e.employee_id) is not None
            found += len(document_status(conn, employee_ids=[e.employee_id], include_history=True))
            found += rs.employee_delivery(conn, e.employee_id).state == "delivered"
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, nargs="+", default=[150, 600])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = []
    for n in args.employees:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "inventory"
            write_company(root, employees=n, seed=5)
            company = load_company(root)
            with StateStore(Path(tmp) / "state.db") as store:
                started = time.perf_counter()
                counts = fill(store, company)
                filled = time.perf_counter() - started
                ours, theirs = [], []
                for _ in range(args.repeats):
                    t = time.perf_counter()
                    report = readiness(company, store, record=False, now=NOW)
                    ours.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    baseline(company, store)
                    theirs.append(time.perf_counter() - t)
                rows.append((n, counts, filled, report.counts, ours, theirs))
    print(
        f"{'employees':>9} {'diagnoses':>9} {'documents':>9} {'delivered':>9} "
        f"{'readiness s':>11} {'baseline s':>10} {'ratio':>6}  report"
    )
    for n, counts, _filled, c, ours, theirs in rows:
        mine, base = statistics.median(ours), statistics.median(theirs)
        print(
            f"{n:>9} {counts['diagnoses']:>9} {counts['documents']:>9} "
            f"{counts['deliveries']:>9} {mine:>11.3f} {base:>10.3f} {mine / base:>6.2f}  "
            f"{c.ready} ready, {c.blocked} blocked, {c.unknown} unknown"
        )
    print(
        "readiness: the whole report (every stage judged, totals); baseline: only the "
        "per-employee reads of the same evidence. Median of "
        f"{args.repeats} alternating runs."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
