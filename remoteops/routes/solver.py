"""The solver boundary: a routing problem in plain numbers in, routes in plain numbers out.

:class:`RoutingProblem` is the one internal description both the product (built from
employees and vans in :mod:`remoteops.routes.planning`) and the benchmark (built from public
CVRP/VRPTW instances) hand to :func:`solve_problem`.  Only this module talks to PyVRP; only
this package knows the indices it uses.

Jobs that share a ``group`` are alternatives: at most one of them is served (a PyVRP client
group).  The product uses that for an employee who may be delivered on different days, one
job per day or block of days, each with its own time window on a timeline of several days
and its own prize (on time is worth more than late).

A job may also be restricted to some fleets (an employee is at home on Mondays and Thursdays,
so only the vans of those days may come).  PyVRP 0.14 cannot tie a client to vehicle types
directly, so each distinct restriction pattern gets its own routing profile in which the
edges into and out of the forbidden jobs take longer than any working day: a route using
them has time warp, which makes it infeasible.  Optional jobs carry a prize, which the solver
loses when it leaves them out.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

#: Latest time PyVRP is given when something has no time limit (plenty for months in seconds).
OPEN_END = 2**40


@dataclass(frozen=True)
class Job:
    """One delivery (a client): where, how much, how long, and when it may start."""

    location: int  # row/column in the problem's matrices
    demand: int
    service: int
    early: int = 0  # service may start from
    late: int = OPEN_END  # service must start by
    required: bool = True
    prize: int = 0  # lost when an optional job is left out
    fleets: frozenset[int] | None = None  # the fleets that may serve it; None: all
    group: int | None = None  # jobs of one group are alternatives: at most one is served


@dataclass(frozen=True)
class Fleet:
    """Identical vehicles (a PyVRP vehicle type), all starting and ending at the depot."""

    count: int
    capacity: int
    early: int = 0  # may leave the depot from
    late: int = OPEN_END  # must be back by
    shift: int | None = None  # longest route duration (waiting included)
    max_reloads: int = 0  # returns to the depot to load again during the route
    fixed_cost: int = 0
    distance_cost: int = 1
    duration_cost: int = 0


@dataclass(frozen=True)
class RoutingProblem:
    distance: Sequence[Sequence[int]]  # square matrix, location 0 is the depot
    duration: Sequence[Sequence[int]]
    jobs: tuple[Job, ...]
    fleets: tuple[Fleet, ...]
    depot_service: int = 0  # time spent at the depot before each trip (loading)
    depot_early: int = 0
    depot_late: int = OPEN_END
    coords: Sequence[tuple[float, float]] | None = None  # for PyVRP's locations only


@dataclass(frozen=True)
class SolveOptions:
    """How long and how the solver searches.

    The search stops at whichever comes first: ``seconds`` of wall time, ``max_iterations``,
    or ``no_improvement`` iterations without a better plan.  The result is the same for the
    same ``seed`` whenever an iteration criterion stops it; ``SolvedRoutes.stopped_by`` says
    which one did.  ``workers`` > 1 searches with seeds ``seed, seed+1, ...`` in parallel
    processes and keeps the best (ties go to the lowest seed).
    """

    seconds: float = 10.0
    seed: int = 1
    max_iterations: int | None = None
    no_improvement: int | None = None
    workers: int = 1

    def to_dict(self) -> dict:
        return {
            "seconds": self.seconds,
            "seed": self.seed,
            "max_iterations": self.max_iterations,
            "no_improvement": self.no_improvement,
            "workers": self.workers,
        }

    @classmethod
    def from_dict(cls, data: dict) -> SolveOptions:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class Visit:
    job: int
    trip: int  # 0-based trip of the route (multi-trip: the van reloads in between)
    arrival: int
    start: int  # service start (arrival plus waiting)
    end: int


@dataclass(frozen=True)
class SolvedRoute:
    fleet: int
    visits: tuple[Visit, ...]
    start: int  # leaves the depot (after loading)
    end: int  # back at the depot
    depot_times: tuple[tuple[int, int], ...]  # (arrival, departure) of every depot visit
    distance: int
    duration: int
    trips: int


@dataclass(frozen=True)
class SolvedRoutes:
    routes: tuple[SolvedRoute, ...]
    unserved: tuple[int, ...]  # jobs left out
    cost: int  # objective including lost prizes
    distance: int
    feasible: bool
    iterations: int
    seconds: float
    stopped_by: str  # "time limit", "max iterations" or "no improvement"
    seed: int
    extra: dict = field(default_factory=dict, compare=False)


class _Stop:
    """PyVRP stopping criterion that remembers why it stopped; the clock starts at creation."""

    def __init__(self, options: SolveOptions) -> None:
        self._deadline = time.perf_counter() + options.seconds
        self._max_iterations = options.max_iterations
        self._no_improvement = options.no_improvement
        self._iterations = 0
        self._since_best = 0
        self._best: float | None = None
        self.reason = "time limit"

    def __call__(self, best_cost: float) -> bool:
        if self._best is None or best_cost < self._best:
            self._best = best_cost
            self._since_best = 0
        else:
            self._since_best += 1
        self._iterations += 1
        if self._max_iterations is not None and self._iterations > self._max_iterations:
            self.reason = "max iterations"
            return True
        if self._no_improvement is not None and self._since_best >= self._no_improvement:
            self.reason = "no improvement"
            return True
        if time.perf_counter() >= self._deadline:
            self.reason = "time limit"
            return True
        return False


@dataclass(frozen=True)
class _Index:
    """PyVRP vehicle type -> fleet (fleets without vehicles are skipped)."""

    type_fleet: tuple[int, ...]


def _build(problem: RoutingProblem):
    """The PyVRP model's ``ProblemData`` plus the map back to fleets."""
    from pyvrp import Model

    n = len(problem.distance)
    if n == 0 or any(len(row) != n for row in problem.distance):
        raise ValueError("distance must be a non-empty square matrix")
    if len(problem.duration) != n or any(len(row) != n for row in problem.duration):
        raise ValueError("duration must have the shape of distance")
    for j, job in enumerate(problem.jobs):
        if not 0 < job.location < n:
            raise ValueError(f"job {j} has location {job.location} outside 1..{n - 1}")
    model = Model()
    coords = problem.coords or [(float(i), 0.0) for i in range(n)]
    locations = [model.add_location(x=float(x), y=float(y)) for x, y in coords]
    depot = model.add_depot(
        locations[0],
        tw_early=problem.depot_early,
        tw_late=problem.depot_late,
        service_duration=problem.depot_service,
    )
    for i in range(n):
        for k in range(n):
            if i != k:
                model.add_edge(
                    locations[i],
                    locations[k],
                    int(problem.distance[i][k]),
                    int(problem.duration[i][k]),
                )
    # One routing profile per distinct set of jobs a fleet must not serve.
    # Their edges take longer than the longest working time, so using one means time warp.
    forbidden: list[frozenset[int]] = []
    longest = 0
    for k, fleet in enumerate(problem.fleets):
        banned = frozenset(
            j
            for j, job in enumerate(problem.jobs)
            if job.fleets is not None and k not in job.fleets
        )
        if banned:
            working = min(fleet.late - fleet.early, fleet.shift or OPEN_END)
            if working >= OPEN_END:
                raise ValueError(f"fleet {k} needs a finite working time to exclude jobs")
            longest = max(longest, working)
        forbidden.append(banned)
    too_long = 2 * longest + 1
    profiles = {}
    for banned in dict.fromkeys(forbidden):
        profile = model.add_profile()
        profiles[banned] = profile
        banned_locations = {problem.jobs[j].location for j in banned}
        for i in banned_locations:
            for k in range(n):
                if k != i:
                    cost = int(problem.distance[i][k]), too_long
                    model.add_edge(locations[i], locations[k], *cost, profile=profile)
                    cost = int(problem.distance[k][i]), too_long
                    model.add_edge(locations[k], locations[i], *cost, profile=profile)
    type_fleet: list[int] = []
    for k, fleet in enumerate(problem.fleets):
        if fleet.count <= 0:
            continue
        model.add_vehicle_type(
            num_available=fleet.count,
            capacity=fleet.capacity,
            start_depot=depot,
            end_depot=depot,
            fixed_cost=fleet.fixed_cost,
            tw_early=fleet.early,
            tw_late=fleet.late,
            shift_duration=fleet.shift if fleet.shift is not None else OPEN_END,
            unit_distance_cost=fleet.distance_cost,
            unit_duration_cost=fleet.duration_cost,
            profile=profiles[forbidden[k]],
            reload_depots=[depot] if fleet.max_reloads > 0 else [],
            max_reloads=max(0, fleet.max_reloads),
            name=str(k),
        )
        type_fleet.append(k)
    groups = {
        g: model.add_client_group(required=False, name=str(g))
        for g in dict.fromkeys(job.group for job in problem.jobs if job.group is not None)
    }
    for j, job in enumerate(problem.jobs):
        if job.group is not None and job.required:
            raise ValueError(f"job {j} is in a group, so it cannot be required")
        model.add_client(
            locations[job.location],
            delivery=job.demand,
            service_duration=job.service,
            tw_early=job.early,
            tw_late=job.late,
            prize=job.prize,
            required=job.required,
            group=groups.get(job.group),
            name=str(j),
        )
    return model.data(), _Index(tuple(type_fleet))


