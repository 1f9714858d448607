"""The vault password is checked before a run contacts any workstation, whether the secrets
are encrypted file by file or value by value (the sample, as AWX needs). Real ansible-vault."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from provision_helpers import PLAYBOOK, SAMPLE_VAULT_PASSWORD, vault_secrets

from remoteops.provision import VaultPasswordError, run_playbook, vaulted_files
from remoteops.provision.vault import check_vault_password

VAULT = Path(sys.executable).parent / "ansible-vault"


def encrypt_value(name: str, value: str, password_file: Path) -> str:
    return subprocess.run(
        [str(VAULT), "encrypt_string", "--vault-password-file", str(password_file)]
        + ["--stdin-name", name],
        input=value,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture
def other_password(tmp_path) -> Path:
    path = tmp_path / "other-password"
    path.write_text("not-the-sample-password-0815\n")
    return path


def test_the_right_password_opens_every_value(company, tmp_path):
    files = vaulted_files([company / "hosts.yml"], PLAYBOOK)
    assert [p.name for p in files] == ["vault.yml"]
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    check_vault_password(files, company / ".vault-password", scratch)  # no error
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in scratch.iterdir())


def test_a_wrong_password_names_the_file_and_the_first_variable(company, tmp_path, other_password):
    vault = company / "group_vars" / "workstations" / "vault.yml"
    with pytest.raises(VaultPasswordError) as caught:
        check_vault_password([vault], other_password, tmp_path)
    assert caught.value.message == (
        "The vault could not be decrypted: the vault password is wrong; "
        f"it does not open vault_wks_vpn_private_key in {vault}."
    )
    assert "not-the-sample-password-0815" not in caught.value.message


def test_one_value_under_another_password_is_named(company, tmp_path, other_password):
    """A value added later with the wrong password would fail only at its first task."""
    vault = tmp_path / "vault.yml"
    shutil.copy2(company / "group_vars" / "workstations" / "vault.yml", vault)
    with vault.open("a", encoding="utf-8") as fh:
        fh.write(encrypt_value("vault_wks_extra_token", "s3cret-token-value", other_password))
    with pytest.raises(VaultPasswordError) as caught:
        check_vault_password([vault], company / ".vault-password", tmp_path)
    assert caught.value.message.endswith(f"it does not open vault_wks_extra_token in {vault}.")


def test_a_whole_file_vault_is_checked_too(tmp_path, other_password):
    secret = tmp_path / "host_vars" / "ws-x" / "vault.yml"
    secret.parent.mkdir(parents=True)
    secret.write_text("vault_wks_vpn_private_key: abc\n")
    subprocess.run(
        [str(VAULT), "encrypt", "--vault-password-file", str(other_password), str(secret)],
        check=True,
        capture_output=True,
    )
    check_vault_password([secret], other_password, tmp_path)
    with pytest.raises(VaultPasswordError) as caught:
        check_vault_password([secret], SAMPLE_VAULT_PASSWORD, tmp_path)
    assert caught.value.message.endswith(f"wrong; it does not open {secret}.")


def test_a_run_with_a_wrong_password_stops_before_ansible_starts(company, tmp_path, monkeypatch):
    """The hosts are unreachable addresses: had Ansible started, the error would differ."""
    monkeypatch.setenv("REMOTEOPS_VAULT_PASSWORD", "not-the-password-4711")
    with pytest.raises(VaultPasswordError, match="the vault password is wrong") as caught:
        run_playbook(PLAYBOOK, [company / "hosts.yml"], work_dir=tmp_path / "runs")
    run = caught.value.run
    assert run.status == "error" and run.hosts == () and run.return_code is None
    assert not list(Path(run.artifacts).rglob("job_events"))


def test_the_sample_secrets_decrypt_to_usable_values():
    secrets = vault_secrets()
    assert secrets["vault_wks_admin_ssh_public_key"].startswith("ssh-ed25519 ")
    assert len(secrets["vault_wks_vpn_private_key"]) == 44  # a WireGuard key in base64
