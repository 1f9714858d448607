"""The CP-SAT model of the rota: the rules of :mod:`remoteops.rota.rules` as constraints.

The only module that talks to OR-Tools. Granularity: one Boolean per person, day, channel
and shift pattern where the pattern covers at least one hour the channel needs people (not
per minute); the filter rules (skills, absences, Sunday rest, breaks) remove options before
the variables exist. Coverage is soft: each missing person-hour costs
:attr:`~remoteops.rota.settings.Weights.coverage`, so a rota is always found and the gaps
are reported instead of failing. After solving, the rota is checked again by the same rules
on a :class:`~remoteops.rota.board.CheckBoard` (:func:`remoteops.rota.check.check_duties`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from remoteops.errors import RemoteOpsError
from remoteops.rota.board import Board, Option
from remoteops.rota.rules import RULES, apply_rules
from remoteops.rota.settings import Duty, RotaSettings
from remoteops.rota.warmstart import warm_start

#: Default time limit and workers (the machine has 2 cores).
DEFAULT_SECONDS = 20.0
DEFAULT_WORKERS = 2


@dataclass
class ModelBoard(Board):
    """The planned period's options as CP-SAT Booleans; the rules' statements as the
    model's constraints and objective."""

    model: object = None
    objective: list = field(default_factory=list)
    missing: list = field(default_factory=list)  # coverage: missing person-hours (weighted 1)

    def total(self, values, weights=None):
        from ortools.sat.python import cp_model

        values = list(values)
        weights = [1] * len(values) if weights is None else list(weights)
        constant, variables, coefficients = 0, [], []
        for value, weight in zip(values, weights, strict=True):
            if isinstance(value, int):
                constant += value * weight
            elif weight:
                variables.append(value)
                coefficients.append(weight)
        if not variables:
            return constant
        return cp_model.LinearExpr.weighted_sum(variables, coefficients) + constant

    def works(self, person, day):
        """One integer variable per person and day for the sum of its options, so the rules
        over weeks and Sundays stay short (a term a day, not an option a day)."""
        key = (person.employee_id, day)
        cache = self.__dict__.setdefault("_works", {})
        if key not in cache:
            value = super().works(person, day)
            if not isinstance(value, int):
                options = len(self.on(person, day))
                w = self.model.new_int_var(0, options, "")
                self.model.add(w == value)
                value = w
            cache[key] = value
        return cache[key]

    def forbid(self, option, message):
        if not option.kept:
            self.remove(option)

    def at_most(self, value, bound, message, *, person=None, day=None):
        if not isinstance(value, int):
            self.model.add(value <= int(bound))

    def any_of(self, values):
        values = list(values)
        if any(isinstance(v, int) and v for v in values):
            return 1
        variables = [v for v in values if not isinstance(v, int)]
        if not variables:
            return 0
        if len(variables) == 1:
            return variables[0]
        y = self.model.new_bool_var("")
        self.model.add_max_equality(y, variables)
        return y

    def cover(self, channel, day, hours, value):
        if isinstance(value, int):
            return
        covered = self._materialize(value, 10_000)
        per_need: dict[int, int] = {}
        for _hour, need in hours:
            per_need[need] = per_need.get(need, 0) + 1
        for need, count in per_need.items():
            missing = self.model.new_int_var(0, need, "")
            self.model.add(covered + missing >= need)
            self.missing.append(missing * count)
            surplus = self.model.new_int_var(0, 10_000, "")
            self.model.add(surplus >= covered - need)
            self.objective.append(surplus * (count * self.rules.weights.surplus))

    def _materialize(self, value, upper: int):
        """An integer variable equal to ``value`` (a long sum), used in several constraints."""
        if isinstance(value, int):
            return value
        var = self.model.new_int_var(0, upper, "")
        self.model.add(var == value)
        return var

    def penalty(self, value, weight):
        if not isinstance(value, int) and weight:
            self.objective.append(value * weight)

    def spread(self, values, weight):
        """The spread (max - min) and each value's excess over the mean, both weighted:
        the excesses give the search a slope where the spread alone is flat."""
        variables = [v for v in values if not isinstance(v, int)]
        if not variables or not weight:
            return
        n = len(values)
        values = [self._materialize(v, 1_000_000) for v in values]
        high = self.model.new_int_var(0, 1_000_000, "")
        low = self.model.new_int_var(0, 1_000_000, "")
        total = self.model.new_int_var(0, 100_000_000, "")
        self.model.add(total == sum(values))
        for value in values:
            self.model.add(high >= value)
            self.model.add(low <= value)
            excess = self.model.new_int_var(0, 1_000_000, "")
            self.model.add(n * excess >= n * value - total)
            self.objective.append(excess * weight)
        self.objective.append((high - low) * weight)


