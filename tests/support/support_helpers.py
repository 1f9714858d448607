"""Raw diagnoses as playbooks/diagnose.yml reports them (importable as ``support_helpers``).

:func:`healthy_report` is a live workstation (systemd running, not a lab) on which every
policy passes; tests change one command's result to make one policy fail or error. The
shapes are Ansible's registered results, as the lab runs show them.
"""

from __future__ import annotations

import copy
import datetime as dt

NOW = dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)
EPOCH = int(NOW.timestamp())

SERVICES = ["nftables.service", "wg-quick@wg0.service", "systemd-timesyncd.service"]


def command(stdout: str = "", rc: int = 0, stderr: str = "", **extra) -> dict:
    """A registered ``ansible.builtin.command`` result."""
    return {
        "changed": False,
        "rc": rc,
        "stdout": stdout,
        "stdout_lines": stdout.splitlines(),
        "stderr": stderr,
        "stderr_lines": stderr.splitlines(),
        "msg": "" if rc == 0 else "non-zero return code",
        **extra,
    }


def skipped() -> dict:
    return {"changed": False, "skipped": True, "skip_reason": "Conditional result was False"}


def loop(*items: tuple[str, dict]) -> dict:
    return {"changed": False, "results": [{**result, "item": item} for item, result in items]}


DF_MOUNTS = """Filesystem     Type     1024-blocks     Used Available Capacity Mounted on
/dev/nvme0n1p2 ext4       102626232 41050492  56316476      43% /
tmpfs          tmpfs        8126012        0   8126012       0% /dev/shm
/dev/nvme0n1p1 vfat          523248     6220    517028       2% /boot/efi
/dev/nvme0n1p3 ext4       380142372 91234560 269574816      26% /home
tmpfs          tmpfs        1625204     2048   1623156       1% /run
/dev/loop3     squashfs       65536    65536         0     100% /snap/core22/1380"""
DF_PATHS = """Filesystem     Type     1024-blocks     Used Available Capacity Mounted on
/dev/nvme0n1p2 ext4       102626232 41050492  56316476      43% /
/dev/nvme0n1p3 ext4       380142372 91234560 269574816      26% /home"""
SCREEN_LOCK = """/etc/dconf/db/local.d/00-remoteops-screen-lock:idle-delay=uint32 900
/etc/dconf/db/local.d/00-remoteops-screen-lock:idle-activation-enabled=true
/etc/dconf/db/local.d/00-remoteops-screen-lock:lock-enabled=true
/etc/dconf/db/local.d/00-remoteops-screen-lock:lock-delay=uint32 0
/etc/dconf/db/local.d/locks/00-remoteops-screen-lock:/org/gnome/desktop/session/idle-delay
/etc/dconf/db/local.d/locks/00-remoteops-screen-lock:/org/gnome/desktop/screensaver/idle-activation-enabled
/etc/dconf/db/local.d/locks/00-remoteops-screen-lock:/org/gnome/desktop/screensaver/lock-enabled
/etc/dconf/db/local.d/locks/00-remoteops-screen-lock:/org/gnome/desktop/screensaver/lock-delay
/etc/dconf/profile/user:system-db:local"""
VPN_SETTINGS = (
    "[Interface]\nAddress\nListenPort\nPrivateKey\n[Peer]\nPublicKey\nEndpoint\nAllowedIPs"
)
RULES = """9:		type filter hook input priority filter; policy drop;
32:		type filter hook forward priority filter; policy drop;
36:		type filter hook output priority filter; policy accept;"""
RULESET = """table inet remoteops {
	chain input {
		type filter hook input priority filter; policy drop;
		iif "lo" accept
	}
}"""
UPDATES_NONE = """Reading package lists...
Building dependency tree...
Calculating upgrade...
0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded."""
UPDATES_SECURITY = """Reading package lists...
Building dependency tree...
Calculating upgrade...
The following packages will be upgraded:
  libssl3 openssl tzdata
3 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.
Inst libssl3 [3.0.15-1~deb12u1] (3.0.17-1~deb12u2 Debian-Security:12/stable-security [amd64])
Inst openssl [3.0.15-1~deb12u1] (3.0.17-1~deb12u2 Debian-Security:12/stable-security [amd64])
Inst tzdata [2025a-0+deb12u1] (2025b-0+deb12u1 Debian:12.12/stable-updates [all])
Conf libssl3 (3.0.17-1~deb12u2 Debian-Security:12/stable-security [amd64])"""
AUDIT_HALF = """The following packages are only half configured, probably due to problems
configuring them the first time.  The configuration should be retried using
dpkg --configure <package> or the configure menu option in dselect:
 cowsay               configurable talking cow"""
