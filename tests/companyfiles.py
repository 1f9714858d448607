"""Helpers for tests that edit company files (importable: ``from companyfiles import ...``)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "inventory"


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def write_rows(path: Path, rows: list[dict[str, str]], *, delimiter: str = ",") -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def edit_row(path: Path, index: int, **changes: str) -> int:
    """Change fields of data row ``index`` (0-based) in a CSV; returns its line number."""
    rows = read_rows(path)
    rows[index].update(changes)
    write_rows(path, rows)
    return index + 2


#: What the security review (issue 10) fed the loader: template and script injection,
#: spreadsheet formulas, paths, text-direction overrides, line breaks, a 500-character name.
REVIEW_PAYLOADS = (
    "{{ 7*7 }}",
    "{{ cycler.__init__.__globals__.os.mkdir(dict(PWNED=1)|first) }}",
    "{{",
    "${alert(1)}",
    "</script><img src=x onerror=alert(1)>",
    "=1+1",
    "+49",
    "@SUM(1)",
    "-2+3",
    "../../pwn",
    "/tmp/x/pwn",
    "\u202e",
    "Anna\u202eanilorak",
    "Zeile 1\nZeile 2",
    "tab\there",
    "A" * 500,
)
