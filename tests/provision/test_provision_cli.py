"""``remoteops provision`` as IT staff use it, against the session's shared lab pair (already
provisioned once by ``first_apply``): apply and check through the CLI, history and show, the
changes a run makes with --diff, targets by employee ID and hostname, --forks,
--vault-password-file and --no-host-key-checking; after every other test, lab-02 switched
off and --retry-failed. Lab tests need root (CI runs as root)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import yaml
from provision_helpers import (
    LAB_EMPLOYEES,
    ansible_workers_seen,
    assert_baseline,
    lab_test,
    switch_off,
)

from remoteops.inventory import load_company

MOTD_TASK = "Show the support contact after login (/etc/motd)"


@pytest.fixture
def lab_cli(cli, lab_pair, lab_state, monkeypatch):
    """The CLI on the shared lab: its folder in REMOTEOPS_LAB_DIR, its state store."""
    _, inventory = lab_pair
    monkeypatch.setenv("REMOTEOPS_LAB_DIR", str(inventory.parent))
    monkeypatch.setenv("REMOTEOPS_STATE", str(lab_state))
    return cli


def table_rows(text: str, first: str) -> list[list[str]]:
    """The cells of a rich table's rows whose first cell starts with ``first``."""
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if line.startswith("│") and cells[0].startswith(first):
            rows.append(cells)
    return rows


@lab_test
def test_provision_lab_through_the_cli(
    lab_cli, first_apply, lab_pair, lab_company, secrets_to_hide
):
    cli = lab_cli
    workstations, inventory = lab_pair
    hosts = [w.name for w in workstations]

    listed = cli("lab", "list", "--json")
    assert [(r["name"], r["employee_id"]) for r in json.loads(listed.stdout)] == list(
        zip(hosts, LAB_EMPLOYEES, strict=True)
    )

    applied = cli("-i", lab_company, "provision", "lab")
    assert applied.exit_code == 0, applied.output
    # first_apply provisioned the lab: this apply finds everything in place
    assert "apply on 2 workstations: 2 succeeded" in applied.stdout
    rows = table_rows(applied.stdout, "lab-")
    assert [[r[0], r[1], r[2], r[4], r[5]] for r in rows] == [
        [w.name, w.employee_id, "ok", "0", "0"] for w in workstations
    ]
    support = load_company(lab_company).details.it_support
    for w in workstations:
        assert_baseline(w, inventory.parent, support)

    again = cli("-i", lab_company, "provision", "lab", "--check", "--tags", "base", "--json")
    assert again.exit_code == 0, again.output
    result = json.loads(again.stdout)[0]
    assert result["mode"] == "check" and result["status"] == "succeeded"
    assert "changes" not in result  # only with --diff
    assert [(h["host"], h["changed"], h["failed"]) for h in result["hosts"]] == [
        (host, 0, 0) for host in hosts
    ]

    runs = json.loads(cli("-i", lab_company, "provision", "history", "--json").stdout)
    assert [r["mode"] for r in runs[:2]] == ["check", "apply"]
    assert runs[0]["run"] == result["run"]
    apply_id = runs[1]["run"]
    shown = json.loads(cli("-i", lab_company, "provision", "show", apply_id, "--json").stdout)
    assert [(h["host"], h["changed"]) for h in shown[0]["hosts"]] == [(h, 0) for h in hosts]
    # the first apply (recorded by the library in the same store) shows what it changed
    first = first_apply[0]
    shown_first = cli("-i", lab_company, "provision", "show", first.run_id, "--json")
    assert [
        (h["host"], h["status"], h["changed"]) for h in json.loads(shown_first.stdout)[0]["hosts"]
    ] == [(h.host, "changed", h.changed) for h in first.hosts]
    log = json.loads(cli("-i", lab_company, "log", "--action", "provision", "--json").stdout)
    assert [(e["action"], e["subject"]) for e in log[:2]] == [
        ("provision.run", result["run"]),
        ("provision.run", apply_id),
    ]

    everything = applied.output + again.output + json.dumps(shown) + shown_first.output
    for secret in secrets_to_hide:
        assert secret not in everything


