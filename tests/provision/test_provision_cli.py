"""``remoteops provision`` as IT staff use it, against two real lab workstations: apply
through the CLI (exit 0, a table per host, the baseline on both workstations, the run in the
state store), history and show, then a check-mode run that reports nothing to change. Needs
root (CI runs as root)."""

from __future__ import annotations

import json

import pytest
from provision_helpers import assert_baseline, needs_root, switch_off

from remoteops.inventory import load_company


@pytest.mark.root
@pytest.mark.slow
@needs_root
def test_provision_lab_through_the_cli(cli, company, lab_pair, monkeypatch, secrets_to_hide):
    workstations, inventory = lab_pair
    monkeypatch.setenv("REMOTEOPS_LAB_DIR", str(inventory.parent))
    hosts = [w.name for w in workstations]

    listed = cli("lab", "list", "--json")
    assert [r["name"] for r in json.loads(listed.stdout)] == hosts

    applied = cli("-i", company, "provision", "lab")
    assert applied.exit_code == 0, applied.output
    assert "apply on 2 workstations: 2 succeeded" in applied.stdout
    for w in workstations:
        assert w.name in applied.stdout and w.employee_id in applied.stdout
        assert_baseline(w, inventory.parent, load_company(company).details.it_support)

    again = cli("-i", company, "provision", "lab", "--check", "--json")
    assert again.exit_code == 0, again.output
    result = json.loads(again.stdout)[0]
    assert result["mode"] == "check" and result["status"] == "succeeded"
    assert [(h["host"], h["changed"], h["failed"]) for h in result["hosts"]] == [
        (host, 0, 0) for host in hosts
    ]

    runs = json.loads(cli("-i", company, "provision", "history", "--json").stdout)
    assert [r["mode"] for r in runs] == ["check", "apply"]
    shown = json.loads(cli("-i", company, "provision", "show", runs[1]["run"], "--json").stdout)[0]
    assert [h["host"] for h in shown["hosts"]] == hosts and shown["status"] == "succeeded"
    assert all(h["changed"] > 0 for h in shown["hosts"])
    assert "provision.run" in cli("-i", company, "log").stdout

    # lab-02 is switched off: the run fails on it alone, and --retry-failed takes only it
    switch_off(workstations[1])
    partly = cli("-i", company, "provision", "lab", "--tags", "base")
    assert partly.exit_code == 1, partly.output
    assert "apply on 2 workstations: 1 succeeded, 1 unreachable" in partly.stdout
    last = json.loads(cli("-i", company, "provision", "history", "--json").stdout)[0]["run"]
    down = json.loads(cli("-i", company, "provision", "show", last, "--json").stdout)[0]
    assert [(h["host"], h["status"]) for h in down["hosts"]] == [
        (hosts[0], "ok"),
        (hosts[1], "unreachable"),
    ]
    assert "nothing answers on its SSH port" in down["hosts"][1]["message"]
    retried = cli("-i", company, "provision", "--retry-failed", "--tags", "base", "--json")
    assert retried.exit_code == 1, retried.output
    retry = json.loads(retried.stdout)[0]
    assert [(h["host"], h["status"]) for h in retry["hosts"]] == [(hosts[1], "unreachable")]

    everything = applied.output + again.output + json.dumps(shown) + partly.output + retried.output
    for secret in secrets_to_hide:
        assert secret not in everything


def test_provision_without_targets_is_a_usage_error(cli, company):
    result = cli("-i", company, "provision")
    assert result.exit_code == 2 and "Name the workstations" in result.stderr


def test_unknown_target_is_friendly(cli, company, monkeypatch, tmp_path):
    monkeypatch.setenv("REMOTEOPS_LAB_DIR", str(tmp_path / "no-lab"))
    result = cli("-i", company, "provision", "ws-nope")
    # a name that matches nothing is a usage error (exit 2), said in the user's words
    assert result.exit_code == 2
    assert "No workstation, employee ID or inventory group is called 'ws-nope'" in result.stderr
    assert "employee IDs (E0042), hostnames (ws-e0042) or groups (lab)" in result.stderr
    assert "Traceback" not in result.output


def test_provision_lab_without_a_lab_says_how_to_start_one(cli, company, monkeypatch, tmp_path):
    monkeypatch.setenv("REMOTEOPS_LAB_DIR", str(tmp_path / "no-lab"))
    result = cli("-i", company, "provision", "lab")
    assert result.exit_code == 2 and f"No lab is up in {tmp_path / 'no-lab'}" in result.stderr
    assert "remoteops lab up 2" in result.stderr and "Traceback" not in result.output
