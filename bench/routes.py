"""Benchmark of the delivery-run planner (issue 5).

1. Solver quality: every public CVRP/VRPTW instance in ``../shared/bench-data/vrp`` (read
   with ``vrplib``), solved through the product's own solver function
   (``remoteops.routes.solver.solve_problem``) with a fixed time budget, against the
   best-known solution; baseline: OR-Tools routing (PATH_CHEAPEST_ARC + GUIDED_LOCAL_SEARCH)
   with the same budget.  Conventions as in the data README: CVRP distances rounded to the
   nearest integer, fleet not limited; Solomon distances and times truncated to one decimal
   (computed in tenths), at most 25 vehicles.  Every route is re-checked and re-costed here
   from the raw instance, independently of both solvers.  OR-Tools gets 2 x (the lower
   bound on routes) + 5 vehicles for CVRP (the fleet is not limited, but thousands of idle
   vehicles slow it down; its result varies with this number, e.g. E-n51-k5 gave 555-591
   for 5-50 vehicles in a trial) and, for VRPTW, a drop penalty of 100 x the longest edge
   per client; a solution that drops a client counts as incomplete, not as a gap.
2. Companies: the sample company (``inventory/``) and invented ones (``remoteops.synthetic``:
   300 and 1,000 employees with home-office starts over three and four weeks and two and three
   vans; 150 with one van).  The plan ``remoteops`` makes with its default settings against the
   plan an operations person makes by hand (employees sorted by home-office start, then
   postcode; vans filled in that order day by day), both with the same days, vans and travel
   model, measured the same way: who is late (after the due date, or due inside the horizon
   and not delivered), employee-days late, van-days, rental days (each van from its first to
   its last run), km, driving hours and the planning time.

Usage::

    python bench/routes.py                      # both parts, 10 s per instance and solver
    python bench/routes.py --seconds 3 --only A-n32-k5 --only C101
    python bench/routes.py --skip-vrp           # only the companies
    python bench/routes.py --skip-vrp --scenario sample
    python bench/routes.py --workers 2          # PyVRP with two seeds in parallel

Needs ``pyvrp``, ``vrplib``, ``ortools`` and ``numpy``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import vrplib

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from remoteops.routes.solver import (  # noqa: E402
    Fleet,
    Job,
    RoutingProblem,
    SolveOptions,
    solve_problem,
)

DATA = REPO.parent / "shared" / "bench-data" / "vrp"
SOLOMON_VEHICLES = 25


# -- reading instances the way the README says ----------------------------------------------


@dataclass
class Instance:
    name: str
    kind: str  # "CVRP" or "VRPTW"
    scale: int  # costs are in 1/scale of the instance's unit
    distance: np.ndarray  # int, scaled
    demand: list[int]
    capacity: int
    vehicles: int
    windows: list[tuple[int, int]] | None  # scaled, per node (0 = depot)
    service: list[int] | None  # scaled
    bks: float


def read_instance(path: Path) -> Instance:
    solution = vrplib.read_solution(str(path.with_suffix(".sol")))
    if path.suffix == ".txt":
        raw = vrplib.read_instance(str(path), instance_format="solomon")
        coords = raw["node_coord"].astype(float)
        exact = np.sqrt(((coords[:, None, :] - coords[None, :, :]) ** 2).sum(-1))
        distance = np.floor(10 * exact + 1e-9).astype(np.int64)  # tenths, truncated
        windows = [(int(round(10 * a)), int(round(10 * b))) for a, b in raw["time_window"]]
        service = [int(round(10 * s)) for s in raw["service_time"]]
        return Instance(
            path.stem,
            "VRPTW",
            10,
            distance,
            [int(d) for d in raw["demand"]],
            int(raw["capacity"]),
            min(SOLOMON_VEHICLES, int(raw.get("vehicles", SOLOMON_VEHICLES))),
            windows,
            service,
            float(solution["cost"]),
        )
    raw = vrplib.read_instance(str(path))
    depot = int(np.atleast_1d(raw.get("depot", [0]))[0])
    if depot != 0:
        raise SystemExit(f"{path.name}: depot {depot} is not node 0; not supported here")
    coords = raw["node_coord"].astype(float)
    exact = np.sqrt(((coords[:, None, :] - coords[None, :, :]) ** 2).sum(-1))
    distance = np.floor(exact + 0.5).astype(np.int64)  # TSPLIB nint
    n = len(coords)
    return Instance(
        path.stem,
        "CVRP",
        1,
        distance,
        [int(d) for d in raw["demand"]],
        int(raw["capacity"]),
        n - 1,  # not limited
        None,
        None,
        float(solution["cost"]),
    )


def as_routing_problem(inst: Instance) -> RoutingProblem:
    n = len(inst.distance)
    if inst.windows is None:
        jobs = tuple(Job(i, inst.demand[i], 0) for i in range(1, n))
        fleet = Fleet(count=inst.vehicles, capacity=inst.capacity)
    else:
        jobs = tuple(
            Job(
                i,
                inst.demand[i],
                inst.service[i],
                early=inst.windows[i][0],
                late=inst.windows[i][1],
            )
            for i in range(1, n)
        )
        fleet = Fleet(
            count=inst.vehicles,
            capacity=inst.capacity,
            early=inst.windows[0][0],
            late=inst.windows[0][1],
        )
    matrix = inst.distance.tolist()
    return RoutingProblem(distance=matrix, duration=matrix, jobs=jobs, fleets=(fleet,))


def check_routes(inst: Instance, routes: list[list[int]]) -> tuple[float, str]:
    """Cost in instance units and '' if valid, else what is wrong (independent re-check)."""
    n = len(inst.distance)
    seen = sorted(c for r in routes for c in r)
    if seen != list(range(1, n)):
        missing = n - 1 - len(set(seen))
        return math.inf, f"{missing} clients missing" if missing else "client visited twice"
    if len([r for r in routes if r]) > inst.vehicles:
        return math.inf, f"{len(routes)} routes > {inst.vehicles} vehicles"
    total = 0
    for r in routes:
        if not r:
            continue
        if sum(inst.demand[c] for c in r) > inst.capacity:
            return math.inf, "capacity exceeded"
        t = inst.windows[0][0] if inst.windows else 0
        prev = 0
        for c in [*r, 0]:
            total += int(inst.distance[prev][c])
            if inst.windows:
                t = max(t + int(inst.distance[prev][c]), inst.windows[c][0])
                if t > inst.windows[c][1]:
                    return math.inf, f"late at client {c}"
                t += inst.service[c] if c else 0
            prev = c
    return total / inst.scale, ""


# -- the two solvers ---------------------------------------------------------------------------


def run_pyvrp(
    inst: Instance, seconds: float, workers: int, seed: int
) -> tuple[list[list[int]], float]:
    problem = as_routing_problem(inst)
    started = time.perf_counter()
    result = solve_problem(problem, SolveOptions(seconds=seconds, seed=seed, workers=workers))
    elapsed = time.perf_counter() - started
    routes = [[problem.jobs[v.job].location for v in r.visits] for r in result.routes]
    return routes, elapsed


def run_ortools(inst: Instance, seconds: float) -> tuple[list[list[int]], float, int]:
    """OR-Tools routing, PATH_CHEAPEST_ARC + GUIDED_LOCAL_SEARCH.  VRPTW clients may be
    dropped at a large penalty (otherwise it often finds no solution at all); the number
    dropped is returned and such a result counts as infeasible."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = len(inst.distance)
    vehicles = inst.vehicles if inst.windows else min(n - 1, 2 * _lower_bound_vehicles(inst) + 5)
    manager = pywrapcp.RoutingIndexManager(n, vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    dist = inst.distance

    def distance_cb(i, j):
        return int(dist[manager.IndexToNode(i)][manager.IndexToNode(j)])

    transit = routing.RegisterTransitCallback(distance_cb)
    routing.SetArcCostEvaluatorOfAllVehicles(transit)

    def demand_cb(i):
        return inst.demand[manager.IndexToNode(i)]

    demand = routing.RegisterUnaryTransitCallback(demand_cb)
    routing.AddDimensionWithVehicleCapacity(demand, 0, [inst.capacity] * vehicles, True, "load")
    if inst.windows:
        service = inst.service

        def time_cb(i, j):
            a = manager.IndexToNode(i)
            return int(service[a] + dist[a][manager.IndexToNode(j)])

        time_transit = routing.RegisterTransitCallback(time_cb)
        horizon = inst.windows[0][1]
        routing.AddDimension(time_transit, horizon, horizon, False, "time")
        time_dim = routing.GetDimensionOrDie("time")
        for node in range(1, n):
            early, late = inst.windows[node]
            time_dim.CumulVar(manager.NodeToIndex(node)).SetRange(early, late)
        for v in range(vehicles):
            time_dim.CumulVar(routing.Start(v)).SetRange(*inst.windows[0])
            time_dim.CumulVar(routing.End(v)).SetRange(*inst.windows[0])
        penalty = int(100 * dist.max()) + 1
        for node in range(1, n):
            routing.AddDisjunction([manager.NodeToIndex(node)], penalty)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(seconds * 1000))
    started = time.perf_counter()
    solution = routing.SolveWithParameters(params)
    elapsed = time.perf_counter() - started
    if solution is None:
        return [], elapsed, n - 1
    routes = []
    for v in range(vehicles):
        index = routing.Start(v)
        route = []
        index = solution.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            route.append(manager.IndexToNode(index))
            index = solution.Value(routing.NextVar(index))
        if route:
            routes.append(route)
    dropped = n - 1 - sum(len(r) for r in routes)
    return routes, elapsed, dropped