@lab_test
def test_diff_shows_what_a_run_changes_and_would_change(
    lab_cli, first_apply, lab_pair, lab_company, secrets_to_hide
):
    cli = lab_cli
    workstations, _ = lab_pair
    motd = workstations[0].root / "etc" / "motd"
    good = motd.read_text("utf-8")
    phone = load_company(lab_company).details.it_support.phone
    assert f"Phone:  {phone}" in good

    motd.write_text("Old support number: 0800 000\n", "utf-8")
    checked = cli(
        "-i", lab_company, "provision", "lab-01", "--tags", "support_contact", "--check", "--diff"
    )
    assert checked.exit_code == 0, checked.output
    assert "lab-01: 1 task(s) would change files" in checked.stdout
    assert f"-- {MOTD_TASK}" in checked.stdout
    assert "-Old support number: 0800 000" in checked.stdout
    assert f"+    Phone:  {phone}" in checked.stdout
    assert motd.read_text("utf-8") == "Old support number: 0800 000\n"  # check changed nothing

    applied = cli(
        "-i", lab_company, "provision", "E0901", "lab-02", "--tags", "support_contact", "--diff"
    )
    assert applied.exit_code == 0, applied.output
    assert "lab-01: 1 task(s) changed files" in applied.stdout
    assert "-Old support number: 0800 000" in applied.stdout
    assert "lab-02: no file changed." in applied.stdout
    assert motd.read_text("utf-8") == good  # repaired

    as_json = cli(
        "-i", lab_company, "provision", "lab-01", "--tags", "support_contact", "--diff", "--json"
    )
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)[0]["changes"] == {"lab-01": []}
    for secret in secrets_to_hide:
        assert secret not in checked.output + applied.output


@lab_test
def test_employee_and_hostname_targets_forks_and_a_vault_password_file(
    lab_cli, first_apply, lab_pair, lab_company, lab_state, tmp_path, monkeypatch
):
    """E0901 is lab-01's employee, lab-02 a hostname; a copy of the company without its
    .vault-password file needs --vault-password-file; --forks 1 works on one host at a time
    (Ansible forks one worker process per workstation it works on), where the default lets
    both work at once."""
    cli = lab_cli
    company = tmp_path / "company"
    shutil.copytree(lab_company, company)
    password = tmp_path / "elsewhere" / "vault-pass"
    password.parent.mkdir()
    (company / ".vault-password").rename(password)

    missing = cli("-i", company, "provision", "E0901", "--tags", "support_contact")
    assert missing.exit_code == 1
    assert "encrypted with ansible-vault, but no vault password was given" in missing.stderr

    args = ["E0901", "lab-02", "--tags", "support_contact", "--json"]
    # Counted are Ansible's own worker processes: Mitogen runs beside them with processes
    # of its own, so this test runs Ansible's strategy (REMOTEOPS_MITOGEN=0).
    monkeypatch.setenv("REMOTEOPS_MITOGEN", "0")
    with ansible_workers_seen() as serial_workers:
        serial = cli(
            "-i", company, "provision", *args, "--forks", "1", "--vault-password-file", password
        )
    assert serial.exit_code == 0, serial.output
    run = json.loads(serial.stdout)[0]
    assert [(h["host"], h["employee_id"], h["status"]) for h in run["hosts"]] == [
        ("lab-01", "E0901", "ok"),
        ("lab-02", "E0902", "ok"),
    ]
    assert serial_workers == [1]  # one workstation at a time

    with ansible_workers_seen() as parallel_workers:
        parallel = cli("-i", company, "provision", *args, "--vault-password-file", password)
    assert parallel.exit_code == 0, parallel.output
    assert parallel_workers == [2]  # by default both at once


@lab_test
def test_no_host_key_checking_reaches_a_workstation_with_an_unknown_key(
    cli, first_apply, lab_pair, lab_company, tmp_path, monkeypatch
):
    """A freshly installed machine: its host key is in no known_hosts file. Refused by
    default (unreachable, said in plain words); --no-host-key-checking reaches it and
    records its key."""
    workstations, inventory = lab_pair
    lab = yaml.safe_load(inventory.read_text("utf-8"))
    host = lab["all"]["children"]["workstations"]["children"]["lab"]["hosts"]["lab-01"]
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    known = stranger / "known_hosts"
    known.write_text("", "utf-8")
    # "localhost": a name no earlier run used, so no shared SSH connection is reused
    host["ansible_host"] = "localhost"
    host["ansible_ssh_common_args"] = f"-o UserKnownHostsFile={known} -o IdentitiesOnly=yes"
    lab["all"]["children"]["workstations"]["children"]["lab"]["hosts"] = {"lab-01": host}
    (stranger / "hosts.yml").write_text(yaml.safe_dump(lab), "utf-8")
    monkeypatch.setenv("REMOTEOPS_LAB_DIR", str(stranger))

    args = ["-i", lab_company, "provision", "lab-01", "--tags", "support_contact", "--json"]
    refused = cli(*args)
    assert refused.exit_code == 1, refused.output
    (result,) = json.loads(refused.stdout)[0]["hosts"]
    assert result["status"] == "unreachable"
    assert "its SSH host key is unknown or has changed" in result["message"]
    assert known.read_text("utf-8") == ""

    accepted = cli(*args, "--no-host-key-checking")
    assert accepted.exit_code == 0, accepted.output
    assert [h["status"] for h in json.loads(accepted.stdout)[0]["hosts"]] == ["ok"]
    found = subprocess.run(
        ["ssh-keygen", "-F", f"[localhost]:{workstations[0].port}", "-f", str(known)],
        capture_output=True,
        text=True,
    )
    assert found.returncode == 0, "the workstation's key was not recorded"


