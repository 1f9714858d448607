"""Booted lab workstations: each runs its own systemd (``systemd-nspawn --boot``).

A booted workstation gets its own network namespace (``ip netns``) joined to this machine by
a veth pair: ``10.213.N.1`` on this machine, ``10.213.N.2`` on the workstation (its
``host0``), sshd on port 22 there. So its firewall, services and SSH server really run and can
be tested from outside, without touching this machine's own network. The kernel stays
shared: kernel settings, modules, the boot loader, the audit subsystem and AppArmor are
never changed from a lab workstation (``wks_hardening_apply_kernel`` is off).

systemd-nspawn runs with ``--register=no --keep-unit`` because this machine's PID 1 need not
be systemd (no machined, no system bus); each workstation's processes live in cgroups of
their own (``remoteops-lab-<lab>-<nn>``), which ``lab down`` empties and removes. A small
supervising loop (:data:`SUPERVISOR`, the process ``lab.json`` records) boots the workstation
again when it reboots, so a reboot can be tested; its network namespace, address and files
stay. The network settings (``/proc/sys/net``) are the workstation's own and writable;
the rest of ``/proc/sys`` belongs to the shared kernel and stays read-only.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from remoteops.lab.image import LabError

#: Booted workstations get 10.213.N.0/30: .1 is this machine's end, .2 the workstation.
NET_PREFIX = "10.213."
SSH_PORT = 22
#: The workstation's end of the veth pair, as systemd-nspawn names it (``host0``).
WORKSTATION_INTERFACE = "host0"
CGROUP_ROOT = Path("/sys/fs/cgroup")
PROPAGATE_DIR = Path("/run/systemd/nspawn/propagate")
_LOCK = Path("/run/remoteops-lab.lock")
STOP_TIMEOUT = 20.0


def lab_id(directory: Path) -> str:
    """Six hex digits naming the lab in network and cgroup names (several labs may run)."""
    return hashlib.sha256(str(directory).encode()).hexdigest()[:6]


def names(directory: Path, number: int) -> dict[str, str]:
    """The network namespace, this machine's veth end and the machine name of workstation
    ``number`` (interface names stay under 16 characters)."""
    ident = lab_id(directory)
    return {
        "netns": f"rolab-{ident}-{number:02d}",
        "veth": f"rol{ident}{number:02d}",
        "machine": f"rolab-{ident}-{number:02d}",
    }


def _ip(*args: str) -> str:
    proc = subprocess.run(
        ["ip", *args], capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
    )
    if proc.returncode != 0:
        raise LabError(
            f"'ip {' '.join(args)}' failed: {proc.stderr.strip() or proc.returncode}.",
            hint="The booted lab needs network namespaces and veth devices (iproute2, root).",
        )
    return proc.stdout


def _used_subnets() -> set[int]:
    used = set()
    for line in _ip("-o", "-4", "addr", "show").splitlines():
        for word in line.split():
            if word.startswith(NET_PREFIX):
                with contextlib.suppress(ValueError, IndexError):
                    used.add(int(word.split(".")[2]))
    return used


def _cgroup_hierarchies() -> list[Path]:
    """Where a workstation's cgroup goes: the unified (cgroup v2) tree and, on a hybrid
    machine, systemd's named v1 tree too."""
    if (CGROUP_ROOT / "cgroup.controllers").exists():  # pure cgroup v2
        return [CGROUP_ROOT]
    return [CGROUP_ROOT / h for h in ("unified", "systemd") if (CGROUP_ROOT / h).is_dir()]


def create_network(record: dict) -> None:
    """The workstation's network namespace and veth pair, with a free 10.213.N.0/30."""
    _LOCK.touch(exist_ok=True)
    with open(_LOCK) as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        used = _used_subnets()
        free = [n for n in range(1, 255) if n not in used]
        if not free:
            raise LabError(f"No free {NET_PREFIX}N.0/30 network for a booted workstation.")
        subnet = f"{NET_PREFIX}{free[0]}"
        netns, veth = record["netns"], record["veth"]
        _ip("netns", "add", netns)
        record["network_created"] = True
        _ip("link", "add", veth, "type", "veth", "peer", "name", WORKSTATION_INTERFACE)
        _ip("link", "set", WORKSTATION_INTERFACE, "netns", netns)
        _ip("addr", "add", f"{subnet}.1/30", "dev", veth)
        _ip("link", "set", veth, "up")
    inside = ("netns", "exec", netns, "ip")
    _ip(*inside, "addr", "add", f"{subnet}.2/30", "dev", WORKSTATION_INTERFACE)
    _ip(*inside, "link", "set", WORKSTATION_INTERFACE, "up")
    _ip(*inside, "link", "set", "lo", "up")
    record["address"] = f"{subnet}.2"
    record["port"] = SSH_PORT


