"""Judging raw diagnoses: every policy passes, fails and errors from the facts alone."""

from __future__ import annotations

import datetime as dt

import pytest
from support_helpers import (
    AUDIT_HALF,
    EPOCH,
    NOW,
    RULES,
    SCREEN_LOCK,
    SERVICES,
    UPDATES_SECURITY,
    VPN_SETTINGS,
    command,
    healthy_report,
    lab_report,
    loop,
)

from remoteops.provision.results import HostResult
from remoteops.support.checks import judge, pending_security_updates
from remoteops.support.findings import Context, Findings
from remoteops.support.policies import POLICIES
from remoteops.support.results import PolicyResult

CLEAN_BASELINE = HostResult("ws-e0042", "ok", ok=68)


def verdicts(report: dict, *, baseline=CLEAN_BASELINE, first_seen=None, checked=True):
    findings = Findings(report)
    ctx = Context(
        now=NOW,
        limits=findings.limits,
        first_seen=first_seen or {},
        baseline=baseline,
        baseline_checked=checked,
    )
    return judge(findings, ctx)


def results(report: dict) -> dict:
    return report["diagnosis"]["results"]


def test_a_healthy_workstation_passes_every_policy():
    found = verdicts(healthy_report())
    assert list(found) == [p.id for p in POLICIES]
    assert {p: v.status for p, v in found.items()} == {p.id: "pass" for p in POLICIES}
    assert found["disk"].detail == "3 file systems at most 43 % full (/)"
    assert found["vpn"].detail == "connected, last handshake 40 s ago"
    assert found["headset"].detail == "1 recording device: Jabra Evolve2 40"
    assert (
        found["remote-desktop"].detail == "e0042 is logged in with X11: a remote desktop will work"
    )


def test_a_lab_workstation_says_what_it_cannot_ask_and_never_leaves_a_blank():
    found = verdicts(lab_report())
    errors = {p: v.error for p, v in found.items() if v.status == "error"}
    assert sorted(errors) == ["clock", "failed-services", "firewall", "remote-desktop", "vpn"]
    assert (
        errors["vpn"]
        == errors["firewall"]
        == ("not asked on a lab workstation, which shares this machine's kernel and network")
    )
    assert (
        errors["failed-services"]
        == errors["clock"]
        == errors["remote-desktop"]
        == (
            "no service manager runs there (systemd is not process 1: a lab workstation or a "
            "container)"
        )
    )
    assert found["vpn"].detail == "configured and connects at start-up; whether the tunnel is up"
    assert found["remote-desktop"].detail == "which desktop session runs"
    assert all(v.detail.strip() for v in found.values())


def test_the_baseline_policy_is_left_out_when_no_check_run_was_asked_for():
    assert "baseline" not in verdicts(healthy_report(), checked=False)


def _set(name, value):
    def change(report):
        results(report)[name] = value

    return change


def _enabled(position, state, rc=1):
    def change(report):
        results(report)["enabled"]["results"][position].update(
            command(state, rc=rc), item=SERVICES[position]
        )

    return change


def _report_value(key, value):
    def change(report):
        report[key] = value

    return change


def _limit(name, value):
    def change(report):
        report["diagnosis"]["limits"][name] = value

    return change


