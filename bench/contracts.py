"""Benchmark: agreement packets per employee, against the naive way, in the same run.

Renders the packets (setup letter, home-office addendum, data-protection commitment,
equipment loan: about 13 pages) of

- the bundled sample company (everyone scheduled for home office), and
- N synthetic employees (default 1,000, written with ``remoteops.synthetic``),

with the engine remoteops uses (shared sheets laid out once, the employees' own values set
into reserved fields, many employees per WeasyPrint call, footers stamped afterwards) and
with the naive way (one WeasyPrint render of the whole packet per employee). The naive way
is measured on a random sample of each data set (``--naive-sample``, default 20 employees),
because rendering 1,000 packets naively takes a quarter of an hour; the ratio compares CPU
seconds per employee.

Prints a table: employees, pages per packet, CPU s per employee, CPU s per 12-page packet,
pages per CPU second, and the ratio. Targets (issue 4): at least 4x faster than naive and
at most 0.12 CPU s per 12-page packet.

Usage::

    PYTHONPATH=. python bench/contracts.py [--synthetic 1000] [--naive-sample 20]
                                           [--no-sample-company] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from remoteops.contracts import load_templates, render_agreements  # noqa: E402
from remoteops.inventory import load_company  # noqa: E402
from remoteops.synthetic import write_company  # noqa: E402

TARGET_RATIO = 4.0
TARGET_CPU_PER_12 = 0.12


@dataclass
class Measure:
    label: str
    engine: str
    employees: int
    pages: int
    cpu: float
    wall: float
    renders: int
    pages_laid_out: int
    failures: int

    @property
    def cpu_per_employee(self) -> float:
        return self.cpu / self.employees

    @property
    def pages_per_packet(self) -> float:
        return self.pages / self.employees

    @property
    def cpu_per_12_pages(self) -> float:
        return self.cpu / self.pages * 12

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.cpu


def measure(label, engine, company, ids, templates, work: Path) -> Measure:
    out = Path(tempfile.mkdtemp(prefix=f"bench-{engine}-", dir=work))
    cpu, wall = time.process_time(), time.perf_counter()
    report = render_agreements(
        company, ids, out_dir=out, templates=templates, engine=engine, batch_size=24
    )
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    rendered = len(report.employees_rendered)
    return Measure(
        label,
        engine,
        rendered,
        report.pages_written,
        cpu,
        wall,
        report.layout_renders,
        report.pages_laid_out,
        len(report.failures),
    )


def run_data_set(label, company, templates, work, naive_sample, seed) -> list[Measure]:
    ids = [e.employee_id for e in company.employees if e.scheduled_for_home_office]
    sample = sorted(random.Random(seed).sample(ids, min(naive_sample, len(ids))))
    # Naive first on its sample, then the engine on everyone, then naive again: the machine's
    # load changes during a run, so the naive figure is the mean of both halves.
    naive_a = measure(label, "naive", company, sample[: len(sample) // 2], templates, work)
    fast = measure(label, "sheets", company, ids, templates, work)
    naive_b = measure(label, "naive", company, sample[len(sample) // 2 :], templates, work)
    naive = Measure(
        label,
        "naive",
        naive_a.employees + naive_b.employees,
        naive_a.pages + naive_b.pages,
        naive_a.cpu + naive_b.cpu,
        naive_a.wall + naive_b.wall,
        naive_a.renders + naive_b.renders,
        naive_a.pages_laid_out + naive_b.pages_laid_out,
        naive_a.failures + naive_b.failures,
    )
    return [naive, fast]


def table(rows: list[Measure]) -> str:
    header = (
        f"{'data set':<22}{'engine':<8}{'employees':>10}{'pages/pkt':>10}"
        f"{'CPU s/emp':>11}{'CPU s/12p':>11}{'pages/CPU s':>12}{'laid out':>10}{'ratio':>8}"
    )
    lines = [header, "-" * len(header)]
    naive = {r.label: r for r in rows if r.engine == "naive"}
    for row in rows:
        ratio = naive[row.label].cpu_per_employee / row.cpu_per_employee
        lines.append(
            f"{row.label:<22}{row.engine:<8}{row.employees:>10}{row.pages_per_packet:>10.1f}"
            f"{row.cpu_per_employee:>11.3f}{row.cpu_per_12_pages:>11.3f}"
            f"{row.pages_per_second:>12.1f}{row.pages_laid_out:>10}{ratio:>7.1f}x"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--synthetic", type=int, default=1000, help="synthetic employees")
    parser.add_argument("--naive-sample", type=int, default=20, help="employees rendered naively")
    parser.add_argument("--no-sample-company", action="store_true")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    templates = load_templates()
    rows: list[Measure] = []
    with tempfile.TemporaryDirectory(prefix="bench-contracts-") as tmp:
        work = Path(tmp)
        if not args.no_sample_company:
            company = load_company(REPO / "inventory")
            rows += run_data_set(
                "sample company", company, templates, work, args.naive_sample, args.seed
            )
        if args.synthetic:
            root = work / "synthetic"
            write_company(root, employees=args.synthetic, seed=args.seed)
            company = load_company(root)
            rows += run_data_set(
                f"synthetic {args.synthetic}",
                company,
                templates,
                work,
                args.naive_sample,
                args.seed,
            )
    print(table(rows))
    fast = [r for r in rows if r.engine == "sheets"]
    naive = {r.label: r for r in rows if r.engine == "naive"}
    ok = True
    for row in fast:
        ratio = naive[row.label].cpu_per_employee / row.cpu_per_employee
        verdict_ratio = "ok" if ratio >= TARGET_RATIO else "MISSED"
        verdict_cpu = "ok" if row.cpu_per_12_pages <= TARGET_CPU_PER_12 else "MISSED"
        ok &= verdict_ratio == "ok"
        print(
            f"{row.label}: {ratio:.1f}x faster than naive (target >= {TARGET_RATIO:.0f}x: "
            f"{verdict_ratio}); {row.cpu_per_12_pages:.3f} CPU s per 12 pages (target <= "
            f"{TARGET_CPU_PER_12}: {verdict_cpu}; naive here: "
            f"{naive[row.label].cpu_per_12_pages:.3f})"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        **r.__dict__,
                        "cpu_per_employee": r.cpu_per_employee,
                        "cpu_per_12_pages": r.cpu_per_12_pages,
                        "pages_per_second": r.pages_per_second,
                    }
                    for r in rows
                ],
                indent=1,
            )
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