SESSIONS = "     2 1000 e0042 seat0 tty2\n     5    0 root        pts/1"
SESSION_X11 = (
    "Id=2\nName=e0042\nType=x11\nClass=user\nActive=yes\n\n"
    "Id=5\nName=root\nType=tty\nClass=user\nActive=no"
)


def healthy_report() -> dict:
    """``HostResult.report`` of a workstation on which every policy passes."""
    enabled = loop(*((unit, command("enabled")) for unit in SERVICES))
    results = {
        "enabled": enabled,
        "active": command("active\nactive\nactive"),
        "failed_services": command(""),
        "vpn_settings": command(VPN_SETTINGS),
        "vpn_handshake": command(f"o8asCKuPOXLDSFERUtTvlgA0Vx+BLBQVQvYMr6LMaTA=\t{EPOCH - 40}"),
        "dns": loop(
            ("vpn.hks-berlin.example", command("10.1.2.3 STREAM vpn.hks-berlin.example")),
            ("ntp1.hks-berlin.example", command("10.1.2.4 STREAM ntp1.hks-berlin.example")),
        ),
        "time": command("Timezone=Europe/Berlin\nNTP=yes\nNTPSynchronized=yes\nTimeUSec=x"),
        "disk_mounts": command(DF_MOUNTS),
        "disk_paths": command(DF_PATHS),
        "updates": command(UPDATES_NONE),
        "updates_checked": command(
            f"/var/lib/apt/periodic/update-success-stamp {EPOCH - 3600}\n"
            f"/var/lib/apt/lists {EPOCH - 3600}"
        ),
        "packages": command(""),
        "firewall_rules": command(RULES),
        "firewall_loaded": command(RULESET),
        "screen_lock": command(SCREEN_LOCK),
        "screen_lock_db": command(
            f"/etc/dconf/db/local {EPOCH - 50}\n/etc/dconf/db/local.d {EPOCH - 60}\n"
            f"/etc/dconf/db/local.d/locks {EPOCH - 60}"
        ),
        "softphone": command("baresip installed\nalsa-utils installed\npulseaudio-utils installed"),
        "capture": command(
            "**** List of CAPTURE Hardware Devices ****\n"
            "card 1: Evolve240 [Jabra Evolve2 40], device 0: USB Audio [USB Audio]\n"
            "  Subdevices: 1/1"
        ),
        "sessions": command(SESSIONS),
        "session_types": command(SESSION_X11),
        "wayland_setting": command(
            "", rc=2, stderr="grep: /etc/gdm3/custom.conf: No such file or directory"
        ),
    }
    return copy.deepcopy(
        {
            "disk_encryption": "LUKS",
            "secure_boot": "on",
            "reboot_required": False,
            "diagnosis": {
                "version": 1,
                "lab_workstation": False,
                "service_manager": True,
                "limits": {
                    "disk_max_percent": 90,
                    "vpn_max_handshake_age": 300,
                    "updates_max_age_days": 7,
                    "screen_lock_max_idle_seconds": 900,
                },
                "services": SERVICES,
                "company_hosts": ["vpn.hks-berlin.example", "ntp1.hks-berlin.example"],
                "softphone_packages": ["baresip", "alsa-utils", "pulseaudio-utils"],
                "now": str(EPOCH),
                "results": results,
            },
        }
    )


def lab_report() -> dict:
    """The same workstation as a lab workstation (no systemd, shared kernel and network),
    as the lab answers: what needs the live system could not be asked."""
    report = healthy_report()
    raw = report["diagnosis"]
    no_systemd = (
        "System has not been booted with systemd as init system (PID 1). Can't operate.\n"
        "Failed to connect to bus: Host is down"
    )
    raw["lab_workstation"], raw["service_manager"] = True, False
    raw["results"].update(
        active=skipped(),
        failed_services=skipped(),
        vpn_handshake=skipped(),
        firewall_loaded=skipped(),
        time=command("", rc=1, stderr=no_systemd),
        sessions=command("", rc=1, stderr=no_systemd),
        session_types=skipped(),
    )
    return report
