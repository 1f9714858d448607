"""Helpers shared by the provisioning tests (importable as ``provision_helpers``)."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from remoteops.synthetic import write_company

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = REPO / "playbooks" / "workstation.yml"
SAMPLE = REPO / "inventory"
SAMPLE_VAULT_DIR = SAMPLE / "group_vars" / "workstations"
SAMPLE_VAULT_PASSWORD = SAMPLE / ".vault-password"

IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root (lab workstations)")


def switch_off(workstation) -> None:
    """Kill every process of a lab workstation (its sshd): it stays in the inventory but
    nothing answers on its SSH port, as when an agent's PC is off."""
    from remoteops.lab.workstations import _processes_rooted_in

    for pid in _processes_rooted_in(workstation.root):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)


def vault_secrets() -> dict[str, str]:
    """The sample vault's decrypted values (read with the real ansible-vault)."""
    text = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-vault"),
            "view",
            str(SAMPLE_VAULT_DIR / "vault.yml"),
            "--vault-password-file",
            str(SAMPLE_VAULT_PASSWORD),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {k: str(v) for k, v in yaml.safe_load(text).items()}


def make_company(root: Path, employees: int = 4) -> Path:
    """A small invented company with the sample's baseline settings and vault."""
    write_company(root, employees=employees, seed=11)
    shutil.copytree(SAMPLE_VAULT_DIR, root / "group_vars" / "workstations")
    shutil.copy2(SAMPLE_VAULT_PASSWORD, root / ".vault-password")
    return root


def ssh(folder: Path, port: int, command: str) -> str:
    """Run ``command`` on a lab workstation as its IT admin, through its sshd."""
    proc = subprocess.run(
        [
            "ssh",
            "-i",
            str(folder / "id_ed25519"),
            "-p",
            str(port),
            "-o",
            "BatchMode=yes",
            "-o",
            f"UserKnownHostsFile={folder / 'known_hosts'}",
            "-o",
            "StrictHostKeyChecking=yes",
            "itadmin@127.0.0.1",
            command,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
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
    effective = ssh(folder, w.port, "sudo /usr/sbin/sshd -T").lower().splitlines()
    for setting in (
        "permitrootlogin no",
        "passwordauthentication no",
        "kbdinteractiveauthentication no",
        "allowusers itadmin",
    ):
        assert setting in effective, setting
    groups = ssh(folder, w.port, f"id -nG {agent}").split()
    assert "sudo" not in groups and "audio" in groups
    assert "is not allowed to run sudo" in ssh(folder, w.port, f"sudo -l -U {agent}")
