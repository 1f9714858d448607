"""Helpers shared by the provisioning tests (importable as ``provision_helpers``)."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from remoteops.synthetic import write_company

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = REPO / "playbooks" / "workstation.yml"
SAMPLE = REPO / "inventory"
SAMPLE_VAULT_DIR = SAMPLE / "group_vars" / "workstations"
SAMPLE_VAULT_PASSWORD = SAMPLE / ".vault-password"

IS_ROOT = os.geteuid() == 0
#: The employees of the session's shared lab pair (lab-01, lab-02).
LAB_EMPLOYEES = ("E0901", "E0902")
needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root (lab workstations)")


def lab_test(test):
    """A test on lab workstations: marked root and slow, skipped without root."""
    return pytest.mark.root(pytest.mark.slow(needs_root(test)))


def lab_folder(tmp_path_factory, name: str) -> Path:
    """A folder for a lab; not on a nosuid filesystem (sudo must work inside)."""
    folder = tmp_path_factory.mktemp(name)
    if os.statvfs(folder).f_flag & os.ST_NOSUID:
        folder = Path("/var/tmp") / f"remoteops-test-{name}-{os.getpid()}"
    return folder / "lab"


def provision(company: Path, lab_inventory: Path, work: Path, **options):
    """Run the baseline like ``remoteops provision lab`` does: company + lab inventory, the
    ``live`` tasks skipped, the company's support contact from the inventory (refreshed from
    company.yml first)."""
    from remoteops.inventory import load_company
    from remoteops.provision import run_playbook, write_company_vars

    options.setdefault("targets", ["lab"])
    write_company_vars(load_company(company), company)
    return run_playbook(
        PLAYBOOK,
        [company / "hosts.yml", lab_inventory],
        work_dir=work / "artifacts",
        skip_tags=options.pop("skip_tags", ["live"]),
        vault_password_file=options.pop("vault_password_file", company / ".vault-password"),
        **options,
    )


#: The UEFI variable holding the Secure Boot state (its last byte is 1 when it is on).
SECURE_BOOT_VAR = Path("/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c")


def expected_secure_boot() -> str:
    """What the Secure Boot report must say on a lab workstation, read from this machine's
    firmware (a lab workstation shares the kernel and so its /sys/firmware)."""
    if not Path("/sys/firmware/efi").exists():
        return "not UEFI"
    if not SECURE_BOOT_VAR.exists():
        return "unknown"
    return "on" if SECURE_BOOT_VAR.read_bytes()[-1:] == b"\x01" else "off"


def _processes() -> dict[int, tuple[int, bytes]]:
    """pid -> (parent pid, command line) of every process, read from /proc."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat_line = Path(f"/proc/{entry}/stat").read_bytes()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:  # gone meanwhile
            continue
        parent = int(stat_line[stat_line.rindex(b")") + 2 :].split()[1])
        found[int(entry)] = (parent, cmdline)
    return found


@contextlib.contextmanager
def ansible_workers_seen(interval: float = 0.02):
    """While the block runs, the most Ansible worker processes alive at once among this
    process's descendants: the ansible-playbook processes forked by the main one (one per
    host it works on; ``--forks`` caps them; what a worker forks in turn is not counted).
    Yields a list; its one item is the count, final when the block ends."""
    seen, stop, me = [0], threading.Event(), os.getpid()

    def poll() -> None:
        while not stop.is_set():
            procs = _processes()
            mine = {me}
            grew = True
            while grew:
                more = {pid for pid, (parent, _) in procs.items() if parent in mine} - mine
                grew = bool(more)
                mine |= more
            playbook = {
                p
                for p in mine - {me}
                if any(a.endswith(b"ansible-playbook") for a in procs[p][1].split(b"\0")[:2])
            }
            main = {p for p in playbook if procs[p][0] not in playbook}
            workers = [p for p in playbook if procs[p][0] in main]
            seen[0] = max(seen[0], len(workers))
            stop.wait(interval)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        yield seen
    finally:
        stop.set()
        watcher.join()


def switch_off(workstation) -> None:
    """Kill every process of a lab workstation (its sshd): it stays in the inventory but
    nothing answers on its SSH port, as when an agent's PC is off."""
    from remoteops.lab.workstations import _processes_rooted_in

    for pid in _processes_rooted_in(workstation.root):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)