NO_FILE = "No such file or directory"
CASES = [
    # policy, change, status, text in the detail (or error), suggested repair
    (
        "vpn",
        _set("vpn_settings", command("", 2, f"sed: can't read /etc/wireguard/wg0.conf: {NO_FILE}")),
        "fail",
        "the VPN is not set up: its configuration file is missing",
        "reapply-baseline",
    ),
    (
        "vpn",
        _set("vpn_settings", command(VPN_SETTINGS.replace("PrivateKey\n", ""))),
        "fail",
        "the VPN configuration is broken: it lacks PrivateKey",
        "reapply-baseline",
    ),
    (
        "vpn",
        _enabled(1, "disabled"),
        "fail",
        "the VPN does not connect at start-up (it is disabled)",
        "reapply-baseline",
    ),
    (
        "vpn",
        _set("active", command("active\ninactive\nactive", rc=3)),
        "fail",
        "the VPN is not connected (its service is inactive)",
        "restart-vpn",
    ),
    (
        "vpn",
        _set("vpn_handshake", command(f"key\t{EPOCH - 4000}")),
        "fail",
        "the VPN has not heard from the company for 66 min (limit 5 min)",
        "restart-vpn",
    ),
    (
        "vpn",
        _set("vpn_handshake", command("key\t0")),
        "fail",
        "the VPN has never reached the company's VPN server",
        "restart-vpn",
    ),
    (
        "vpn",
        _set("vpn_settings", command("", 2, "sed: /etc/wireguard: Permission denied")),
        "error",
        "the VPN configuration could not be read: sed: /etc/wireguard: Permission denied",
        None,
    ),
    (
        "dns",
        _set(
            "dns",
            loop(
                ("vpn.hks-berlin.example", command("10.1.2.3 STREAM x")),
                ("ntp1.hks-berlin.example", command("", rc=2)),
            ),
        ),
        "fail",
        "ntp1.hks-berlin.example does not resolve",
        None,
    ),
    (
        "dns",
        _set("dns", loop(("vpn.hks-berlin.example", command("", 1, "getent: bad")))),
        "error",
        "the names could not be looked up: vpn.hks-berlin.example: getent: bad",
        None,
    ),
    ("dns", _set("dns", loop()), "error", "no company host names are configured", None),
    (
        "clock",
        _set("time", command("NTP=yes\nNTPSynchronized=no")),
        "fail",
        "the clock is not synchronised (time synchronisation is on)",
        "resync-clock",
    ),
    (
        "clock",
        _enabled(2, "disabled"),
        "fail",
        "the time synchronisation does not start at boot (it is disabled)",
        "reapply-baseline",
    ),
    (
        "clock",
        _set("time", command("", 1, "Failed to query server: Connection timed out")),
        "error",
        "the clock's state could not be read: Failed to query server: Connection timed out",
        None,
    ),
    (
        "disk",
        _set(
            "disk_mounts",
            command(
                "Filesystem Type 1024-blocks Used Available Capacity Mounted on\n"
                "tmpfs tmpfs 1024 984 40 97% /srv/full"
            ),
        ),
        "fail",
        "/srv/full is 97 % full (40 kB free); the limit is 90 %",
        "free-disk",
    ),
    (
        "disk",
        _limit("disk_max_percent", 40),
        "fail",
        "/ is 43 % full (53.7 GB free); the limit is 40 %",
        "free-disk",
    ),
    (
        "disk",
        lambda r: results(r).update(
            disk_mounts=command("", 1, "df: cannot read table of mounted file systems"),
            disk_paths=command("", 1, "df: /home: No such file or directory"),
        ),
        "error",
        "no file system could be measured: df: cannot read table of mounted file systems; "
        "df: /home: No such file or directory",
        None,
    ),
    (
        "security-updates",
        _set(
            "updates_checked",
            command(
                f"/var/lib/apt/lists {EPOCH - 12 * 86400}", 1, f"stat: cannot statx 'x': {NO_FILE}"
            ),
        ),
        "fail",
        "the workstation has not looked for updates for 12 days; the limit is 7 days",
        "install-updates",
    ),
    (
        "security-updates",
        _set("updates_checked", command("", 1, f"stat: {NO_FILE}")),
        "fail",
        "the workstation has never looked for updates",
        "install-updates",
    ),
    (
        "security-updates",
        _set("updates", command("", 100, "E: The package lists are damaged")),
        "error",
        "the pending updates could not be listed: E: The package lists are damaged",
        None,
    ),
    (
        "packages",
        _set("packages", command(AUDIT_HALF, rc=1)),
        "fail",
        "1 package half-installed: cowsay",
        "install-updates",
    ),
    (
        "packages",
        _set("packages", command("", 2, "dpkg: error: cannot access archive")),
        "error",
        "the package state could not be checked: dpkg: error: cannot access archive",
        None,
    ),
    (
        "reboot",
        _report_value("reboot_required", True),
        "fail",
        "a restart is pending after updates (kernel or libraries)",
        "reboot",
    ),
    (
        "reboot",
        _report_value("reboot_required", "not checked"),
        "error",
        "this check did not run",
        None,
    ),
    (
        "firewall",
        _set("firewall_rules", command("", 2, f"grep: /etc/nftables.conf: {NO_FILE}")),
        "fail",
        "there are no firewall rules (/etc/nftables.conf is missing)",
        "reapply-baseline",
    ),
    (
        "firewall",
        _set("firewall_rules", command(RULES.replace("policy drop", "policy accept"))),
        "fail",
        "the firewall rules let incoming connections in (no default deny)",
        "reapply-baseline",
    ),
    (
        "firewall",
        _enabled(0, "disabled"),
        "fail",
        "the firewall does not load at start-up (it is disabled)",
        "reapply-baseline",
    ),
    (
        "firewall",
        _set("firewall_loaded", command("table inet filter {\n}\n")),
        "fail",
        "the firewall is not active: no incoming default deny is loaded now",
        "reapply-baseline",
    ),
    (
        "firewall",
        _set("firewall_loaded", command("", 1, "netlink: Error: Operation not permitted")),
        "error",
        "the active firewall rules could not be read: netlink: Error: Operation not permitted",
        None,
    ),
    (
        "screen-lock",
        _set(
            "screen_lock",
            command(
                "\n".join(x for x in SCREEN_LOCK.splitlines() if "/locks/" in x or "profile" in x)
            ),
        ),
        "fail",
        "the screen-lock policy is missing (lock-enabled, idle-delay, "
        "idle-activation-enabled not set)",
        "reapply-baseline",
    ),
    (
        "screen-lock",
        _set("screen_lock", command(SCREEN_LOCK.replace("uint32 900", "uint32 1800"))),
        "fail",
        "the screen locks after 1800 s idle; the limit is 900 s",
        "reapply-baseline",
    ),
    (
        "screen-lock",
        _set(
            "screen_lock",
            command(
                "\n".join(
                    x
                    for x in SCREEN_LOCK.splitlines()
                    if "lock-enabled" not in x or "/locks/" not in x
                )
            ),
        ),
        "fail",
        "users can switch the screen lock off (lock-enabled not locked)",
        "reapply-baseline",
    ),
    (
        "screen-lock",
        _set(
            "screen_lock_db",
            command(f"/etc/dconf/db/local {EPOCH - 500}\n/etc/dconf/db/local.d {EPOCH - 60}"),
        ),
        "fail",
        "the screen-lock settings changed but are not in force yet",
        "reapply-baseline",
    ),
    (
        "screen-lock",
        _set("screen_lock", command("", 2, "grep: /etc/dconf: Permission denied")),
        "error",
        "the screen-lock settings could not be read: grep: /etc/dconf: Permission denied",
        None,
    ),
    (
        "softphone",
        _set(
            "softphone",
            command(
                "alsa-utils installed\npulseaudio-utils installed",
                1,
                "dpkg-query: no packages found matching baresip",
            ),
        ),
        "fail",
        "baresip is not installed",
        "reapply-baseline",
    ),
    (
        "headset",
        _set("capture", command("", 0, "arecord: device_list:274: no soundcards found...")),
        "fail",
        "no microphone or headset is connected (arecord: device_list:274: no soundcards found...)",
        None,
    ),
    (
        "headset",
        _set("capture", command("", 2, f"[Errno 2] {NO_FILE}: b'arecord'")),
        "error",
        "the sound devices could not be listed: [Errno 2] No such file or directory: b'arecord'",
        None,
    ),
    (
        "failed-services",
        _set("failed_services", command("cups.service loaded failed failed CUPS Scheduler")),
        "fail",
        "1 service failed: cups.service",
        "reboot",
    ),
    (
        "failed-services",
        _set("failed_services", command("", 1, "Failed to connect to bus")),
        "error",
        "the services could not be listed: Failed to connect to bus",
        None,
    ),
    (
        "remote-desktop",
        _set("session_types", command("Id=2\nName=e0042\nType=wayland\nClass=user")),
        "fail",
        "e0042 is logged in with Wayland: a remote desktop will not work",
        None,
    ),
    (
        "remote-desktop",
        lambda r: results(r).update(
            sessions=command(""),
            session_types=None,
            wayland_setting=command("/etc/gdm3/daemon.conf:#WaylandEnable=false"),
        ),
        "fail",
        "nobody is logged in to a desktop, and the login screen starts Wayland",
        None,
    ),
    (
        "remote-desktop",
        _set("sessions", command("", 1, "Failed to connect to bus: No such file")),
        "error",
        "the desktop sessions could not be asked: Failed to connect to bus: No such file",
        None,
    ),
]