def _lower_bound_vehicles(inst: Instance) -> int:
    return math.ceil(sum(inst.demand) / inst.capacity)


# -- part 1 ------------------------------------------------------------------------------------


def bench_vrp(args) -> None:
    paths = sorted(p for p in DATA.iterdir() if p.suffix in (".vrp", ".txt"))
    if args.only:
        paths = [p for p in paths if p.stem in args.only]
    rows = []
    print(
        f"Solver quality: {args.seconds:g} s per instance and solver; PyVRP through "
        f"remoteops.routes.solver.solve_problem (workers={args.workers}, seed={args.seed}); "
        "OR-Tools PATH_CHEAPEST_ARC + GUIDED_LOCAL_SEARCH.\n"
    )
    for path in paths:
        inst = read_instance(path)
        routes, t_pyvrp = run_pyvrp(inst, args.seconds, args.workers, args.seed)
        cost, problem = check_routes(inst, routes)
        row = {
            "name": inst.name,
            "kind": inst.kind,
            "n": len(inst.distance) - 1,
            "bks": inst.bks,
            "pyvrp": cost,
            "pyvrp_problem": problem,
            "pyvrp_s": t_pyvrp,
            "pyvrp_gap": 100 * (cost - inst.bks) / inst.bks,
        }
        if not args.skip_ortools:
            o_routes, t_or, dropped = run_ortools(inst, args.seconds)
            o_cost, o_problem = check_routes(inst, o_routes)
            if dropped:
                o_problem = f"{dropped} clients dropped"
            row.update(
                ortools=o_cost,
                ortools_problem=o_problem,
                ortools_s=t_or,
                ortools_gap=100 * (o_cost - inst.bks) / inst.bks,
            )
        rows.append(row)
        print(_vrp_line(row), flush=True)
    print()
    print(_vrp_table(rows, args))


