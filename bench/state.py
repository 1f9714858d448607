"""Benchmark of the state store (issue 16): recording delivery events and signature steps
from several terminals at once, on SQLite (the file default) and on PostgreSQL (a throwaway
local server, Debian's postgresql with its default settings), side by side in the same run.

Each operation is what ``remoteops routes deliver`` and ``remoteops contracts mark ... signed``
do: one write transaction holding the write lock, the feature's checks (is the stop on a
loaded run, not delivered yet? may the agreement move to signed?), the change and its audit
entry. Setup (a plan of loaded runs with one stop per employee, one agreement per employee)
is not measured. Per database and kind: events per second (all processes together, wall
clock) and the latency of one operation (median and 99th percentile), and the ratio of
events per second against SQLite measured in the same run.

Usage::

    python bench/state.py                    # 10,000 of each from 8 processes
    python bench/state.py --events 1000      # a quick look
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from remoteops.contracts import record_rendered  # noqa: E402
from remoteops.contracts.manifest import set_document_status  # noqa: E402
from remoteops.routes import store as rs  # noqa: E402
from remoteops.state import StateStore  # noqa: E402
from remoteops.state.throwaway import throwaway_cluster  # noqa: E402
from remoteops.synthetic import rendered_agreement  # noqa: E402

T0 = dt.datetime(2027, 2, 1, 9, 0, tzinfo=dt.UTC)
STOPS_PER_RUN = 100


def employees(count: int) -> list[str]:
    return [f"E{i:05d}" for i in range(1, count + 1)]


def setup(target: str, count: int) -> None:
    """Loaded runs with one stop per employee and one agreement per employee."""
    people = employees(count)
    with StateStore(target) as store, store.transaction() as conn:
        plan = conn.execute(
            "INSERT INTO delivery_plans (created_at, created_by, kind, first_day, days, vans, "
            "travel, solver) VALUES ('2027-02-01T08:00:00+00:00', 'bench', 'plan', "
            "'2027-03-01', '[]', '[]', '{}', '{}') RETURNING id"
        ).scalar()
        for r, start in enumerate(range(0, count, STOPS_PER_RUN)):
            run = conn.execute(
                "INSERT INTO delivery_runs (plan_id, day, van, start_at, end_at, km, "
                "driving_minutes, working_minutes, boxes) VALUES (:plan, '2027-03-01', :van, "
                "'2027-03-01T08:00', '2027-03-01T17:00', 10, 60, 480, 100) RETURNING id",
                {"plan": plan, "van": f"Van {r}"},
            ).scalar()
            conn.execute(
                "INSERT INTO delivery_stops (run_id, employee_id, name, sequence, trip, boxes, "
                "arrival, service_start, service_end, window_start, window_end, "
                "km_from_previous, drive_minutes_from_previous) VALUES (:run, :e, :e, :seq, 1, "
                "1, '2027-03-01T09:00', '2027-03-01T09:00', '2027-03-01T09:05', "
                "'2027-03-01T08:00', '2027-03-01T17:00', 1.0, 2.0)",
                [
                    {"run": run, "e": e, "seq": i}
                    for i, e in enumerate(people[start : start + STOPS_PER_RUN])
                ],
            )
        conn.execute("UPDATE delivery_runs SET status = 'loaded', loaded_at = 'x', loaded_by = 'b'")
        record_rendered(
            conn,
            [rendered_agreement(e, i, T0) for i, e in enumerate(people)],
        )


def terminal(target: str, kind: str, people: list[str], ready, out) -> None:
    latencies = []
    with StateStore(target) as store:
        ready.wait()  # every process started and connected: the clock starts now
        started = time.perf_counter()
        for employee_id in people:
            began = time.perf_counter()
            with store.transaction() as conn:
                if kind == "delivery events":
                    rs.deliver(conn, employee_id, "Door", audit=store.audit, actor="van@bench")
                else:
                    before, after = set_document_status(
                        conn, employee_id, "home-office", "signed", at=T0 + dt.timedelta(days=1)
                    )
                    store.audit(conn, "contracts.signed", employee_id=employee_id)
            latencies.append(time.perf_counter() - began)
        out.put((latencies, started, time.perf_counter()))


def measure(target: str, kind: str, count: int, processes: int) -> dict:
    people = employees(count)
    ctx = multiprocessing.get_context("spawn")
    out, ready = ctx.Queue(), ctx.Barrier(processes)
    workers = [
        ctx.Process(target=terminal, args=(target, kind, people[i::processes], ready, out))
        for i in range(processes)
    ]
    for w in workers:
        w.start()
    reports = [out.get(timeout=3600) for _ in workers]
    latencies = [x for lat, _, _ in reports for x in lat]
    wall = max(end for _, _, end in reports) - min(start for _, start, _ in reports)
    for w in workers:
        w.join()
        if w.exitcode != 0:
            raise SystemExit(f"a worker failed on {target}")
    latencies.sort()
    return {
        "events": len(latencies),
        "seconds": wall,
        "per_second": len(latencies) / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(0.99 * (len(latencies) - 1))] * 1000,
    }


def check(target: str, count: int) -> None:
    with StateStore(target) as store:
        delivered = store.query("SELECT count(*) FROM delivery_events")[0][0]
        signed = store.query("SELECT count(*) FROM documents WHERE status = 'signed'")[0][0]
        logged = store.query("SELECT count(*) FROM audit_log")[0][0]
    if not delivered == signed == count or logged != 2 * count:
        raise SystemExit(f"lost updates on {target}: {delivered}, {signed}, {logged}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=8)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch, throwaway_cluster() as cluster:
        targets = {
            "SQLite": str(Path(scratch) / "state.db"),
            "PostgreSQL": cluster.create_database("bench"),
        }
        for target in targets.values():
            setup(target, args.events)
        for kind in ("delivery events", "signature steps"):
            for name, target in targets.items():
                rows.append({"database": name, "kind": kind, **measure(
                    target, kind, args.events, args.processes
                )})  # fmt: skip
        for target in targets.values():
            check(target, args.events)
    base = {r["kind"]: r["per_second"] for r in rows if r["database"] == "SQLite"}
    print(
        f"{args.events} delivery events and {args.events} signature steps, "
        f"{args.processes} processes"
    )
    print("| database | recording | events | events/s | p50 ms | p99 ms | vs SQLite |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        ratio = r["per_second"] / base[r["kind"]]
        print(
            f"| {r['database']} | {r['kind']} | {r['events']} | {r['per_second']:.0f} | "
            f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {ratio:.2f}x |"
        )
    print(json.dumps(rows), file=sys.stderr)


if __name__ == "__main__":
    main()
