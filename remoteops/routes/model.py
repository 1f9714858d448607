"""The delivery problem as the solver sees it, built in one place from domain objects.

The planning horizon is laid out as one timeline: working day number ``k`` of the horizon
runs from ``k * DAY`` to ``(k + 1) * DAY`` seconds, and each van-day is a vehicle whose
working hours lie on its own day of that timeline.  An employee is a group of alternative
*options*, of which the solver serves at most one: each option is a day, or a block of
consecutive working days, on which the employee may be delivered, with a time window on the
timeline.  Options cover exactly the days on which the employee is at home (weekdays and
hours), their equipment is ready (``available_from``), and a van with room for their boxes
runs.

The objective follows what operations want, in this order:

1. the fewest employee-days late: serving an employee is worth :attr:`Weights.late_day`
   for every working day of lateness it saves against leaving them for after the horizon
   (so someone due inside the horizon is worth the most when served on time, and someone
   due after it only the base prize), more than any van-day and its driving could cost, so
   the solver opens a van-day rather than make someone late; employees without a start
   date are worth the least (they come last);
2. the fewest van-days: each van-day costs more than a whole day of driving, a little more
   each later day, so among plans with as many van-days the earlier deliveries win;
3. the least driving: each edge costs its metres plus the driver's time.

Nothing outside :mod:`remoteops.routes` knows solver indices; :class:`SolverModel` maps the
solver's jobs back to options and stops and its fleets back to van-days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from remoteops.routes.problem import (
    DeliveryProblem,
    DeliveryStop,
    VanDay,
    next_working_day,
    working_days_late,
)
from remoteops.routes.solver import Fleet, Job, RoutingProblem
from remoteops.routes.travel import (
    DAY_SECONDS,
    TravelMatrix,
    TravelPoint,
    TravelSettings,
    build_travel_matrix,
)

#: One working day of the horizon on the solver's timeline.
DAY = DAY_SECONDS
#: Boxes are counted in thousandths inside the solver, so that overloading a van by one box
#: always costs more than any prize (PyVRP's penalties are per unit of excess load).
LOAD_SCALE = 1000
#: Options per employee whose hours are narrower than the vans' day (one option a day): at
#: most this many on-time days, spread over the span, and this many late days.
MAX_DAY_OPTIONS = 8
MAX_LATE_OPTIONS = 6


def seconds(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


@dataclass(frozen=True)
class Option:
    """Deliver stop ``stop`` on horizon day ``first`` .. ``last`` (indices into ``days``)."""

    stop: int
    first: int
    last: int
    late_days: int  # working days late when delivered on ``first`` (0: on time)


@dataclass(frozen=True)
class Weights:
    """The objective's weights, in units of one metre driven."""

    per_second: int  # the driver's time
    van_day: int  # one van on one day
    late_day: int  # one employee one working day late
    dated: int  # the prize of delivering someone with a start date, before lateness saved
    undated: int  # the prize of delivering someone without a start date


@dataclass(frozen=True)
class SolverModel:
    routing: RoutingProblem
    matrix: TravelMatrix
    options: tuple[Option, ...]  # solver job -> option
    windows: tuple[tuple[int, int], ...]  # per stop: service start window, seconds of day
    allowed: tuple[frozenset[int], ...]  # per stop: the van-days that may serve it
    reachable: tuple[frozenset[int], ...]  # of those, the ones a van can reach it from alone
    fleet_van_days: tuple[tuple[int, ...], ...]  # solver fleet -> its identical van-days
    fleet_day: tuple[int, ...]  # solver fleet -> index of its day in ``days``
    weights: Weights

    def stop_of_job(self, job: int) -> int:
        return self.options[job].stop

    def allowed_days(self, problem: DeliveryProblem) -> list[set[dt.date]]:
        """Per stop: the days on which a van may serve it (any van, due date aside)."""
        return [{problem.van_days[v].day for v in allowed} for allowed in self.allowed]


def stop_window(stop: DeliveryStop) -> tuple[int, int]:
    """When service may start, in seconds of the day (done before the employee leaves)."""
    window = stop.employee.delivery_window
    if window is None:
        return 0, DAY_SECONDS
    return seconds(window.start), seconds(window.end) - stop.service_minutes * 60


