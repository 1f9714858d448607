"""The lab: disposable Debian workstations on 127.0.0.1 (needs root; CI runs as root)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from provision_helpers import REPO, needs_root

from remoteops.lab import LabError, lab_down, lab_list, lab_up
from remoteops.lab.workstations import _processes_rooted_in

pytestmark = [pytest.mark.root, pytest.mark.slow, needs_root]


def listening_ports(pid: int) -> set[tuple[str, int]]:
    """(address, port) of the TCP sockets a process listens on, read from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd)
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                address, port = fields[1].split(":")
                ip = socket.inet_ntop(
                    socket.AF_INET if table == "tcp" else socket.AF_INET6,
                    bytes.fromhex(address)[::-1] if table == "tcp" else bytes.fromhex(address),
                )
                found.add((ip, int(port, 16)))
    return found


def sshd_pids(root: Path) -> list[int]:
    return [
        pid
        for pid in _processes_rooted_in(root)
        if "sshd" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    ]


def test_lab_up_list_and_down(tmp_path):
    folder = tmp_path / "lab"
    try:
        workstations = lab_up(2, folder, employee_ids=["E0007", "E0008"])
        assert [w.name for w in workstations] == ["lab-01", "lab-02"]
        assert [w.employee_id for w in workstations] == ["E0007", "E0008"]
        assert all(w.running and w.address == "127.0.0.1" for w in workstations)
        assert lab_list(folder) == workstations

        inventory = yaml.safe_load((folder / "hosts.yml").read_text())
        lab = inventory["all"]["children"]["workstations"]["children"]["lab"]["hosts"]
        assert sorted(lab) == ["lab-01", "lab-02"]
        for w in workstations:
            host = lab[w.name]
            assert (host["ansible_host"], host["ansible_port"]) == ("127.0.0.1", w.port)
            assert host["employee_id"] == w.employee_id
            assert "StrictHostKeyChecking=yes" in host["ansible_ssh_common_args"]
            # sshd listens on loopback only, in its own PID namespace and chroot
            (pid,) = sshd_pids(w.root)
            assert listening_ports(pid) == {("127.0.0.1", w.port)}
            assert os.readlink(f"/proc/{pid}/ns/pid") != os.readlink("/proc/self/ns/pid")
            assert os.readlink(f"/proc/{pid}/ns/mnt") != os.readlink("/proc/self/ns/mnt")

        # the host keys in known_hosts are the ones the workstations present: a real login
        first = workstations[0]
        login = subprocess.run(
            [
                "ssh",
                "-i",
                str(folder / "id_ed25519"),
                "-p",
                str(first.port),
                "-o",
                f"UserKnownHostsFile={folder / 'known_hosts'}",
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                "BatchMode=yes",
                "itadmin@127.0.0.1",
                "sudo -n cat /etc/hostname; hostname",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert login.returncode == 0, login.stderr
        assert login.stdout.split() == ["lab-01", "lab-01"]

        with pytest.raises(LabError, match="already runs"):
            lab_up(1, folder)
    finally:
        stopped = lab_down(folder)
    assert len(stopped) == 2
    assert not folder.exists()
    assert _processes_rooted_in(tmp_path) == []
    assert lab_list(folder) == []


def test_lab_down_also_stops_a_workstation_whose_sshd_died(tmp_path):
    folder = tmp_path / "lab"
    try:
        (workstation,) = lab_up(1, folder)
        for pid in sshd_pids(workstation.root):
            os.kill(pid, 9)
    finally:
        lab_down(folder)
    assert _processes_rooted_in(tmp_path) == []
    assert not folder.exists()


def test_lab_refuses_a_bad_size(tmp_path):
    with pytest.raises(LabError, match="1 to 40 workstations"):
        lab_up(0, tmp_path / "lab")


def test_lab_says_clearly_when_debootstrap_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("REMOTEOPS_LAB_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(LabError, match="needs unshare, chroot") as caught:
        lab_up(1, tmp_path / "lab")
    assert "Install" in caught.value.hint
    from remoteops.lab import ensure_image

    with pytest.raises(LabError, match="debootstrap") as caught:
        ensure_image(tmp_path / "empty-cache")
    assert "apt-get install debootstrap" in caught.value.hint


def test_lab_says_clearly_when_not_root(tmp_path):
    """Run the real lab_up as an unprivileged user (setpriv drops root's uid)."""
    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) is not installed")
    code = (
        "from pathlib import Path\n"
        "from remoteops.lab import LabError, lab_up\n"
        "try:\n"
        "    lab_up(1, Path('/nonexistent/lab'))\n"
        "except LabError as exc:\n"
        "    print(exc)\n"
    )
    proc = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "needs root" in proc.stdout, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
