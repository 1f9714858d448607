"""What the driver keeps for the company-settings check: the tasks that would change, also
those whose result Ansible censors (no_log), from the events ansible-runner sends."""

from __future__ import annotations

from remoteops.provision.driver import _EventCollector


def event(kind: str, host: str, task: str, res: dict, stdout: str = "", role: str = "") -> dict:
    return {
        "event": kind,
        "stdout": stdout,
        "event_data": {"host": host, "task": task, "res": res, "role": role},
    }


def test_changed_tasks_are_listed_in_order_with_censored_ones():
    collect = _EventCollector(progress=None)
    for e in (
        event("runner_on_ok", "lab-01", "Gathering Facts", {"changed": False}, "ok: [lab-01]"),
        event("runner_on_ok", "lab-01", "Lock the screen after the idle time", {"changed": True}),
        event(
            "runner_on_ok",
            "lab-01",
            "Write the VPN configuration with the vaulted keys (root only, 0600)",
            {"censored": "the output has been hidden due to the fact that 'no_log: true'"},
            "\r\nchanged: [lab-01]",
        ),
        event(
            "runner_on_ok",
            "lab-01",
            "Write the admin's keys",
            {"censored": "the output has been hidden due to the fact that 'no_log: true'"},
            "ok: [lab-01]",
        ),
        event("runner_on_ok", "lab-02", "Lock the screen after the idle time", {"changed": False}),
        event(
            "runner_on_ok",
            "lab-01",
            "Report the findings",
            {"msg": {"diagnosis": {"version": 1}}},
            role="wks_diagnose",
        ),
    ):
        assert collect(e) is True
    one, two = collect.results({"lab-01": "E0001"})
    assert one.changed_tasks == (
        "Lock the screen after the idle time",
        "Write the VPN configuration with the vaulted keys (root only, 0600)",
    )
    assert one.status == "changed" and one.employee_id == "E0001"
    assert one.report == {"diagnosis": {"version": 1}}
    assert two.changed_tasks == () and two.status == "ok"
