"""How an independent scanner scores the baseline: Lynis before and after, in the same run.

Boots lab workstations (``lab up --boot``: their own systemd, network and firewall), audits
the bare image with Debian's Lynis, applies the baseline with its live tasks through
``remoteops``' driver, audits again, and prints the hardening index, warnings and
suggestions before and after, the ratio, and every finding left with the reason recorded in
``bench/scanner-exceptions.yml`` (or ``no reason recorded``).

Lynis runs from this machine's installation (``apt-get install lynis``), copied into the
workstation for the audit and removed afterwards: the workstation never has it installed.

Usage (root)::

    python bench/baseline.py [--workstations 1] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from labbench import REPO, make_company  # noqa: E402

from remoteops.inventory import load_company  # noqa: E402
from remoteops.lab import inventory_path, lab_down, lab_up, ssh_command  # noqa: E402
from remoteops.provision import company_support_vars, run_playbook  # noqa: E402

EXCEPTIONS = REPO / "bench" / "scanner-exceptions.yml"
LYNIS_FILES = {  # this machine's Lynis -> where a standalone copy keeps it
    Path("/usr/sbin/lynis"): "lynis",
    Path("/usr/share/lynis/include"): "include",
    Path("/usr/share/lynis/db"): "db",
    Path("/etc/lynis/plugins"): "plugins",
    Path("/etc/lynis/default.prf"): "default.prf",
}
AUDIT_DIR = "root/remoteops-lynis"  # inside the workstation's root


def audit(folder: Path, workstation, keep: Path | None = None) -> dict:
    """Run Lynis on one workstation; its report as {index, warnings, suggestions}. ``keep``:
    a file name prefix under which to keep Lynis' report and log (``.dat``, ``.log``)."""
    target = workstation.root / AUDIT_DIR
    target.mkdir(mode=0o700)
    try:
        for source, name in LYNIS_FILES.items():
            if source.is_dir():
                shutil.copytree(source, target / name)
            else:
                shutil.copy2(source, target / name)
        started = time.perf_counter()
        lynis = (
            f"sudo sh -c 'cd /{AUDIT_DIR} && ./lynis audit system --no-colors --quick "
            f"--report-file /{AUDIT_DIR}/report.dat --logfile /{AUDIT_DIR}/lynis.log'"
        )
        proc = subprocess.run(
            ssh_command(folder, workstation, lynis),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=900,
        )
        seconds = time.perf_counter() - started
        report = target / "report.dat"
        if not report.is_file():
            raise SystemExit(f"Lynis wrote no report on {workstation.name}: {proc.stderr[-500:]}")
        if keep:
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(report, keep.with_suffix(".dat"))
            shutil.copy2(target / "lynis.log", keep.with_suffix(".log"))
        return parse_report(report.read_text(errors="replace")) | {"seconds": seconds}
    finally:
        shutil.rmtree(target, ignore_errors=True)


def parse_report(text: str) -> dict:
    index, warnings, suggestions = None, [], []
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key == "hardening_index":
            index = int(value)
        elif key in ("warning[]", "suggestion[]"):
            test, message, details, *_ = (value.split("|") + ["", "", ""])[:4]
            finding = {"test": test, "message": message, "details": details.strip("-")}
            (warnings if key == "warning[]" else suggestions).append(finding)
    return {"index": index, "warnings": warnings, "suggestions": suggestions}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workstations", type=int, default=1, choices=(1, 2))
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument(
        "--keep", type=Path, help="keep Lynis' reports and logs in this folder (to see the points)"
    )
    args = parser.parse_args(argv)
    if not shutil.which("lynis"):
        raise SystemExit("Lynis is not installed here: apt-get install lynis")
    exceptions = yaml.safe_load(EXCEPTIONS.read_text(encoding="utf-8")) or {}
    version = subprocess.run(["lynis", "--version"], capture_output=True, text=True).stdout
    with tempfile.TemporaryDirectory(prefix="remoteops-bench-baseline-", dir="/var/tmp") as tmp:
        tmp_path = Path(tmp)
        folder = tmp_path / "lab"
        company = make_company(tmp_path / "company")
        try:
            workstations = lab_up(args.workstations, folder, booted=True)
            keep = (lambda w, stage: args.keep / f"{w.name}-{stage}") if args.keep else None
            before = [audit(folder, w, keep and keep(w, "bare")) for w in workstations]
            started = time.perf_counter()
            run = run_playbook(
                REPO / "playbooks" / "workstation.yml",
                [company / "hosts.yml", inventory_path(folder)],
                work_dir=tmp_path / "runs",
                targets=["lab"],
                vault_password_file=company / ".vault-password",
                extra_vars=company_support_vars(load_company(company)),
            )
            apply_seconds = time.perf_counter() - started
            if not run.succeeded:
                raise SystemExit(f"The baseline failed: {run.summary()}")
            after = [audit(folder, w, keep and keep(w, "after")) for w in workstations]
        finally:
            lab_down(folder)
    print_tables(version.strip(), workstations, before, after, apply_seconds, exceptions)
    if args.json:
        args.json.write_text(json.dumps({"before": before, "after": after}, indent=2))
    return 0


def print_tables(version, workstations, before, after, apply_seconds, exceptions) -> None:
    print(f"Lynis {version} on {len(workstations)} booted lab workstation(s) (same run)")
    print(f"baseline applied in {apply_seconds:.0f} s\n")
    print("| workstation | | hardening index | warnings | suggestions |")
    print("| --- | --- | ---: | ---: | ---: |")
    for w, b, a in zip(workstations, before, after, strict=True):
        for label, r in (("bare", b), ("after the baseline", a)):
            row = f"| {w.name} | {label} | {r['index']} | {len(r['warnings'])} |"
            print(f"{row} {len(r['suggestions'])} |")
        print(f"| {w.name} | ratio after/bare | {a['index'] / b['index']:.2f} | | |")
    print("\nLeft after the baseline (first workstation):\n")
    print("| kind | test | finding | recorded reason |")
    print("| --- | --- | --- | --- |")
    for kind in ("warnings", "suggestions"):
        for f in after[0][kind]:
            setting = f"{f['test']}:{f['details'].split()[0]}" if f["details"].split() else ""
            reason = exceptions.get(setting) or exceptions.get(f["test"], "no reason recorded")
            detail = f" ({f['details']})" if f["details"] else ""
            print(f"| {kind[:-1]} | {f['test']} | {f['message']}{detail} | {reason} |")


if __name__ == "__main__":
    sys.exit(main())
