"""Delivery runs in the users' words: who gets their equipment, on which day, in which van, when.

:func:`delivery_problem` collects what is to be planned from a loaded company (depot, the
employees still waiting for equipment with their boxes and due dates, vans per working day
over the horizon); :func:`plan_deliveries` validates it, has the solver model built
(:mod:`remoteops.routes.model`) and solved (:mod:`remoteops.routes.solver`), repairs what a
solver's one-at-a-time moves leave late (:mod:`remoteops.routes.repair`), moves runs to their
earliest possible day and returns a :class:`~remoteops.routes.plan.DeliveryPlan`: per day and
van the stops in order with their arrival windows, start dates and slack, plus who is late
and who is left over with the reason (capacity, time windows, horizon, not provisioned).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from remoteops.errors import RemoteOpsError, UsageError
from remoteops.models import WEEKDAY_NAMES, Company, Employee, Site, TimeWindow, Van
from remoteops.routes.model import SolverModel, build_model, seconds, stop_options
from remoteops.routes.plan import DeliveryPlan, DeliveryRun, LeftOver, PlannedStop
from remoteops.routes.problem import (
    DeliveryProblem,
    DeliveryStop,
    VanDay,
    due_date,
    working_days,
    working_days_between,
)
from remoteops.routes.repair import Draft, make_feasible, repair_late
from remoteops.routes.solver import SolvedRoutes, SolveOptions
from remoteops.routes.travel import (
    DAY_SECONDS,
    Leg,
    SimulatedRun,
    TravelMatrix,
    TravelSettings,
    simulate_run,
)

__all__ = [
    "DeliveryPlan",
    "DeliveryProblem",
    "DeliveryRun",
    "DeliveryStop",
    "LeftOver",
    "PlannedStop",
    "VanDay",
    "Leg",
    "SimulatedRun",
    "delivery_problem",
    "plan_deliveries",
    "simulate_run",
    "stops_for",
    "working_days",
]

#: Left-over reasons, in the users' words.
REASON_CAPACITY = "capacity"
REASON_TIME_WINDOWS = "time windows"
REASON_HORIZON = "horizon"
REASON_NOT_PROVISIONED = "not provisioned"

#: Solver defaults for the product: deterministic unless the time limit is hit first.
#: Each solve stops after 2000 iterations or 300 without a better plan, whichever comes first
#: (both repeatable); ``seconds`` is the safety limit for the whole plan.
DEFAULT_SOLVE = SolveOptions(seconds=20.0, seed=1, max_iterations=2000, no_improvement=300)


@dataclass(frozen=True)
class EmployeeProblem:
    employee_id: str
    name: str
    message: str

    def __str__(self) -> str:
        return f"{self.employee_id} ({self.name}) {self.message}"


class DeliveryInputError(RemoteOpsError):
    """Employees that cannot be planned as they are; ``problems`` names each one."""

    def __init__(self, problems: Sequence[EmployeeProblem], *, hint: str) -> None:
        first = "; ".join(str(p) for p in problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        count = len({p.employee_id for p in problems})
        noun = "employee" if count == 1 else "employees"
        super().__init__(f"{count} {noun} cannot be planned: {first}{more}", hint=hint)
        self.problems = tuple(problems)

    @property
    def employee_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.employee_id for p in self.problems))


# -- what is to be planned -------------------------------------------------------------------


def solve_options(seconds: float | None = None, seed: int | None = None) -> SolveOptions:
    """The product's solver settings with the user's ``--seconds`` / ``--seed``: an iteration
    budget that makes the plan repeatable, and ``seconds`` as the hard time limit."""
    return SolveOptions(
        seconds=DEFAULT_SOLVE.seconds if seconds is None else seconds,
        seed=DEFAULT_SOLVE.seed if seed is None else seed,
        max_iterations=DEFAULT_SOLVE.max_iterations,
        no_improvement=DEFAULT_SOLVE.no_improvement,
    )


def stops_for(
    company: Company, employee_ids: Iterable[str] | None = None
) -> tuple[DeliveryStop, ...]:
    """The stops: the given employees, or everyone scheduled for home office with equipment,
    each with the day their equipment must arrive by and the day it is ready."""
    settings = company.delivery
    if employee_ids is None:
        chosen = [
            e
            for e in company.employees
            if e.scheduled_for_home_office and company.boxes_of(e.employee_id) > 0
        ]
    else:
        chosen = [company.employee(eid) for eid in dict.fromkeys(employee_ids)]
    stops = []
    for e in chosen:
        boxes = company.boxes_of(e.employee_id)
        minutes = settings.service_minutes_base + settings.service_minutes_per_box * boxes
        due = (
            due_date(e.home_office_start, settings.lead_days, settings.holidays)
            if e.home_office_start
            else None
        )
        stops.append(
            DeliveryStop(e, boxes, minutes, due=due, ready=company.equipment_ready(e.employee_id))
        )
    return tuple(stops)


def delivery_problem(
    company: Company,
    start: dt.date,
    days: int,
    *,
    vans: int | None = None,
    capacity: int | None = None,
    employee_ids: Iterable[str] | None = None,
    holidays: Iterable[dt.date] = (),
    multi_trip: bool | None = None,
    loading_minutes: int = 15,
    break_minutes: int | None = None,
    extra_vans: Iterable[tuple[dt.date, int]] = (),
) -> DeliveryProblem:
    """Everything to plan from ``start`` for ``days`` working days.

    ``vans`` overrides how many vans are used (extra ones copy the last configured van),
    ``capacity`` every van's capacity in boxes; ``holidays`` adds to the company's.
    ``extra_vans`` adds (day, count) vans on single days (what-if: a second van on ...).
    ``employee_ids`` limits the stops (e.g. those not yet delivered); by default every
    employee scheduled for home office who has equipment.
    """
    settings = company.delivery
    configured = list(settings.vans)
    if not configured:
        raise UsageError("No vans are configured.", hint="Add vans to company.yml or use --vans.")
    count = len(configured) if vans is None else vans
    if count < 1:
        raise UsageError(f"--vans must be at least 1, not {count}.")
    extra = dict(extra_vans)
    most = count + max(extra.values(), default=0)
    chosen = configured[:most]
    names = {v.name for v in configured}
    number = len(chosen)
    while len(chosen) < most:
        number += 1
        if f"Van {number}" not in names:
            chosen.append(Van(f"Van {number}", configured[-1].capacity_boxes))
    if capacity is not None and capacity < 1:
        raise UsageError(f"--capacity must be at least 1 box, not {capacity}.")
    closed = tuple(sorted(set(settings.holidays) | set(holidays)))
    horizon = working_days(start, days, closed)
    van_days = tuple(
        VanDay(
            van=v.name,
            day=d,
            capacity=capacity if capacity is not None else v.capacity_boxes,
            start=settings.day_start,
            end=settings.day_end,
            multi_trip=settings.multi_trip if multi_trip is None else multi_trip,
            break_minutes=settings.break_minutes if break_minutes is None else break_minutes,
        )
        for d in horizon
        for v in chosen[: count + extra.get(d, 0)]
    )
    return DeliveryProblem(
        depot=company.depot,
        stops=stops_for(company, employee_ids),
        van_days=van_days,
        first_day=start,
        days=horizon,
        loading_minutes=loading_minutes,
        cost_per_km=settings.cost_per_km,
        cost_per_van_day=settings.cost_per_van_day,
        holidays=closed,
        rental=settings.rental,
    )


# -- validation ------------------------------------------------------------------------------


def _has_coordinates(place: Employee | Site) -> bool:
    loc = getattr(place, "location", None)
    try:
        lat, lon = float(loc.latitude), float(loc.longitude)
    except (TypeError, ValueError, AttributeError):
        return False
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return False
    return -90 <= lat <= 90 and -180 <= lon <= 180 and (lat, lon) != (0.0, 0.0)


def _window_problem(
    window: TimeWindow, stop: DeliveryStop, van_days: Sequence[VanDay]
) -> str | None:
    if not window.weekdays:
        return "the delivery window has no weekdays; give at least one (e.g. Mon-Fri)."
    if window.start >= window.end:
        return (
            f"the delivery window {window.describe()} is empty (it ends before it starts); "
            "fix its hours."
        )
    if not any(d < 5 for d in window.weekdays):
        return f"the delivery window {window.describe()} has no working day; vans run Mon-Fri."
    need = stop.service_minutes * 60
    if van_days:
        best = max(
            min(seconds(window.end), seconds(v.end)) - max(seconds(window.start), seconds(v.start))
            for v in van_days
        )
        if best < need:
            hours = f"{van_days[0].start:%H:%M}-{van_days[0].end:%H:%M}"
            return (
                f"the delivery window {window.describe()} leaves less than the "
                f"{stop.service_minutes} min the delivery takes inside the vans' working day "
                f"({hours}); widen it."
            )
    return None


def validate(problem: DeliveryProblem) -> None:
    """Raise :class:`DeliveryInputError` naming every employee that cannot be planned."""
    if not _has_coordinates(problem.depot):
        raise RemoteOpsError(
            f"The depot {problem.depot.site_id} ({problem.depot.name}) has no coordinates.",
            hint="Add latitude and longitude to the site in company.yml.",
        )
    for v in problem.van_days:
        if v.capacity < 1 or v.start >= v.end:
            raise UsageError(
                f"Van {v.van} on {v.day:%Y-%m-%d} has capacity {v.capacity} and working day "
                f"{v.start:%H:%M}-{v.end:%H:%M}; it needs at least one box and a day that ends "
                "after it starts."
            )
    problems: list[EmployeeProblem] = []
    seen: set[str] = set()
    biggest = max((v.capacity for v in problem.van_days), default=None)
    for stop in problem.stops:
        e = stop.employee

        def add(message: str, e: Employee = e) -> None:
            problems.append(EmployeeProblem(e.employee_id, e.full_name, message))

        if e.employee_id in seen:
            add("appears twice among the stops.")
        seen.add(e.employee_id)
        if not _has_coordinates(e):
            add("has no coordinates for the home address; add latitude and longitude.")
        if stop.boxes < 1:
            add("has no boxes to deliver.")
        if biggest is not None and stop.boxes > biggest:
            add(f"needs {stop.boxes} boxes but the largest van holds {biggest}.")
        if e.delivery_window is not None:
            msg = _window_problem(e.delivery_window, stop, problem.van_days)
            if msg:
                add(msg)
    if problems:
        raise DeliveryInputError(
            problems,
            hint="Fix these employees in the inventory (coordinates, delivery window) or use a "
            "bigger van (--capacity), then plan again.",
        )


# -- planning --------------------------------------------------------------------------------


def plan_deliveries(
    problem: DeliveryProblem,
    travel: TravelSettings | None = None,
    options: SolveOptions | None = None,
    *,
    matrix: TravelMatrix | None = None,
) -> DeliveryPlan:
    """Validate ``problem``, solve it and return the plan in domain terms.

    First everyone is offered only the days on which they would be on time (those who have
    no such day: their first possible days); whoever does not fit is then offered their late
    days as well, and the whole problem is solved again.  Runs are finally moved to the
    earliest days on which every stop of theirs is still possible and on time.

    ``matrix`` (from :func:`build_travel_matrix` over the depot and the stops) saves asking
    the travel model again.  Raises :class:`DeliveryInputError` for employees that cannot be
    planned as they are; employees that merely do not fit are in ``plan.left_over``.
    """
    started = time.perf_counter()
    travel = travel or (matrix.settings if matrix is not None else TravelSettings())
    options = options or DEFAULT_SOLVE
    validate(problem)
    model = build_model(problem, travel, matrix)
    solved = _solve(model, problem, options)
    served = {model.stop_of_job(v.job) for r in solved.routes for v in r.visits}
    offered = {o.stop for o in model.options}
    late_for = frozenset(k for k in offered if k not in served and problem.stops[k].due)
    if late_for and any(
        stop_options(problem, k, model.reachable[k], late_too=True) for k in late_for
    ):
        model = build_model(problem, travel, model.matrix, late_for=late_for)
        left = max(1.0, options.seconds - (time.perf_counter() - started))
        again = _solve(model, problem, dataclasses.replace(options, seconds=left))
        solved = dataclasses.replace(
            again,
            iterations=solved.iterations + again.iterations,
            stopped_by=_worst_stop(solved.stopped_by, again.stopped_by),
        )
    runs = _runs(problem, model, solved)
    runs = settle_runs(problem, model, runs)
    if problem.rental == "contiguous":
        runs = close_rental_gaps(problem, model, runs)
    served_ids = {s.employee_id for r in runs for s in r.stops}
    left = tuple(
        _left_over(problem, model, k, runs)
        for k, stop in enumerate(problem.stops)
        if stop.employee.employee_id not in served_ids
    ) + tuple(
        LeftOver(s.employee.employee_id, s.employee.full_name, s.boxes, reason, detail)
        for s, reason, detail in problem.left_out
    )
    return DeliveryPlan(
        first_day=problem.first_day,
        days=problem.days,
        vans=tuple(dict.fromkeys(v.van for v in problem.van_days)),
        runs=runs,
        left_over=left,
        travel=model.matrix.settings,
        solve=options,
        seed=solved.seed,
        stopped_by=solved.stopped_by,
        iterations=solved.iterations,
        solve_seconds=round(time.perf_counter() - started, 2),
        rental=problem.rental,
        holidays=problem.holidays,
        cost_per_van_day=problem.cost_per_van_day,
        cost_per_km=problem.cost_per_km,
    )


def _worst_stop(*reasons: str) -> str:
    return "time limit" if "time limit" in reasons else reasons[-1]


def _solve(model: SolverModel, problem: DeliveryProblem, options: SolveOptions) -> SolvedRoutes:
    from remoteops.routes.solver import solve_problem

    if not model.options or not problem.van_days:
        return SolvedRoutes((), (), 0, 0, True, 0, 0.0, "no improvement", options.seed)
    # An infeasible best (the clock ran out before the search found a valid plan, e.g. on a
    # busy machine) is not handed out as it is: its runs are cut back to what a van can
    # drive in :func:`_runs` (see :func:`remoteops.routes.repair.make_feasible`).
    return solve_problem(model.routing, options)


def _runs(
    problem: DeliveryProblem, model: SolverModel, solved: SolvedRoutes
) -> tuple[DeliveryRun, ...]:
    """The solver's routes as runs (routes of one fleet go to its vans in order), after
    swapping late employees with others who can wait (:func:`repair_late`)."""
    by_fleet: dict[int, list] = {}
    for route in solved.routes:
        if route.visits:
            by_fleet.setdefault(route.fleet, []).append(route)
    loading = problem.loading_minutes * 60
    drafts = []
    for fleet, routes in by_fleet.items():
        routes.sort(key=lambda r: (r.start, model.stop_of_job(r.visits[0].job)))
        offset = model.fleet_day[fleet] * DAY_SECONDS
        for van_day, route in zip(model.fleet_van_days[fleet], routes, strict=False):
            trips: list[list[int]] = []
            for visit in route.visits:
                while len(trips) <= visit.trip:
                    trips.append([])
                trips[visit.trip].append(model.stop_of_job(visit.job))
            start = route.depot_times[0][0] if route.depot_times else route.start - loading
            drafts.append(
                Draft(van_day, tuple(tuple(t) for t in trips if t), float(start - offset))
            )
    if not solved.feasible:
        drafts = [make_feasible(problem, model, d) for d in drafts]
        drafts = [d for d in drafts if d.trips]
    drafts = repair_late(problem, model, drafts)
    on_time_possible = frozenset(o.stop for o in model.options if o.late_days == 0)
    runs = (_run(problem, model, d, on_time_possible) for d in drafts)
    return tuple(sorted(runs, key=lambda r: (r.day, _van_order(problem, r.van))))


def settle_runs(
    problem: DeliveryProblem, model: SolverModel, runs: Sequence[DeliveryRun]
) -> tuple[DeliveryRun, ...]:
    """Move whole runs to the earliest free van-day on which every one of their stops is
    possible (at home, equipment ready, boxes fit) and nobody becomes later; then give each
    day's runs to the vans in the company's order, so each van is used on consecutive days
    where possible.  A run keeps its times of day: the vans' hours and speeds are the same
    every working day."""
    stop_index = {s.employee.employee_id: k for k, s in enumerate(problem.stops)}
    day_ok = model.allowed_days(problem)
    free: dict[dt.date, list[VanDay]] = {}
    for v in problem.van_days:
        free.setdefault(v.day, []).append(v)
    placed: dict[dt.date, list[DeliveryRun]] = {}
    for run in sorted(runs, key=lambda r: (r.day, _van_order(problem, r.van))):
        need = run.heaviest_trip
        target = run.day
        for day in sorted(free):
            if day > run.day:
                break
            fits = len(placed.get(day, [])) < sum(1 for v in free[day] if v.capacity >= need)
            if fits and all(day in day_ok[stop_index[s.employee_id]] for s in run.stops):
                target = day
                break
        placed.setdefault(target, []).append(_on_day(run, target, problem))
    out: list[DeliveryRun] = []
    for day, day_runs in placed.items():
        vans = sorted(free.get(day, []), key=lambda v: _van_order(problem, v.van))
        day_runs.sort(key=lambda r: -r.boxes)
        taken: set[str] = set()
        for run in day_runs:
            need = run.heaviest_trip
            van = next(
                (v for v in vans if v.van not in taken and v.capacity >= need),
                None,
            )
            name = van.van if van is not None else run.van
            taken.add(name)
            out.append(dataclasses.replace(run, van=name))
    return tuple(sorted(out, key=lambda r: (r.day, _van_order(problem, r.van))))


def close_rental_gaps(
    problem: DeliveryProblem, model: SolverModel, runs: Sequence[DeliveryRun]
) -> tuple[DeliveryRun, ...]:
    """For a contiguous rental: a van that would stand idle between two of its runs has its
    earlier runs moved later, into the gap, when every stop on them is still possible and on
    time there; otherwise the gap stays (and the plan counts its idle rental days)."""
    stop_index = {s.employee.employee_id: k for k, s in enumerate(problem.stops)}
    day_ok = model.allowed_days(problem)
    free = {(v.day, v.van) for v in problem.van_days}
    horizon = list(problem.days)
    where = {d: i for i, d in enumerate(horizon)}

    def can_move(run: DeliveryRun, day: dt.date) -> bool:
        if (day, run.van) not in free:
            return False
        for s in run.stops:
            stop = problem.stops[stop_index[s.employee_id]]
            if day not in day_ok[stop_index[s.employee_id]]:
                return False
            if stop.due is not None and day > stop.due and day > run.day:
                return False
        return True

    out: list[DeliveryRun] = []
    for van in dict.fromkeys(r.van for r in runs):
        mine = sorted((r for r in runs if r.van == van), key=lambda r: r.day)
        for i in range(len(mine) - 1, 0, -1):
            gap = where[mine[i].day] - where[mine[i - 1].day] - 1
            if gap <= 0:
                continue
            targets = [horizon[where[r.day] + gap] for r in mine[:i]]
            if all(can_move(r, d) for r, d in zip(mine[:i], targets, strict=True)):
                mine[:i] = [_on_day(r, d, problem) for r, d in zip(mine[:i], targets, strict=True)]
        out.extend(mine)
    return tuple(sorted(out, key=lambda r: (r.day, _van_order(problem, r.van))))


def _on_day(run: DeliveryRun, day: dt.date, problem: DeliveryProblem) -> DeliveryRun:
    """``run`` moved to ``day`` with the same times of day; lateness judged again."""
    if day == run.day:
        return run
    shift = dt.datetime.combine(day, dt.time()) - dt.datetime.combine(run.day, dt.time())

    def moved(s: PlannedStop) -> PlannedStop:
        slack = working_days_between(day, s.due, problem.holidays) if s.due else None
        return dataclasses.replace(
            s,
            arrival=s.arrival + shift,
            service_start=s.service_start + shift,
            service_end=s.service_end + shift,
            window_start=s.window_start + shift,
            window_end=s.window_end + shift,
            slack_days=slack,
            unavoidable=s.unavoidable and slack is not None and slack < 0,
        )

    return dataclasses.replace(
        run,
        day=day,
        stops=tuple(moved(s) for s in run.stops),
        start=run.start + shift,
        end=run.end + shift,
        reloads=tuple((a + shift, b + shift) for a, b in run.reloads),
    )


def _van_order(problem: DeliveryProblem, van: str) -> int:
    names = list(dict.fromkeys(v.van for v in problem.van_days))
    return names.index(van) if van in names else len(names)


def _at(day: dt.date, seconds: float) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0)) + dt.timedelta(seconds=round(seconds))


def _round_down(t: float, step: int = 900) -> int:
    return int(t // step * step)


def _round_up(t: float, step: int = 900) -> int:
    return int(-(-t // step) * step)


def _run(
    problem: DeliveryProblem, built: SolverModel, draft: Draft, on_time_possible: frozenset[int]
) -> DeliveryRun:
    """A draft run as a run: driven with the travel model, in the users' words."""
    index = draft.van_day
    van_day = problem.van_days[index]
    for k in (k for trip in draft.trips for k in trip):
        if index not in built.allowed[k]:  # the options' time windows make this impossible
            raise AssertionError(f"stop {k} planned on a van-day it is not allowed on")
    trips = draft.legs(problem, built)
    loading = problem.loading_minutes * 60
    load_start = draft.load_start
    sim = simulate_run(built.matrix, problem.depot.site_id, load_start + loading, trips, loading)
    by_id = {s.employee.employee_id: (k, s) for k, s in enumerate(problem.stops)}
    half = problem.arrival_window_minutes * 30
    day_lo, day_hi = seconds(van_day.start), seconds(van_day.end)
    day = van_day.day
    planned = []
    seq = 0
    for n, legs in enumerate(sim.trips):
        for leg in legs:
            seq += 1
            k, stop = by_id[leg.key]
            early, late = built.windows[k]
            lo = max(_round_down(leg.start - half), early, day_lo)
            hi = min(_round_up(leg.start + half), late, day_hi)
            slack = working_days_between(day, stop.due, problem.holidays) if stop.due else None
            planned.append(
                PlannedStop(
                    employee_id=leg.key,
                    name=stop.employee.full_name,
                    sequence=seq,
                    trip=n + 1,
                    boxes=stop.boxes,
                    arrival=_at(day, leg.arrival),
                    service_start=_at(day, leg.start),
                    service_end=_at(day, leg.end),
                    window_start=_at(day, min(lo, leg.start)),
                    window_end=_at(day, max(hi, leg.start)),
                    km_from_previous=round(leg.metres / 1000, 2),
                    drive_minutes_from_previous=round(leg.drive / 60, 1),
                    home_office_start=stop.employee.home_office_start,
                    due=stop.due,
                    slack_days=slack,
                    unavoidable=slack is not None and slack < 0 and k not in on_time_possible,
                )
            )
    return DeliveryRun(
        day=day,
        van=van_day.van,
        stops=tuple(planned),
        start=_at(day, load_start),
        end=_at(day, sim.back),
        reloads=tuple((_at(day, a), _at(day, b)) for a, b in sim.reloads),
        km=round(sim.metres / 1000, 2),
        driving_minutes=round(sim.driving / 60, 1),
        working_minutes=round((sim.back - load_start) / 60, 1),
        boxes=sum(s.boxes for s in planned),
    )