@pytest.mark.parametrize(
    "policy_id, change, status, text, repair",
    CASES,
    ids=[f"{c[0]}-{c[2]}-{n}" for n, c in enumerate(CASES)],
)
def test_a_policy_judges_its_facts(policy_id, change, status, text, repair):
    report = healthy_report()
    change(report)
    found = verdicts(report)
    verdict = found[policy_id]
    assert verdict.status == status
    assert text in (verdict.error if status == "error" else verdict.detail)
    if status == "fail":
        assert PolicyResult.of(policy_id, verdict, NOW).repair == repair
    others = {p: v.status for p, v in found.items() if p != policy_id and v.status != "pass"}
    assert others == {}


def test_security_updates_fail_only_once_they_have_waited_longer_than_the_limit():
    report = healthy_report()
    results(report)["updates"] = command(UPDATES_SECURITY)
    pending = pending_security_updates(Findings(report))
    assert pending == ["libssl3 3.0.17-1~deb12u2", "openssl 3.0.17-1~deb12u2"]
    fresh = verdicts(report)["security-updates"]
    assert (fresh.status, fresh.detail) == (
        "pass",
        "2 security updates pending since 0 s (libssl3, openssl), within 7 days",
    )
    nine_days = {p: NOW - dt.timedelta(days=9) for p in pending}
    old = verdicts(report, first_seen=nine_days)["security-updates"]
    assert (old.status, old.detail) == (
        "fail",
        "2 security updates pending for 9 days (libssl3, openssl); the limit is 7 days",
    )
    assert old.facts["pending"] == pending