@lab_test
@pytest.mark.after_lab(1)
def test_a_switched_off_workstation_and_retry_failed(
    lab_cli, first_apply, lab_pair, lab_company, secrets_to_hide
):
    cli = lab_cli
    workstations, _ = lab_pair
    hosts = [w.name for w in workstations]
    switch_off(workstations[1])  # lab-02: the agent's PC is off
    partly = cli("-i", lab_company, "provision", "lab", "--tags", "base")
    assert partly.exit_code == 1, partly.output
    assert "apply on 2 workstations: 1 succeeded, 1 unreachable" in partly.stdout
    assert [r[:3] for r in table_rows(partly.stdout, "lab-")] == [
        ["lab-01", "E0901", "ok"],
        ["lab-02", "E0902", "unreachable"],
    ]
    last = json.loads(cli("-i", lab_company, "provision", "history", "--json").stdout)[0]["run"]
    down = json.loads(cli("-i", lab_company, "provision", "show", last, "--json").stdout)[0]
    assert [(h["host"], h["status"]) for h in down["hosts"]] == [
        (hosts[0], "ok"),
        (hosts[1], "unreachable"),
    ]
    assert "nothing answers on its SSH port" in down["hosts"][1]["message"]
    retried = cli("-i", lab_company, "provision", "--retry-failed", "--tags", "base", "--json")
    assert retried.exit_code == 1, retried.output
    retry = json.loads(retried.stdout)[0]
    assert [(h["host"], h["status"]) for h in retry["hosts"]] == [(hosts[1], "unreachable")]
    for secret in secrets_to_hide:
        assert secret not in partly.output + retried.output + json.dumps(down)


# -- without a lab ------------------------------------------------------------------------


def test_provision_without_targets_is_a_usage_error(cli, company):
    result = cli("-i", company, "provision")
    assert result.exit_code == 2 and "Name the workstations" in result.stderr


def test_forks_below_one_is_a_usage_error(cli, company):
    result = cli("-i", company, "provision", "all", "--forks", "0")
    assert result.exit_code == 2 and "--forks must be at least 1." in result.stderr


def test_unknown_target_is_friendly(cli, company, monkeypatch, tmp_path):
    monkeypatch.setenv("REMOTEOPS_LAB_DIR", str(tmp_path / "no-lab"))
    result = cli("-i", company, "provision", "ws-nope")
    # a name that matches nothing is a usage error (exit 2), said in the user's words
    assert result.exit_code == 2
    assert "No workstation, employee ID or inventory group is called 'ws-nope'" in result.stderr
    assert "employee IDs (E0042), hostnames (ws-e0042) or groups (lab)" in result.stderr
    assert "Traceback" not in result.output


def test_provision_lab_without_a_lab_says_how_to_start_one(cli, company, monkeypatch, tmp_path):
    monkeypatch.setenv("REMOTEOPS_LAB_DIR", str(tmp_path / "no-lab"))
    result = cli("-i", company, "provision", "lab")
    assert result.exit_code == 2 and f"No lab is up in {tmp_path / 'no-lab'}" in result.stderr
    assert "remoteops lab up 2" in result.stderr and "Traceback" not in result.output


@pytest.mark.slow
def test_a_wrong_vault_password_file_is_said_and_recorded(cli, company, tmp_path):
    """--vault-password-file wins over the company's own .vault-password: a wrong one is
    a clear error (exit 1), and the failed run is in the history."""
    wrong = tmp_path / "wrong-pass"
    wrong.write_text("not-the-password-4711\n", "utf-8")
    result = cli("-i", company, "provision", "workstations", "--vault-password-file", wrong)
    assert result.exit_code == 1, result.output
    said = " ".join(result.stderr.split())
    vault = company / "group_vars" / "workstations" / "vault.yml"
    assert (
        "The vault could not be decrypted: the vault password is wrong; it does not open "
        f"vault_wks_vpn_private_key in {vault}." in said
    )
    assert "not-the-password-4711" not in result.output and "Traceback" not in result.output
    runs = json.loads(cli("-i", company, "provision", "history", "--json").stdout)
    assert [(r["status"], r["targets"]) for r in runs] == [("error", "workstations")]
