"""What would change the plan: side-by-side variants and a computed fix for late deliveries.

``routes plan --what-if vans=2 --what-if days=10`` plans the same employees again with one
setting changed, without storing anything, and compares the figures operations decide on:
late employees, employee-days late, van-days, rental days, km, driving hours and cost.

When a plan leaves employees late for lack of vans, :func:`suggest_fix` tries the fixes an
operations person would try, in order, and only reports one that it has planned and seen
bring everyone on time: another van on the days before the late ones' due dates (two if one
is not enough), or an earlier first delivery day for those whose due date lies before the
plan's first day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from remoteops.errors import UsageError
from remoteops.models import Company
from remoteops.routes.planning import DeliveryPlan, delivery_problem, plan_deliveries, solve_options
from remoteops.routes.problem import DeliveryProblem, is_working_day

#: The settings ``--what-if`` may change, with what each means.
WHAT_IF_KEYS = {
    "vans": "vans per day",
    "days": "working days planned",
    "from": "first delivery day (YYYY-MM-DD)",
    "capacity": "boxes per van load",
    "lead_days": "working days the equipment must arrive before the start",
    "rental": "per-day or contiguous",
}


@dataclass(frozen=True)
class Variant:
    label: str  # as the user wrote it, e.g. "vans=2"
    changes: dict


def parse_what_if(text: str) -> Variant:
    """``KEY=VALUE[,KEY=VALUE]`` as given to ``--what-if``."""
    changes: dict = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        key, value = key.strip().replace("-", "_"), value.strip()
        if not sep or key not in WHAT_IF_KEYS or not value:
            known = ", ".join(f"{k} ({v})" for k, v in WHAT_IF_KEYS.items())
            raise UsageError(
                f"--what-if {text!r}: write KEY=VALUE with one of: {known}.",
                hint="For example --what-if vans=2 or --what-if days=10,vans=3.",
            )
        try:
            if key == "from":
                changes[key] = dt.date.fromisoformat(value)
            elif key == "rental":
                if value not in ("per-day", "contiguous"):
                    raise ValueError(value)
                changes[key] = value
            else:
                changes[key] = int(value)
                if changes[key] < (0 if key == "lead_days" else 1):
                    raise ValueError(value)
        except ValueError:
            raise UsageError(
                f"--what-if {text!r}: {value!r} is not a valid value for {key} "
                f"({WHAT_IF_KEYS[key]})."
            ) from None
    return Variant(text, changes)


def with_settings(company: Company, changes: dict) -> Company:
    """``company`` with the delivery settings a variant changes."""
    delivery = company.delivery
    for key in ("lead_days", "rental"):
        if key in changes:
            delivery = dataclasses.replace(delivery, **{key: changes[key]})
    return dataclasses.replace(company, delivery=delivery)


def plan_variant(
    company: Company,
    start: dt.date,
    days: int,
    changes: dict,
    *,
    base: dict,
    employee_ids,
    travel,
    options,
    busy=frozenset(),
) -> DeliveryPlan:
    """Plan the same employees with ``changes`` over the ``base`` settings (vans, capacity,
    extra_vans), without the van-days in ``busy`` (taken by loaded runs); nothing is
    stored."""
    settings = {**base, **{k: v for k, v in changes.items() if k in ("vans", "capacity")}}
    problem = delivery_problem(
        with_settings(company, changes),
        changes.get("from", start),
        changes.get("days", days),
        employee_ids=employee_ids,
        **settings,
    )
    if busy:
        free = tuple(v for v in problem.van_days if (v.day, v.van) not in busy)
        problem = dataclasses.replace(problem, van_days=free)
    return plan_deliveries(problem, travel, options)


def comparison_rows(plans: list[tuple[str, DeliveryPlan]]) -> list[dict]:
    """One row per variant with the figures operations decide on."""
    rows = []
    for label, plan in plans:
        t = plan.totals()
        rows.append(
            {
                "variant": label,
                "late": t["late"],
                "employee_days_late": t["employee_days_late"],
                "left_over": t["left_over"],
                "van_days": t["van_days"],
                "rental_days": t["rental_days"],
                "km": t["km"],
                "driving_hours": t["driving_hours"],
                "cost_eur": t["cost_eur"],
            }
        )
    return rows


@dataclass(frozen=True)
class Fix:
    """A change that, planned, brings every avoidably late employee on time."""

    text: str  # in the users' words, e.g. "a second van on 2026-12-03 and 2026-12-04"
    plan: DeliveryPlan  # the plan with the change


def _days(days: list[dt.date]) -> str:
    text = [d.isoformat() for d in days]
    return text[0] if len(text) == 1 else ", ".join(text[:-1]) + " and " + text[-1]


def suggest_fix(
    problem: DeliveryProblem, plan: DeliveryPlan, *, travel=None, options=None
) -> Fix | None:
    """A computed fix for the plan's late employees, or None when nobody is late or no fix
    tried brings them all on time.  ``problem`` is the one ``plan`` was made from."""
    options = options or solve_options()
    late = plan.late
    if not late and not any(x.reason == "capacity" for x in plan.left_over):
        return None
    avoidable = [s for _, s in late if not s.unavoidable]
    unavoidable = [s for _, s in late if s.unavoidable]
    if avoidable:
        last_due = max(s.due for s in avoidable if s.due)
        days = [d for d in problem.days if d <= last_due]
        vans = list(dict.fromkeys(v.van for v in problem.van_days))
        template = problem.van_days[-1]
        for extra in (1, 2):
            added = tuple(
                dataclasses.replace(template, van=f"extra van {n + 1}", day=d)
                for d in days
                for n in range(extra)
            )
            trial = dataclasses.replace(problem, van_days=problem.van_days + added)
            tried = plan_deliveries(trial, travel, options)
            if not [s for _, s in tried.late if not s.unavoidable]:
                used = sorted({r.day for r in tried.runs if r.van not in vans})
                if not used:  # the same plan found another way; nothing to add
                    return Fix("planning again with more time", tried)
                noun = "a second van" if len(vans) == 1 and extra == 1 else f"{extra} more van(s)"
                return Fix(f"{noun} on {_days(used)} brings everyone on time", tried)
    if unavoidable:
        before = sorted({s.due for s in unavoidable if s.due and s.due < problem.days[0]})
        if before:
            earlier = []
            day = before[0]
            while day < problem.days[0]:
                if is_working_day(day, problem.holidays):
                    earlier.append(day)
                day += dt.timedelta(days=1)
            first_vans = [v for v in problem.van_days if v.day == problem.days[0]]
            added = tuple(dataclasses.replace(v, day=d) for d in earlier for v in first_vans)
            trial = dataclasses.replace(
                problem,
                van_days=added + problem.van_days,
                days=tuple(earlier) + problem.days,
                first_day=earlier[0] if earlier else problem.first_day,
            )
            if earlier:
                tried = plan_deliveries(trial, travel, options)
                still = {s.employee_id for _, s in tried.late}
                fixed = {s.employee_id for s in unavoidable} - still
                if fixed:
                    return Fix(
                        f"starting the deliveries on {earlier[0].isoformat()} brings "
                        f"{len(fixed)} of the {len(unavoidable)} unavoidably late on time",
                        tried,
                    )
    return None
