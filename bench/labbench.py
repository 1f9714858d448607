"""What the lab benchmarks share: a small company for the lab, and timing a command."""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "inventory"

#: One host's line of Ansible's PLAY RECAP: "lab-01 : ok=68 changed=0 unreachable=0 ...".
_RECAP = re.compile(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", re.M)


def make_company(root: Path) -> Path:
    """A synthetic company with the sample's workstation settings and vault, and its own
    support contact in ``group_vars/workstations/company.yml`` (as ``remoteops check``
    writes it), so a plain ansible-playbook run needs no extra variables."""
    from remoteops.inventory import load_company
    from remoteops.provision import write_company_vars
    from remoteops.synthetic import write_company

    write_company(root, employees=4, seed=11)
    shutil.copytree(SAMPLE / "group_vars" / "workstations", root / "group_vars" / "workstations")
    shutil.copy2(SAMPLE / ".vault-password", root / ".vault-password")
    write_company_vars(load_company(root))
    return root


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall seconds and controller CPU seconds (the process and every descendant it waited
    for: ansible-playbook and its forks, not the lab's sshd) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(args, env=env, capture_output=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, proc


def recaps(text: str) -> list[dict[str, dict[str, int]]]:
    """Every PLAY RECAP in an ``ansible-playbook`` output, host -> counters, in order."""
    found = []
    for block in text.split("PLAY RECAP")[1:]:
        hosts = {}
        for host, counters in _RECAP.findall(block):
            hosts[host] = {k: int(v) for k, v in (c.split("=") for c in counters.split())}
        found.append(hosts)
    return found