def test_remote_desktop_without_a_session_depends_on_the_login_screen():
    report = healthy_report()
    results(report).update(
        sessions=command(""),
        session_types=None,
        wayland_setting=command("/etc/gdm3/daemon.conf:WaylandEnable=false"),
    )
    verdict = verdicts(report)["remote-desktop"]
    assert (verdict.status, verdict.detail) == (
        "pass",
        "nobody is logged in to a desktop; the next login uses X11, so a remote desktop will work",
    )


def test_the_company_settings_policy_reads_the_check_run():
    drift = HostResult(
        "ws-e0042",
        "changed",
        changed=2,
        changed_tasks=("Lock the screen after the idle time", "Compile the dconf lock settings"),
    )
    verdict = verdicts(healthy_report(), baseline=drift)["baseline"]
    assert (verdict.status, verdict.detail) == (
        "fail",
        "2 settings would change: Lock the screen after the idle time, Compile the dconf lock "
        "settings",
    )
    stopped = HostResult(
        "ws-e0042", "failed", failed=1, failed_task="Install packages", message="No space left"
    )
    verdict = verdicts(healthy_report(), baseline=stopped)["baseline"]
    assert verdict.status == "error"
    assert verdict.error == "the check run stopped at 'Install packages': No space left"
    missing = verdicts(healthy_report(), baseline=None)["baseline"]
    assert missing.error == "the check run of the company settings did not reach this workstation"


def test_a_diagnosis_that_stopped_early_is_an_error_on_every_policy_with_the_reason():
    found = judge(
        Findings({"reboot_required": False}),
        Context(now=NOW, baseline=CLEAN_BASELINE, baseline_checked=True),
        stopped="Task 'Read the time' failed: sudo: a password is required",
    )
    assert found["reachable"].status == "pass"
    assert found["baseline"].status == "pass"
    stopped = {p: v.error for p, v in found.items() if v.status == "error"}
    assert len(stopped) == len(POLICIES) - 2
    assert set(stopped.values()) == {
        "the diagnosis stopped before it was complete: Task 'Read the time' failed: sudo: a "
        "password is required"
    }


def test_garbage_findings_are_errors_not_crashes():
    report = healthy_report()
    results(report)["disk_mounts"] = "not a result"
    results(report)["disk_paths"] = {"rc": "x", "stdout": 7}
    verdict = verdicts(report)["disk"]
    assert verdict.status == "error"
    assert verdict.error.startswith("no file system could be measured")
