"""The support desk: diagnose home workstations against named policies, keep the results
over time, watch the fleet, and tell the employee in their language what happens next.

Example::

    from remoteops.support import diagnose, fleet, history

    report = diagnose(company, store, Path("inventory"), "E0042")
    print(report.diagnosis.summary())
    print(report.message)  # for the employee, in their language

ansible-runner is imported only when a diagnosis runs, so importing this package is cheap.
"""

from remoteops.support.diagnosis import DiagnoseOptions, DiagnosisReport, diagnose, run_diagnoses
from remoteops.support.fleet import FleetReport, fleet
from remoteops.support.history import HostHistory, history, latest_of_employee
from remoteops.support.policies import POLICIES, REPAIR_ACTIONS, Limits, Policy, policy
from remoteops.support.results import Diagnosis, PolicyResult

__all__ = [
    "POLICIES",
    "REPAIR_ACTIONS",
    "DiagnoseOptions",
    "Diagnosis",
    "DiagnosisReport",
    "FleetReport",
    "HostHistory",
    "Limits",
    "Policy",
    "PolicyResult",
    "diagnose",
    "fleet",
    "history",
    "latest_of_employee",
    "policy",
    "run_diagnoses",
]