#: Keeps a booted workstation running across its own reboots, as systemd's
#: ``systemd-nspawn@.service`` does with ``RestartForceExitStatus=133``: systemd-nspawn exits
#: with 133 when the workstation reboots, and is started again. SIGTERM (``lab down``) is
#: passed on to systemd-nspawn, which powers the workstation off; then the loop ends.
#: Each systemd-nspawn joins the workstation's cgroups before it starts (``echo 0`` moves
#: the writing process); this loop stays outside them. Arguments: the cgroups, ``--``,
#: the systemd-nspawn command line.
SUPERVISOR = r"""
cgroups=
while [ "$1" != -- ]; do cgroups="$cgroups $1"; shift; done
shift
stopping=
trap 'stopping=1; kill -TERM "$child" 2>/dev/null' TERM
while :; do
    (
        for cgroup in $cgroups; do echo 0 >"$cgroup/cgroup.procs" || exit 1; done
        exec "$@"
    ) &
    child=$!
    while :; do
        wait "$child"
        status=$?
        kill -0 "$child" 2>/dev/null || break  # else the trap interrupted wait: wait on
    done
    if [ -n "$stopping" ] || [ "$status" -ne 133 ]; then
        exit "$status"
    fi
    echo "remoteops-lab: the workstation rebooted; starting it again" >&2
done
"""
#: Its network settings (/proc/sys/net) are the workstation's own (own network namespace):
#: the baseline may load them, as on a real PC. The rest of /proc/sys stays read-only.
NSPAWN_ENV = {"SYSTEMD_NSPAWN_API_VFS_WRITABLE": "network"}


def command(record: dict) -> list[str]:
    """The command line that boots the workstation in its own cgroups (created here) and
    network namespace, and boots it again whenever it reboots (:data:`SUPERVISOR`)."""
    cgroups = [str(h / f"remoteops-lab-{record['machine'][6:]}") for h in _cgroup_hierarchies()]
    for cgroup in cgroups:
        Path(cgroup).mkdir(exist_ok=True)
    record["cgroups"] = cgroups
    nspawn = [
        "systemd-nspawn",
        "--boot",
        "--quiet",
        f"--directory={record['root']}",
        f"--machine={record['machine']}",
        f"--hostname={record['name']}",
        "--register=no",
        "--keep-unit",
        f"--network-namespace-path=/run/netns/{record['netns']}",
        "--console=read-only",
        # its firewall: nftables in its own network namespace
        "--capability=CAP_NET_ADMIN",
    ]
    return ["/bin/sh", "-c", SUPERVISOR, "remoteops-lab-boot", *cgroups, "--", *nspawn]


def _cgroup_pids(cgroup: Path) -> list[int]:
    pids: list[int] = []
    for procs in cgroup.rglob("cgroup.procs"):
        with contextlib.suppress(OSError, ValueError):
            pids += [int(p) for p in procs.read_text().split()]
    return pids


def stop(record: dict, running: bool) -> None:
    """Shut the workstation down (systemd's own shutdown, then SIGKILL for what is left),
    then remove its cgroups, network namespace, veth pair and nspawn's run folder."""
    pid = record.get("pid") or 0  # the supervising loop
    if running and pid:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)  # nspawn asks the workstation's systemd to power off
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.1)
    cgroups = [Path(c) for c in record.get("cgroups", [])]
    deadline = time.monotonic() + STOP_TIMEOUT
    while True:
        left = {p for c in cgroups if c.is_dir() for p in _cgroup_pids(c)}
        if running and pid and _alive(pid):
            left.add(pid)
        if not left:
            break
        if time.monotonic() > deadline:
            raise LabError(
                f"Processes {sorted(left)} of lab workstation {record['name']} did not stop.",
                hint="Check them with ps; the lab's files were kept.",
            )
        for p in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGKILL)
        time.sleep(0.1)
    for cgroup in cgroups:
        if cgroup.is_dir():
            for sub in sorted((d for d in cgroup.rglob("*") if d.is_dir()), reverse=True):
                with contextlib.suppress(FileNotFoundError):  # removed by its release agent
                    sub.rmdir()
            with contextlib.suppress(FileNotFoundError):
                cgroup.rmdir()
    if record.get("netns") and Path("/run/netns", record["netns"]).exists():
        _ip("netns", "delete", record["netns"])  # takes the veth pair with it
    veth = Path("/sys/class/net", record.get("veth") or "-")
    deadline = time.monotonic() + 5  # the kernel removes the pair shortly after the namespace
    while veth.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    if veth.exists():
        with contextlib.suppress(LabError):  # gone in the meantime
            _ip("link", "delete", veth.name)
    if record.get("machine"):
        shutil.rmtree(PROPAGATE_DIR / record["machine"], ignore_errors=True)


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def leftovers(directory: Path, count: int) -> list[str]:
    """What a booted lab in ``directory`` could have left on this machine (for the tests
    and for ``lab down``'s final check): network namespaces, veths, cgroups."""
    found = []
    for number in range(1, count + 1):
        n = names(directory, number)
        if Path("/run/netns", n["netns"]).exists():
            found.append(f"network namespace {n['netns']}")
        if Path("/sys/class/net", n["veth"]).exists():
            found.append(f"network device {n['veth']}")
        for h in _cgroup_hierarchies():
            if (h / f"remoteops-lab-{n['machine'][6:]}").exists():
                found.append(f"cgroup {h / ('remoteops-lab-' + n['machine'][6:])}")
        if (PROPAGATE_DIR / n["machine"]).exists():
            found.append(f"folder {PROPAGATE_DIR / n['machine']}")
    return found
