"""``remoteops support``: the commands, their help, their errors, and a real diagnosis of a
workstation that does not answer (its address is a closed port on this machine, so the real
driver and ansible-playbook run without root or a lab)."""

from __future__ import annotations

import datetime as dt
import json
import socket
from pathlib import Path

import pytest
import yaml

from remoteops.state import StateStore
from remoteops.support.results import Diagnosis, PolicyResult, failed, passed
from remoteops.support.store import record_diagnosis
from remoteops.synthetic import write_company

EARLIER = dt.datetime(2026, 1, 15, 10, 0, tzinfo=dt.UTC)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the socket is


@pytest.fixture
def company_dir(tmp_path, monkeypatch) -> Path:
    """8 invented employees (E0001 speaks English); ws-e0001's address answers nothing."""
    root = tmp_path / "inventory"
    write_company(root, employees=8, seed=7)
    hosts_file = root / "hosts.yml"
    hosts = yaml.safe_load(hosts_file.read_text(encoding="utf-8"))
    team = hosts["all"]["children"]["workstations"]["children"]["team_inbound_gas"]["hosts"]
    team["ws-e0001"].update(ansible_host="127.0.0.1", ansible_port=closed_port())
    hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("REMOTEOPS_LAB_DIR", str(tmp_path / "no-lab"))
    return root


def earlier_diagnosis(tmp_path: Path) -> None:
    """A diagnosis of ws-e0001 from before it went down: its disk was full."""
    at = EARLIER
    with StateStore(tmp_path / "state" / "state.db") as store, store.transaction() as conn:
        record_diagnosis(
            conn,
            Diagnosis(
                host="ws-e0001",
                employee_id="E0001",
                at=at,
                actor="alex@desk",
                reachable=True,
                results=(
                    PolicyResult.of("reachable", passed("reached over SSH"), at),
                    PolicyResult.of("disk", failed("/ is 96 % full (2.1 GB free)"), at),
                    PolicyResult.of("clock", passed("synchronised with the time servers"), at),
                ),
            ),
        )