# -- why someone was left over ---------------------------------------------------------------


def _describe_window(e: Employee) -> str:
    return e.delivery_window.describe() if e.delivery_window else "any time"


def _span(problem: DeliveryProblem) -> str:
    if not problem.days:
        return "the planned days"
    return f"{problem.days[0]:%a %d.%m.}-{problem.days[-1]:%a %d.%m.}"


def _left_over(
    problem: DeliveryProblem, built: SolverModel, k: int, runs: Sequence[DeliveryRun]
) -> LeftOver:
    stop = problem.stops[k]
    e = stop.employee
    span = _span(problem)

    def leftover(reason: str, detail: str) -> LeftOver:
        return LeftOver(e.employee_id, e.full_name, stop.boxes, reason, detail)

    allowed = built.allowed[k]
    if not allowed:
        if not problem.van_days:
            return leftover(REASON_HORIZON, f"no van runs on {span}. Plan more days.")
        window = e.delivery_window
        if window and not any(window.allows(d) for d in problem.days):
            days = ",".join(WEEKDAY_NAMES[d] for d in window.weekdays)
            return leftover(
                REASON_HORIZON,
                f"at home only on {days}; none of them is among the planned days {span}. "
                "Plan more days.",
            )
        if not any(stop.boxes <= v.capacity for v in problem.van_days):
            return leftover(REASON_CAPACITY, f"{stop.boxes} boxes do not fit any van.")
        return leftover(
            REASON_TIME_WINDOWS,
            f"their window {_describe_window(e)} does not overlap the vans' working hours "
            "long enough for the delivery.",
        )
    # Could a van reach them alone, within their window, on one of their days?
    if not built.reachable[k]:
        return leftover(
            REASON_TIME_WINDOWS,
            f"their window {_describe_window(e)} cannot be reached from the depot within "
            "the vans' working day.",
        )
    # Reachable alone: they lost out to other stops. Was it boxes or hours?
    boxes_full = True
    for i in allowed:
        v = problem.van_days[i]
        run = next((r for r in runs if r.day == v.day and r.van == v.van), None)
        if run is None:
            boxes_full = False
            break
        trips_left = (problem.max_reloads + 1 if v.multi_trip else 1) - run.trips
        room = max(
            v.capacity - sum(s.boxes for s in run.trip_stops(t)) for t in range(1, run.trips + 1)
        )
        if room >= stop.boxes or trips_left > 0:
            boxes_full = False
            break
    if boxes_full:
        return leftover(
            REASON_CAPACITY,
            f"the vans are full on every day they are at home ({span}). "
            "Use more or bigger vans, allow reloading, or plan more days.",
        )
    window = e.delivery_window
    if window is not None and (
        seconds(window.start) > min(seconds(v.start) for v in problem.van_days)
        or seconds(window.end) < max(seconds(v.end) for v in problem.van_days)
    ):
        return leftover(
            REASON_TIME_WINDOWS,
            f"their window {_describe_window(e)} is taken by other stops on {span}. "
            "Plan more days or widen the window.",
        )
    return leftover(
        REASON_HORIZON,
        f"the vans' working days {span} are fully booked. Plan more days or use more vans.",
    )
