"""The repair catalogue against playbooks/repair.yml, and what run_repair refuses before
anything runs. The repairs themselves run on lab workstations in test_repairs_lab.py."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from remoteops.errors import UsageError
from remoteops.inventory import load_company
from remoteops.provision.results import HostResult, ProvisionRun
from remoteops.state import StateStore
from remoteops.support.repairs import (
    ConfirmationRequired,
    RepairResult,
    _language,
    get_action,
    list_actions,
    run_repair,
)
from remoteops.synthetic import write_company

REPO = Path(__file__).resolve().parents[2]
PLAYBOOKS = REPO / "playbooks"
ROLE_TASKS = PLAYBOOKS / "roles" / "wks_repair" / "tasks"
IDS = ["reapply-baseline", "restart-vpn", "free-disk", "install-updates", "resync-clock", "reboot"]
#: Words an employee should never read in a message from support.
JARGON = re.compile(
    r"\b(systemd|systemctl|nftables|dpkg|apt|journal\w*|ansible|playbook|tags?|sudo|root|"
    r"dconf|wireguard|wg0|timesyncd|kernel|handshake)\b",
    re.I,
)


@pytest.fixture
def company(tmp_path):
    root = tmp_path / "inventory"
    write_company(root, employees=4, seed=11)
    return load_company(root)


@pytest.fixture
def store(tmp_path):
    with StateStore(tmp_path / "state" / "state.db") as store:
        yield store


def _nothing_recorded(store: StateStore) -> bool:
    return not store.read_log() and not store.query("SELECT id FROM provision_runs")


def test_the_six_repairs_in_the_order_support_lists_them():
    assert [a.id for a in list_actions()] == IDS
    assert [a.id for a in list_actions() if a.needs_confirmation] == ["reboot"]
    assert [a.id for a in list_actions() if a.interrupts_employee] == ["reboot"]
    assert all(a.tags == (a.id,) for a in list_actions())


def test_an_unknown_repair_names_the_valid_ones():
    with pytest.raises(UsageError) as caught:
        get_action("fix-wifi")
    assert caught.value.message == "There is no repair called 'fix-wifi'."
    assert caught.value.hint.startswith(
        "Choose one of: reapply-baseline, restart-vpn, free-disk, install-updates, "
        "resync-clock, reboot"
    )
    assert get_action(" Restart-VPN ").id == "restart-vpn"


def test_a_restart_without_confirmation_is_refused_before_anything_runs(company, store):
    with pytest.raises(ConfirmationRequired) as caught:
        run_repair(company, store, "E0001", "reboot")
    assert "interrupts the employee's work" in caught.value.message
    assert "--yes" in caught.value.hint
    assert _nothing_recorded(store)


def test_an_unknown_workstation_is_refused_before_anything_runs(company, store):
    with pytest.raises(UsageError, match="No workstation, employee ID or inventory group"):
        run_repair(company, store, "ws-nobody", "free-disk")
    assert _nothing_recorded(store)


def test_a_group_is_refused_a_repair_runs_on_one_workstation(company, store):
    with pytest.raises(UsageError) as caught:
        run_repair(company, store, "workstations", "free-disk")
    assert caught.value.message == (
        "'workstations' is a group of 4 workstations; a repair runs on one workstation at a time."
    )
    assert _nothing_recorded(store)


def _repair_tags() -> list[str]:
    """The tags of wks_repair's task files, in order (without ``always``)."""
    tasks = yaml.safe_load((ROLE_TASKS / "main.yml").read_text())
    return [tag for task in tasks for tag in task.get("tags", []) if tag != "always"]


def test_every_repair_is_one_tag_of_repair_yml():
    assert _repair_tags() == IDS
    files = {
        task["tags"][0]: task["ansible.builtin.import_tasks"]
        for task in yaml.safe_load((ROLE_TASKS / "main.yml").read_text())
        if "ansible.builtin.import_tasks" in task
    }
    assert files == {i: i.replace("-", "_") + ".yml" for i in IDS}


