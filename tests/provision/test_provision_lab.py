"""Real runs of playbooks/workstation.yml against lab workstations, through the driver.

Needs root (CI runs as root). The tests of this module share one pair of lab workstations
and run in order: apply, apply again, one host unreachable, retry. Every run's output,
artifacts and the state store are searched for the vaulted secrets at the end.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from provision_helpers import PLAYBOOK, assert_baseline, needs_root, switch_off

from remoteops.inventory import load_company
from remoteops.provision import (
    InventoryParseError,
    VaultPasswordError,
    company_support_vars,
    get_run,
    record_run,
    retry_targets,
    run_playbook,
)
from remoteops.state import StateStore

pytestmark = [pytest.mark.root, pytest.mark.slow, needs_root]

#: Everything the tests saw on stdout/stderr, searched for secrets at the end.
OUTPUT: list[str] = []


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="module")
def store(work):
    """The state store as every user gets it (its own migrations make the run tables)."""
    with StateStore(work / "state" / "state.db") as store:
        yield store


def provision(company: Path, lab_inventory: Path, work: Path, **options):
    """Run the baseline like ``remoteops provision`` will: company + lab inventory."""
    options.setdefault("targets", ["lab"])
    return run_playbook(
        PLAYBOOK,
        [company / "hosts.yml", lab_inventory],
        work_dir=work / "artifacts",
        skip_tags=["live"],
        vault_password_file=options.pop("vault_password_file", company / ".vault-password"),
        extra_vars=company_support_vars(load_company(company)),
        **options,
    )


@pytest.fixture(scope="module")
def first_apply(lab_pair, company, work, store):
    workstations, inventory = lab_pair
    updates = []
    run = provision(company, inventory, work, progress=updates.append)
    with store.transaction() as conn:
        record_run(conn, run)
    return run, updates


def test_apply_succeeds_on_both_workstations_with_live_progress(first_apply, lab_pair, capfd):
    run, updates = first_apply
    assert run.succeeded and run.exit_code == 0, run.summary()
    assert [h.host for h in run.hosts] == ["lab-01", "lab-02"]
    assert [h.employee_id for h in run.hosts] == ["LAB01", "LAB02"]
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
    report = run.host("lab-01").report
    assert report["secure_boot"] in ("on", "off", "not UEFI", "unknown")
    assert report["reboot_required"] in (True, False)
    OUTPUT.append(capfd.readouterr().out)


def test_apply_wrote_the_baseline_to_the_workstations(first_apply, lab_pair, company):
    workstations, inventory = lab_pair
    support = load_company(company).details.it_support
    for w in workstations:
        assert_baseline(w, inventory.parent, support)


def test_second_apply_changes_nothing(first_apply, lab_pair, company, work, store, capfd):
    workstations, inventory = lab_pair
    updates = []
    run = provision(company, inventory, work, progress=updates.append)
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


def test_diagnose_reports_and_changes_nothing(first_apply, lab_pair, company, work, capfd):
    workstations, inventory = lab_pair
    run = run_playbook(
        PLAYBOOK.with_name("diagnose.yml"),
        [company / "hosts.yml", inventory],
        work_dir=work / "artifacts",
        limit=["lab-01"],
        skip_tags=["live"],
        vault_password_file=company / ".vault-password",
    )
    assert run.succeeded, run.summary()
    (host,) = run.hosts
    assert host.changed == 0
    findings = host.report["diagnosis"]  # raw facts, judged by remoteops.support
    assert findings["lab_workstation"] is True and findings["service_manager"] is False
    assert findings["results"]["disk_paths"]["rc"] == 0
    assert findings["results"]["vpn_settings"]["stdout"].split()[:2] == ["[Interface]", "Address"]
    assert host.report["secure_boot"] == "not UEFI" or host.report["secure_boot"] in ("on", "off")
    OUTPUT.append(capfd.readouterr().out)


def test_repair_runs_its_offline_repairs_on_the_lab(first_apply, lab_pair, company, work):
    workstations, inventory = lab_pair
    run = run_playbook(
        PLAYBOOK.with_name("repair.yml"),
        [company / "hosts.yml", inventory],
        work_dir=work / "artifacts",
        limit=["lab-01"],
        skip_tags=["live"],
        tags=["free-disk", "install-updates"],
        vault_password_file=company / ".vault-password",
    )
    assert run.succeeded, run.summary()
    assert run.host("lab-01").ok > 0


def test_an_unreachable_host_fails_the_run_and_is_retried_alone(
    first_apply, lab_pair, company, work, store, capfd
):
    workstations, inventory = lab_pair
    switch_off(workstations[1])  # lab-02

    run = provision(company, inventory, work, tags=["base"])
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

    again = provision(company, inventory, work, targets=(), limit=retry, tags=["base"])
    assert [h.host for h in again.hosts] == ["lab-02"]
    assert again.exit_code == 1
    OUTPUT.append(capfd.readouterr().out)


ANSIBLE_TEMP = ("home/itadmin/.ansible", "root/.ansible")


def _snapshot(root: Path) -> dict[str, tuple]:
    """Every file of a workstation with its metadata and content hash (Ansible's own
    temporary folders excluded: the admin's, and root's that Mitogen makes after become)."""
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


def test_check_on_a_fresh_workstation_changes_nothing(fresh_lab, company, work, capfd):
    (workstation,), inventory = fresh_lab
    before = _snapshot(workstation.root)
    run = provision(company, inventory, work, check=True, diff=True)
    assert run.mode == "check"
    assert run.succeeded, run.summary()
    assert run.host("lab-01").changed > 0  # it would change things...
    after = _snapshot(workstation.root)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert changed == []  # ...but changed nothing
    out = capfd.readouterr().out
    OUTPUT.append(out)


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
