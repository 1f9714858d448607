"""Every support repair on a real lab workstation: break the thing, repair it, look at the
workstation (its files, and commands over its SSH), repair again and see nothing change.

Needs root (CI runs as root). The tests share one lab workstation, provisioned once with
``remoteops.provision.provision`` like ``remoteops provision lab``, and run in order; each
puts back what it broke. Lab workstations skip the tasks tagged ``live`` (they share this
machine's kernel, clock and network), so these tests check what a repair writes, installs
and removes, not that a tunnel comes up or a clock moves.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

# The lab helpers of the provisioning tests (tests/provision/provision_helpers.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "provision"))
from provision_helpers import make_company, needs_root, ssh, switch_off  # noqa: E402

from remoteops.cli import main  # noqa: E402
from remoteops.inventory import load_company  # noqa: E402
from remoteops.lab import inventory_path, lab_down, lab_list, lab_up  # noqa: E402
from remoteops.models import Company  # noqa: E402
from remoteops.provision import HostResult, run_playbook  # noqa: E402
from remoteops.provision.operations import ProvisionRequest, provision  # noqa: E402
from remoteops.state import StateStore  # noqa: E402
from remoteops.support.repairs import ConfirmationRequired, RepairResult, run_repair  # noqa: E402

pytestmark = [pytest.mark.root, pytest.mark.slow, needs_root]

REPAIR_PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "repair.yml"
MONTH_AGO = time.time() - 30 * 86400
#: Every repair run by these tests, to find each in the audit log at the end.
RUNS: list[RepairResult] = []


@dataclass
class Lab:
    inventory: Path  # the company folder
    company: Company
    store: StateStore
    folder: Path  # the lab's folder (inventory, key, known_hosts)
    workstation: object  # remoteops.lab.LabWorkstation

    @property
    def root(self) -> Path:
        return self.workstation.root

    @property
    def agent(self) -> str:
        return self.workstation.employee_id.lower()

    def ssh(self, command: str) -> str:
        return ssh(self.folder, self.workstation, command)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """One lab workstation with the baseline applied; always torn down."""
    base = tmp_path_factory.mktemp("repairs")
    if os.statvfs(base).f_flag & os.ST_NOSUID:  # sudo must work inside the lab
        base = Path("/var/tmp") / f"remoteops-test-repairs-{os.getpid()}"
    folder = base / "lab"
    inventory = make_company(base / "inventory")
    try:
        (workstation,) = lab_up(1, folder)
        with StateStore(base / "state" / "state.db") as store:
            company = load_company(inventory)
            request = ProvisionRequest(targets=("lab",))
            run = provision(company, store, inventory, request, lab_dir=folder)
            assert run.succeeded, run.summary()
            yield Lab(inventory, company, store, folder, workstation)
    finally:
        lab_down(folder)


def repair(lab: Lab, action: str, **options) -> RepairResult:
    result = run_repair(lab.company, lab.store, "lab-01", action, lab_dir=lab.folder, **options)
    RUNS.append(result)
    return result


def repair_twice(lab: Lab, action: str) -> RepairResult:
    """Run ``action``; the second run must find nothing to repair."""
    first = repair(lab, action)
    assert first.status == "repaired", first.message
    second = repair(lab, action)
    assert (second.status, second.changed) == ("nothing to repair", 0), second.message
    return first


def by_hand(lab: Lab, tag: str, **extra_vars) -> HostResult:
    """Run ``repair.yml --tags TAG`` on the lab workstation directly (not through
    run_repair), with ``extra_vars``, as someone running the playbook by hand would."""
    run = run_playbook(
        REPAIR_PLAYBOOK,
        [lab.inventory / "hosts.yml", inventory_path(lab.folder)],
        work_dir=lab.store.path.parent / "provision-runs",
        limit=["lab-01"],
        tags=[tag],
        skip_tags=["live"],
        extra_vars=extra_vars,
        vault_password_file=lab.inventory / ".vault-password",
    )
    return run.host("lab-01")


def build_deb(folder: Path, package: str) -> Path:
    """A tiny real Debian package (one file, a postinst that succeeds)."""
    tree = folder / package
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "usr/share" / package).mkdir(parents=True)
    (tree / "usr/share" / package / "README").write_text("remoteops repair test\n")
    (tree / "DEBIAN/control").write_text(
        f"Package: {package}\nVersion: 1.0\nArchitecture: all\n"
        "Maintainer: remoteops tests <tests@example.invalid>\n"
        "Description: left on a lab workstation by the repair tests\n"
    )
    postinst = tree / "DEBIAN/postinst"
    postinst.write_text("#!/bin/sh\nset -e\nexit 0\n")
    postinst.chmod(0o755)
    deb = folder / f"{package}.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "--build", str(tree), str(deb)],
        check=True,
        capture_output=True,
    )
    return deb


def old_file(path: Path, content: str = "junk\n", *, owner: tuple[int, int] = (0, 0)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    os.chown(path, *owner)
    os.utime(path, (MONTH_AGO, MONTH_AGO))
    return path


def archived_journal(folder: Path, seqnum: int, when: dt.datetime) -> Path:
    """A file named like journald's archived journals (``system@ID-SEQ-TIME.journal``),
    1 MiB, that says it holds entries; journalctl --vacuum-time goes by the time in the name."""
    data = bytearray(1 << 20)
    data[0:8] = b"LPKSHHRH"
    data[152:160] = (10).to_bytes(8, "little")  # Header.n_entries: not empty
    stamp = int(when.timestamp() * 1_000_000)
    path = folder / f"system@{'ab' * 16}-{seqnum:016x}-{stamp:016x}.journal"
    path.write_bytes(data)
    return path


def test_restart_vpn_restores_a_broken_vpn_configuration(lab):
    config = lab.root / "etc/wireguard/wg0.conf"
    provisioned = config.read_bytes()
    config.write_text("[Interface]\nPrivateKey = broken\n")
    config.chmod(0o644)

    first = repair_twice(lab, "restart-vpn")

    assert first.changed == 1  # the configuration file; restarting the tunnel is live
    assert first.employee_message.startswith("Wir starten Ihre VPN-Verbindung zur Firma neu.")
    assert config.read_bytes() == provisioned
    assert oct(config.stat().st_mode & 0o777) == "0o600"
    assert (config.stat().st_uid, config.stat().st_gid) == (0, 0)


def _state(path: Path) -> tuple[float, str | bytes]:
    """A file's (or a link's own) modification time and content (or target)."""
    content = os.readlink(path) if path.is_symlink() else path.read_bytes()
    return path.lstat().st_mtime, content


def test_free_disk_removes_caches_old_journals_and_temp_files_but_not_home(lab, tmp_path):
    root = lab.root
    passwd = {line.split(":")[0]: line.split(":") for line in (root / "etc/passwd").open()}
    agent_ids = (int(passwd[lab.agent][2]), int(passwd[lab.agent][3]))
    # an old package nothing needs any more
    deb = build_deb(tmp_path, "remoteops-lab-leftover")
    (root / "tmp/leftover.deb").write_bytes(deb.read_bytes())
    lab.ssh("sudo dpkg -i /tmp/leftover.deb >/dev/null")
    lab.ssh("sudo apt-mark auto remoteops-lab-leftover >/dev/null")
    (root / "tmp/leftover.deb").unlink()
    removed = [
        old_file(root / "var/cache/apt/archives/oldtool_1.0_all.deb"),
        old_file(root / "tmp/old-download.zip"),
        old_file(root / "var/tmp/old-cache/blob.bin"),
    ]
    journal = root / "var/log/journal" / (root / "etc/machine-id").read_text().strip()
    journal.mkdir(parents=True, exist_ok=True)
    removed.append(archived_journal(journal, 1, dt.datetime(2020, 1, 6, tzinfo=dt.UTC)))
    kept = [
        archived_journal(journal, 2, dt.datetime.now(dt.UTC)),
        old_file(root / "home" / lab.agent / "old-notes.txt", "my notes\n", owner=agent_ids),
        old_file(root / "home" / lab.agent / ".cache/thumbnails/old.png", owner=agent_ids),
    ]
    fresh = root / "tmp/fresh.txt"
    fresh.write_text("in use\n")
    kept.append(fresh)
    link = root / "tmp/old-link"
    link.symlink_to(f"/home/{lab.agent}/old-notes.txt")
    os.utime(link, (MONTH_AGO, MONTH_AGO), follow_symlinks=False)
    kept.append(link)
    before = {p: _state(p) for p in kept}

    first = repair_twice(lab, "free-disk")

    assert first.changed == 4  # package files, unneeded package, journal, temp files
    assert [p for p in removed if p.exists()] == []
    assert {p: _state(p) for p in kept if p.is_symlink() or p.exists()} == before
    assert "not-installed" in lab.ssh(
        "dpkg-query -W -f='${db:Status-Status}' remoteops-lab-leftover 2>/dev/null || "
        "echo not-installed"
    )
    (root / "var/tmp/old-cache").rmdir()  # folders stay: only files are removed
    fresh.unlink()
    link.unlink()


@pytest.mark.parametrize("folder", ["/home/{agent}/", "/var/tmp/../../home/{agent}"])
def test_free_disk_refuses_to_clean_a_home_folder(lab, folder):
    notes = old_file(lab.root / "home" / lab.agent / "Documents/old-call-notes.txt", "notes\n")
    folders = ["/tmp", folder.format(agent=lab.agent)]
    host = by_hand(lab, "free-disk", wks_repair_temp_folders=folders)
    assert (host.status, host.failed_task) == (
        "failed",
        "Check that no folder to clean is a home folder",
    )
    assert host.changed == 0
    assert notes.read_text() == "notes\n"


def test_install_updates_finishes_a_half_installed_package(lab, tmp_path):
    deb = build_deb(tmp_path, "remoteops-lab-halfdone")
    (lab.root / "tmp/halfdone.deb").write_bytes(deb.read_bytes())
    lab.ssh("sudo dpkg --unpack /tmp/halfdone.deb >/dev/null")
    (lab.root / "tmp/halfdone.deb").unlink()
    assert "remoteops-lab-halfdone" in lab.ssh("sudo dpkg --audit")

    first = repair_twice(lab, "install-updates")

    assert first.changed == 1  # the interrupted package; the lab has no newer updates
    assert lab.ssh("sudo dpkg --audit") == ""
    status = "dpkg-query -W -f='${db:Status-Abbrev}' remoteops-lab-halfdone"
    assert lab.ssh(status).strip() == "ii"


def test_reapply_baseline_restores_the_screen_lock_and_the_support_contact(lab):
    lock = lab.root / "etc/dconf/db/local.d/00-remoteops-screen-lock"
    motd = lab.root / "etc/motd"
    compiled = lab.root / "etc/dconf/db/local"
    provisioned = {lock: lock.read_bytes(), motd: motd.read_bytes()}
    lock.unlink()
    compiled.unlink()
    motd.write_text("For help call 0900 123456 (premium rate)\n")

    first = repair_twice(lab, "reapply-baseline")

    # the two files, the desktop database compiled (missing) and again by the baseline's
    # handler once the screen lock file was back
    assert first.changed == 4
    assert {p: p.read_bytes() for p in provisioned} == provisioned
    assert lab.company.details.it_support.phone in motd.read_text()
    assert compiled.is_file()
    assert "lock-enabled=true" in lock.read_text()


def test_resync_clock_restores_the_company_time_servers(lab):
    """On the lab only the settings can be checked: the workstation shares this machine's
    clock and runs no time service, so the live steps (network time on, restart the time
    service when the clock is not synchronised) are skipped there."""
    settings = lab.root / "etc/systemd/timesyncd.conf.d/50-remoteops.conf"
    provisioned = settings.read_bytes()
    settings.write_text("[Time]\nNTP=time.attacker.example\n")

    first = repair_twice(lab, "resync-clock")

    assert first.changed == 1
    assert settings.read_bytes() == provisioned
    assert "NTP=ntp1.hks-berlin.example ntp2.hks-berlin.example" in settings.read_text()


def test_reboot_needs_confirmation_and_the_playbook_refuses_without_it(lab):
    entries = len(lab.store.read_log())
    with pytest.raises(ConfirmationRequired, match="interrupts the employee's work"):
        repair(lab, "reboot")
    assert len(lab.store.read_log()) == entries  # nothing ran, nothing recorded

    # repair.yml itself refuses too, when someone runs it without the confirmation
    host = by_hand(lab, "reboot")
    assert (host.status, host.failed_task) == ("failed", "Check that the restart was confirmed")
    assert "--yes" in host.message

    pid = lab_list(lab.folder)[0].pid
    confirmed = repair(lab, "reboot", confirm=True)
    # the restart itself is live: the lab workstation keeps running
    assert (confirmed.status, confirmed.changed) == ("nothing to repair", 0)
    assert lab_list(lab.folder)[0].pid == pid


def test_every_repair_is_in_the_audit_log_and_the_history(lab):
    entries = lab.store.read_log(action_prefix="support.repair")
    assert [(e.subject, e.employee_id) for e in reversed(entries)] == [
        (r.run.run_id, "LAB01") for r in RUNS
    ]
    assert [e.details["repair"] for e in reversed(entries)] == [r.action.id for r in RUNS]
    assert [e.details["result"] for e in reversed(entries)] == [r.status for r in RUNS]
    history = lab.store.query("SELECT id FROM provision_runs WHERE playbook LIKE '%repair.yml'")
    assert {row[0] for row in history} >= {r.run.run_id for r in RUNS}


def test_remoteops_log_lists_every_repair(lab, capsys):
    capsys.readouterr()
    code = main(
        ["-i", str(lab.inventory), "--state", str(lab.store.path), "log", "--action", "support"]
        + ["--limit", "200", "--json"]
    )
    rows = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [row["details"]["repair"] for row in reversed(rows)] == [r.action.id for r in RUNS]


def test_an_unreachable_workstation_is_reported_and_recorded(lab):
    switch_off(lab.workstation)

    result = repair(lab, "free-disk")

    assert result.status == "unreachable"
    assert result.message == "Unreachable: nothing answers on its SSH port (is sshd running?)."
    (entry, *_) = lab.store.read_log(action_prefix="support.repair")
    assert (entry.subject, entry.details["result"]) == (result.run.run_id, "unreachable")
