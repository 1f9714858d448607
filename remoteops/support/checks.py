"""Judging a diagnosis: the raw facts ``playbooks/diagnose.yml`` gathered become one
:class:`~remoteops.support.results.Verdict` per policy.

The playbook only reads; every decision is made here, against the limits the diagnosis
reports (:class:`~remoteops.support.policies.Limits`). Each policy has one small function
that takes the :class:`~remoteops.support.findings.Findings` of one workstation and a
:class:`~remoteops.support.findings.Context` and answers pass, fail (with what was found) or
error (with why it could not be checked) - never a blank.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from remoteops.support.findings import (
    FIREWALL,
    LAB_LIVE,
    NO_SERVICE_MANAGER,
    NOT_RUN,
    TIME_SERVICE,
    VPN_SERVICE,
    Command,
    Context,
    Findings,
    ago,
    size_text,
    some,
)
from remoteops.support.policies import POLICIES
from remoteops.support.results import Verdict, failed, passed, unknown

# -- the policies ---------------------------------------------------------------------------
_VPN_REQUIRED = {"[Interface]": ("PrivateKey", "Address"), "[Peer]": ("PublicKey", "Endpoint")}


def judge_vpn(f: Findings, ctx: Context) -> Verdict:
    settings = f.command("vpn_settings")
    if settings is None:
        return unknown(NOT_RUN)
    if not settings.ok:
        if "No such file" in settings.stderr:
            return failed(
                "the VPN is not set up: its configuration file is missing",
                repair="reapply-baseline",
            )
        return unknown(f"the VPN configuration could not be read: {settings.why()}")
    section, present = "", set()
    for line in settings.lines:
        line = line.strip()
        if line.startswith("["):
            section = line
        else:
            present.add((section, line))
    missing = [k for s, keys in _VPN_REQUIRED.items() for k in keys if (s, k) not in present]
    if missing:
        return failed(
            f"the VPN configuration is broken: it lacks {', '.join(missing)}",
            repair="reapply-baseline",
            missing=missing,
        )
    enabled, active = f.service(VPN_SERVICE)
    if enabled is None:
        return unknown("whether the VPN connects at start-up could not be asked")
    if enabled != "enabled":
        return failed(
            f"the VPN does not connect at start-up (it is {enabled})", repair="reapply-baseline"
        )
    if f.lab:
        return unknown(LAB_LIVE, "configured and connects at start-up; whether the tunnel is up")
    if not f.service_manager:
        return unknown(NO_SERVICE_MANAGER, "configured and connects at start-up")
    if active != "active":
        return failed(f"the VPN is not connected (its service is {active or 'not running'})")
    handshake = f.command("vpn_handshake")
    if handshake is None or handshake.skipped:
        return unknown(NOT_RUN, "connected; the last handshake was not read")
    if not handshake.ok:
        return failed(f"the VPN tunnel does not answer: {handshake.why()}")
    times = [int(p[-1]) for p in (line.split() for line in handshake.lines) if p[-1].isdigit()]
    if not times or max(times) == 0:
        return failed("the VPN has never reached the company's VPN server")
    now = f.host_epoch or int(ctx.now.timestamp())
    age = now - max(times)
    limit = ctx.limits.vpn_max_handshake_age
    if age > limit:
        return failed(
            f"the VPN has not heard from the company for {ago(age)} (limit {ago(limit)})",
            handshake_age=age,
        )
    return passed(f"connected, last handshake {ago(age)} ago", handshake_age=age)


def judge_dns(f: Findings, ctx: Context) -> Verdict:
    lookups = f.loop("dns")
    if lookups is None:
        return unknown(NOT_RUN)
    if not lookups:
        return unknown("no company host names are configured (wks_diagnose_company_hosts)")
    missing, broken = [], []
    for lookup in lookups:
        name = str(lookup.item)
        if lookup.rc == 0:
            continue
        if lookup.rc == 2:
            missing.append(name)
        else:
            broken.append(f"{name}: {lookup.why()}")
    if broken and not missing:
        return unknown("the names could not be looked up: " + "; ".join(broken))
    if missing:
        return failed(
            f"{some(missing)} {'does' if len(missing) == 1 else 'do'} not resolve",
            unresolved=missing,
        )
    return passed(f"{some([str(x.item) for x in lookups])} resolve")


def judge_clock(f: Findings, ctx: Context) -> Verdict:
    enabled, _active = f.service(TIME_SERVICE)
    if enabled is not None and enabled != "enabled":
        return failed(
            f"the time synchronisation does not start at boot (it is {enabled})",
            repair="reapply-baseline",
        )
    status = f.command("time")
    if status is None:
        return unknown(NOT_RUN)
    if not status.ok:
        if f.service_manager is False:
            return unknown(NO_SERVICE_MANAGER)
        return unknown(f"the clock's state could not be read: {status.why()}")
    values = dict(line.split("=", 1) for line in status.lines if "=" in line)
    synced = values.get("NTPSynchronized")
    if synced == "yes":
        return passed("synchronised with the time servers")
    if synced == "no":
        ntp = "on" if values.get("NTP") == "yes" else "off"
        return failed(f"the clock is not synchronised (time synchronisation is {ntp})")
    return unknown("the clock's state did not say whether it is synchronised")


#: Not disks that fill up: kernel file systems and read-only images (snaps are always full).
_PSEUDO_TYPES = {"devtmpfs", "proc", "sysfs", "squashfs", "iso9660", "udf", "efivarfs"}
_PSEUDO_PLACES = ("/dev", "/proc", "/sys", "/run", "/snap")


def _filesystems(commands: list[Command | None]) -> dict[str, tuple[int, int]]:
    """mount point -> (percent used, kB available) from ``df -P -T`` outputs."""
    found: dict[str, tuple[int, int]] = {}
    for command in commands:
        if command is None:
            continue
        for line in command.lines[1:]:
            parts = line.split()
            if len(parts) < 7 or not parts[5].endswith("%"):
                continue
            fstype, mount = parts[1], " ".join(parts[6:])
            if fstype in _PSEUDO_TYPES or any(
                mount == p or mount.startswith(p + "/") for p in _PSEUDO_PLACES
            ):
                continue
            try:
                found[mount] = (int(parts[5].rstrip("%")), int(parts[4]))
            except ValueError:
                continue
    return found


def judge_disk(f: Findings, ctx: Context) -> Verdict:
    mounts, paths = f.command("disk_mounts"), f.command("disk_paths")
    if mounts is None and paths is None:
        return unknown(NOT_RUN)
    found = _filesystems([mounts, paths])
    if not found:
        why = "; ".join(c.why() for c in (mounts, paths) if c is not None)
        return unknown(f"no file system could be measured: {why}")
    limit = ctx.limits.disk_max_percent
    full = sorted(((p, m, a) for m, (p, a) in found.items() if p > limit), reverse=True)
    use = {m: p for m, (p, _a) in found.items()}
    if full:
        text = ", ".join(f"{m} is {p} % full ({size_text(a)} free)" for p, m, a in full)
        return failed(f"{text}; the limit is {limit} %", use=use)
    worst = max(found.items(), key=lambda kv: kv[1][0])
    return passed(
        f"{len(found)} file system{'s' if len(found) > 1 else ''} at most "
        f"{worst[1][0]} % full ({worst[0]})",
        use=use,
    )


_INST = re.compile(r"^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) (.*)\)")


def pending_security_updates(f: Findings) -> list[str] | None:
    """The pending security updates as 'package version' (None if unknown)."""
    updates = f.command("updates")
    if updates is None or not updates.ok:
        return None
    pending = []
    for line in updates.lines:
        match = _INST.match(line)
        if match and "security" in match.group(3).lower():
            pending.append(f"{match.group(1)} {match.group(2)}")
    return pending


def judge_security_updates(f: Findings, ctx: Context) -> Verdict:
    updates = f.command("updates")
    if updates is None:
        return unknown(NOT_RUN)
    pending = pending_security_updates(f)
    if pending is None:
        return unknown(f"the pending updates could not be listed: {updates.why()}")
    max_days = ctx.limits.updates_max_age_days
    checked = f.command("updates_checked")
    stamps = []
    for line in checked.lines if checked else []:
        parts = line.rsplit(" ", 1)
        if len(parts) == 2 and parts[1].isdigit():
            stamps.append(int(parts[1]))
    now = ctx.now.timestamp()
    lists_age = (now - max(stamps)) / 86400 if stamps else None
    oldest = min((ctx.first_seen.get(p, ctx.now) for p in pending), default=ctx.now)
    pending_days = (ctx.now - oldest).total_seconds() / 86400
    facts = {"pending": pending, "lists_age_days": round(lists_age, 1) if lists_age else None}
    names = [p.split()[0] for p in pending]
    if pending and pending_days > max_days:
        return failed(
            f"{len(pending)} security update{'s' if len(pending) > 1 else ''} "
            f"pending for {int(pending_days)} days ({some(names)}); the limit is "
            f"{max_days} days",
            **facts,
        )
    if lists_age is None:
        return failed("the workstation has never looked for updates", **facts)
    if lists_age > max_days:
        return failed(
            f"the workstation has not looked for updates for {int(lists_age)} "
            f"days; the limit is {max_days} days",
            **facts,
        )
    if pending:
        return passed(
            f"{len(pending)} security update{'s' if len(pending) > 1 else ''} "
            f"pending since {ago(pending_days * 86400)} ({some(names)}), within "
            f"{max_days} days",
            **facts,
        )
    return passed(f"no security update pending; looked {ago(lists_age * 86400)} ago", **facts)


def judge_packages(f: Findings, ctx: Context) -> Verdict:
    audit = f.command("packages")
    if audit is None:
        return unknown(NOT_RUN)
    if audit.rc not in (0, 1) or (audit.rc == 1 and not audit.lines):
        return unknown(f"the package state could not be checked: {audit.why()}")
    names = [
        line.split()[0]
        for line in audit.stdout.splitlines()
        if line.startswith(" ") and line.strip()
    ]
    if audit.lines:
        return failed(
            f"{len(names) or 'some'} package{'s' if len(names) != 1 else ''} "
            f"half-installed: {some(names) or audit.lines[0]}",
            packages=names,
        )
    return passed("every package is completely installed")


def judge_reboot(f: Findings, ctx: Context) -> Verdict:
    value = f.report.get("reboot_required")
    if value is True:
        return failed("a restart is pending after updates (kernel or libraries)")
    if value is False:
        return passed("no restart pending")
    return unknown(NOT_RUN if value in (None, "not checked") else f"unclear answer {value!r}")


def judge_firewall(f: Findings, ctx: Context) -> Verdict:
    rules = f.command("firewall_rules")
    if rules is None:
        return unknown(NOT_RUN)
    if rules.rc == 2 and "No such file" in rules.stderr:
        return failed(
            "there are no firewall rules (/etc/nftables.conf is missing)", repair="reapply-baseline"
        )
    if rules.rc not in (0, 1):
        return unknown(f"the firewall rules could not be read: {rules.why()}")
    if not any("hook input" in line and "policy drop" in line for line in rules.lines):
        return failed("the firewall rules let incoming connections in (no default deny)")
    enabled, _active = f.service(FIREWALL)
    if enabled is None:
        return unknown("whether the firewall loads at start-up could not be asked")
    if enabled != "enabled":
        return failed(f"the firewall does not load at start-up (it is {enabled})")
    if f.lab:
        return unknown(
            LAB_LIVE,
            "rules in place and loaded at start-up; whether they are active now",
        )
    loaded = f.command("firewall_loaded")
    if loaded is None or loaded.skipped:
        return unknown(NOT_RUN, "rules in place and loaded at start-up")
    if not loaded.ok:
        return unknown(f"the active firewall rules could not be read: {loaded.why()}")
    text = loaded.stdout
    if not re.search(r"hook input[^\n]*policy drop", text):
        return failed("the firewall is not active: no incoming default deny is loaded now")
    return passed("active: incoming connections are blocked unless allowed")


_SCREEN_KEYS = ("lock-enabled", "idle-delay", "idle-activation-enabled")


def judge_screen_lock(f: Findings, ctx: Context) -> Verdict:
    grep = f.command("screen_lock")
    if grep is None:
        return unknown(NOT_RUN)
    if grep.rc not in (0, 1, 2) or (grep.rc == 2 and not grep.lines):
        if "No such file" in grep.stderr:
            return failed("the screen-lock policy is missing (no system-wide desktop settings)")
        return unknown(f"the screen-lock settings could not be read: {grep.why()}")
    values: dict[str, str] = {}
    locked: set[str] = set()
    profile = False
    for line in sorted(grep.lines):
        path, _, content = line.partition(":")
        content = content.strip()
        if content.startswith("#"):
            continue
        if path.endswith("/profile/user"):
            profile = profile or content.replace(" ", "") == "system-db:local"
        elif "/locks/" in path:
            locked.add(content.rsplit("/", 1)[-1])
        elif "=" in content:
            key, _, value = content.partition("=")
            values[key.strip()] = value.strip()
    missing = [k for k in _SCREEN_KEYS if k not in values]
    if missing:
        return failed(f"the screen-lock policy is missing ({', '.join(missing)} not set)")
    if values["lock-enabled"] != "true" or values["idle-activation-enabled"] != "true":
        return failed("the screen-lock policy switches the lock off")
    try:
        idle = int(values["idle-delay"].split()[-1])
    except ValueError:
        return failed(f"the screen-lock idle time is unreadable: {values['idle-delay']}")
    limit = ctx.limits.screen_lock_max_idle_seconds
    if not 0 < idle <= limit:
        return failed(f"the screen locks after {idle} s idle; the limit is {limit} s", idle=idle)
    unlocked = [k for k in _SCREEN_KEYS if k not in locked]
    if unlocked:
        return failed(f"users can switch the screen lock off ({', '.join(unlocked)} not locked)")
    if not profile:
        return failed("the desktop does not read the company's settings (no system-db:local)")
    stamps = {}
    db = f.command("screen_lock_db")
    for line in db.lines if db else []:
        path, _, stamp = line.rpartition(" ")
        if stamp.isdigit():
            stamps[path] = int(stamp)
    compiled = stamps.get("/etc/dconf/db/local")
    if compiled is None:
        return failed(
            "the screen-lock settings are written but not in force (the desktop "
            "settings database was never built)"
        )
    if compiled < max(v for k, v in stamps.items() if k != "/etc/dconf/db/local"):
        return failed(
            "the screen-lock settings changed but are not in force yet (the desktop "
            "settings database is older than them)"
        )
    return passed(f"locks after {idle} s idle; users cannot switch it off", idle=idle)


def judge_softphone(f: Findings, ctx: Context) -> Verdict:
    query = f.command("softphone")
    if query is None:
        return unknown(NOT_RUN)
    wanted = f.names("softphone_packages")
    if not wanted:
        return unknown("no softphone packages are configured (wks_diagnose_softphone_packages)")
    installed = {p[0] for p in (line.split() for line in query.lines) if p[1:] == ["installed"]}
    if query.rc not in (0, 1) or (
        query.rc == 1 and not query.lines and "no packages" not in query.stderr
    ):
        return unknown(f"the installed programs could not be listed: {query.why()}")
    missing = [p for p in wanted if p not in installed]
    if missing:
        return failed(
            f"{some(missing)} {'is' if len(missing) == 1 else 'are'} not installed",
            missing=missing,
        )
    return passed(f"{some(wanted)} installed")


def judge_headset(f: Findings, ctx: Context) -> Verdict:
    capture = f.command("capture")
    if capture is None:
        return unknown(NOT_RUN)
    if capture.rc != 0:
        return unknown(f"the sound devices could not be listed: {capture.why()}")
    cards = [line for line in capture.lines if line.startswith("card ")]
    if not cards:
        said = f" ({capture.why()})" if capture.stderr.strip() else ""
        return failed(f"no microphone or headset is connected{said}")
    names = [re.sub(r"^card \d+: \S+ \[([^\]]*)\].*", r"\1", line) for line in cards]
    return passed(f"{len(cards)} recording device{'s' if len(cards) > 1 else ''}: {some(names)}")


def judge_failed_services(f: Findings, ctx: Context) -> Verdict:
    if f.service_manager is False:
        return unknown(NO_SERVICE_MANAGER)
    listing = f.command("failed_services")
    if listing is None or listing.skipped:
        return unknown(NOT_RUN)
    if not listing.ok:
        return unknown(f"the services could not be listed: {listing.why()}")
    units = [line.split()[0] for line in listing.lines]
    if units:
        return failed(
            f"{len(units)} service{'s' if len(units) > 1 else ''} failed: {some(units)}",
            units=units,
        )
    return passed("no service has failed")


def judge_baseline(f: Findings, ctx: Context) -> Verdict:
    run = ctx.baseline
    if run is None:
        return unknown("the check run of the company settings did not reach this workstation")
    if run.status in ("failed", "unreachable"):
        where = f" at '{run.failed_task}'" if run.failed_task else ""
        return unknown(f"the check run stopped{where}: {run.message or run.status}")
    tasks = list(run.changed_tasks)
    if tasks:
        return failed(
            f"{len(tasks)} setting{'s' if len(tasks) > 1 else ''} would change: {some(tasks, 3)}",
            tasks=tasks,
        )
    return passed(f"every company setting is in place ({run.ok} checked)")


def _session_blocks(text: str) -> list[dict[str, str]]:
    blocks, current = [], {}
    for line in text.splitlines() + [""]:
        if not line.strip():
            if current:
                blocks.append(current)
            current = {}
        elif "=" in line:
            key, _, value = line.partition("=")
            current[key.strip()] = value.strip()
    return blocks


def judge_remote_desktop(f: Findings, ctx: Context) -> Verdict:
    sessions = f.command("sessions")
    if sessions is None:
        return unknown(NOT_RUN)
    if not sessions.ok:
        if f.service_manager is False:
            return unknown(NO_SERVICE_MANAGER, "which desktop session runs")
        return unknown(f"the desktop sessions could not be asked: {sessions.why()}")
    types = f.command("session_types")
    graphical = [
        b
        for b in _session_blocks(types.stdout if types and types.ok else "")
        if b.get("Class") == "user" and b.get("Type") in ("x11", "wayland")
    ]
    wayland = [b for b in graphical if b["Type"] == "wayland"]
    if wayland:
        who = ", ".join(sorted({b.get("Name", "?") for b in wayland}))
        return failed(
            f"{who} is logged in with Wayland: a remote desktop will not work until "
            "they log in with X11 ('GNOME on Xorg')",
            session="wayland",
        )
    if graphical:
        who = ", ".join(sorted({b.get("Name", "?") for b in graphical}))
        return passed(f"{who} is logged in with X11: a remote desktop will work", session="x11")
    setting = f.command("wayland_setting")
    lines = setting.lines if setting else []
    if any(
        line.split(":", 1)[-1].replace(" ", "").lower() == "waylandenable=false" for line in lines
    ):
        return passed(
            "nobody is logged in to a desktop; the next login uses X11, so a remote "
            "desktop will work",
            session="none",
        )
    if (
        setting is not None
        and "No such file" in setting.stderr
        and not lines
        and setting.stderr.count("No such file") >= 2
    ):
        return unknown(
            "nobody is logged in to a desktop, and there is no GNOME login screen "
            "whose default could be read",
            "will a remote desktop work: unknown",
        )
    return failed(
        "nobody is logged in to a desktop, and the login screen starts Wayland: a "
        "remote desktop will work only after a login with X11",
        session="none",
    )


#: policy id -> its judge (``reachable`` is judged from the run itself).
JUDGES: dict[str, Callable[[Findings, Context], Verdict]] = {
    "vpn": judge_vpn,
    "dns": judge_dns,
    "clock": judge_clock,
    "disk": judge_disk,
    "security-updates": judge_security_updates,
    "packages": judge_packages,
    "reboot": judge_reboot,
    "firewall": judge_firewall,
    "screen-lock": judge_screen_lock,
    "softphone": judge_softphone,
    "headset": judge_headset,
    "failed-services": judge_failed_services,
    "baseline": judge_baseline,
    "remote-desktop": judge_remote_desktop,
}


def judge(findings: Findings, ctx: Context, *, stopped: str | None = None) -> dict[str, Verdict]:
    """Every policy's verdict for a reached workstation, in the order of the policies.

    ``stopped`` is the run's failure message when the diagnosis did not finish: then every
    policy without findings is an error naming it. ``baseline`` is left out when no check
    run was asked for (``ctx.baseline_checked`` False).
    """
    verdicts: dict[str, Verdict] = {"reachable": passed("reached over SSH")}
    for p in POLICIES:
        if p.id == "reachable" or (p.id == "baseline" and not ctx.baseline_checked):
            continue
        if p.id != "baseline" and not findings.complete:
            why = stopped or "no findings came back"
            verdicts[p.id] = unknown(f"the diagnosis stopped before it was complete: {why}")
            continue
        try:
            verdicts[p.id] = JUDGES[p.id](findings, ctx)
        except (KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
            verdicts[p.id] = unknown(f"the findings could not be read: {type(exc).__name__}: {exc}")
    return verdicts
