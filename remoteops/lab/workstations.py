"""Disposable lab workstations: a Debian root filesystem each, with its own sshd on 127.0.0.1.

Each workstation runs in its own mount, PID, UTS and IPC namespace (``unshare``) and a
``chroot`` into its unpacked image. The namespace's PID 1 is a small shell *outside* the
chroot, so tools on the workstation (systemctl, Ansible's service modules) see that they run
in a chroot: they enable services offline and never start them. Only sshd runs. The network
namespace is this machine's, which is why sshd listens on 127.0.0.1 only and why the
playbooks never apply live changes (firewall, sysctl, modules) on a lab workstation.

Files in the lab folder::

    lab.json             what runs where (names, ports, process ids)
    hosts.yml            the Ansible inventory: group ``lab`` (inside ``workstations``)
    id_ed25519[.pub]     the key Ansible uses to log in as the admin account
    known_hosts          the workstations' host keys, so host key checking stays on
    workstations/<name>/root, sshd.log
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

from remoteops.files import write_private
from remoteops.lab import boot
from remoteops.lab.image import (
    ADMIN_USER,
    LabError,
    ensure_image,
    require_root,
    require_tools,
    unpack_image,
)

LOOPBACK = "127.0.0.1"
MAX_WORKSTATIONS = 40
STATE_FILE = "lab.json"
INVENTORY_FILE = "hosts.yml"
KEY_FILE = "id_ed25519"
KNOWN_HOSTS_FILE = "known_hosts"
READY_TIMEOUT = 30.0
BOOT_TIMEOUT = 90.0
#: Lab workstations get VPN addresses from this documentation-style range; nothing routes it.
LAB_VPN_PREFIX = "10.99.0."

# PID 1 of each workstation's namespace. Arguments: root folder, port, hostname.
_INIT = r"""
set -e
root=$1 port=$2 name=$3
mount -t proc proc "$root/proc"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$root/run"
mount -t tmpfs -o mode=0755,nosuid tmpfs "$root/dev"
for node in null zero full random urandom tty; do
    touch "$root/dev/$node"
    mount --bind "/dev/$node" "$root/dev/$node"
done
mkdir -p "$root/dev/pts" "$root/dev/shm" "$root/run/sshd" "$root/run/lock"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
hostname "$name"
chroot "$root" /usr/sbin/sshd -D -e -p "$port" -o ListenAddress=127.0.0.1 &
wait
"""
_CLEAN_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}


@dataclass(frozen=True)
class LabWorkstation:
    """One lab workstation as ``remoteops lab list`` shows it."""

    name: str
    employee_id: str
    address: str
    port: int
    root: Path
    pid: int | None
    running: bool
    booted: bool = False

    @property
    def ssh_target(self) -> str:
        return f"{ADMIN_USER}@{self.address}:{self.port}"


# -- processes -----------------------------------------------------------------------------
def _start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (guards against a reused process id), None if gone
    or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):
        return None
    return fields[19]


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _processes_rooted_in(directory: Path) -> list[int]:
    """Every process whose root directory lies inside ``directory`` (lab processes only)."""
    found = []
    prefix = str(directory.resolve()) + os.sep
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            root = os.readlink(entry / "root")
        except OSError:
            continue
        if (root + os.sep).startswith(prefix) and _start_time(int(entry.name)):
            found.append(int(entry.name))
    return found


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):  # reap it if this process started it
        os.waitpid(pid, os.WNOHANG)


def _wait_gone(pids: Sequence[int], timeout: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        for pid in alive:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
        alive = [p for p in alive if _start_time(p)]
        if alive:
            time.sleep(0.05)
    return alive


def _stop(pid: int, start_time: str | None) -> None:
    if not pid or _start_time(pid) != start_time:
        return
    # The namespace's PID 1 first: when it dies the kernel kills everything inside.
    for child in _children(pid):
        _kill(child)
    _kill(pid)


# -- helpers -------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _wait_for_sshd(record: dict, log: Path, timeout: float, failure: str) -> None:
    """Wait until the workstation's sshd (``record``: address, port, pid) greets, or raise
    :class:`LabError` with ``failure`` and the last lines of its ``log``."""
    address = record.get("address", LOOPBACK)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _start_time(record["pid"]):
            break
        try:
            with socket.create_connection((address, record["port"]), timeout=2) as sock:
                if sock.recv(64).startswith(b"SSH-"):
                    return
        except OSError:
            time.sleep(0.1)
    tail = " | ".join(log.read_text(errors="replace").splitlines()[-5:]) if log.exists() else ""
    raise LabError(f"{failure} {tail}".strip(), hint=f"See {log}.")


def _passwd_ids(root: Path, user: str) -> tuple[int, int]:
    for line in (root / "etc/passwd").read_text().splitlines():
        parts = line.split(":")
        if parts[0] == user:
            return int(parts[2]), int(parts[3])
    raise LabError(f"The lab image has no {user} account; delete the cached image and retry.")


def _read_state(directory: Path) -> list[dict]:
    path = directory / STATE_FILE
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return list(data["workstations"])
    except (ValueError, KeyError, TypeError) as exc:
        raise LabError(
            f"{path} is damaged ({exc}).", hint="Remove the lab folder by hand if no lab runs."
        ) from None


def _write_state(directory: Path, records: list[dict]) -> None:
    write_private(
        directory / STATE_FILE, json.dumps({"version": 1, "workstations": records}, indent=2)
    )


def _workstation(record: dict) -> LabWorkstation:
    pid = record.get("pid")
    running = bool(pid) and _start_time(pid) == record.get("start_time")
    return LabWorkstation(
        name=record["name"],
        employee_id=record["employee_id"],
        address=record.get("address", LOOPBACK),
        port=int(record["port"]),
        root=Path(record["root"]),
        pid=pid,
        running=running,
        booted=record.get("mode") == "boot",
    )


def inventory_path(directory: Path) -> Path:
    """The lab's Ansible inventory (group ``lab``), for ``run_playbook(inventories=...)``."""
    return Path(directory) / INVENTORY_FILE


