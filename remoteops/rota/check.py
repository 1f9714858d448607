"""Checking a rota against every rule: the planner's own result, the stored rota after a
swap, or a rota made elsewhere (an imported CSV).

:func:`check_duties` puts the duties on a :class:`~remoteops.rota.board.CheckBoard` and
applies the same rule list the planner uses (:data:`remoteops.rota.rules.RULES`); each
broken hard rule is a :class:`~remoteops.rota.board.Violation` naming the rule and the law,
missing people are :class:`~remoteops.rota.board.Gap` s, and the fairness table counts the
late, weekend and on-call duties of everyone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from remoteops.rota.board import CheckBoard, Gap, Violation
from remoteops.rota.model import kept_options
from remoteops.rota.rules import apply_rules, duty_kinds, fair_candidates
from remoteops.rota.settings import Duty, RotaSettings


@dataclass(frozen=True)
class CheckResult:
    first: dt.date
    last: dt.date
    duties: tuple[Duty, ...]  # of the period
    violations: tuple[Violation, ...]
    gaps: tuple[Gap, ...]
    coverage: dict[str, float]  # channel -> percent of person-hours needed that are covered
    penalties: dict[str, int]  # soft rule -> weighted penalty
    fairness: tuple[dict, ...]  # one row per person
    spreads: dict[str, int]  # duty kind -> max - min among those who could take it

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def overall_coverage(self) -> float:
        return min(self.coverage.values(), default=100.0)

    def summary(self) -> dict:
        """Coverage, gaps, violations and fairness spreads, for JSON."""
        return {
            "coverage": self.coverage_rows(),
            "gaps": [g.as_row() for g in self.gaps],
            "violations": [v.as_row() for v in self.violations],
            "spreads": self.spreads,
        }

    def coverage_rows(self) -> list[dict]:
        rows = []
        for channel, percent in self.coverage.items():
            gaps = [g for g in self.gaps if g.channel == channel]
            rows.append(
                {
                    "channel": channel,
                    "coverage_percent": round(percent, 1),
                    "gaps": len(gaps),
                    "missing_person_hours": sum(
                        g.missing * (g.end_hour - g.start_hour) for g in gaps
                    ),
                }
            )
        return rows


def check_duties(
    settings: RotaSettings,
    duties: Sequence[Duty],
    first: dt.date,
    last: dt.date,
    *,
    kept: Sequence[Duty] = (),
    known_from: dt.date | None = None,
) -> CheckResult:
    """Check ``duties`` (the period ``first``..``last``) with ``kept`` duties around them
    against every rule."""
    options = list(kept_options(settings, duties, kept=False))
    options += kept_options(settings, kept)
    board = CheckBoard(settings, options, (first, last), known_from or first)
    apply_rules(board)
    period = tuple(sorted(d for d in duties if first <= d.day <= last))
    fairness, spreads = fairness_table(settings, period, first, last)
    return CheckResult(
        first=first,
        last=last,
        duties=period,
        violations=tuple(board.violations),
        gaps=tuple(board.gaps()),
        coverage=board.coverage_percent(),
        penalties=dict(board.penalties),
        fairness=tuple(fairness),
        spreads=spreads,
    )


def fairness_table(
    settings: RotaSettings, duties: Sequence[Duty], first: dt.date, last: dt.date
) -> tuple[list[dict], dict[str, int]]:
    """Per person: duties, hours, late, weekend and on-call duties, and the roles taken;
    per duty kind the spread (max - min) among the people who could take such duties."""
    counts = {
        p.employee_id: {
            "employee_id": p.employee_id,
            "name": p.name,
            "duties": 0,
            "hours": 0.0,
            "late": 0,
            "weekend": 0,
            "on_call": 0,
            "roles": set(),
        }
        for p in settings.people
    }
    for option in kept_options(settings, duties, kept=False):
        row = counts[option.person.employee_id]
        row["duties"] += 1
        row["hours"] += option.shift.work_minutes / 60
        row["roles"].add(option.channel.channel_id)
        for kind, yes in duty_kinds(option, settings).items():
            row[kind] += int(yes)
    rows = []
    for row in counts.values():
        rows.append({**row, "hours": round(row["hours"], 2), "roles": sorted(row["roles"])})
    spreads = {}
    for kind, people in fair_candidates(settings, first, last).items():
        values = [counts[p.employee_id][kind] for p in people]
        spreads[kind] = max(values) - min(values) if values else 0
    return rows, spreads
