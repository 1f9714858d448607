"""Readiness: who can work from home, and what holds the others back.

Joins what the other parts recorded (provisioning runs, diagnoses, agreements and their
signatures, deliveries) into one row per employee scheduled for home office: ready, blocked
or unknown, with the evidence of each stage and its time, and for every blocker its owner
(IT, HR, operations), the next step and the due date (the home-office start).

Example::

    from remoteops.readiness import readiness

    report = readiness(company, store, team="Outbound")
    print(report.counts, report.blocked_by_owner())
    for blocker in report.blockers("HR"):
        print(blocker.employee_id, blocker.action, blocker.due)
"""

from remoteops.readiness.model import (
    FUNNEL,
    OWNERS,
    STAGES,
    Blocker,
    Counts,
    DeliveryOutlook,
    EmployeeReadiness,
    ReadinessReport,
    Snapshot,
    StageResult,
)
from remoteops.readiness.report import readiness, take_snapshot

__all__ = [
    "FUNNEL",
    "OWNERS",
    "STAGES",
    "Blocker",
    "Counts",
    "DeliveryOutlook",
    "EmployeeReadiness",
    "ReadinessReport",
    "Snapshot",
    "StageResult",
    "readiness",
    "take_snapshot",
]