def _fmt_gap(gap: float, problem: str) -> str:
    return problem if problem else f"{gap:.2f} %"


def _vrp_line(row) -> str:
    gap = _fmt_gap(row["pyvrp_gap"], row["pyvrp_problem"])
    text = f"{row['name']:<11} PyVRP {row['pyvrp']:>10.1f} ({gap}, {row['pyvrp_s']:.1f} s)"
    if "ortools" in row:
        o = row["ortools"]
        text += (
            f"   OR-Tools {o if math.isinf(o) else round(o, 1):>10} "
            f"({_fmt_gap(row['ortools_gap'], row['ortools_problem'])}, {row['ortools_s']:.1f} s)"
        )
    return text + f"   BKS {row['bks']:g}"


def _vrp_table(rows, args) -> str:
    has_or = not args.skip_ortools
    head = "| instance | kind | clients | BKS | remoteops (PyVRP) | gap |"
    sep = "|---|---|---:|---:|---:|---:|"
    if has_or:
        head += " OR-Tools | gap |"
        sep += "---:|---:|"
    lines = [head, sep]
    for r in rows:
        line = (
            f"| {r['name']} | {r['kind']} | {r['n']} | {r['bks']:g} | "
            f"{r['pyvrp']:.1f} | {_fmt_gap(r['pyvrp_gap'], r['pyvrp_problem'])} |"
        )
        if has_or:
            o = "-" if math.isinf(r["ortools"]) else f"{r['ortools']:.1f}"
            line += f" {o} | {_fmt_gap(r['ortools_gap'], r['ortools_problem'])} |"
        lines.append(line)
    valid = [r for r in rows if not r["pyvrp_problem"]]
    mean_py = statistics.fmean(r["pyvrp_gap"] for r in valid) if valid else math.inf
    lines.append("")
    lines.append(
        f"remoteops (PyVRP): mean gap {mean_py:.2f} % over {len(valid)}/{len(rows)} instances, "
        f"infeasible or incomplete: {len(rows) - len(valid)}."
    )
    if has_or:
        ok = [r for r in rows if not r["ortools_problem"]]
        mean_or = statistics.fmean(r["ortools_gap"] for r in ok) if ok else math.inf
        common = [r for r in ok if not r["pyvrp_problem"]]
        mean_py_common = statistics.fmean(r["pyvrp_gap"] for r in common) if common else math.inf
        lines.append(
            f"OR-Tools: mean gap {mean_or:.2f} % over the {len(ok)}/{len(rows)} instances it "
            f"solved completely ({len(rows) - len(ok)} without a complete feasible solution)."
        )
        if common and mean_py_common > 0:
            lines.append(
                f"On the {len(common)} instances both solved: remoteops {mean_py_common:.2f} % vs "
                f"OR-Tools {statistics.fmean(r['ortools_gap'] for r in common):.2f} % -> "
                f"{statistics.fmean(r['ortools_gap'] for r in common) / mean_py_common:.1f}x "
                "smaller mean gap."
            )
        elif common:
            lines.append("remoteops hit every best-known solution the baseline was compared on.")
    return "\n".join(lines)


