"""Real runs of playbooks/workstation.yml against lab workstations, through the driver.

Needs root (CI runs as root). The tests of this module use the session's shared pair of
lab workstations (tests/provision/conftest.py), provisioned once by ``first_apply``: apply
again, diagnose, break and repair; switching lab-02 off comes after every other test
(``after_lab(1)``). Every run's output, artifacts and the state store are searched for the
vaulted secrets at the very end (``after_lab(2)``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from provision_helpers import (
    LAB_EMPLOYEES,
    PLAYBOOK,
    assert_baseline,
    expected_secure_boot,
    lab_test,
    provision,
    ssh,
    switch_off,
)

from remoteops.inventory import load_company
from remoteops.provision import (
    InventoryParseError,
    VaultPasswordError,
    get_run,
    record_run,
    retry_targets,
    run_playbook,
)
from remoteops.state import StateStore

pytestmark = [pytest.mark.slow]

#: Everything the tests saw on stdout/stderr, searched for secrets at the end.
OUTPUT: list[str] = []


@pytest.fixture(scope="module")
def work(lab_work) -> Path:
    return lab_work


@pytest.fixture
def store(lab_state):
    """The state store of the shared lab's runs, as every user gets it (its own migrations
    make the run tables)."""
    with StateStore(lab_state) as store:
        yield store


@lab_test
def test_apply_succeeds_on_both_workstations_with_live_progress(first_apply, lab_pair, capfd):
    workstations, inventory = lab_pair
    run, updates = first_apply
    assert run.succeeded and run.exit_code == 0, run.summary()
    assert [h.host for h in run.hosts] == ["lab-01", "lab-02"]
    assert [h.employee_id for h in run.hosts] == list(LAB_EMPLOYEES)
    assert all(h.status == "changed" and h.changed > 0 and h.failed == 0 for h in run.hosts)
    for host in ("lab-01", "lab-02"):
        states = [u.state for u in updates if u.host == host]
        assert "running" in states and states[-1] == "finished"
        tasks = {u.task for u in updates if u.host == host}
        assert "Write the firewall rules (inbound default deny; VPN and support only)" in tasks
        # the progress bar's totals: both hosts, every listed task (handlers come on top)
        finished = [u for u in updates if u.host == host and u.state == "finished"][0]
        assert finished.hosts_total == 2 and finished.tasks_total > 40
        assert finished.tasks_done >= finished.tasks_total
    # the report-only facts, as the workstation itself shows them (read here over SSH)
    folder, w = inventory.parent, workstations[0]
    report = run.host("lab-01").report
    assert report["secure_boot"] == expected_secure_boot()
    flags = ssh(folder, w, "sudo sh -c 'test -e /run/reboot-required && echo flag; true'")
    kernel = ssh(folder, w, "sudo sh -c 'needrestart -b -k 2>/dev/null; true'")
    expected = "flag" in flags or re.search(r"NEEDRESTART-KSTA: [23]", kernel) is not None
    assert report["reboot_required"] is expected
    assert report["disk_encryption"] == "none found"  # a lab root is a plain folder
    OUTPUT.append(capfd.readouterr().out)


@lab_test
def test_apply_wrote_the_baseline_to_the_workstations(first_apply, lab_pair, lab_company):
    workstations, inventory = lab_pair
    support = load_company(lab_company).details.it_support
    for w in workstations:
        assert_baseline(w, inventory.parent, support)


@lab_test
def test_second_apply_changes_nothing(first_apply, lab_pair, lab_company, work, store, capfd):
    workstations, inventory = lab_pair
    updates = []
    run = provision(lab_company, inventory, work, progress=updates.append)
    with store.transaction() as conn:
        record_run(conn, run)
    assert run.succeeded, run.summary()
    assert [(h.host, h.changed, h.status) for h in run.hosts] == [
        ("lab-01", 0, "ok"),
        ("lab-02", 0, "ok"),
    ]
    # nothing changed, so no handler ran: the listed total is exactly what each host did
    finished = {u.host: u for u in updates if u.state == "finished"}
    assert {h: (u.tasks_done, u.hosts_total) for h, u in finished.items()} == {
        h: (u.tasks_total, 2) for h, u in finished.items()
    }
    OUTPUT.append(capfd.readouterr().out)


@lab_test
def test_diagnose_reports_and_changes_nothing(first_apply, lab_pair, lab_company, work, capfd):
    workstations, inventory = lab_pair
    run = run_playbook(
        PLAYBOOK.with_name("diagnose.yml"),
        [lab_company / "hosts.yml", inventory],
        work_dir=work / "artifacts",
        limit=["lab-01"],
        skip_tags=["live"],
        vault_password_file=lab_company / ".vault-password",
    )
    assert run.succeeded, run.summary()
    (host,) = run.hosts
    assert host.changed == 0
    findings = host.report["diagnosis"]  # raw facts, judged by remoteops.support
    assert findings["lab_workstation"] is True and findings["service_manager"] is False
    assert findings["results"]["disk_paths"]["rc"] == 0
    assert findings["results"]["vpn_settings"]["stdout"].split()[:2] == ["[Interface]", "Address"]
    assert host.report["secure_boot"] == expected_secure_boot()
    OUTPUT.append(capfd.readouterr().out)


@lab_test
def test_repair_fixes_what_was_broken(first_apply, lab_pair, lab_company, work):
    """Break two things on lab-01 (the compiled desktop settings are gone, a stale package
    file fills the cache), repair with the matching tags, and find both repaired."""
    workstations, inventory = lab_pair
    root = workstations[0].root
    compiled = root / "etc/dconf/db/local"
    good = compiled.read_bytes()
    assert b"lock-enabled" in good and b"idle-delay" in good
    compiled.unlink()
    stale = root / "var/cache/apt/archives/remoteops-stale_1.0_all.deb"
    stale.write_bytes(b"!<arch>\n" + b"0" * 4096)

    run = run_playbook(
        PLAYBOOK.with_name("repair.yml"),
        [lab_company / "hosts.yml", inventory],
        work_dir=work / "artifacts",
        limit=["lab-01"],
        skip_tags=["live"],
        tags=["free-disk", "reapply-baseline"],
        vault_password_file=lab_company / ".vault-password",
    )
    assert run.succeeded, run.summary()
    assert run.host("lab-01").status == "changed"
    # the screen lock is compiled into the desktop database again, the cache is clean
    assert compiled.is_file(), "the desktop settings were not rebuilt"
    rebuilt = compiled.read_bytes()
    assert b"lock-enabled" in rebuilt and b"idle-delay" in rebuilt and b"automount" in rebuilt
    assert not stale.exists(), "the package cache was not cleaned"
    assert_baseline(workstations[0], inventory.parent, load_company(lab_company).details.it_support)


@lab_test
@pytest.mark.after_lab(1)
def test_an_unreachable_host_fails_the_run_and_is_retried_alone(
    first_apply, lab_pair, lab_company, work, store, capfd
):
    workstations, inventory = lab_pair
    switch_off(workstations[1])  # lab-02

    run = provision(lab_company, inventory, work, tags=["base"])
    with store.transaction() as conn:
        record_run(conn, run)
    assert not run.succeeded and run.exit_code == 1
    assert run.host("lab-01").status == "ok"
    down = run.host("lab-02")
    assert down.status == "unreachable"
    assert down.message == "Unreachable: nothing answers on its SSH port (is sshd running?)."
    assert down.failed_task == "Gathering Facts"
    with store.transaction() as conn:
        recorded = get_run(conn, run.run_id)
        retry = retry_targets(conn)
    assert recorded.host("lab-02").message == down.message
    assert retry == ["lab-02"]

    again = provision(lab_company, inventory, work, targets=(), limit=retry, tags=["base"])
    assert [h.host for h in again.hosts] == ["lab-02"]
    assert again.exit_code == 1
    OUTPUT.append(capfd.readouterr().out)


def test_a_broken_inventory_is_an_error_not_an_empty_success(company, work, store, tmp_path):
    broken = tmp_path / "hosts.ini"
    broken.write_text("[lab\nlab-01 ansible_host=127.0.0.1 ansible_port=\n")
    with pytest.raises(InventoryParseError, match="could not read the inventory") as caught:
        run_playbook(
            PLAYBOOK,
            [broken],
            work_dir=work / "artifacts",
            vault_password_file=company / ".vault-password",
        )
    run = caught.value.run
    assert run is not None and run.status == "error" and not run.hosts and run.exit_code == 1
    with store.transaction() as conn:
        record_run(conn, run)
        assert get_run(conn, run.run_id).error == run.error


def test_a_target_matching_no_host_is_an_error_and_old_runs_are_rotated(company, tmp_path):
    from remoteops.provision import ProvisionError

    runs = []
    for _ in range(3):
        with pytest.raises(ProvisionError, match="No workstation matched") as caught:
            run_playbook(
                PLAYBOOK,
                [company / "hosts.yml"],
                work_dir=tmp_path / "runs",
                limit=["nobody-*"],
                keep_runs=2,
                vault_password_file=company / ".vault-password",
            )
        assert caught.value.run.status == "error"
        runs.append(Path(caught.value.run.artifacts))
    assert sorted(p for p in (tmp_path / "runs").iterdir()) == sorted(runs[1:])


def test_a_wrong_vault_password_is_a_clear_error(company, work, monkeypatch, capfd):
    monkeypatch.setenv("REMOTEOPS_VAULT_PASSWORD", "not-the-password-4711")
    with pytest.raises(VaultPasswordError, match="vault password is wrong") as caught:
        run_playbook(
            PLAYBOOK, [company / "hosts.yml"], work_dir=work / "artifacts", targets=["workstations"]
        )
    assert caught.value.run.status == "error"
    artifacts = caught.value.run.artifacts
    for path in Path(artifacts).rglob("*"):
        if path.is_file():
            assert b"not-the-password-4711" not in path.read_bytes(), path
    OUTPUT.append(capfd.readouterr().out)


@lab_test
@pytest.mark.after_lab(2)
def test_no_secret_in_output_artifacts_or_state_store(work, store, secrets_to_hide, capfd):
    """Runs above: their terminal output, every artifact file and the state database."""
    OUTPUT.append(capfd.readouterr().out)
    texts = {"terminal output": "\n".join(OUTPUT)}
    files = [p for p in work.rglob("*") if p.is_file()]
    assert any("job_events" in str(p) for p in files)  # the artifacts were kept
    assert not any(p.name == "command" for p in files)  # the environment dump was not
    for path in files:
        texts[str(path)] = path.read_bytes().decode("utf-8", errors="replace")
    for secret in secrets_to_hide:
        for where, text in texts.items():
            assert secret not in text, f"a secret appears in {where}"