@pytest.mark.parametrize(
    "command", ["", "diagnose", "fleet", "history", "policies", "actions", "repair"]
)
def test_every_support_command_has_help_with_an_example(cli, command):
    result = cli("support", *([command] if command else []), "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout


def test_policies_lists_every_check(cli):
    result = cli("support", "policies", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows][:3] == ["reachable", "vpn", "dns"]
    assert len(rows) == 15
    disk = next(r for r in rows if r["id"] == "disk")
    assert disk["question"] == "Is every file system at most 90 % full?"
    assert disk["repair"] == "free-disk"


@pytest.mark.slow
def test_an_unreachable_workstation_gets_its_last_known_state_and_a_message(
    cli, company_dir, tmp_path
):
    earlier_diagnosis(tmp_path)
    result = cli("-i", company_dir, "support", "diagnose", "E0001")
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "ws-e0001 (" in out and "E0001): diagnosed" in out
    assert "unreachable (Unreachable: nothing answers on its SSH port (is sshd running?).)" in out
    assert "Last known state, from 2026-01-15 10:00 UTC: 1 failing: Disk space" in out
    assert "/ is 96 % full (2.1 GB free)" in out
    assert "Message for the employee (English):" in out
    assert "We cannot reach your computer at the moment." in out
    assert "Is the network cable plugged in firmly, or is the Wi-Fi connected?" in out
    assert "Traceback" not in result.output

    # recorded, in the audit log and on the employee's page
    with StateStore(tmp_path / "state" / "state.db") as store:
        rows = store.query("SELECT reachable, error FROM support_diagnoses ORDER BY id")
    assert [tuple(r) for r in rows] == [
        (1, None),
        (0, "Unreachable: nothing answers on its SSH port (is sshd running?)."),
    ]
    log = json.loads(cli("log", "--json", "--action", "support").stdout)
    assert [(e["action"], e["employee_id"], e["subject"]) for e in log] == [
        ("support.diagnose", "E0001", "ws-e0001")
    ]
    assert log[0]["details"]["reachable"] is False
    assert log[0]["details"]["failing"] == ["reachable"]
    shown = cli("-i", company_dir, "employees", "show", "E0001")
    assert "Last diagnosis" in shown.stdout
    assert "on ws-e0001: unreachable (Unreachable: nothing answers" in shown.stdout
    (record,) = json.loads(cli("-i", company_dir, "employees", "show", "E0001", "--json").stdout)
    assert record["last_diagnosis"]["host"] == "ws-e0001"
    assert record["last_diagnosis"]["reachable"] is False


@pytest.mark.slow
def test_diagnose_json_carries_the_diagnosis_the_message_and_the_last_known_state(
    cli, company_dir, tmp_path
):
    earlier_diagnosis(tmp_path)
    result = cli("-i", company_dir, "support", "diagnose", "ws-e0001", "--json")
    assert result.exit_code == 1
    (report,) = json.loads(result.stdout)
    assert report["reachable"] is False and report["failing"] == ["reachable"]
    assert report["results"][0]["status"] == "fail"
    assert report["results"][0]["detail"].startswith("Unreachable: nothing answers")
    assert report["message"]["language"] == "en"
    assert report["message"]["text"].startswith("Hello ")
    assert report["last_known"]["failing"] == ["disk"]


@pytest.mark.slow
def test_fleet_groups_the_failures_and_compares_with_the_previous_run(cli, company_dir):
    first = cli("-i", company_dir, "support", "fleet", "ws-e0001", "--json")
    assert first.exit_code == 1  # nothing was reached
    (report,) = json.loads(first.stdout)
    (down,) = report["failing"]
    assert down["headline"] == "1 of 1 (100 %): workstations support cannot reach"
    assert [a["employee_id"] for a in down["affected"]] == ["E0001"]
    assert report["previous_run"] is None and report["newly_failing"] == []

    again = cli("-i", company_dir, "support", "fleet", "ws-e0001")
    assert again.exit_code == 1
    assert f"Fleet run {report['run']['id'] + 1} (ws-e0001)" in again.stdout
    assert "1 of 1 (100 %): workstations support cannot reach" in again.stdout
    assert f"Newly failing since fleet run {report['run']['id']} (" in again.stdout
    assert "): nothing." in again.stdout

    csv = cli("-i", company_dir, "support", "fleet", "ws-e0001", "--csv")
    lines = csv.stdout.splitlines()
    assert lines[0] == (
        "host,employee_id,name,team,policy,title,severity,status,detail,repair,newly_failing"
    )
    assert lines[1].startswith("ws-e0001,E0001,")
    assert lines[1].endswith(
        ",reachable,Reachable,high,fail,Unreachable: nothing answers on "
        "its SSH port (is sshd running?).,,no"
    )


def test_usage_errors_are_sentences(cli, company_dir):
    both = cli("-i", company_dir, "support", "fleet", "team_outbound", "--team", "Outbound")
    assert both.exit_code == 2
    assert "Give either a group or --team, not both." in both.stderr
    nobody = cli("-i", company_dir, "support", "fleet", "--team", "Astronauts")
    assert nobody.exit_code == 2
    assert "No workstation belongs to an employee of team 'Astronauts'." in nobody.stderr
    unknown = cli("-i", company_dir, "support", "diagnose", "E0999")
    assert unknown.exit_code == 1
    assert "No workstation or employee ID 'E0999' in the inventory." in unknown.stderr
    never = cli("-i", company_dir, "support", "history", "ws-e0005")
    assert never.exit_code == 1
    assert "No diagnosis of a workstation or employee 'ws-e0005' is recorded." in never.stderr
    for result in (both, nobody, unknown, never):
        assert "Traceback" not in result.output


def test_history_shows_each_check_per_diagnosis(cli, company_dir, tmp_path):
    earlier_diagnosis(tmp_path)
    result = cli("-i", company_dir, "support", "history", "E0001")
    assert result.exit_code == 0, result.output
    assert "ws-e0001 (" in result.stdout and "1 diagnoses, newest first" in result.stdout
    disk = next(line for line in result.stdout.splitlines() if "Disk space" in line)
    assert "FAIL" in disk and "01-15 10:00" in disk and "/ is 96 % full" in disk
    (found,) = json.loads(cli("-i", company_dir, "support", "history", "E0001", "--json").stdout)
    assert [p["policy"] for p in found["policies"]] == ["reachable", "clock", "disk"]
    assert found["policies"][2]["statuses"] == ["fail"]


def test_fleet_targets_a_group_a_team_or_every_workstation(company_dir):
    from remoteops.inventory import load_company
    from remoteops.support.fleet import fleet_targets

    company = load_company(company_dir)
    inventories = [company_dir / "hosts.yml"]
    team, scope = fleet_targets(company, inventories, team="inbound g")
    assert scope == "team inbound g"
    assert [(t.host, t.employee_id) for t in team] == [
        ("ws-e0001", "E0001"),
        ("ws-e0002", "E0002"),
        ("ws-e0004", "E0004"),
        ("ws-e0008", "E0008"),
    ]
    group, scope = fleet_targets(company, inventories, group="team_inbound_strom")
    assert scope == "team_inbound_strom"
    assert [t.host for t in group] == ["ws-e0003", "ws-e0005", "ws-e0007"]
    everyone, scope = fleet_targets(company, inventories)
    assert scope == "all workstations"
    assert [t.host for t in everyone] == [f"ws-e000{n}" for n in range(1, 9)]


def test_actions_lists_every_repair_with_what_it_never_touches(cli):
    result = cli("support", "actions", "--json", "--lang", "de")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["action"] for r in rows] == [
        "reapply-baseline",
        "restart-vpn",
        "free-disk",
        "install-updates",
        "resync-clock",
        "reboot",
    ]
    assert [r["action"] for r in rows if r["needs_yes"] == "yes"] == ["reboot"]
    free = next(r for r in rows if r["action"] == "free-disk")
    assert free["never_touches"].startswith("Anything under /home")
    assert free["employee_message"].startswith("Wir schaffen Platz")
    table = cli("support", "actions")
    assert table.exit_code == 0 and "Needs --yes" in table.stdout