# -- part 2: companies, against the plan an operations person makes by hand -------------


@dataclass(frozen=True)
class Scenario:
    name: str
    days: int  # working days planned from START
    employees: int = 0  # 0: the bundled sample company
    seed: int = 1
    spread_days: int = 14  # home-office starts fall in this many calendar days
    vans: int | None = None


START = dt.date(2026, 12, 1)
SCENARIOS = (
    Scenario("sample company (inventory/)", days=8),
    Scenario("invented 300, 2 vans, starts over 3 weeks", 20, 300, 7, 21, 2),
    Scenario("invented 1000, 3 vans, starts over 4 weeks", 40, 1000, 11, 28, 3),
    Scenario("invented 140, 1 van, starts over 4 weeks", 40, 150, 3, 28, 1),
)


def hand_plan(problem, matrix):
    """What an operations person does by hand: employees sorted by home-office start, then
    postcode; each day, each van in turn takes the next employees in that order who are at
    home that day, whose equipment is ready and who still fit (boxes, their window, back by
    the end of the day), reloading at the depot when full if the van may; whoever does not
    fit waits for the next day.  Same days, vans and travel model as the product.  Returns
    per van-day (day, van, SimulatedRun) and the employees never placed."""
    from remoteops.routes.planning import simulate_run

    def secs(t: dt.time) -> int:
        return t.hour * 3600 + t.minute * 60

    loading = problem.loading_minutes * 60
    depot = problem.depot.site_id
    pending = sorted(
        problem.stops,
        key=lambda s: (
            s.employee.home_office_start or dt.date.max,
            s.employee.address.postcode,
            s.employee.employee_id,
        ),
    )
    runs = []
    for day in problem.days:
        if not pending:
            break
        vans = [v for v in problem.van_days if v.day == day]
        for v in vans:
            trips: list[list[tuple[str, float, int]]] = [[]]
            load = 0
            for stop in list(pending):
                e = stop.employee
                w = e.delivery_window
                if (w is not None and not w.allows(day)) or (stop.ready and stop.ready > day):
                    continue
                early = secs(w.start) if w else 0
                late = (secs(w.end) if w else 86_400) - stop.service_minutes * 60
                item = (e.employee_id, early, stop.service_minutes * 60)
                candidates = []
                if load + stop.boxes <= v.capacity:
                    candidates.append(([*trips[:-1], [*trips[-1], item]], load + stop.boxes))
                elif v.multi_trip and len(trips) <= problem.max_reloads:
                    candidates.append(([*trips, [item]], stop.boxes))
                for new_trips, new_load in candidates:
                    sim = simulate_run(matrix, depot, secs(v.start) + loading, new_trips, loading)
                    leg = sim.trips[-1][-1]
                    if leg.start <= late and sim.back <= secs(v.end):
                        trips, load = new_trips, new_load
                        pending.remove(stop)
                        break
            if trips[0]:
                sim = simulate_run(matrix, depot, secs(v.start) + loading, trips, loading)
                runs.append((day, v.van, sim))
    return runs, pending