def allowed_van_days(stop: DeliveryStop, van_days: Sequence[VanDay]) -> frozenset[int]:
    """The van-days on which the employee is at home long enough during the van's hours,
    their equipment is ready and their boxes fit."""
    window = stop.employee.delivery_window
    service = stop.service_minutes * 60
    out = set()
    for k, v in enumerate(van_days):
        if stop.ready is not None and v.day < stop.ready:
            continue
        if window is None:
            overlap = seconds(v.end) - seconds(v.start)
        elif not window.allows(v.day):
            continue
        else:
            overlap = min(seconds(window.end), seconds(v.end)) - max(
                seconds(window.start), seconds(v.start)
            )
        if overlap >= service and stop.boxes <= v.capacity:
            out.add(k)
    return frozenset(out)


def _whole_day(stop: DeliveryStop, van_days: Sequence[VanDay]) -> bool:
    """True when the employee's hours do not cut into any van's day (only weekdays may)."""
    window = stop.employee.delivery_window
    if window is None or not van_days:
        return True
    return seconds(window.start) <= min(seconds(v.start) for v in van_days) and seconds(
        window.end
    ) >= max(seconds(v.end) for v in van_days)


def _blocks(indices: Sequence[int], whole_day: bool, most: int) -> list[tuple[int, int]]:
    """Consecutive day indices as blocks when any hour of a van's day will do; otherwise one
    option a day, at most ``most`` of them spread evenly (first and last included)."""
    if not indices:
        return []
    if whole_day:
        out: list[tuple[int, int]] = []
        for i in indices:
            if out and out[-1][1] == i - 1:
                out[-1] = (out[-1][0], i)
            else:
                out.append((i, i))
        return out
    if len(indices) > most:
        step = (len(indices) - 1) / (most - 1)
        indices = sorted({indices[round(n * step)] for n in range(most)})
    return [(i, i) for i in indices]


def stop_options(
    problem: DeliveryProblem, k: int, allowed: frozenset[int], *, late_too: bool
) -> list[Option]:
    """The options of stop ``k``: its on-time days; its late days as well when ``late_too``
    or when no on-time day is possible at all."""
    stop = problem.stops[k]
    index = {d: i for i, d in enumerate(problem.days)}
    day_indices = sorted({index[problem.van_days[v].day] for v in allowed})
    due = stop.due
    on_time = [i for i in day_indices if due is None or problem.days[i] <= due]
    late = [i for i in day_indices if due is not None and problem.days[i] > due]
    whole = _whole_day(stop, problem.van_days)
    options = [Option(k, a, b, 0) for a, b in _blocks(on_time, whole, MAX_DAY_OPTIONS)]
    if late and (late_too or not on_time):
        first, rest = late[:MAX_LATE_OPTIONS], late[MAX_LATE_OPTIONS:]
        blocks = [(i, i) for i in first] + _blocks(rest, whole, MAX_LATE_OPTIONS)
        for a, b in blocks:
            late_days = working_days_late(due, problem.days[a], problem.holidays)
            options.append(Option(k, a, b, late_days))
    return options


