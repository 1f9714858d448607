"""Booted lab workstations (``lab up --boot``): each runs its own systemd and network, so
the ``live`` tasks run, services really start and the firewall really filters. Root only.

One workstation serves the module; the last test stops it and checks that nothing is left.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
from provision_helpers import LAB_EMPLOYEES, lab_folder, lab_test, make_company, provision

from remoteops.lab import boot, inventory_path, lab_down, lab_list, lab_up
from remoteops.lab.workstations import KEY_FILE, KNOWN_HOSTS_FILE, _processes_rooted_in

AGENT = LAB_EMPLOYEES[0].lower()
#: A port the baseline does not open (support may reach only 22).
CLOSED_PORT = 8081


@pytest.fixture(scope="module")
def booted(tmp_path_factory):
    folder = lab_folder(tmp_path_factory, "lab-booted")
    try:
        workstations = lab_up(1, folder, employee_ids=[LAB_EMPLOYEES[0]], booted=True)
        yield folder, workstations[0]
    finally:
        lab_down(folder)


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    return make_company(tmp_path_factory.mktemp("booted-company") / "inventory")


@pytest.fixture(scope="module")
def applied(booted, company, tmp_path_factory):
    """The baseline applied twice with its live tasks; returns both runs."""
    folder, _ = booted
    work = tmp_path_factory.mktemp("booted-runs")
    first = provision(company, inventory_path(folder), work, skip_tags=[])
    second = provision(company, inventory_path(folder), work, skip_tags=[])
    return first, second


def on(booted, command: str, *, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``command`` on the workstation as the IT admin, over its real SSH server."""
    folder, workstation = booted
    proc = subprocess.run(
        [
            "ssh",
            "-i",
            str(folder / KEY_FILE),
            "-o",
            f"UserKnownHostsFile={folder / KNOWN_HOSTS_FILE}",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            f"itadmin@{workstation.address}",
            command,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    if check:
        assert proc.returncode == 0, (command, proc.stdout, proc.stderr)
    return proc


@lab_test
def test_a_booted_workstation_runs_its_own_systemd_on_its_own_address(booted):
    folder, workstation = booted
    assert workstation.booted and workstation.running
    assert workstation.address.startswith(boot.NET_PREFIX) and workstation.port == 22
    assert on(booted, "cat /proc/1/comm").stdout.strip() == "systemd"
    assert on(booted, "hostname").stdout.strip() == "lab-01"
    assert f"ansible_host: {workstation.address}" in inventory_path(folder).read_text()


@lab_test
def test_the_live_baseline_applies_and_the_second_apply_changes_nothing(applied):
    first, second = applied
    assert first.succeeded, first.summary()
    assert second.succeeded, second.summary()
    assert [(h.host, h.status) for h in first.hosts] == [("lab-01", "changed")]
    assert first.hosts[0].changed > 0
    assert [(h.host, h.changed, h.status) for h in second.hosts] == [("lab-01", 0, "ok")]


@lab_test
def test_the_services_the_baseline_enables_are_running(applied, booted):
    units = [
        "ssh.service",
        "nftables.service",
        "unattended-upgrades.service",
        "apt-daily.timer",
        "apt-daily-upgrade.timer",
        "dailyaidecheck.timer",
    ]
    states = on(booted, "systemctl is-active " + " ".join(units), check=False).stdout.split()
    assert states == ["active"] * len(units)
    assert "table inet remoteops" in on(booted, "sudo nft list ruleset").stdout
    # The one unit that cannot run in a container: the kernel's audit interface answers only
    # the first PID namespace (a documented exception of the booted lab).
    failed = on(booted, "sudo systemctl list-units --failed --plain --no-legend").stdout
    assert [line.split()[0] for line in failed.splitlines()] == ["auditd.service"]


@lab_test
def test_the_firewall_drops_a_connection_to_a_port_that_is_not_allowed(applied, booted):
    _, workstation = booted
    on(
        booted,
        f"sudo systemd-run --unit=probe-listener python3 -m http.server {CLOSED_PORT}",
    )
    try:
        # the listener answers on the workstation itself ...
        on(
            booted,
            "for i in 1 2 3 4 5 6 7 8 9 10; do python3 -c 'import socket; "
            f'socket.create_connection(("127.0.0.1", {CLOSED_PORT}), timeout=2)\' '
            "&& exit 0; sleep 0.5; done; exit 1",
        )
        # ... but from outside the connection is dropped: no answer at all, not a refusal
        with pytest.raises(TimeoutError):
            socket.create_connection((workstation.address, CLOSED_PORT), timeout=3)
        # while the allowed SSH port still answers
        with socket.create_connection((workstation.address, 22), timeout=3) as sock:
            assert sock.recv(8) == b"SSH-2.0-"
    finally:
        on(booted, "sudo systemctl stop probe-listener", check=False)


@lab_test
def test_the_agent_cannot_use_sudo(applied, booted):
    listed = on(booted, f"sudo sudo -l -U {AGENT}").stdout
    assert listed.strip() == f"User {AGENT} is not allowed to run sudo on lab-01."
    as_agent = on(booted, f"sudo -u {AGENT} sudo -n true", check=False)
    assert as_agent.returncode == 1
    assert "password is required" in as_agent.stderr


@lab_test
def test_lab_down_leaves_no_machine_mount_device_or_process(booted):
    folder, workstation = booted
    directory = workstation.root.parents[2]  # the lab folder as the lab resolved it
    stopped = lab_down(folder)
    assert [w.name for w in stopped] == ["lab-01"]
    assert lab_list(folder) == []
    assert not folder.exists()
    assert boot.leftovers(directory, 1) == []
    assert not Path(f"/proc/{workstation.pid}").exists()
    assert _processes_rooted_in(workstation.root.parent) == []
    mounts = Path("/proc/self/mountinfo").read_text()
    assert str(folder) not in mounts
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert boot.names(directory, 1)["veth"] not in links
