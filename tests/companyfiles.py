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
