"""Due dates through the CLI, as operations staff see them: the late line, the late table
with a computed fix, --what-if, --require-provisioned, and the check warning for equipment
that is ready only after the due date."""

from __future__ import annotations

import datetime as dt
import json


def plan(cli, root, *args):
    result = cli("-i", root, "routes", "plan", *args, "--seconds", "5", "--seed", "4")
    assert result.exit_code == 0, result.output
    return result


def plan_json(cli, root, *args):
    return json.loads(plan(cli, root, *args, "--json").stdout)[0]


def test_a_plan_that_starts_early_enough_says_late_0(cli, company_dir):
    text = plan(cli, company_dir, "--from", "2026-11-23", "--days", "8").stdout
    assert "Late: 0 - everyone planned gets their equipment by the due date." in text
    data = plan_json(cli, company_dir, "--from", "2026-11-23", "--days", "8")
    assert data["totals"]["late"] == 0 and data["late"] == []
    assert all(s["slack_days"] >= 0 and s["late"] == "" for s in data["stops"])
    assert data["fix"] is None


def test_late_employees_are_listed_with_a_fix_that_was_planned(cli, company_dir):
    data = json.loads(
        plan(cli, company_dir, "--from", "2026-12-01", "--days", "5", "--json").stdout
    )[0]
    starts = {s["employee_id"]: s["home_office_start"] for s in data["stops"]}
    # Whoever starts on the plan's first day was due the working day before: unavoidable.
    first_day = [e for e, start in starts.items() if start == "2026-12-01"]
    assert first_day, "the sample should have someone starting on 2026-12-01"
    late = {row["employee_id"]: row for row in data["late"]}
    for e in first_day:
        assert late[e]["due"] == "2026-11-30" and late[e]["unavoidable"] is True
    assert data["totals"]["late"] == len(late)
    assert data["fix"].startswith("starting the deliveries on 2026-11-30")
    text = plan(cli, company_dir, "--from", "2026-12-01", "--days", "5").stdout
    assert f"Late: {len(late)}" in text
    assert "Fix, planned and checked: starting the deliveries on 2026-11-30" in text
    for e in first_day:
        assert e in text


def test_what_if_prints_the_variants_side_by_side(cli, company_dir):
    result = plan(
        cli, company_dir, "--from", "2026-12-01", "--days", "5", "--what-if", "vans=2", "--json"
    )
    rows = json.loads(result.stdout)[0]["what_if"]
    assert [r["variant"] for r in rows] == ["this plan", "vans=2"]
    assert {"late", "van_days", "rental_days", "km", "driving_hours"} <= set(rows[0])
    bad = cli("-i", company_dir, "routes", "plan", "--what-if", "trucks=2")
    assert bad.exit_code == 2 and "--what-if 'trucks=2'" in bad.stderr
    assert "Traceback" not in bad.output


def test_require_provisioned_leaves_out_workstations_that_are_not_ready(cli, company_dir, tmp_path):
    """The provisioning result is recorded through the state store's own function, as
    ``remoteops provision`` records a real run (the lab tests cover real runs)."""
    from remoteops.inventory import load_company
    from remoteops.provision.history import record_run
    from remoteops.provision.results import HostResult, ProvisionRun
    from remoteops.state import StateStore

    company = load_company(company_dir)
    waiting = [e for e in company.employees if e.scheduled_for_home_office]
    ready = company.workstation_of(waiting[0].employee_id)
    failed = company.workstation_of(waiting[1].employee_id)
    now = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    with StateStore(tmp_path / "state" / "state.db") as store, store.transaction() as conn:
        record_run(
            conn,
            ProvisionRun(
                run_id="20261120T090000Z-test",
                playbook="workstation.yml",
                mode="apply",
                targets=(ready.hostname, failed.hostname),
                limit="",
                started_at=now,
                finished_at=now,
                actor="it@test",
                status="failed",
                hosts=(
                    HostResult(ready.hostname, "changed", ok=40, changed=3),
                    HostResult(failed.hostname, "failed", ok=12, failed=1),
                ),
            ),
        )
    data = plan_json(cli, company_dir, "--from", "2026-11-23", "--days", "8")
    flags = {s["employee_id"]: s["workstation"] for s in data["stops"]}
    assert flags[waiting[0].employee_id] == ""
    assert flags[waiting[1].employee_id] == "not provisioned: failed"
    assert all(
        f == "not provisioned: never ran"
        for e, f in flags.items()
        if e not in (waiting[0].employee_id, waiting[1].employee_id)
    )
    only = json.loads(
        plan(
            cli,
            company_dir,
            "--from",
            "2026-11-23",
            "--days",
            "8",
            "--require-provisioned",
            "--json",
        ).stdout
    )[0]
    assert [s["employee_id"] for s in only["stops"]] == [waiting[0].employee_id]
    left = {r["employee_id"]: r for r in only["left_over"]}
    assert left[waiting[1].employee_id]["reason"] == "not provisioned"
    assert "failed" in left[waiting[1].employee_id]["detail"]


def test_require_provisioned_with_nothing_provisioned_says_so(cli, company_dir):
    result = cli(
        "-i", company_dir, "routes", "plan", "--from", "2026-11-23", "--require-provisioned"
    )
    assert result.exit_code == 1
    assert "has a provisioned workstation" in result.stderr
    assert "Traceback" not in result.output


def test_check_warns_when_equipment_is_ready_only_after_the_due_date(cli, company_dir):
    assets = company_dir / "assets.csv"
    lines = assets.read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("asset_tag"))
    lines[header] += ",available_from"
    first = lines[header + 1].split(",")
    employee = first[4]
    lines[header + 1] += ",2027-01-15"
    for i in range(header + 2, len(lines)):
        lines[i] += ","
    assets.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("-i", company_dir, "check")
    assert result.exit_code == 0, result.output
    text = result.stdout + result.stderr
    assert "available_from" in text and employee in text
    assert "ready only from 2027-01-15" in text
