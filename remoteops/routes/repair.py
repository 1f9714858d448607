"""Swaps that bring late employees on time, checked by driving the changed runs again.

The solver weighs lateness above everything else, but its moves shift one employee at a
time: when every van-day before someone's due date is full, making room means moving another
employee, who can wait, to a later day in the same step.  :func:`repair_late` makes exactly
those swaps: a late employee takes the place of someone on an earlier run whose own due date
still allows the late run's day, and both runs are driven again with the travel model
(windows, working day, boxes per trip) before the swap is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from remoteops.routes.model import SolverModel, seconds
from remoteops.routes.problem import DeliveryProblem
from remoteops.routes.travel import simulate_run

#: Upper bound on swap attempts (each drives two runs), so the repair stays fast.
MAX_TRIES = 20_000


@dataclass(frozen=True)
class Draft:
    """A run before it is put in the users' words: a van-day, its trips as stop indices, and
    when loading starts (seconds of the day)."""

    van_day: int
    trips: tuple[tuple[int, ...], ...]
    load_start: float

    def legs(self, problem: DeliveryProblem, model: SolverModel):
        return [
            [
                (
                    problem.stops[k].employee.employee_id,
                    model.windows[k][0],
                    problem.stops[k].service_minutes * 60,
                )
                for k in trip
            ]
            for trip in self.trips
        ]

    def insertions(self, k: int, problem: DeliveryProblem, model: SolverModel):
        """``self`` with stop ``k`` added at each place: in each trip, or as a trip of its own
        when the van may reload."""
        for n, trip in enumerate(self.trips):
            for pos in range(len(trip) + 1):
                trips = list(self.trips)
                trips[n] = trip[:pos] + (k,) + trip[pos:]
                yield Draft(self.van_day, tuple(trips), self.load_start)
        van = problem.van_days[self.van_day]
        if van.multi_trip and len(self.trips) <= problem.max_reloads:
            yield Draft(self.van_day, (*self.trips, (k,)), self.load_start)

    def replaced(self, old: int, new: int) -> Draft:
        trips = tuple(tuple(new if k == old else k for k in trip) for trip in self.trips)
        return Draft(self.van_day, trips, self.load_start)


def drive(problem: DeliveryProblem, model: SolverModel, draft: Draft):
    """``draft`` driven with the travel model (a :class:`~remoteops.routes.travel.SimulatedRun`)."""
    loading = problem.loading_minutes * 60
    return simulate_run(
        model.matrix,
        problem.depot.site_id,
        draft.load_start + loading,
        draft.legs(problem, model),
        loading,
    )


def feasible(problem: DeliveryProblem, model: SolverModel, draft: Draft) -> bool:
    """Whether the van can drive ``draft``: every stop allowed that day, boxes per trip, each
    service inside the employee's window, back at the depot by the end of the day and
    within the working time left after the driver's break."""
    van = problem.van_days[draft.van_day]
    for trip in draft.trips:
        if sum(problem.stops[k].boxes for k in trip) > van.capacity:
            return False
        if any(draft.van_day not in model.reachable[k] for k in trip):
            return False
    sim = drive(problem, model, draft)
    late_by = {
        problem.stops[k].employee.employee_id: model.windows[k][1]
        for trip in draft.trips
        for k in trip
    }
    if any(leg.start > late_by[leg.key] for trip in sim.trips for leg in trip):
        return False
    working = seconds(van.end) - seconds(van.start) - 60 * van.break_minutes
    return sim.back <= seconds(van.end) and sim.back - draft.load_start <= working


def make_feasible(problem: DeliveryProblem, model: SolverModel, draft: Draft) -> Draft:
    """``draft`` with stops taken off until the van can drive it: the last stop of the first
    trip that is too heavy, or the first stop whose window is missed or that is not allowed
    that day, or the last stop while the run ends too late.  The stops taken off wait for
    :func:`repair_late`'s insertion or are left over."""
    while draft.trips and not feasible(problem, model, draft):
        van = problem.van_days[draft.van_day]
        trips = [list(t) for t in draft.trips]
        drop = None
        for trip in trips:
            if sum(problem.stops[k].boxes for k in trip) > van.capacity:
                drop = trip[-1]
                break
            bad = [k for k in trip if draft.van_day not in model.reachable[k]]
            if bad:
                drop = bad[0]
                break
        if drop is None:
            drop = _first_missed(problem, model, draft)
        if drop is None:
            drop = trips[-1][-1]
        trips = [[k for k in t if k != drop] for t in trips]
        draft = Draft(draft.van_day, tuple(tuple(t) for t in trips if t), draft.load_start)
    return draft


def _first_missed(problem: DeliveryProblem, model: SolverModel, draft: Draft) -> int | None:
    """The first stop of ``draft`` whose window the van misses, if any."""
    sim = drive(problem, model, draft)
    index = {problem.stops[k].employee.employee_id: k for t in draft.trips for k in t}
    for trip in sim.trips:
        for leg in trip:
            k = index[leg.key]
            if leg.start > model.windows[k][1]:
                return k
    return None