def ssh_command(directory: Path, workstation: LabWorkstation, command: str) -> list[str]:
    """The ssh command line that runs ``command`` on a lab workstation as its IT admin: the
    lab's key only, host keys checked against the lab's known_hosts, never a prompt."""
    return [
        "ssh",
        "-i",
        str(Path(directory) / KEY_FILE),
        "-p",
        str(workstation.port),
        "-o",
        f"UserKnownHostsFile={Path(directory) / KNOWN_HOSTS_FILE}",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "BatchMode=yes",
        f"{ADMIN_USER}@{workstation.address}",
        command,
    ]


def _inventory(directory: Path, records: list[dict], public_key: str) -> str:
    ssh_args = " ".join(
        [
            "-o",
            shlex.quote(f"UserKnownHostsFile={directory / KNOWN_HOSTS_FILE}"),
            "-o StrictHostKeyChecking=yes -o IdentitiesOnly=yes",
        ]
    )
    hosts = {}
    for number, record in enumerate(records, start=1):
        hosts[record["name"]] = {
            "ansible_host": record.get("address", LOOPBACK),
            "ansible_port": record["port"],
            "employee_id": record["employee_id"],
            "ansible_user": ADMIN_USER,
            "ansible_ssh_private_key_file": str(directory / KEY_FILE),
            "ansible_ssh_common_args": ssh_args,
            "ansible_python_interpreter": "/usr/bin/python3",
            # The lab shares this machine's kernel and network: never apply live changes.
            "wks_lab_workstation": True,
            "wks_base_packages_update_cache": False,
            "wks_vpn_address": f"{LAB_VPN_PREFIX}{number}/32",
            "wks_hardening_admin_ssh_additional_keys": [public_key],
        }
        if record.get("mode") == "boot":
            hosts[record["name"]] |= _BOOTED_VARS
    data = {"all": {"children": {"workstations": {"children": {"lab": {"hosts": hosts}}}}}}
    header = (
        "# Generated by remoteops lab up: disposable local workstations on 127.0.0.1.\n"
        "# Use together with the company inventory, e.g.\n"
        "#   ansible-playbook -i inventory/hosts.yml -i THIS_FILE playbooks/workstation.yml"
        " --limit lab --skip-tags live\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False)


#: A booted workstation runs its own systemd and network: services, firewall and SSH are
#: applied live; the kernel (settings, modules, boot loader, audit, AppArmor) is this
#: machine's and is never touched; there is no VPN server, so IT's SSH comes over the lab link.
_BOOTED_VARS = {
    "wks_lab_booted": True,
    "wks_base_apply_live": True,
    "wks_hardening_apply_live": True,
    "wks_hardening_apply_kernel": False,
    # Its network ends at this machine: apt must not try to refresh its package lists.
    "wks_base_cache_valid_time": 0,
    "wks_hardening_firewall_support_interfaces": [boot.WORKSTATION_INTERFACE],
    # It can restart (the lab boots it again), so the reboot repair really restarts it.
    "wks_repair_apply_reboot": True,
}


def _start(record: dict, log: Path) -> None:
    """Start the workstation in the background (its own session), output to ``log``."""
    if record.get("mode") == "boot":
        argv, env = boot.command(record), _CLEAN_ENV | boot.NSPAWN_ENV
    else:
        argv = [
            "unshare",
            "--mount",
            "--pid",
            "--uts",
            "--ipc",
            "--fork",
            "--kill-child",
            "--propagation",
            "private",
            "/bin/sh",
            "-c",
            _INIT,
            "remoteops-lab-init",
            record["root"],
            str(record["port"]),
            record["name"],
        ]
        env = _CLEAN_ENV
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
    record["pid"] = proc.pid
    record["start_time"] = _start_time(proc.pid)


def _check_directory(directory: Path) -> None:
    probe = directory
    while not probe.exists():
        probe = probe.parent
    if os.statvfs(probe).f_flag & os.ST_NOSUID:
        raise LabError(
            f"{directory} is on a filesystem mounted nosuid, where sudo cannot work.",
            hint="Choose a lab folder on another filesystem.",
        )


# -- the public API ------------------------------------------------------------------------
def _prepare_workstation(directory: Path, name: str, image: Path, public_key: str) -> None:
    """Unpack the image for one workstation and give it its own name and host key."""
    root = directory / "workstations" / name / "root"
    unpack_image(image, root)
    host_key = root / "etc/ssh/ssh_host_ed25519_key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(host_key)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    (root / "etc/hostname").write_text(name + "\n")
    (root / "etc/hosts").write_text(
        f"127.0.0.1\tlocalhost\n127.0.1.1\t{name}\n::1\tlocalhost ip6-localhost\n"
    )
    uid, gid = _passwd_ids(root, ADMIN_USER)
    ssh_dir = root / "home" / ADMIN_USER / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    write_private(ssh_dir / "authorized_keys", public_key + "\n")
    for path in (ssh_dir, ssh_dir / "authorized_keys"):
        os.chown(path, uid, gid)


def lab_up(
    n: int,
    directory: Path,
    *,
    employee_ids: Sequence[str] | None = None,
    cache: Path | None = None,
    progress: Callable[[str], None] | None = None,
    booted: bool = False,
) -> list[LabWorkstation]:
    """Start ``n`` lab workstations in ``directory`` and write their inventory.

    The first call builds the Debian image with debootstrap (a few minutes, needs the
    mirror); later calls unpack the cached tarball. ``employee_ids`` (default ``LAB01``...)
    become each host's ``employee_id``. Raises :class:`LabError` when not root, when a tool
    is missing, or when a lab already runs in ``directory``. ``booted`` starts each
    workstation with its own systemd and network (``systemd-nspawn --boot``, see
    :mod:`remoteops.lab.boot`) instead of a chroot with only sshd.
    """
    require_root()
    require_tools("unshare", "chroot", "mount", "ssh-keygen", "tar", "zstd")
    if booted:
        require_tools("systemd-nspawn", "ip")
    if not 1 <= n <= MAX_WORKSTATIONS:
        raise LabError(f"A lab has 1 to {MAX_WORKSTATIONS} workstations, not {n}.")
    ids = list(employee_ids) if employee_ids else [f"LAB{i:02d}" for i in range(1, n + 1)]
    if len(ids) != n or len(set(ids)) != n:
        raise LabError(f"Give {n} different employee IDs for {n} lab workstations, not {ids}.")
    directory = Path(directory).resolve()
    existing = [w for w in (_workstation(r) for r in _read_state(directory)) if w.running]
    if existing:
        raise LabError(
            f"A lab with {len(existing)} workstations already runs in {directory}.",
            hint="Stop it first with 'remoteops lab down'.",
        )
    if (directory / STATE_FILE).exists():
        lab_down(directory)
    _check_directory(directory)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    say = progress or (lambda _message: None)
    image = ensure_image(cache, progress=say)

    key = directory / KEY_FILE
    for path in (key, key.with_suffix(".pub")):
        path.unlink(missing_ok=True)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "remoteops-lab", "-f", str(key)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    public_key = key.with_suffix(".pub").read_text().strip()

    names = [f"lab-{number:02d}" for number in range(1, n + 1)]
    records: list[dict] = []
    known_hosts: list[str] = []
    try:
        say(f"Unpacking {n} lab workstation{'s' if n > 1 else ''}")
        with ThreadPoolExecutor(max_workers=min(n, os.cpu_count() or 1)) as pool:
            list(pool.map(lambda nm: _prepare_workstation(directory, nm, image, public_key), names))
        for number, (name, employee_id) in enumerate(zip(names, ids, strict=True), start=1):
            say(f"{'Booting' if booted else 'Starting'} lab workstation {name}")
            folder = directory / "workstations" / name
            root = folder / "root"
            host_key = root / "etc/ssh/ssh_host_ed25519_key"
            record = {"name": name, "employee_id": employee_id, "root": str(root)}
            if booted:
                record |= {"mode": "boot", **boot.names(directory, number)}
                records.append(record)
                _write_state(directory, records)
                boot.create_network(record)
                _write_state(directory, records)
                log = folder / "boot.log"
                _start(record, log)
                _write_state(directory, records)
                _wait_for_sshd(
                    record,
                    log,
                    BOOT_TIMEOUT,
                    f"The booted lab workstation {name} did not answer on "
                    f"{record['address']}:{record['port']}.",
                )
                host_public = host_key.with_suffix(".pub").read_text().split()
                known_hosts.append(f"{record['address']} {host_public[0]} {host_public[1]}")
                continue
            for _attempt in range(3):  # a port taken between probing and binding: try another
                record["port"] = _free_port()
                log = folder / "sshd.log"
                _start(record, log)
                records.append(record)
                _write_state(directory, records)
                try:
                    _wait_for_sshd(
                        record,
                        log,
                        READY_TIMEOUT,
                        f"The lab workstation's sshd on {LOOPBACK}:{record['port']} "
                        "did not come up.",
                    )
                    break
                except LabError:
                    records.pop()
                    _stop(record["pid"], record["start_time"])
                    if "Address already in use" not in log.read_text(errors="replace"):
                        raise
            else:
                raise LabError(f"No free loopback port found for {name}.")
            host_public = host_key.with_suffix(".pub").read_text().split()
            known_hosts.append(f"[{LOOPBACK}]:{record['port']} {host_public[0]} {host_public[1]}")
        write_private(directory / KNOWN_HOSTS_FILE, "\n".join(known_hosts) + "\n", mode=0o644)
        write_private(inventory_path(directory), _inventory(directory, records, public_key))
    except BaseException:
        _write_state(directory, records)
        lab_down(directory)
        raise
    return [_workstation(r) for r in records]


def lab_list(directory: Path) -> list[LabWorkstation]:
    """The lab's workstations and whether each still runs (empty if there is no lab)."""
    return [_workstation(r) for r in _read_state(Path(directory).resolve())]


def lab_down(directory: Path) -> list[LabWorkstation]:
    """Stop every lab workstation in ``directory`` and delete the lab's files.

    Kills each namespace (and, to be sure, any process whose root lies in the lab folder),
    checks that nothing is mounted there any more, then removes the folders.
    """
    require_root("Stopping the lab")
    directory = Path(directory).resolve()
    records = _read_state(directory)
    stopped = [_workstation(r) for r in records]
    for record in records:
        if record.get("mode") == "boot":
            pid = record.get("pid") or 0
            boot.stop(record, bool(pid) and _start_time(pid) == record.get("start_time"))
            continue
        _stop(record.get("pid") or 0, record.get("start_time"))
    if directory.is_dir():
        leftovers = _processes_rooted_in(directory)
        for pid in leftovers:
            _kill(pid)
        alive = _wait_gone([r.get("pid") or 0 for r in records if r.get("pid")] + leftovers)
        if alive:
            raise LabError(
                f"Lab processes {alive} in {directory} did not stop.",
                hint="Check them with ps; nothing was deleted.",
            )
        _remove_lab_files(directory)
    return stopped


def _mounts_under(directory: Path) -> list[str]:
    prefix = str(directory) + os.sep
    mounts = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if point.startswith(prefix):
            mounts.append(point)
    return mounts


def _remove_lab_files(directory: Path) -> None:
    mounts = _mounts_under(directory)
    if mounts:
        raise LabError(
            f"Something is still mounted in the lab folder: {mounts[0]}.",
            hint="Unmount it by hand; nothing was deleted.",
        )
    if (directory / "workstations").exists():
        shutil.rmtree(directory / "workstations")
    for name in (STATE_FILE, INVENTORY_FILE, KEY_FILE, KEY_FILE + ".pub", KNOWN_HOSTS_FILE):
        (directory / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # the caller's own files are still there: keep it
        directory.rmdir()


LAB_DIR_ENV = "REMOTEOPS_LAB_DIR"


def default_lab_directory() -> Path:
    """``REMOTEOPS_LAB_DIR`` if set, else ``/var/lib/remoteops/lab`` (the lab needs root)."""
    return Path(os.environ.get(LAB_DIR_ENV) or "/var/lib/remoteops/lab")
