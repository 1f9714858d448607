"""What the driver refuses before starting Ansible: unknown targets, unreadable inventories,
a missing vault password. These need no lab."""

from __future__ import annotations

from pathlib import Path

import pytest
from provision_helpers import PLAYBOOK

from remoteops.errors import UsageError
from remoteops.provision import (
    InventoryParseError,
    VaultPasswordError,
    ansible_playbook_path,
    employees_of,
    resolve_targets,
    run_playbook,
    vaulted_files,
)
from remoteops.provision.driver import (
    MITOGEN_ENV,
    _child_environment,
    ansible_environment,
    mitogen_strategy_plugins,
)


def test_targets_resolve_employee_ids_hostnames_and_groups(company):
    inventory = [company / "hosts.yml"]
    hosts = employees_of(inventory)
    host, employee = sorted(hosts.items())[0]
    group = "workstations"
    assert resolve_targets([employee.lower(), host, group], inventory) == [host, host, group]


def test_an_unknown_target_is_a_usage_error(company):
    with pytest.raises(UsageError, match="'E9999'"):
        resolve_targets(["E9999"], [company / "hosts.yml"])


def test_a_broken_yaml_inventory_names_file_and_line(tmp_path, company):
    broken = tmp_path / "hosts.yml"
    broken.write_text("all:\n  children:\n    lab: [\n")
    with pytest.raises(InventoryParseError, match=r"hosts.yml:\d+ is not valid YAML"):
        run_playbook(
            PLAYBOOK,
            [company / "hosts.yml", broken],
            work_dir=tmp_path / "runs",
            vault_password_file=company / ".vault-password",
        )


def test_a_yaml_file_that_is_no_inventory_is_refused(tmp_path, company):
    odd = tmp_path / "hosts.yml"
    odd.write_text("- just\n- a list\n")
    with pytest.raises(InventoryParseError, match="not an Ansible YAML inventory"):
        run_playbook(PLAYBOOK, [odd], work_dir=tmp_path / "runs")


def test_a_missing_inventory_file_is_named(tmp_path):
    with pytest.raises(InventoryParseError, match="does-not-exist.yml does not exist"):
        run_playbook(PLAYBOOK, [tmp_path / "does-not-exist.yml"], work_dir=tmp_path / "runs")


def test_the_sample_vault_is_found(company):
    found = vaulted_files([company / "hosts.yml"], PLAYBOOK)
    assert [p.name for p in found] == ["vault.yml"]


def test_missing_vault_password_is_a_clear_error(tmp_path, company, monkeypatch):
    monkeypatch.delenv("REMOTEOPS_VAULT_PASSWORD", raising=False)
    with pytest.raises(VaultPasswordError, match="no vault password was given") as caught:
        run_playbook(PLAYBOOK, [company / "hosts.yml"], work_dir=tmp_path / "runs")
    assert "REMOTEOPS_VAULT_PASSWORD" in caught.value.hint
    run = caught.value.run
    assert run is not None and run.status == "error" and not run.succeeded and not run.hosts


def test_a_missing_vault_password_file_is_named(tmp_path, company):
    with pytest.raises(VaultPasswordError, match="nope.txt does not exist"):
        run_playbook(
            PLAYBOOK,
            [company / "hosts.yml"],
            work_dir=tmp_path / "runs",
            vault_password_file=tmp_path / "nope.txt",
        )


def test_the_driver_uses_the_ansible_playbook_of_its_own_python():
    import sys

    assert ansible_playbook_path() == Path(sys.executable).parent / "ansible-playbook"


def test_secret_looking_variables_are_blanked_for_the_child(monkeypatch):
    monkeypatch.setenv("REMOTEOPS_VAULT_PASSWORD", "hunter2")
    monkeypatch.setenv("SOME_API_TOKEN", "abc")
    monkeypatch.setenv("ANSIBLE_VAULT_PASSWORD_FILE", "/etc/x")
    env = _child_environment()
    assert env["REMOTEOPS_VAULT_PASSWORD"] == "" and env["SOME_API_TOKEN"] == ""
    assert "ANSIBLE_VAULT_PASSWORD_FILE" not in env
    assert "hunter2" not in env.values()


def test_a_lab_group_or_lab_hosts_skip_the_live_tasks_others_do_not(tmp_path):
    """`remoteops provision lab` must add --skip-tags live: the group expands to the lab's
    workstations; a company workstation in the targets keeps the live tasks."""
    from remoteops.provision.operations import only_lab_workstations

    company = tmp_path / "hosts.yml"
    company.write_text("all:\n  children:\n    workstations:\n      hosts:\n        ws-e0001:\n")
    lab = tmp_path / "lab.yml"
    lab.write_text(
        "all:\n  children:\n    workstations:\n      children:\n        lab:\n"
        "          hosts:\n            lab-01:\n            lab-02:\n"
    )
    both = [company, lab]
    assert only_lab_workstations(["lab"], both)
    assert only_lab_workstations(["lab-02"], both)
    assert not only_lab_workstations(["lab", "ws-e0001"], both)
    assert not only_lab_workstations(["workstations"], both)
    assert not only_lab_workstations(["ws-e0001"], [company])


def test_runs_use_mitogen_unless_switched_off(monkeypatch):
    monkeypatch.delenv(MITOGEN_ENV, raising=False)
    plugins = mitogen_strategy_plugins()
    assert plugins is not None and (plugins / "mitogen_linear.py").is_file()
    env = ansible_environment()
    assert env["ANSIBLE_STRATEGY"] == "mitogen_linear"
    assert env["ANSIBLE_STRATEGY_PLUGINS"] == str(plugins)
    for off in ("0", "off", "False", "no"):
        monkeypatch.setenv(MITOGEN_ENV, off)
        env = ansible_environment()
        assert "ANSIBLE_STRATEGY" not in env and "ANSIBLE_STRATEGY_PLUGINS" not in env
    monkeypatch.setenv(MITOGEN_ENV, "1")
    assert ansible_environment()["ANSIBLE_STRATEGY"] == "mitogen_linear"
    assert "ANSIBLE_STRATEGY" not in ansible_environment(accelerate=False)