def vault_secrets() -> dict[str, str]:
    """The sample vault's decrypted values (each ``!vault`` value read with the real
    ansible-vault)."""
    from remoteops import yamlio

    path = SAMPLE_VAULT_DIR / "vault.yml"
    encrypted = yamlio.construct(yamlio.compose(path, path.name, ansible=True), path.name)
    values = {}
    for name, text in encrypted.items():
        values[name] = subprocess.run(
            [
                str(Path(sys.executable).parent / "ansible-vault"),
                "decrypt",
                "--vault-password-file",
                str(SAMPLE_VAULT_PASSWORD),
                "--output",
                "-",
            ],
            input=text,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return values


def make_company(root: Path, employees: int = 4) -> Path:
    """A small invented company with the sample's baseline settings and vault."""
    write_company(root, employees=employees, seed=11)
    shutil.copytree(SAMPLE_VAULT_DIR, root / "group_vars" / "workstations")
    shutil.copy2(SAMPLE_VAULT_PASSWORD, root / ".vault-password")
    return root


def run_ssh(folder: Path, workstation, command: str) -> subprocess.CompletedProcess:
    """Run ``command`` on a lab workstation as its IT admin, through its sshd; whatever
    it returns."""
    from remoteops.lab import ssh_command

    return subprocess.run(
        ssh_command(folder, workstation, command),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def ssh(folder: Path, workstation, command: str) -> str:
    """Run ``command`` on a lab workstation as its IT admin; it must succeed."""
    proc = run_ssh(folder, workstation, command)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def assert_baseline(w, folder: Path, support) -> None:
    """The home-office baseline is on lab workstation ``w`` (of the lab in ``folder``):
    its files, read from its root filesystem, and what its running sshd and accounts say.
    ``support`` is the company's IT support contact (company.yml)."""
    etc = w.root / "etc"
    agent = w.employee_id.lower()
    auto = (etc / "apt/apt.conf.d/20auto-upgrades").read_text()
    assert 'APT::Periodic::Unattended-Upgrade "1";' in auto
    assert 'APT::Periodic::Update-Package-Lists "1";' in auto
    origins = (etc / "apt/apt.conf.d/52remoteops-unattended-upgrades").read_text()
    assert "label=Debian-Security" in origins
    # screen lock, locked system-wide, and compiled into the dconf database
    lock = (etc / "dconf/db/local.d/00-remoteops-screen-lock").read_text()
    assert "idle-delay=uint32 900" in lock and "lock-enabled=true" in lock
    locks = (etc / "dconf/db/local.d/locks/00-remoteops-screen-lock").read_text()
    assert "/org/gnome/desktop/screensaver/lock-enabled" in locks
    assert "automount=false" in (etc / "dconf/db/local.d/00-remoteops-media").read_text()
    assert (etc / "dconf/db/local").is_file()
    # firewall: inbound default deny, SSH only through the VPN, loaded at boot
    rules = (etc / "nftables.conf").read_text()
    assert "hook input priority filter; policy drop;" in rules
    assert 'iifname "wg0" tcp dport { 22 } accept' in rules
    assert (etc / "systemd/system/sysinit.target.wants/nftables.service").is_symlink()
    # USB mass storage blocked
    usb = (etc / "modprobe.d/remoteops-usb-storage.conf").read_text()
    assert "install usb_storage /bin/false" in usb
    # VPN: root-only key file, enabled at boot
    wg = etc / "wireguard/wg0.conf"
    info = wg.stat()
    assert stat.S_IMODE(info.st_mode) == 0o600 and (info.st_uid, info.st_gid) == (0, 0)
    assert stat.S_IMODE((etc / "wireguard").stat().st_mode) == 0o700
    assert "Endpoint = vpn.hks-berlin.example:51820" in wg.read_text()
    assert "PrivateKey = " in wg.read_text()
    assert (etc / "systemd/system/multi-user.target.wants/wg-quick@wg0.service").is_symlink()
    # accounts: the agent exists without sudo, root is locked
    group = {line.split(":")[0]: line.split(":")[3] for line in (etc / "group").open()}
    assert agent in group["audio"].strip().split(",")
    assert agent not in group["sudo"].strip().split(",")
    shadow = {line.split(":")[0]: line.split(":")[1] for line in (etc / "shadow").open()}
    assert shadow["root"].startswith("!")
    # support contact from company.yml in /etc/motd
    motd = (etc / "motd").read_text()
    assert support.phone in motd and support.name in motd
    rules = (etc / "audit/rules.d/50-remoteops.rules").read_text()
    assert "-w /etc/sudoers -p wa -k scope" in rules and "time-change" in rules
    assert "Storage=persistent" in (etc / "systemd/journald.conf.d/50-remoteops.conf").read_text()
    assert "kernel.kptr_restrict = 2" in (etc / "sysctl.d/60-remoteops-hardening.conf").read_text()

    # what the running system says: sshd's effective settings and the agent's groups
    effective = ssh(folder, w, "sudo /usr/sbin/sshd -T").lower().splitlines()
    for setting in (
        "permitrootlogin no",
        "passwordauthentication no",
        "kbdinteractiveauthentication no",
        "allowusers itadmin",
    ):
        assert setting in effective, setting
    groups = ssh(folder, w, f"id -nG {agent}").split()
    assert "sudo" not in groups and "audio" in groups
    assert "is not allowed to run sudo" in ssh(folder, w, f"sudo -l -U {agent}")