def _run(data, options: SolveOptions, seed: int):
    from pyvrp.solve import solve

    stop = _Stop(options)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = solve(data, stop=stop, seed=seed, collect_stats=False, display=False)
    notes = tuple(dict.fromkeys(" ".join(str(w.message).split()) for w in caught))
    return result.best, result.num_iterations, result.runtime, stop.reason, notes


def solve_problem(problem: RoutingProblem, options: SolveOptions | None = None) -> SolvedRoutes:
    """Solve ``problem`` with PyVRP and translate the best solution back into jobs and fleets."""
    options = options or SolveOptions()
    started = time.perf_counter()
    data, index = _build(problem)
    if not problem.jobs:
        return SolvedRoutes((), (), 0, 0, True, 0, 0.0, "no improvement", options.seed)
    seeds = [options.seed + k for k in range(max(1, options.workers))]
    if len(seeds) == 1:
        outcomes = [_run(data, options, seeds[0])]
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=len(seeds)) as pool:
            futures = [pool.submit(_run, data, options, s) for s in seeds]
            outcomes = [f.result() for f in futures]

    def rank(k: int):
        best = outcomes[k][0]
        return (not best.is_feasible(), _objective(data, best), k)

    pick = min(range(len(outcomes)), key=rank)
    best, iterations, _, reason, notes = outcomes[pick]
    solved = _translate(
        data,
        index,
        best,
        iterations=iterations,
        seconds=time.perf_counter() - started,
        stopped_by=reason,
        seed=seeds[pick],
        njobs=len(problem.jobs),
    )
    if notes:
        solved.extra["solver_warnings"] = notes
    return solved


