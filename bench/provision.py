"""Benchmark of the provisioning driver (issue 3).

1. Overhead: the same playbook (``playbooks/workstation.yml``, lab settings, skip-tags
   ``live``) on N lab workstations, run alternately by ``remoteops provision lab`` (the
   CLI as IT staff start it: target resolution, the run's outline for the progress bar,
   ansible-runner, event parsing, the live view, the state store) and by plain
   ``ansible-playbook`` with the same arguments and environment. Runs are interleaved
   (remoteops, plain, remoteops, plain, ...) so the machine's load hits both alike; the
   table shows the median of each and the ratio. The target is at most 5 % overhead.
2. Scaling: seconds per host through ``remoteops provision`` at several ``--forks`` (the
   first is the median of part 1).

The workstations get one untimed apply first, so every timed run is the steady state
(nothing to change, every control checked). Needs root (the lab).

Usage::

    python bench/provision.py                       # 20 hosts, 3 runs each, forks 5 10 20
    python bench/provision.py --hosts 6 --repeats 2 --forks 5 --tags base   # quick look
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from labbench import make_company, timed  # noqa: E402

from remoteops.lab import inventory_path, lab_down, lab_up  # noqa: E402
from remoteops.provision.driver import ansible_environment, ansible_playbook_path  # noqa: E402

PLAYBOOK = REPO / "playbooks" / "workstation.yml"
REMOTEOPS = Path(sys.executable).parent / "remoteops"


def remoteops_run(company: Path, lab: Path, forks: int, tags: list[str]) -> tuple[float, float]:
    """``remoteops provision lab`` in its own process, as IT staff run it."""
    args = [str(REMOTEOPS), "-i", str(company), "provision", "lab", "--forks", str(forks)]
    if tags:
        args += ["--tags", ",".join(tags)]
    env = os.environ | {"REMOTEOPS_LAB_DIR": str(lab)}
    seconds, cpu, proc = timed(args, env)
    if proc.returncode != 0:
        raise SystemExit(f"remoteops provision failed: {proc.stdout.decode()[-800:]}")
    return seconds, cpu


def plain_run(company: Path, lab: Path, forks: int, tags: list[str]) -> tuple[float, float]:
    """ansible-playbook as the driver starts it, without ansible-runner around it."""
    args = [
        str(ansible_playbook_path()),
        str(PLAYBOOK),
        "--vault-password-file",
        str(company / ".vault-password"),
        "-i",
        str(company / "hosts.yml"),
        "-i",
        str(inventory_path(lab)),
        "--limit",
        "lab",
        "--skip-tags",
        "live",
        "--forks",
        str(forks),
    ]
    if tags:
        args += ["--tags", ",".join(tags)]
    env = os.environ | ansible_environment()
    seconds, cpu, proc = timed(args, env)
    if proc.returncode != 0:
        raise SystemExit(f"plain ansible-playbook failed: {proc.stderr.decode()[-500:]}")
    return seconds, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each kind")
    parser.add_argument("--forks", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--tags", nargs="*", default=[], help="only these playbook tags")
    parser.add_argument("--lab", type=Path, default=None, help="lab folder (default: temp)")
    args = parser.parse_args(argv)

    scratch = Path(tempfile.mkdtemp(prefix="remoteops-bench-", dir="/var/tmp"))
    lab = args.lab or scratch / "lab"
    company = make_company(scratch / "inventory")
    try:
        t = time.perf_counter()
        lab_up(args.hosts, lab)
        print(f"lab up: {args.hosts} workstations in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        remoteops_run(company, lab, max(args.forks), args.tags)  # untimed first apply
        print(f"first apply (forks {max(args.forks)}): {time.perf_counter() - t:.1f} s")

        forks = args.forks[0]
        ours, plain = [], []
        for _ in range(args.repeats):
            ours.append(remoteops_run(company, lab, forks, args.tags))
            plain.append(plain_run(company, lab, forks, args.tags))
        print()
        print(f"Overhead, {args.hosts} hosts, forks {forks}, {args.repeats} interleaved runs each")
        print(f"{'how':<28}{'median wall s':>14}{'median CPU s':>14}   wall s of each run")
        medians = {}
        for name, runs in (("remoteops provision", ours), ("plain ansible-playbook", plain)):
            wall = statistics.median(w for w, _cpu in runs)
            cpu = statistics.median(c for _wall, c in runs)
            medians[name] = (wall, cpu)
            each = " ".join(f"{w:.1f}" for w, _cpu in runs)
            print(f"{name:<28}{wall:>14.1f}{cpu:>14.1f}   {each}")
        (d, d_cpu), (p, p_cpu) = medians.values()
        ratio = d / p
        verdict = "ok" if ratio <= 1.05 else "OVER the 5 % target"
        print(
            f"{'ratio remoteops / plain':<28}{ratio:>14.3f}{d_cpu / p_cpu:>14.3f}"
            f"   (wall {(ratio - 1) * 100:+.1f} %, {verdict})"
        )
        pairs = [o[0] / q[0] for o, q in zip(ours, plain, strict=True)]
        print(f"{'ratio of each pair':<28}   {' '.join(f'{r:.3f}' for r in pairs)}")

        print()
        print(f"Scaling through remoteops provision, {args.hosts} hosts")
        print(f"{'forks':>6}{'wall s':>10}{'s per host':>12}")
        for f in args.forks:
            seconds = d if f == forks else remoteops_run(company, lab, f, args.tags)[0]
            print(f"{f:>6}{seconds:>10.1f}{seconds / args.hosts:>12.2f}", flush=True)
    finally:
        lab_down(lab)
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
