"""Benchmark of the support desk's repairs: how long support and the caller wait.

On one lab workstation with the baseline applied (one untimed apply first), each repair runs
through ``remoteops.support.repairs.run_repair`` in the steady state (nothing to repair:
every check still runs), interleaved with a steady-state ``provision`` of the whole baseline
(``workstation.yml``) as the baseline of the table, so the machine's load hits all alike.
The table shows the median seconds of each, the tasks it ran and its ratio to the baseline
apply. ``reboot`` runs confirmed; its restart is live and skipped on the lab, as every
``live`` task is. Needs root (the lab).

Usage::

    python bench/repairs.py                 # 3 rounds
    python bench/repairs.py --repeats 1     # quick look
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from provision import make_company  # noqa: E402

from remoteops.inventory import load_company  # noqa: E402
from remoteops.lab import lab_down, lab_up  # noqa: E402
from remoteops.provision.operations import ProvisionRequest, provision  # noqa: E402
from remoteops.state import StateStore  # noqa: E402
from remoteops.support.repairs import list_actions, run_repair  # noqa: E402

BASELINE = "baseline apply (workstation.yml)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="rounds (median is shown)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="remoteops-bench-repairs-", dir="/var/tmp") as tmp:
        base = Path(tmp)
        inventory = make_company(base / "inventory")
        company = load_company(inventory)
        lab = base / "lab"
        try:
            lab_up(1, lab)
            with StateStore(base / "state.db") as store:
                request = ProvisionRequest(targets=("lab",))
                first = provision(company, store, inventory, request, lab_dir=lab)
                if not first.succeeded:
                    raise SystemExit(f"The first apply failed: {first.summary()}")
                seconds: dict[str, list[float]] = {}
                tasks: dict[str, int] = {}
                for round_ in range(options.repeats):
                    started = time.perf_counter()
                    run = provision(company, store, inventory, request, lab_dir=lab)
                    seconds.setdefault(BASELINE, []).append(time.perf_counter() - started)
                    tasks[BASELINE] = run.host("lab-01").ok
                    for action in list_actions():
                        started = time.perf_counter()
                        result = run_repair(
                            company, store, "lab-01", action.id, confirm=True, lab_dir=lab
                        )
                        seconds.setdefault(action.id, []).append(time.perf_counter() - started)
                        tasks[action.id] = result.host_result.ok
                        if result.status != "nothing to repair":
                            raise SystemExit(f"{action.id}: {result.status}: {result.message}")
                    print(f"round {round_ + 1} of {options.repeats} done", file=sys.stderr)
        finally:
            lab_down(lab)
    reference = statistics.median(seconds[BASELINE])
    print(f"\nSteady-state runs on one lab workstation, median of {options.repeats}:\n")
    print(f"| {'run':<34} | seconds | tasks | ratio to the baseline apply |")
    print(f"| {'-' * 34} | ------: | ----: | --------------------------: |")
    for name, values in seconds.items():
        median = statistics.median(values)
        print(f"| {name:<34} | {median:7.1f} | {tasks[name]:5d} | {median / reference:27.2f} |")


if __name__ == "__main__":
    main()