@dataclass(frozen=True)
class SolveStats:
    status: str  # optimal, feasible
    seconds: float  # wall time of the whole plan (model building included)
    solve_seconds: float
    objective: float
    bound: float
    workers: int
    time_limit: float
    seed: int
    variables: int

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def candidate_options(
    settings: RotaSettings, first: dt.date, last: dt.date, kept: Iterable[Duty]
) -> list[Option]:
    """Every person on every channel for every pattern of it on every day of the period
    where the pattern covers an hour the channel needs people; then the kept duties (fixed)."""
    options: list[Option] = []
    useful: dict[tuple[str, str, dt.date], bool] = {}
    days = [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]
    for channel in settings.channels:
        for shift_id in channel.shifts:
            shift = settings.shift(shift_id)
            for day in days:
                useful[channel.channel_id, shift_id, day] = shift is not None and any(
                    channel.need(day, h, settings.holidays) for h in shift.hours()
                )
    for person in settings.people:
        for day in days:
            for channel in settings.channels:
                for shift_id in channel.shifts:
                    if useful[channel.channel_id, shift_id, day]:
                        options.append(
                            Option(person, day, settings.shift(shift_id), channel, x=None)
                        )
    options.extend(kept_options(settings, kept))
    return options


def kept_options(settings: RotaSettings, duties: Iterable[Duty], *, kept: bool = True):
    """Duties as taken options (the constant 1). Duties of people or channels no longer in
    rota.yml are left out (they cannot break a rule of the rota as it is now)."""
    for duty in duties:
        person, channel = settings.person(duty.employee_id), settings.channel(duty.channel)
        if person is not None and channel is not None:
            yield Option(person, duty.day, duty.times, channel, x=1, kept=kept, duty=duty)


def plan_duties(
    settings: RotaSettings,
    first: dt.date,
    last: dt.date,
    *,
    kept: Sequence[Duty] = (),
    known_from: dt.date | None = None,
    seconds: float = DEFAULT_SECONDS,
    workers: int = DEFAULT_WORKERS,
    seed: int = 0,
) -> tuple[list[Duty], SolveStats]:
    """Solve the rota for ``first``..``last`` with ``kept`` duties (earlier plans, outside
    the period) fixed; returns the period's duties and how the solver did."""
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    model = cp_model.CpModel()
    board = ModelBoard(
        settings,
        candidate_options(settings, first, last, kept),
        (first, last),
        known_from or first,
        model=model,
    )
    filters = tuple(r for r in RULES if r.filter)
    apply_rules(board, filters)
    live = [o for o in board.options if not o.removed and not o.kept]
    for o in live:
        o.x = model.new_bool_var("")
    board.options = [o for o in board.options if not o.removed]
    board._index = None
    apply_rules(board, tuple(r for r in RULES if not r.filter))
    greedy = warm_start(settings, first, last, live, [o for o in board.options if o.kept])
    before_solve = time.perf_counter()
    # the time limit is for the whole plan: building the model took some of it
    left = max(1.0, seconds - (before_solve - started))
    outcome = _solve_in_two_steps(model, board, live, greedy, left, workers, seed)
    solve_seconds = time.perf_counter() - before_solve
    if outcome.taken is None:
        raise RemoteOpsError(
            "No rota could be planned: the duties kept from earlier plans already break a rule.",
            hint="Run 'remoteops rota check' to see which.",
        )
    duties = sorted(
        Duty(
            day=o.day,
            employee_id=o.person.employee_id,
            channel=o.channel.channel_id,
            start=o.shift.start,
            end=o.shift.end,
            break_minutes=o.shift.break_minutes,
            shift=o.shift.shift_id,
        )
        for o in live
        if id(o) in outcome.taken
    )
    stats = SolveStats(
        status=outcome.status,
        seconds=round(time.perf_counter() - started, 2),
        solve_seconds=round(solve_seconds, 2),
        objective=outcome.objective,
        bound=outcome.bound,
        workers=int(workers),
        time_limit=float(seconds),
        seed=int(seed),
        variables=len(live),
    )
    return duties, stats


