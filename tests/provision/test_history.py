"""Runs in the state store: record, list, show, retry (real SQLite, the lead's StateStore)."""

from __future__ import annotations

import datetime as dt

import pytest

from remoteops.errors import NotFoundError, UsageError
from remoteops.provision import (
    HostResult,
    ProvisionRun,
    get_run,
    list_runs,
    record_run,
    retry_targets,
)
from remoteops.state import StateStore


@pytest.fixture
def store(state_target):
    """A new state store with the migrations remoteops ships (the provisioning tables
    come from them, as for every user), on both databases."""
    with StateStore(state_target) as store:
        yield store


def make_run(run_id: str, minute: int, hosts: list[HostResult], **kw) -> ProvisionRun:
    start = dt.datetime(2026, 11, 23, 12, minute, tzinfo=dt.UTC)
    ok = all(h.succeeded for h in hosts) and hosts
    return ProvisionRun(
        run_id=run_id,
        playbook=kw.pop("playbook", "/p/workstation.yml"),
        mode=kw.pop("mode", "apply"),
        targets=("lab",),
        limit="lab",
        started_at=start,
        finished_at=start + dt.timedelta(seconds=42),
        actor="tester@host",
        status="succeeded" if ok else "failed",
        hosts=tuple(hosts),
        return_code=0 if ok else 4,
        **kw,
    )


def test_a_recorded_run_reads_back_the_same(store):
    hosts = [
        HostResult(
            "lab-01",
            "changed",
            ok=60,
            changed=20,
            employee_id="E0001",
            report={"secure_boot": "on", "reboot_required": False},
        ),
        HostResult(
            "lab-02",
            "unreachable",
            unreachable=1,
            employee_id="E0002",
            failed_task="Gathering Facts",
            message="Unreachable: it does not answer.",
        ),
    ]
    run = make_run("20261123T120100Z-aaaa", 1, hosts, tags=("base",), skip_tags=("live",))
    with store.transaction() as conn:
        record_run(conn, run)
    with store.transaction() as conn:
        back = get_run(conn, "20261123T120100Z-aaaa")
    assert back == run
    assert back.failed_hosts == ("lab-02",)
    assert back.exit_code == 1


def test_history_lists_newest_first_with_counts(store):
    with store.transaction() as conn:
        record_run(conn, make_run("r1", 1, [HostResult("a", "ok"), HostResult("b", "failed")]))
        record_run(conn, make_run("r2", 2, [HostResult("a", "changed")], mode="check"))
        runs = list_runs(conn)
    assert [r.run_id for r in runs] == ["r2", "r1"]
    assert (runs[1].hosts, runs[1].succeeded, runs[1].failed) == (2, 1, 1)
    assert runs[0].mode == "check"
    assert runs[0].as_row()["seconds"] == 42.0


def test_history_filters_by_employee(store):
    with store.transaction() as conn:
        record_run(conn, make_run("r1", 1, [HostResult("a", "ok", employee_id="E1")]))
        record_run(conn, make_run("r2", 2, [HostResult("b", "ok", employee_id="E2")]))
        assert [r.run_id for r in list_runs(conn, employee_id="E2")] == ["r2"]


def test_show_accepts_a_unique_prefix_and_names_a_missing_run(store):
    with store.transaction() as conn:
        record_run(conn, make_run("20261123T120100Z-aaaa", 1, [HostResult("a", "ok")]))
        record_run(conn, make_run("20261123T120200Z-bbbb", 2, [HostResult("a", "ok")]))
        assert get_run(conn, "20261123T1202").run_id == "20261123T120200Z-bbbb"
        with pytest.raises(UsageError, match="matches 2 runs"):
            get_run(conn, "20261123T12")
        with pytest.raises(NotFoundError, match="No provisioning run 'nope'"):
            get_run(conn, "nope")


def test_retry_takes_failed_and_unreachable_hosts_of_the_last_run(store):
    with store.transaction() as conn:
        record_run(conn, make_run("r1", 1, [HostResult("a", "failed"), HostResult("b", "ok")]))
        record_run(
            conn,
            make_run(
                "r2",
                2,
                [
                    HostResult("c", "unreachable"),
                    HostResult("d", "failed"),
                    HostResult("e", "changed"),
                ],
            ),
        )
        assert retry_targets(conn) == ["c", "d"]


def test_retry_takes_the_last_run_of_the_same_playbook_named_by_file(store):
    """``remoteops provision --retry-failed`` names the playbook by its file name; runs
    record its full path (wherever the checkout is)."""
    with store.transaction() as conn:
        record_run(conn, make_run("r1", 1, [HostResult("a", "unreachable")]))
        record_run(conn, make_run("r2", 2, [HostResult("z", "failed")], playbook="/p/diagnose.yml"))
        assert retry_targets(conn, "workstation.yml") == ["a"]
        assert retry_targets(conn, "/p/workstation.yml") == ["a"]
        assert retry_targets(conn, "diagnose.yml") == ["z"]
        assert retry_targets(conn) == ["z"]
        with pytest.raises(UsageError, match="no earlier provisioning run"):
            retry_targets(conn, "repair.yml")


def test_retry_refuses_when_there_is_nothing_to_retry(store):
    with store.transaction() as conn:
        with pytest.raises(UsageError, match="no earlier provisioning run"):
            retry_targets(conn)
        record_run(conn, make_run("r1", 1, [HostResult("a", "ok")]))
        with pytest.raises(UsageError, match="Nothing to retry"):
            retry_targets(conn)
