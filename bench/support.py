"""Benchmark of the support desk's waits (issue 14): a fleet diagnosis and a steady-state
apply of the baseline, through remoteops as IT and support staff run them, against plain
``ansible-playbook`` with Ansible's default settings on the same playbooks, in the same run.

Rows, each the median of ``--repeats`` interleaved runs on ``--hosts`` lab workstations:

- ``remoteops support fleet lab``: diagnose.yml plus the check-mode run of workstation.yml
  (the baseline policy), judged and stored. Plain: the same two playbooks with
  ``ansible-playbook`` (``--check`` for the second), Ansible's defaults (linear strategy,
  5 forks; the inventory's own settings such as pipelining apply to both).
- ``remoteops provision lab`` (steady state: nothing left to change). Plain: ``ansible-playbook
  workstation.yml`` with Ansible's defaults.
- The same two remoteops commands with ``REMOTEOPS_MITOGEN=0`` (Ansible's own strategy), to
  show where the speed comes from.

"Identical" checks that the results do not depend on the speed: every PLAY RECAP of the
remoteops runs (read from the runs' kept output) equals plain ansible-playbook's, host by host
and counter by counter (ok, changed=0 in the steady state, failed, skipped, ...), and the
fleet's failing policies are the same with and without Mitogen. Needs root (the lab).

Usage::

    python bench/support.py                      # 20 workstations, 2 runs of each
    python bench/support.py --hosts 4 --repeats 1   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from labbench import make_company, recaps, timed  # noqa: E402

from remoteops.lab import inventory_path, lab_down, lab_up  # noqa: E402
from remoteops.provision.driver import MITOGEN_ENV, ansible_playbook_path  # noqa: E402

PLAYBOOKS = REPO / "playbooks"
REMOTEOPS = Path(sys.executable).parent / "remoteops"
TARGET = 2.0  # the target: at least 2x faster than plain defaults


class Bench:
    def __init__(self, scratch: Path, hosts: int) -> None:
        self.scratch = scratch
        self.lab = scratch / "lab"
        self.company = make_company(scratch / "inventory")
        self.state = scratch / "state" / "state.db"
        self.hosts = hosts
        self.env = os.environ | {"REMOTEOPS_LAB_DIR": str(self.lab)}
        for name in [n for n in self.env if n.startswith("ANSIBLE_")]:
            del self.env[name]  # Ansible's defaults, also for the plain runs

    def remoteops(self, *args: str, mitogen: bool = True) -> tuple[float, str]:
        env = self.env if mitogen else self.env | {MITOGEN_ENV: "0"}
        command = [str(REMOTEOPS), "-i", str(self.company), "--state", str(self.state), *args]
        seconds, _cpu, proc = timed(command, env)
        if proc.returncode != 0:  # fleet exits 1 only when no workstation answered
            raise SystemExit(f"{' '.join(args)} failed: {proc.stdout.decode()[-800:]}")
        return seconds, proc.stdout.decode()

    def plain(self, playbook: str, *, check: bool = False) -> tuple[float, list]:
        args = [
            str(ansible_playbook_path()),
            str(PLAYBOOKS / playbook),
            "-i",
            str(self.company / "hosts.yml"),
            "-i",
            str(inventory_path(self.lab)),
            "--limit",
            "lab",
            "--skip-tags",
            "live",
            "--vault-password-file",
            str(self.company / ".vault-password"),
        ]
        if check:
            args.append("--check")
        seconds, _cpu, proc = timed(args, self.env)
        if proc.returncode != 0:
            raise SystemExit(f"plain ansible-playbook {playbook}: {proc.stdout.decode()[-800:]}")
        return seconds, recaps(proc.stdout.decode())

    def kept_recaps(self, runs_folder: str, count: int) -> list:
        """The PLAY RECAPs of the newest ``count`` runs remoteops kept in ``runs_folder``."""
        folder = self.state.parent / runs_folder
        newest = sorted((p for p in folder.iterdir() if p.is_dir()), key=lambda p: p.name)
        found = []
        for run in newest[-count:]:
            (stdout,) = run.glob("artifacts/*/stdout")
            found += recaps(stdout.read_text(errors="replace"))
        return found


def failing(fleet_json: str) -> dict[str, list[str]]:
    """host -> its failing (or not checked) policies, from ``support fleet --json``."""
    (report,) = json.loads(fleet_json)
    found: dict[str, list[str]] = {}
    for group in report["failing"] + report["not_checked"]:
        for affected in group["affected"]:
            found.setdefault(affected["host"], []).append(group["policy"])
    return {host: sorted(policies) for host, policies in sorted(found.items())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=2, help="timed runs of each kind")
    args = parser.parse_args(argv)

    scratch = Path(tempfile.mkdtemp(prefix="remoteops-bench-", dir="/var/tmp"))
    bench = Bench(scratch, args.hosts)
    times: dict[str, list[float]] = {}
    identical: dict[str, bool] = {}
    try:
        t = time.perf_counter()
        lab_up(args.hosts, bench.lab)
        print(f"lab up: {args.hosts} workstations in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        bench.remoteops("provision", "lab", "--forks", "10")  # untimed first apply
        print(f"first apply: {time.perf_counter() - t:.1f} s", flush=True)

        for _ in range(args.repeats):
            seconds, out = bench.remoteops("support", "fleet", "lab", "--json")
            times.setdefault("fleet", []).append(seconds)
            ours = bench.kept_recaps("support-runs", 2)
            fast_failing = failing(out)
            seconds, out = bench.remoteops("support", "fleet", "lab", "--json", mitogen=False)
            times.setdefault("fleet-off", []).append(seconds)
            identical["fleet-off"] = failing(out) == fast_failing
            diagnose_s, diagnose_recap = bench.plain("diagnose.yml")
            check_s, check_recap = bench.plain("workstation.yml", check=True)
            times.setdefault("fleet-plain", []).append(diagnose_s + check_s)
            identical["fleet"] = ours == diagnose_recap + check_recap
            print(f"fleet: {times['fleet'][-1]:.1f} s, plain {diagnose_s + check_s:.1f} s")

            seconds, _out = bench.remoteops("provision", "lab")
            times.setdefault("apply", []).append(seconds)
            ours = bench.kept_recaps("provision-runs", 1)
            seconds, _out = bench.remoteops("provision", "lab", mitogen=False)
            times.setdefault("apply-off", []).append(seconds)
            seconds, plain_recap = bench.plain("workstation.yml")
            times.setdefault("apply-plain", []).append(seconds)
            steady = all(h["changed"] == 0 for recap in ours for h in recap.values())
            identical["apply"] = ours == plain_recap and steady
            print(f"apply: {times['apply'][-1]:.1f} s, plain {seconds:.1f} s", flush=True)
    finally:
        lab_down(bench.lab)
        shutil.rmtree(scratch, ignore_errors=True)

    median = {name: statistics.median(runs) for name, runs in times.items()}
    print()
    print(f"{args.hosts} lab workstations, median of {args.repeats} interleaved runs each")
    header = f"{'run':<44}{'median s':>10}{'s/host':>8}{'x plain':>9}  identical"
    print(header)
    print("-" * len(header))
    rows = (
        ("remoteops support fleet lab", "fleet", "fleet-plain", identical.get("fleet")),
        ("  same, REMOTEOPS_MITOGEN=0", "fleet-off", "fleet-plain", identical.get("fleet-off")),
        ("plain ansible-playbook diagnose + --check", "fleet-plain", "fleet-plain", None),
        ("remoteops provision lab (steady state)", "apply", "apply-plain", identical.get("apply")),
        ("  same, REMOTEOPS_MITOGEN=0", "apply-off", "apply-plain", None),
        ("plain ansible-playbook workstation.yml", "apply-plain", "apply-plain", None),
    )
    ok = True
    for label, name, baseline, same in rows:
        ratio = median[baseline] / median[name]
        mark = "" if same is None else ("yes" if same else "NO")
        print(
            f"{label:<44}{median[name]:>10.1f}{median[name] / args.hosts:>8.2f}"
            f"{ratio:>8.2f}x  {mark}"
        )
        if name in ("fleet", "apply"):
            ok = ok and ratio >= TARGET and bool(same)
    print(
        f"target: fleet diagnosis and steady-state apply each >= {TARGET:.0f}x faster than "
        f"plain defaults with identical results: {'met' if ok else 'NOT met'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