@dataclass(frozen=True)
class _Outcome:
    taken: set[int] | None  # ids of the options taken; None: no rota at all (infeasible)
    status: str  # optimal, feasible, or "warm start" (the solver improved nothing in time)
    objective: float
    bound: float


def _solve_in_two_steps(
    model, board: ModelBoard, live: list[Option], greedy, seconds, workers, seed
):
    """First the most coverage (missing person-hours), then, with coverage held there, the
    soft rules; half the time for each (the first step hands its unused time to the
    second). Both start from the greedy rota (:mod:`remoteops.rota.warmstart`); the second
    from the first's rota only if that covers more. The first step is skipped when the
    greedy rota leaves nothing uncovered."""
    import os

    from ortools.sat.python import cp_model

    started = time.perf_counter()
    chosen, uncovered = greedy

    def solve(limit: float, *, fixed: bool = False, presolve: bool = True):
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.1, float(limit))
        solver.parameters.num_workers = int(workers)
        solver.parameters.random_seed = int(seed)
        solver.parameters.fix_variables_to_their_hinted_value = fixed
        # presolve (probing above all) takes most of the time on a month of 150 people on
        # 2 cores and finds little here; the last step starts from a complete rota instead
        solver.parameters.cp_model_probing_level = 0
        solver.parameters.cp_model_presolve = presolve
        solver.parameters.log_search_progress = bool(os.environ.get("REMOTEOPS_ROTA_LOG"))
        return solver, solver.solve(model)

    def hint(taken) -> bool | None:
        """Hint every variable: the options as ``taken`` says, the helper variables (gaps,
        spreads, "any of") as a solve with the options fixed gives them. False if the
        options break a constraint, None if that solve ran out of time (then only the
        options are hinted)."""
        model.clear_hints()
        for o in live:
            model.add_hint(o.x, taken(o))
        solver, status = solve(max(2.0, min(5.0, seconds / 4)), fixed=True)
        model.clear_hints()
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            for i in range(len(model.proto.variables)):
                var = model.get_int_var_from_proto_index(i)
                model.add_hint(var, solver.value(var))
            return True
        for o in live:
            model.add_hint(o.x, taken(o))
        return False if status == cp_model.INFEASIBLE else None

    missing = cp_model.LinearExpr.sum(board.missing) if board.missing else 0
    objective = list(board.objective) + [m * board.rules.weights.coverage for m in board.missing]
    best_known = chosen  # the rota to fall back on if the solver finds nothing in time
    if board.missing and uncovered:
        model.minimize(missing)
        if not hint(lambda o: id(o) in chosen):
            model.clear_hints()
        solver, status = solve(seconds / 2)
        if status == cp_model.INFEASIBLE:
            return _Outcome(None, "infeasible", 0.0, 0.0)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            best = int(round(solver.objective_value))
            if best < uncovered:
                best_known = {id(o) for o in live if solver.boolean_value(o.x)}
            model.add(missing <= min(best, uncovered))
        else:
            model.add(missing <= uncovered)
    elif board.missing:
        model.add(missing <= 0)
    model.minimize(cp_model.LinearExpr.sum(objective) if objective else 0)
    valid = hint(lambda o: id(o) in best_known)
    solver, status = solve(seconds - (time.perf_counter() - started), presolve=valid is not True)
    if status == cp_model.INFEASIBLE:
        return _Outcome(None, "infeasible", 0.0, 0.0)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if valid is False:
            raise RemoteOpsError(
                f"No rota was found within {seconds:g} s.",
                hint="Give the solver more time with --seconds.",
            )
        # out of time before the solver improved it: the warm start, which keeps the hard
        # rules by construction (and is checked against all of them like any rota)
        return _Outcome(best_known, "warm start", float("nan"), float("nan"))
    return _Outcome(
        {id(o) for o in live if solver.boolean_value(o.x)},
        "optimal" if status == cp_model.OPTIMAL else "feasible",
        solver.objective_value,
        solver.best_objective_bound,
    )