def test_reapply_baseline_runs_the_roles_of_workstation_yml_in_order():
    (play,) = yaml.safe_load((PLAYBOOKS / "workstation.yml").read_text())
    baseline = [role["role"] for role in play["roles"]]
    include = yaml.safe_load((ROLE_TASKS / "reapply_baseline.yml").read_text())[0]
    assert "ansible.builtin.include_role" in include
    assert include["loop"] == baseline
    (repair_play,) = yaml.safe_load((PLAYBOOKS / "repair.yml").read_text())
    for key in ("become", "gather_facts", "gather_subset", "force_handlers"):
        assert repair_play[key] == play[key], key


@pytest.mark.slow
def test_each_tag_selects_only_its_own_tasks(company):
    """What ``--tags ACTION`` runs: the tasks of that repair, plus only the two checks that
    always run (the role's argument check and 'one repair was chosen')."""
    listing = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            str(PLAYBOOKS / "repair.yml"),
            "-i",
            str(Path(company.root) / "hosts.yml"),
            "--list-tasks",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    tasks = re.findall(r"^\s{6}(.+?)\tTAGS: \[(.*)\]$", listing, re.M)
    assert len(tasks) > 20
    always = [name for name, tags in tasks if "always" in tags.split(", ")]
    assert always == [
        "wks_repair : Validating arguments against arg spec 'main' - The support desk's "
        "repairs for home-office workstations, one tag each.",
        "wks_repair : Check that one repair was chosen with --tags",
    ]
    for name, tags in tasks:
        if name not in always:
            assert len(set(tags.split(", ")) & set(IDS)) == 1, name


def test_employee_messages_are_plain_in_both_languages():
    for action in list_actions():
        de, en = action.employee_message.de, action.employee_message.en
        assert de and en and de != en, action.id
        assert "Sie" in de and "you" in en.lower(), action.id
        for text in (de, en):
            assert not JARGON.search(text), (action.id, JARGON.search(text))


def test_the_playbooks_readme_has_a_row_for_every_repair():
    readme = (PLAYBOOKS / "README.md").read_text()
    rows = re.findall(r"^\| `([a-z-]+)` \|", readme, re.M)
    assert [r for r in rows if r in IDS] == IDS


def _run(status: str, *, changed: int = 0, run_status: str = "succeeded", **host) -> ProvisionRun:
    now = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
    return ProvisionRun(
        run_id="20261203T090000Z-abcd",
        playbook="repair.yml",
        mode="apply",
        targets=("ws-e0001",),
        limit="ws-e0001",
        started_at=now,
        finished_at=now + dt.timedelta(seconds=12),
        actor="test",
        status=run_status,
        hosts=(HostResult("ws-e0001", status, changed=changed, **host),),
    )


@pytest.mark.parametrize(
    ("host_status", "changed", "run_status", "expected"),
    [
        ("changed", 3, "succeeded", "repaired"),
        ("ok", 0, "succeeded", "nothing to repair"),
        ("failed", 1, "failed", "failed"),
        ("unreachable", 0, "failed", "unreachable"),
    ],
)
def test_a_repair_result_says_in_one_word_what_happened(host_status, changed, run_status, expected):
    result = RepairResult(
        get_action("free-disk"),
        "ws-e0001",
        "E0001",
        "en",
        _run(host_status, changed=changed, run_status=run_status),
    )
    assert result.status == expected
    assert result.succeeded is (expected in ("repaired", "nothing to repair"))
    assert result.as_row()["status"] == expected


def test_a_failed_repair_names_the_task_and_the_reason():
    run = _run(
        "failed",
        run_status="failed",
        failed_task="Check that no package is left half installed",
        message="A package is still half installed.",
    )
    result = RepairResult(get_action("install-updates"), "ws-e0001", "E0001", "de", run)
    assert result.message == (
        "Check that no package is left half installed: A package is still half installed."
    )
    assert result.employee_message.startswith("Wir installieren die neuesten Sicherheitsupdates")


def test_the_employee_is_told_in_their_language(sample_dir):
    company = load_company(sample_dir)
    english = next(e for e in company.employees if e.language == "en")
    german = next(e for e in company.employees if e.language == "de")
    assert _language(company, english.employee_id) == "en"
    assert _language(company, german.employee_id) == "de"
    # a workstation without an employee in the roster (a lab workstation): the company's
    assert _language(company, "LAB01") == company.delivery.language == "de"