@dataclass(frozen=True)
class Figures:
    served: int
    late: int  # delivered after the due date, or due inside the horizon and not delivered
    late_days: int  # employee working days late (not delivered: as of the day after)
    van_days: int
    rental_days: int  # each van from its first to its last run (a contiguous rental)
    km: float
    driving_h: float
    seconds: float | None = None


def figures(problem, delivered: dict[str, dt.date], van_days, km, driving_h, seconds=None):
    """The user's measures of a plan, computed the same way for both plans."""
    from remoteops.routes.problem import (
        next_working_day,
        working_days_between,
        working_days_late,
    )

    after = next_working_day(problem.days[-1], problem.holidays)
    late = late_days = 0
    for stop in problem.stops:
        if stop.due is None:
            continue
        day = delivered.get(stop.employee.employee_id)
        if day is None and stop.due < after:
            late, late_days = (
                late + 1,
                late_days + working_days_late(stop.due, after, problem.holidays),
            )
        elif day is not None and day > stop.due:
            late, late_days = (
                late + 1,
                late_days + working_days_late(stop.due, day, problem.holidays),
            )
    spans: dict[str, list[dt.date]] = {}
    for day, van in van_days:
        spans.setdefault(van, []).append(day)
    rental = sum(working_days_between(min(d), max(d), problem.holidays) + 1 for d in spans.values())
    return Figures(len(delivered), late, late_days, len(van_days), rental, km, driving_h, seconds)


def scenario_company(scenario: Scenario, folder: Path):
    from remoteops.inventory import load_company
    from remoteops.synthetic import write_company

    if not scenario.employees:
        return load_company(REPO / "inventory")
    write_company(
        folder,
        scenario.employees,
        scenario.seed,
        start=START,
        spread_days=scenario.spread_days,
        vans=scenario.vans,
    )
    return load_company(folder)


