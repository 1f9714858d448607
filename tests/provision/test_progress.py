"""The live view of a provisioning run: the run's outline (hosts and tasks, as the real
``ansible-playbook --list-hosts --list-tasks`` lists them) and what the terminal shows."""

from __future__ import annotations

import io
import subprocess

import pytest
from provision_helpers import PLAYBOOK, SAMPLE, SAMPLE_VAULT_PASSWORD
from rich.console import Console

from remoteops.cli.provision import LiveView, host_columns
from remoteops.provision import ProgressUpdate, ansible_playbook_path
from remoteops.provision.driver import _gathers_facts, parse_listing


def listing(*options: str) -> str:
    return subprocess.run(
        [
            str(ansible_playbook_path()),
            str(PLAYBOOK),
            "-i",
            str(SAMPLE / "hosts.yml"),
            "--vault-password-file",
            str(SAMPLE_VAULT_PASSWORD),
            "--list-hosts",
            "--list-tasks",
            *options,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.mark.slow
def test_outline_counts_the_listed_hosts_and_tasks_facts_included():
    text = listing("--limit", "ws-e0001,ws-e0002")
    task_lines = [line for line in text.splitlines() if "TAGS: [" in line and " : " in line]
    outline = parse_listing(text, _gathers_facts(PLAYBOOK))
    assert outline.hosts == ("ws-e0001", "ws-e0002")
    assert outline.tasks == {"ws-e0001": len(task_lines) + 1, "ws-e0002": len(task_lines) + 1}


@pytest.mark.slow
def test_outline_follows_the_tags():
    everything = parse_listing(listing("--limit", "ws-e0001"), [True])
    firewall = parse_listing(listing("--limit", "ws-e0001", "--tags", "firewall"), [True])
    assert 2 < firewall.tasks["ws-e0001"] < everything.tasks["ws-e0001"]


def test_outline_of_a_play_without_facts_and_of_nothing():
    text = (
        "playbook: x.yml\n\n  play #1 (all): one\tTAGS: []\n    pattern: ['all']\n"
        "    hosts (1):\n      a\n    tasks:\n"
        "      t1\tTAGS: []\n      t2\tTAGS: []\n\n  play #2 (b): two\tTAGS: []\n"
        "    pattern: ['b']\n    hosts (2):\n      a\n      b\n    tasks:\n      t3\tTAGS: []\n"
    )
    assert parse_listing(text, [False, True]).tasks == {"a": 2 + 2, "b": 2}
    assert parse_listing("ERROR! something", [True]).tasks == {}


def update(host, state, done, task="Write the firewall rules", total=50, hosts=3):
    return ProgressUpdate(host, task, state, done, 3, tasks_total=total, hosts_total=hosts)


def render(view: LiveView) -> str:
    out = io.StringIO()
    Console(file=out, width=120, color_system=None).print(view)
    return out.getvalue()


def test_live_view_shows_overall_progress_and_each_workstation():
    view = LiveView()
    for host in ("ws-e0001", "ws-e0002", "ws-e0003"):
        view.update(update(host, "waiting", 0, task=""))
    view.update(update("ws-e0001", "changed", 20))
    view.update(update("ws-e0002", "running", 10))
    view.update(update("ws-e0003", "unreachable", 1, task="Gathering Facts"))
    done, total = view.progress()
    assert (done, total) == (20 + 10 + 50, 150)  # an unreachable host is done with
    text = render(view)
    assert "0 of 3 workstations done, 80 of 150 tasks (53 %), 1 with problems" in text
    lines = [line for line in text.splitlines() if "ws-e" in line]
    assert "ws-e0003" in lines[0] and "unreachable: Gathering Facts" in lines[0]
    assert "20/50" in lines[1] and "changed: Write the firewall rules" in lines[1]

    view.update(update("ws-e0001", "finished", 52, task=""))
    assert view.progress() == (50 + 10 + 50, 150)  # handlers do not push past 100 %
    text = render(view)
    assert "1 of 3 workstations done" in text
    assert [line for line in text.splitlines() if "ws-e0001" in line][0].split()[2] == "50/50"


def test_live_view_before_the_first_event():
    assert "Starting Ansible..." in render(LiveView())


def test_live_view_without_an_outline_counts_tasks_and_caps_its_lines():
    view = LiveView(max_lines=2)
    for n in range(5):
        view.update(ProgressUpdate(f"ws-e000{n}", "Install", "running", n, n + 1))
    assert view.progress() == (0 + 1 + 2 + 3 + 4, None)
    text = render(view)
    assert "0 of 5 workstations done, 10 tasks" in text
    assert "... and 3 more workstations" in text


def test_final_table_shows_failure_columns_only_when_something_failed():
    good = {"host": "ws-e0001", "failed_task": "", "message": ""}
    bad = {"host": "ws-e0002", "failed_task": "Gathering Facts", "message": "Cannot reach it."}
    assert "message" not in host_columns([good])
    assert host_columns([good, bad])["message"] == "What went wrong"
