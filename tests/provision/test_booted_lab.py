"""Booted lab workstations (``lab up --boot``): each runs its own systemd and network, so
the ``live`` tasks run, services really start, the firewall really filters and a reboot comes
back. Root only.

One workstation serves the module; the last test stops it and checks that nothing is left.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
from provision_helpers import (
    LAB_EMPLOYEES,
    lab_folder,
    lab_test,
    make_company,
    provision,
    run_ssh,
)

from remoteops.inventory import load_company
from remoteops.lab import boot, inventory_path, lab_down, lab_list, lab_up
from remoteops.lab.workstations import _processes_rooted_in
from remoteops.state import StateStore
from remoteops.support.repairs import run_repair

AGENT = LAB_EMPLOYEES[0].lower()
#: A port the baseline does not open (support may reach only 22).
CLOSED_PORT = 8081
#: The services the baseline enables that run in a container (auditd cannot).
SERVICES = [
    "ssh.service",
    "nftables.service",
    "unattended-upgrades.service",
    "apt-daily.timer",
    "apt-daily-upgrade.timer",
    "dailyaidecheck.timer",
]
#: A network setting of the baseline (0 in a fresh network namespace).
LOG_MARTIANS = "/proc/sys/net/ipv4/conf/all/log_martians"


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
    proc = run_ssh(*booted, command)
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


def assert_services_running(booted, *, booted_since_apply: bool = False) -> None:
    states = on(booted, "systemctl is-active " + " ".join(SERVICES), check=False).stdout.split()
    assert states == ["active"] * len(SERVICES)
    assert "table inet remoteops" in on(booted, "sudo nft list ruleset").stdout
    # The units that cannot run in the lab (documented exceptions of the booted lab): auditd,
    # since the kernel's audit interface answers only the first PID namespace; and, once
    # the workstation has booted with the baseline, the VPN tunnel enabled at boot, which has
    # no server (nor DNS, nor a wireguard module it could load) in the lab.
    expected = ["auditd.service"] + (["wg-quick@wg0.service"] if booted_since_apply else [])
    failed = on(booted, "sudo systemctl list-units --failed --plain --no-legend").stdout
    assert [line.split()[0] for line in failed.splitlines()] == expected


@lab_test
def test_the_services_the_baseline_enables_are_running(applied, booted):
    assert_services_running(booted)
    # the network settings are the workstation's own (its network namespace): loaded live
    assert on(booted, f"cat {LOG_MARTIANS}").stdout.strip() == "1"


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


def boot_id(booted) -> str | None:
    """The workstation's boot ID (new at every boot), or None while it does not answer."""
    try:
        proc = on(booted, "cat /proc/sys/kernel/random/boot_id", check=False)
    except subprocess.TimeoutExpired:
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


@lab_test
def test_after_a_reboot_the_workstation_comes_back_with_the_baseline_in_force(
    applied, booted, company, tmp_path_factory
):
    """The support desk's reboot repair (``support repair lab-01 reboot --yes``) restarts it
    for real: Ansible's reboot module announces it, waits for the new boot and reconnects."""
    folder, workstation = booted
    before = boot_id(booted)
    assert before
    with StateStore(tmp_path_factory.mktemp("reboot-state") / "state.db") as store:
        repaired = run_repair(
            load_company(company), store, "lab-01", "reboot", confirm=True, lab_dir=folder
        )
    assert (repaired.status, repaired.changed) == ("repaired", 1), repaired.host_result
    after = boot_id(booted)
    assert after and after != before, "the workstation did not come back after its reboot"
    # the lab kept it running: the same supervising process, its sshd answers again
    assert [(w.pid, w.running) for w in lab_list(folder)] == [(workstation.pid, True)]
    # the services are active again, the firewall rules loaded again and dropping
    assert_services_running(booted, booted_since_apply=True)
    with pytest.raises(TimeoutError):
        socket.create_connection((workstation.address, CLOSED_PORT), timeout=3)
    # the settings persisted: loaded at boot, and applying the baseline changes nothing
    assert on(booted, f"cat {LOG_MARTIANS}").stdout.strip() == "1"
    assert on(booted, "hostname").stdout.strip() == "lab-01"
    run = provision(
        company, inventory_path(folder), tmp_path_factory.mktemp("after-reboot"), skip_tags=[]
    )
    assert [(h.host, h.changed, h.status) for h in run.hosts] == [("lab-01", 0, "ok")]


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
