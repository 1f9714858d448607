"""What a diagnosis found, in the users' words: per workstation, per policy pass / fail /
error with the detail (never blank) and, for an error, the reason it could not be checked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from remoteops.support.policies import STATUSES, Limits, policy


@dataclass(frozen=True)
class Verdict:
    """A policy's answer for one workstation, before it is stored.

    ``detail`` says what was found (for support, never empty); ``error`` why the policy
    could not be checked (only with status ``error``); ``repair`` overrides the policy's
    suggested repair when the finding calls for another one; ``facts`` are the measured
    values it was judged on (kept with the result, e.g. the pending updates).
    """

    status: str
    detail: str
    error: str | None = None
    repair: str | None = None
    facts: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")
        if not self.detail.strip():
            raise ValueError("a verdict needs a detail")
        if self.status == "error" and not (self.error or "").strip():
            raise ValueError("an error verdict needs its error text")


def passed(detail: str, **facts) -> Verdict:
    return Verdict("pass", detail, facts=facts)


def failed(detail: str, *, repair: str | None = None, **facts) -> Verdict:
    return Verdict("fail", detail, repair=repair, facts=facts)


def unknown(error: str, detail: str = "could not be checked", **facts) -> Verdict:
    """Status ``error``: the check could not answer; ``error`` says why."""
    return Verdict("error", detail, error=error or "no reason given", facts=facts)


@dataclass(frozen=True)
class PolicyResult:
    """One policy's stored result for one workstation."""

    policy: str
    status: str
    detail: str
    at: dt.datetime
    error: str | None = None
    repair: str | None = None
    facts: dict = field(default_factory=dict)

    @classmethod
    def of(cls, policy_id: str, verdict: Verdict, at: dt.datetime) -> PolicyResult:
        return cls(
            policy=policy_id,
            status=verdict.status,
            detail=verdict.detail,
            at=at,
            error=verdict.error,
            repair=(verdict.repair or policy(policy_id).repair)
            if verdict.status == "fail"
            else None,
            facts=dict(verdict.facts),
        )

    @property
    def title(self) -> str:
        return policy(self.policy).title

    @property
    def severity(self) -> str:
        return policy(self.policy).severity

    def as_row(self) -> dict[str, object]:
        return {
            "policy": self.policy,
            "title": self.title,
            "severity": self.severity,
            "status": self.status,
            "detail": self.detail,
            "error": self.error,
            "repair": self.repair,
            "at": self.at.isoformat(timespec="seconds"),
            "facts": self.facts,
        }


@dataclass(frozen=True)
class Diagnosis:
    """One diagnosis of one workstation: reached or not, and every policy's result."""

    host: str
    employee_id: str | None
    at: dt.datetime
    actor: str
    reachable: bool
    results: tuple[PolicyResult, ...]
    error: str | None = None  # why it was not reached / not diagnosed
    id: int | None = None  # set once stored
    fleet_run: int | None = None
    run_id: str | None = None
    seconds: float = 0.0
    limits: Limits = Limits()

    def result(self, policy_id: str) -> PolicyResult | None:
        return next((r for r in self.results if r.policy == policy_id), None)

    @property
    def failing(self) -> tuple[PolicyResult, ...]:
        return tuple(r for r in self.results if r.status == "fail")

    @property
    def errors(self) -> tuple[PolicyResult, ...]:
        return tuple(r for r in self.results if r.status == "error")

    def summary(self) -> str:
        """One line for people: 'unreachable', 'all 15 checks passed', '2 failing: ...'."""
        if not self.reachable:
            return f"unreachable ({self.error})" if self.error else "unreachable"
        if self.failing:
            names = ", ".join(r.title for r in self.failing)
            text = f"{len(self.failing)} failing: {names}"
        else:
            text = f"no failing check of {len(self.results)}"
        if self.errors:
            text += f"; {len(self.errors)} could not be checked"
        return text

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "host": self.host,
            "employee_id": self.employee_id,
            "at": self.at.isoformat(timespec="seconds"),
            "actor": self.actor,
            "reachable": self.reachable,
            "error": self.error,
            "seconds": round(self.seconds, 1),
            "failing": [r.policy for r in self.failing],
            "results": [r.as_row() for r in self.results],
        }
