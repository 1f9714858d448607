"""The lab: disposable Debian workstations on 127.0.0.1 (needs root; CI runs as root)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from provision_helpers import REPO, lab_folder, needs_root, provision

from remoteops.inventory import load_company
from remoteops.lab import LabError, inventory_path, lab_down, lab_list, lab_up
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


@pytest.fixture(scope="module")
def lab_dir(tmp_path_factory):
    """The folder of the lab this module starts and stops through the CLI (stopped here
    too, whatever the tests left)."""
    folder = lab_folder(tmp_path_factory, "lab-cli")
    yield folder
    lab_down(folder)


@pytest.fixture
def lab_cli(cli, lab_dir, monkeypatch):
    monkeypatch.setenv("REMOTEOPS_LAB_DIR", str(lab_dir))
    return cli


def test_lab_up_and_list_through_the_cli(lab_cli, lab_dir):
    up = lab_cli("lab", "up", "2")
    assert up.exit_code == 0, up.output
    workstations = lab_list(lab_dir)
    assert [w.name for w in workstations] == ["lab-01", "lab-02"]
    assert [w.employee_id for w in workstations] == ["LAB01", "LAB02"]
    assert all(w.running and w.address == "127.0.0.1" for w in workstations)
    # what the user sees: one row per workstation, how to reach it
    rows = [
        [c.strip() for c in line.strip("│").split("│")]
        for line in up.stdout.splitlines()
        if line.startswith("│ lab-")
    ]
    assert rows == [[w.name, w.employee_id, w.ssh_target, "yes"] for w in workstations]
    listed = json.loads(lab_cli("lab", "list", "--json").stdout)
    assert [(r["name"], r["ssh"], r["running"]) for r in listed] == [
        (w.name, w.ssh_target, "yes") for w in workstations
    ]

    # what was written: the inventory, the admin's key (owner-only), the host keys
    inventory = yaml.safe_load((lab_dir / "hosts.yml").read_text())
    lab = inventory["all"]["children"]["workstations"]["children"]["lab"]["hosts"]
    assert sorted(lab) == ["lab-01", "lab-02"]
    assert stat.S_IMODE((lab_dir / "id_ed25519").stat().st_mode) == 0o600
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
    login = subprocess.run(
        [
            "ssh",
            "-i",
            str(lab_dir / "id_ed25519"),
            "-p",
            str(workstations[0].port),
            "-o",
            f"UserKnownHostsFile={lab_dir / 'known_hosts'}",
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

    again = lab_cli("lab", "up", "1")
    assert again.exit_code == 1 and "already runs" in again.stderr
    assert "Traceback" not in again.output


#: Ansible's own temporary folders: the admin's, and root's that Mitogen makes after become.
ANSIBLE_TEMP = ("home/itadmin/.ansible", "root/.ansible")


def _snapshot(root: Path) -> dict[str, tuple]:
    """Every file of a workstation with its metadata and content hash (Ansible's own
    temporary folder in the admin's home excluded)."""
    seen = {}
    for folder, dirs, files in os.walk(root):
        rel = os.path.relpath(folder, root)
        if rel.split(os.sep)[0] in ("proc", "sys", "dev", "run", "tmp"):
            dirs[:] = []
            continue
        dirs[:] = [d for d in dirs if os.path.join(rel, d) not in ANSIBLE_TEMP]
        for name in dirs + files:
            path = Path(folder) / name
            info = path.lstat()
            digest = ""
            if stat.S_ISREG(info.st_mode):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            seen[os.path.join(rel, name)] = (info.st_mode, info.st_uid, info.st_gid, digest)
    return seen


def test_check_on_a_fresh_workstation_changes_nothing_and_shows_the_changes(
    lab_dir, company, tmp_path, secrets_to_hide
):
    """Check mode with --diff on a workstation nothing was applied to: it would change
    things (and shows the changes, the support contact among them), but changes nothing."""
    workstation = lab_list(lab_dir)[0]
    before = _snapshot(workstation.root)
    run = provision(
        company, inventory_path(lab_dir), tmp_path, targets=["lab-01"], check=True, diff=True
    )
    assert run.mode == "check"
    assert run.succeeded, run.summary()
    host = run.host("lab-01")
    assert host.changed > 0  # it would change things...
    after = _snapshot(workstation.root)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert changed == []  # ...but changed nothing
    motd = [c for c in host.changes if c.task == "Show the support contact after login (/etc/motd)"]
    (change,) = motd
    phone = load_company(company).details.it_support.phone
    assert f"+    Phone:  {phone}" in change.diff.splitlines()
    everything = "\n".join(c.diff for c in host.changes)
    for secret in secrets_to_hide:
        assert secret not in everything


def test_lab_down_through_the_cli_stops_even_a_workstation_whose_sshd_died(lab_cli, lab_dir):
    workstations = lab_list(lab_dir)
    for pid in sshd_pids(workstations[1].root):
        os.kill(pid, 9)
    down = lab_cli("lab", "down")
    assert down.exit_code == 0, down.output
    assert "Stopped and removed 2 lab workstation(s)." in down.stdout
    assert _processes_rooted_in(lab_dir.parent) == []
    assert not lab_dir.exists()
    assert lab_list(lab_dir) == []
    empty = lab_cli("lab", "list")
    assert "No lab is up: 'remoteops lab up 2' starts one." in empty.stdout


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
