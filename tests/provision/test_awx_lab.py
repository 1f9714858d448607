"""The playbooks run unchanged without remoteops (as AWX runs them): after ``remoteops
provision``, a plain ``ansible-playbook`` with the company's inventory, the lab's inventory
and the vault password file - no extra variables, Ansible's own linear strategy - finds
nothing to change on the shared lab pair."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from provision_helpers import REPO, lab_test

from remoteops.inventory import load_company
from remoteops.provision import COMPANY_VARS_FILE, company_vars_text, write_company_vars
from remoteops.provision.operations import ProvisionRequest, provision
from remoteops.state import StateStore

RECAP = re.compile(
    r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+"
    r"unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)",
    re.M,
)


def plain_ansible_playbook(
    company: Path, lab_inventory: Path, *more: str
) -> subprocess.CompletedProcess:
    """``ansible-playbook playbooks/workstation.yml`` on the lab as someone (or AWX) runs it:
    the company's and the lab's inventory, the vault password file, none of remoteops' or
    Ansible's settings from this environment (so no Mitogen and no extra variables)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "REMOTEOPS_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    args = ["playbooks/workstation.yml", "-i", company / "hosts.yml", "-i", lab_inventory]
    args += ["--limit", "lab", "--vault-password-file", company / ".vault-password", *more]
    return subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), *map(str, args)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@lab_test
def test_a_plain_ansible_playbook_run_after_remoteops_provision_changes_nothing(
    first_apply, lab_pair, lab_company, lab_state, secrets_to_hide
):
    _, inventory = lab_pair
    company = load_company(lab_company)
    copy = lab_company / COMPANY_VARS_FILE
    copy.unlink()  # remoteops provision writes it from company.yml before the run
    with StateStore(lab_state) as store:
        run = provision(
            company,
            store,
            lab_company,
            ProvisionRequest(targets=("lab",)),
            lab_dir=inventory.parent,
        )
    assert run.succeeded, run.summary()
    assert copy.read_text() == company_vars_text(company)

    plain = plain_ansible_playbook(lab_company, inventory)
    assert plain.returncode == 0, plain.stdout[-3000:] + plain.stderr
    recap = {m["host"]: m.groupdict() for m in RECAP.finditer(plain.stdout)}
    assert sorted(recap) == ["lab-01", "lab-02"], plain.stdout[-3000:]
    for host, counts in recap.items():
        assert (counts["changed"], counts["unreachable"], counts["failed"]) == ("0", "0", "0"), (
            host,
            plain.stdout[-3000:],
        )
        assert int(counts["ok"]) > 40  # the whole baseline ran, not an empty play
    for secret in secrets_to_hide:
        assert secret not in plain.stdout + plain.stderr

    # The contact really comes from the inventory's copy: without it, the same plain run
    # (checking only) would put the roles' placeholder contact on both workstations.
    copy.unlink()
    try:
        without = plain_ansible_playbook(
            lab_company, inventory, "--tags", "support_contact", "--check"
        )
    finally:
        write_company_vars(company, lab_company)
    assert without.returncode == 0, without.stdout[-3000:] + without.stderr
    recap = {m["host"]: m.groupdict() for m in RECAP.finditer(without.stdout)}
    assert sorted(recap) == ["lab-01", "lab-02"]
    assert all(int(counts["changed"]) > 0 for counts in recap.values()), without.stdout[-3000:]