def build_model(
    problem: DeliveryProblem,
    travel: TravelSettings,
    matrix: TravelMatrix | None = None,
    *,
    late_for: frozenset[int] = frozenset(),
) -> SolverModel:
    """The solver's problem.  ``late_for``: stops that are offered their late days as well
    (everyone else only their on-time days, unless they have none)."""
    points = [TravelPoint(problem.depot.site_id, problem.depot.location)] + [
        TravelPoint(s.employee.employee_id, s.employee.location) for s in problem.stops
    ]
    if matrix is None:
        day_start = min((v.start for v in problem.van_days), default=dt.time(8, 0))
        day_end = max((v.end for v in problem.van_days), default=dt.time(18, 0))
        matrix = build_travel_matrix(travel, points, day_start=day_start, day_end=day_end)
    windows = tuple(stop_window(s) for s in problem.stops)
    allowed = tuple(allowed_van_days(s, problem.van_days) for s in problem.stops)
    # Location 0 is the depot, then every stop (options of one stop share its location).
    order = [matrix.index(problem.depot.site_id)] + [
        matrix.index(s.employee.employee_id) for s in problem.stops
    ]
    duration = [[matrix.duration_s[i][j] for j in order] for i in order]
    # Costs in units of one metre driven.  Each edge costs its kilometres plus the driver's
    # time on it; folding the time into the edge (instead of PyVRP's per-route duration cost)
    # keeps the search several times faster and still minimises driving time.
    per_m_eur = max(problem.cost_per_km, 0.01) / 1000
    per_s = round(problem.cost_per_hour / 3600 / per_m_eur)
    edge_cost = [
        [matrix.distance_m[i][j] + per_s * matrix.duration_s[i][j] for j in order] for i in order
    ]
    loading = problem.loading_minutes * 60
    # Identical vans on the same day form one fleet (fewer vehicle types search faster).
    groups: dict[tuple, list[int]] = {}
    for i, v in enumerate(problem.van_days):
        key = (v.day, v.capacity, v.start, v.end, v.multi_trip, v.break_minutes)
        groups.setdefault(key, []).append(i)
    fleet_van_days = tuple(tuple(g) for g in groups.values())
    day_index = {d: i for i, d in enumerate(problem.days)}
    fleet_day = tuple(day_index[problem.van_days[g[0]].day] for g in fleet_van_days)
    longest = max((seconds(v.end) - seconds(v.start) for v in problem.van_days), default=8 * 3600)
    solo = max(
        (
            edge_cost[0][n] + edge_cost[n][0] + per_s * (loading + s.service_minutes * 60)
            for n, s in enumerate(problem.stops, start=1)
        ),
        default=0,
    )
    # A van-day outweighs a whole day of driving at about 40 km/h (11 m/s), and its rent.
    van_day = max(round(problem.cost_per_van_day / per_m_eur), (per_s + 11) * longest)
    late_day = 2 * van_day + solo
    undated = 2 * (van_day + solo) + 1
    weights = Weights(
        per_second=per_s,
        van_day=van_day,
        late_day=late_day,
        dated=undated + late_day,
        undated=undated,
    )
    after = next_working_day(problem.days[-1], problem.holidays) if problem.days else None
    fleets = []
    for members, day in zip(fleet_van_days, fleet_day, strict=True):
        v = problem.van_days[members[0]]
        fleets.append(
            Fleet(
                count=len(members),
                capacity=v.capacity * LOAD_SCALE,
                early=day * DAY + seconds(v.start),
                late=day * DAY + seconds(v.end),
                shift=seconds(v.end) - seconds(v.start) - 60 * v.break_minutes,
                max_reloads=problem.max_reloads if v.multi_trip else 0,
                fixed_cost=van_day + (van_day // 200) * day,
                distance_cost=1,
                duration_cost=0,
            )
        )
    # Offer only the van-days from which a van could reach the employee alone in time.
    depot = matrix.index(problem.depot.site_id)
    reachable = []
    for k, stop in enumerate(problem.stops):
        me = matrix.index(stop.employee.employee_id)
        early, late = windows[k]
        ok = set()
        for i in allowed[k]:
            v = problem.van_days[i]
            arrive = max(seconds(v.start) + loading + matrix.duration_s[depot][me], early)
            back = arrive + stop.service_minutes * 60 + matrix.duration_s[me][depot]
            if arrive <= late and back <= seconds(v.end):
                ok.add(i)
        reachable.append(frozenset(ok))
    options: list[Option] = []
    jobs: list[Job] = []
    for k, stop in enumerate(problem.stops):
        early, late = windows[k]
        # Working days late if left for after the horizon (at least).
        left_late = (
            working_days_late(stop.due, after, problem.holidays) if stop.due and after else 0
        )
        for option in stop_options(problem, k, reachable[k], late_too=k in late_for):
            if stop.due is None or after is None:
                prize = weights.undated
            else:
                saved = left_late - option.late_days
                prize = weights.dated + weights.late_day * saved
            options.append(option)
            jobs.append(
                Job(
                    location=k + 1,
                    demand=stop.boxes * LOAD_SCALE,
                    service=stop.service_minutes * 60,
                    early=option.first * DAY + early,
                    late=option.last * DAY + late,
                    required=False,
                    prize=prize,
                    group=k,
                )
            )
    routing = RoutingProblem(
        distance=edge_cost,
        duration=duration,
        jobs=tuple(jobs),
        fleets=tuple(fleets),
        depot_service=loading,
        coords=[
            (p.location.longitude, p.location.latitude)
            for p in ([problem.depot] + [s.employee for s in problem.stops])
        ],
    )
    return SolverModel(
        routing,
        matrix,
        tuple(options),
        windows,
        allowed,
        tuple(reachable),
        fleet_van_days,
        fleet_day,
        weights,
    )