def fill(
    problem: DeliveryProblem, model: SolverModel, drafts: Sequence[Draft], budget: list[int]
) -> list[Draft]:
    """Employees not planned, most urgent first, each on the earliest day with room: on a
    run of that day at the place that adds the least driving, or on a van that does not
    run that day yet.  Whoever fits nowhere stays left over."""
    drafts = list(drafts)
    planned = {k for d in drafts for trip in d.trips for k in trip}
    free = sorted(set(range(len(problem.van_days))) - {d.van_day for d in drafts})
    driven = [drive(problem, model, d) for d in drafts]

    def due_key(k: int):
        return (problem.stops[k].due is None, problem.stops[k].due or problem.days[0], k)

    waiting = sorted(
        (k for k in range(len(problem.stops)) if k not in planned and model.reachable[k]),
        key=due_key,
    )
    for k in waiting:
        stop = problem.stops[k]
        for day in sorted({problem.van_days[v].day for v in model.reachable[k]}):
            if budget[0] <= 0:
                return drafts
            best = None
            for j, d in enumerate(drafts):
                van = problem.van_days[d.van_day]
                if van.day != day or d.van_day not in model.reachable[k]:
                    continue
                if driven[j].back + stop.service_minutes * 60 > seconds(van.end):
                    continue  # no time left on this run
                for option in d.insertions(k, problem, model):
                    budget[0] -= 1
                    if feasible(problem, model, option):
                        added = drive(problem, model, option).driving - driven[j].driving
                        if best is None or added < best[0]:
                            best = (added, j, option)
            if best is not None:
                _, j, option = best
                drafts[j], driven[j] = option, drive(problem, model, option)
                break
            new_van = next(
                (v for v in free if problem.van_days[v].day == day and v in model.reachable[k]),
                None,
            )
            if new_van is not None:
                van = problem.van_days[new_van]
                option = Draft(new_van, ((k,),), float(seconds(van.start)))
                budget[0] -= 1
                if feasible(problem, model, option):
                    free.remove(new_van)
                    drafts.append(option)
                    driven.append(drive(problem, model, option))
                    break
    return drafts


def repair_late(
    problem: DeliveryProblem, model: SolverModel, drafts: Sequence[Draft], depth: int = 3
) -> list[Draft]:
    """``drafts`` with employees not planned put where there is room (:func:`fill`) or in the
    place of someone who can wait more (no start date; or due after the horizon, for
    someone due inside it), then late
    employees moved onto earlier runs in exchange for others who can wait: a swap, or a
    chain of up to ``depth`` runs (the late employee takes a place on an
    earlier run, whose employee takes a place on a later run, and so on, the last one taking
    the late employee's place), each run driven again before the exchange is kept."""
    budget = [MAX_TRIES]

    def due(k: int):
        return problem.stops[k].due

    def fits(k: int, i: int) -> bool:
        """Stop ``k`` on run ``i`` is possible and not late."""
        d = due(k)
        return drafts[i].van_day in model.reachable[k] and (d is None or day_of[i] <= d)

    def chain(
        k: int, home: int, leaving: int, level: int, used: set[int]
    ) -> dict[int, Draft] | None:
        """Place ``k`` on another run, ejecting someone who goes on along the chain; the last
        one ejected takes the place of ``leaving`` (the late employee) on run ``home``."""
        for j in range(len(drafts)):
            if j in used or not fits(k, j):
                continue
            for t in {t for trip in drafts[j].trips for t in trip}:
                if budget[0] <= 0:
                    return None
                budget[0] -= 1
                into_j = drafts[j].replaced(t, k)
                if not feasible(problem, model, into_j):
                    continue
                if fits(t, home):
                    back = drafts[home].replaced(leaving, t)
                    if feasible(problem, model, back):
                        return {j: into_j, home: back}
                if level > 1:
                    rest = chain(t, home, leaving, level - 1, used | {j})
                    if rest is not None and j not in rest:
                        rest[j] = into_j
                        return rest
        return None

    drafts = fill(problem, model, drafts, budget)
    day_of = [problem.van_days[d.van_day].day for d in drafts]

    # Someone due inside the horizon but not planned takes the place of someone who can wait
    # (no start date, or due after the horizon).
    horizon_end = problem.days[-1] if problem.days else None
    planned = {k for d in drafts for trip in d.trips for k in trip}
    waiting = sorted(
        (
            k
            for k, stop in enumerate(problem.stops)
            if k not in planned and stop.due is not None and model.reachable[k]
        ),
        key=lambda k: (due(k), k),
    )
    for k in waiting:
        urgent = horizon_end is not None and due(k) <= horizon_end
        done = False
        for j in range(len(drafts)):
            if done or not fits(k, j):
                continue
            for t in {t for trip in drafts[j].trips for t in trip}:
                if due(t) is not None and (not urgent or due(t) <= horizon_end):
                    continue  # only someone without a start date, or due after the horizon
                budget[0] -= 1
                into_j = drafts[j].replaced(t, k)
                if budget[0] > 0 and feasible(problem, model, into_j):
                    drafts[j], done = into_j, True
                    break

    improved = True
    while improved and budget[0] > 0:
        improved = False
        late = [
            (i, k)
            for i, d in enumerate(drafts)
            for trip in d.trips
            for k in trip
            if due(k) is not None and day_of[i] > due(k) and model.reachable[k]
        ]
        late.sort(key=lambda ik: (due(ik[1]), ik[1]))
        for i, k in late:
            changes = chain(k, i, k, depth, {i})
            if changes:
                for j, draft in changes.items():
                    drafts[j] = draft
                improved = True
                break
    return drafts