def bench_scenario(scenario: Scenario, args, folder: Path) -> tuple[Figures, Figures]:
    from remoteops.routes.planning import delivery_problem, plan_deliveries, solve_options
    from remoteops.routes.travel import TravelPoint, TravelSettings, build_travel_matrix

    company = scenario_company(scenario, folder)
    problem = delivery_problem(company, START, scenario.days)
    options = solve_options(args.company_seconds)
    travel = TravelSettings()
    points = [TravelPoint(problem.depot.site_id, problem.depot.location)] + [
        TravelPoint(s.employee.employee_id, s.employee.location) for s in problem.stops
    ]
    day_start = min(v.start for v in problem.van_days)
    day_end = max(v.end for v in problem.van_days)
    matrix = build_travel_matrix(travel, points, day_start=day_start, day_end=day_end)

    runs, _ = hand_plan(problem, matrix)
    hand = figures(
        problem,
        {k: day for day, _, sim in runs for t in sim.trips for k in (leg.key for leg in t)},
        [(day, van) for day, van, _ in runs],
        sum(sim.metres for _, _, sim in runs) / 1000,
        sum(sim.driving for _, _, sim in runs) / 3600,
    )
    t0 = time.perf_counter()
    plan = plan_deliveries(problem, travel, options)  # builds its own travel matrix
    seconds = time.perf_counter() - t0
    ours = figures(
        problem,
        {s.employee_id: r.day for r in plan.runs for s in r.stops},
        [(r.day, r.van) for r in plan.runs],
        plan.km,
        plan.driving_minutes / 60,
        seconds,
    )
    print(
        f"### {scenario.name}: {len(problem.stops)} employees waiting, {len(problem.days)} "
        f"working days from {START}, {len({v.van for v in problem.van_days})} van(s), "
        f"solver stopped by {plan.stopped_by}\n"
    )
    print(
        "| plan | served | late | employee-days late | van-days | rental days | km "
        "| driving h | planning s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, f in (("by hand (start date, postcode)", hand), ("remoteops", ours)):
        secs = f"{f.seconds:.1f}" if f.seconds is not None else "-"
        print(
            f"| {name} | {f.served} | {f.late} | {f.late_days} | {f.van_days} | "
            f"{f.rental_days} | {f.km:.0f} | {f.driving_h:.1f} | {secs} |"
        )

    def pct(a, b):
        return f"{100 * (1 - a / b):.0f} %" if b else "-"

    print(
        f"| **ratio** | | {ours.late} vs {hand.late} | | "
        f"{pct(ours.van_days, hand.van_days)} fewer | "
        f"{pct(ours.rental_days, hand.rental_days)} fewer | {pct(ours.km, hand.km)} less | "
        f"{pct(ours.driving_h, hand.driving_h)} less | |"
    )
    print()
    return hand, ours


def bench_company(args) -> None:
    import tempfile

    chosen = [s for s in SCENARIOS if not args.scenario or any(k in s.name for k in args.scenario)]
    with tempfile.TemporaryDirectory() as tmp:
        for n, scenario in enumerate(chosen):
            bench_scenario(scenario, args, Path(tmp) / f"company{n}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per instance and solver")
    parser.add_argument("--workers", type=int, default=1, help="PyVRP seeds in parallel")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", action="append", help="instance name (repeatable)")
    parser.add_argument("--skip-ortools", action="store_true")
    parser.add_argument("--skip-vrp", action="store_true")
    parser.add_argument("--skip-company", action="store_true")
    parser.add_argument(
        "--scenario", action="append", help="only companies whose name contains this"
    )
    parser.add_argument(
        "--company-seconds", type=float, default=None, help="time limit (default: product's)"
    )
    args = parser.parse_args(argv)
    if not args.skip_vrp:
        bench_vrp(args)
        print()
    if not args.skip_company:
        bench_company(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