def test_a_wrong_repair_or_an_unconfirmed_restart_runs_and_records_nothing(cli, company_dir):
    wrong = cli("-i", company_dir, "support", "repair", "E0002", "fix-everything")
    assert wrong.exit_code == 2
    assert "There is no repair called 'fix-everything'." in wrong.stderr
    assert "reapply-baseline, restart-vpn, free-disk" in wrong.stderr
    reboot = cli("-i", company_dir, "support", "repair", "E0002", "reboot", "--json")
    assert reboot.exit_code == 1
    assert "it was not confirmed, so nothing was done" in reboot.stderr
    assert "run it again with --yes" in reboot.stderr
    assert json.loads(cli("log", "--json").stdout) == []
    assert "Traceback" not in wrong.output + reboot.output


@pytest.mark.slow
def test_a_repair_of_an_unreachable_workstation_runs_nothing_and_says_what_to_check(
    cli, company_dir
):
    result = cli("-i", company_dir, "support", "repair", "E0001", "restart-vpn")
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "Before: unreachable (Unreachable: nothing answers on its SSH port" in out
    assert "Not repaired: the workstation did not answer, so nothing ran." in out
    assert "Message for the employee (English):" in out
    assert "Is the network cable plugged in firmly, or is the Wi-Fi connected?" in out
    log = json.loads(cli("log", "--json", "--action", "support").stdout)
    assert [e["action"] for e in log] == ["support.repair.checked", "support.diagnose"]
    details = log[0]["details"]
    assert (details["repair"], details["status"], details["run"]) == (
        "restart-vpn",
        "not run: unreachable",
        None,
    )
    shown = cli("-i", company_dir, "employees", "show", "E0001")
    line = next(x for x in shown.stdout.splitlines() if "Last repair" in x)
    assert "on ws-e0001: restart-vpn, not run: unreachable" in line
