"""The playbooks read as checklists: named tasks, sourced controls, typed variables, and a
lab image that already holds every package the baseline installs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from provision_helpers import REPO

from remoteops.lab.image import BASELINE_PACKAGES, LAB_PACKAGES

ROLES = REPO / "playbooks" / "roles"
ROLE_NAMES = sorted(p.name for p in ROLES.iterdir() if p.is_dir())


def load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def tasks_of(role: str) -> list[tuple[Path, dict]]:
    found = []
    for path in sorted((ROLES / role).glob("*/main.yml")) + sorted(
        (ROLES / role / "tasks").glob("*.yml")
    ):
        if path.parent.name in ("tasks", "handlers"):
            found += [(path, t) for t in load(path) or []]
    return found


def test_the_roles_are_the_ones_the_playbook_applies():
    play = load(REPO / "playbooks" / "workstation.yml")[0]
    assert [r["role"] for r in play["roles"]] == [
        "wks_base",
        "wks_hardening",
        "wks_vpn",
        "wks_apps",
        "wks_report",
    ]
    assert set(ROLE_NAMES) >= {r["role"] for r in play["roles"]}


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_task_has_a_plain_name(role):
    for path, task in tasks_of(role):
        name = task.get("name", "")
        assert name and name[0].isupper() and "{{" not in name, (path, task)


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_control_file_names_its_source(role):
    for path in (ROLES / role / "tasks").glob("*.yml"):
        if path.name in ("main.yml", "summary.yml"):
            continue
        text = path.read_text(encoding="utf-8")
        assert re.search(r"^# Source: .*(BSI|CIS)", text, re.M), path


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_default_is_prefixed_and_typed(role):
    defaults = load(ROLES / role / "defaults" / "main.yml") or {}
    specs = load(ROLES / role / "meta" / "argument_specs.yml")["argument_specs"]["main"]
    options = specs.get("options") or {}
    for name in defaults:
        assert name.startswith(f"{role}_"), name
        assert name in options, f"{name} is not typed in meta/argument_specs.yml"
        assert options[name].get("type") and options[name].get("description"), name


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_templates_mirror_the_path_they_install_to(role):
    for path, task in tasks_of(role):
        template = task.get("ansible.builtin.template")
        if not template:
            continue
        src, dest = template["src"], template["dest"]
        if "{{" in dest:
            assert src.startswith("etc/"), (path, src)
            continue
        assert "/" + src.removesuffix(".j2") == dest, (path, src, dest)
        assert (ROLES / role / "templates" / src).is_file()


def test_the_lab_image_holds_every_package_the_baseline_installs():
    image = set(BASELINE_PACKAGES) | set(LAB_PACKAGES)
    wanted = set()
    for role in ROLE_NAMES:
        for name, value in (load(ROLES / role / "defaults" / "main.yml") or {}).items():
            if name.endswith("_packages") and isinstance(value, list):
                wanted |= set(value)
    assert wanted and wanted <= image, sorted(wanted - image)


def test_live_tasks_are_tagged_and_guarded():
    """Whatever acts on the running system is tagged live and switched off on chroot lab
    workstations; whatever acts on the kernel (shared by booted lab workstations) is switched
    off by apply_kernel, which follows apply_live unless a booted lab turns it off."""
    live_modules = ("ansible.builtin.hostname",)
    kernel_commands = ("sysctl", "augenrules", "update-grub", "aa-enabled", "auditd.service")
    kernel_tasks = 0
    for role in ROLE_NAMES:
        for path, task in tasks_of(role):
            is_live = any(m in task for m in live_modules) or (
                "state" in (task.get("ansible.builtin.systemd_service") or {})
            )
            command = str(task.get("ansible.builtin.command", ""))
            # the network settings belong to the workstation's own network: live, not kernel
            is_network = "60-remoteops-network.conf" in command
            is_live = is_live or is_network
            is_kernel = not is_network and (
                "community.general.modprobe" in task or any(c in command for c in kernel_commands)
            )
            if is_live or is_kernel:
                assert "live" in task.get("tags", []), (path, task["name"])
            if is_kernel:
                kernel_tasks += 1
                assert "wks_hardening_apply_kernel" in str(task.get("when")), (path, task["name"])
            elif is_live:
                assert "apply_live" in str(task.get("when")), (path, task["name"])
    assert kernel_tasks == 6
    defaults = load(ROLES / "wks_hardening" / "defaults" / "main.yml")
    assert defaults["wks_hardening_apply_kernel"] == "{{ wks_hardening_apply_live }}"


def test_secrets_only_pass_through_no_log_tasks():
    wireguard = load(ROLES / "wks_vpn" / "tasks" / "wireguard.yml")
    conf = next(t for t in wireguard if "ansible.builtin.template" in t)
    assert conf["no_log"] is True and conf["ansible.builtin.template"]["mode"] == "0600"
    accounts = load(ROLES / "wks_hardening" / "tasks" / "accounts.yml")
    keys = next(t for t in accounts if "ansible.posix.authorized_key" in t)
    assert keys["no_log"] is True


def test_the_sample_vault_encrypts_every_value_and_its_password_is_marked_throwaway():
    """Value by value (``!vault``), so AWX can import the inventory without the password."""
    vault = REPO / "inventory" / "group_vars" / "workstations" / "vault.yml"
    node = yaml.compose(vault.read_text(), Loader=yaml.SafeLoader)
    values = {key.value: value for key, value in node.value}
    assert set(values) == {
        "vault_wks_vpn_private_key",
        "vault_wks_vpn_preshared_key",
        "vault_wks_admin_ssh_public_key",
    }
    for name, value in values.items():
        assert value.tag == "!vault", name
        assert value.value.startswith("$ANSIBLE_VAULT;1.1;AES256\n"), name
    assert (REPO / "inventory" / ".vault-password").read_text().startswith("THROWAWAY-TEST")


# ansible-lint (production profile) runs in 'make lint', which CI runs before the tests.