def _objective(data, solution) -> int:
    from pyvrp import CostEvaluator

    return CostEvaluator([0] * data.num_load_dimensions, 0, 0).cost(solution)


def _translate(data, index: _Index, solution, **kw) -> SolvedRoutes:
    routes: list[SolvedRoute] = []
    served: set[int] = set()
    for route in solution.routes():
        visits: list[Visit] = []
        depot_times: list[tuple[int, int]] = []
        for act in route.schedule():
            if act.is_depot():
                depot_times.append((int(act.start_time - act.wait_duration), int(act.end_time)))
                continue
            job = int(act.idx)
            served.add(job)
            visits.append(
                Visit(
                    job=job,
                    trip=int(act.trip),
                    arrival=int(act.start_time - act.wait_duration),
                    start=int(act.start_time),
                    end=int(act.end_time),
                )
            )
        routes.append(
            SolvedRoute(
                fleet=index.type_fleet[route.vehicle_type()],
                visits=tuple(visits),
                start=int(depot_times[0][1]) if depot_times else int(route.start_time()),
                end=int(route.end_time()),
                depot_times=tuple(depot_times),
                distance=int(route.distance()),
                duration=int(route.duration()),
                trips=int(route.num_trips()),
            )
        )
    routes.sort(key=lambda r: (r.fleet, r.start, r.visits[0].job if r.visits else -1))
    feasible = bool(solution.is_feasible())
    cost = _objective(data, solution) if feasible else math.inf
    return SolvedRoutes(
        routes=tuple(routes),
        unserved=tuple(j for j in range(kw["njobs"]) if j not in served),
        cost=cost,
        distance=int(solution.distance()),
        feasible=feasible,
        iterations=kw["iterations"],
        seconds=kw["seconds"],
        stopped_by=kw["stopped_by"],
        seed=kw["seed"],
    )
