"""``remoteops provision`` as IT staff use it, against a real lab workstation: apply through
the CLI (exit 0, a table per host, the run in the state store), history and show, then a
check-mode run that reports nothing to change. Needs root (CI runs as root)."""

from __future__ import annotations

import json

import pytest
from provision_helpers import needs_root

pytestmark = [pytest.mark.root, pytest.mark.slow, needs_root]


def test_provision_lab_through_the_cli(cli, company, fresh_lab, monkeypatch, secrets_to_hide):
    workstations, inventory = fresh_lab
    monkeypatch.setenv("REMOTEOPS_LAB_DIR", str(inventory.parent))
    (host,) = [w.name for w in workstations]

    listed = cli("lab", "list", "--json")
    assert [r["name"] for r in json.loads(listed.stdout)] == [host]

    applied = cli("-i", company, "provision", "lab", "--json")
    assert applied.exit_code == 0, applied.output
    result = json.loads(applied.stdout)[0]
    assert result["mode"] == "apply" and result["status"] == "succeeded"
    assert [(h["host"], h["failed"], h["unreachable"]) for h in result["hosts"]] == [(host, 0, 0)]
    assert result["hosts"][0]["changed"] > 0

    again = cli("-i", company, "provision", "lab", "--check")
    assert again.exit_code == 0, again.output
    assert host in again.stdout and "check" in again.stdout

    runs = json.loads(cli("-i", company, "provision", "history", "--json").stdout)
    assert [r["mode"] for r in runs] == ["check", "apply"]
    shown = json.loads(cli("-i", company, "provision", "show", runs[1]["run"], "--json").stdout)[0]
    assert shown["hosts"][0]["host"] == host and shown["status"] == "succeeded"
    assert "provision.run" in cli("-i", company, "log").stdout

    everything = applied.output + again.output + json.dumps(shown)
    for secret in secrets_to_hide:
        assert secret not in everything


def test_provision_without_targets_is_a_usage_error(cli, company):
    result = cli("-i", company, "provision")
    assert result.exit_code == 2 and "Name the workstations" in result.stderr


def test_unknown_target_is_friendly(cli, company, monkeypatch, tmp_path):
    monkeypatch.setenv("REMOTEOPS_LAB_DIR", str(tmp_path / "no-lab"))
    result = cli("-i", company, "provision", "ws-nope")
    assert result.exit_code in (1, 2) and "ws-nope" in result.stderr
    assert "Traceback" not in result.output
