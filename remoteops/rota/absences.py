"""Absences and wishes for the rota: a CSV template a lead fills, and its import.

The absences file lives beside ``rota.yml`` (``absences:``, default ``rota_absences.csv``)
and is checked by ``remoteops check`` like every inventory file. ``rota absences template``
writes one row per person of the rota to fill in (rows left empty are ignored on import);
``rota absences import`` checks a filled file and adds its rows to the absences file
(owner-only, written atomically; nothing is written if a row is wrong).
"""

from __future__ import annotations

import io
from pathlib import Path

from remoteops.csvio import write_csv_rows
from remoteops.files import safe_file, write_private
from remoteops.models import Company
from remoteops.rota.loading import absences_from_rows, read_absences_table
from remoteops.rota.operations import rota_settings
from remoteops.rota.settings import ABSENCE_KINDS, Absence, RotaFileError

COLUMNS = ["employee_id", "name", "from", "to", "kind", "shift", "note"]


def absence_rows(absences) -> list[dict]:
    return [
        {
            "employee_id": a.employee_id,
            "from": a.first.isoformat(),
            "to": a.last.isoformat(),
            "kind": a.kind,
            "shift": a.shift,
            "note": a.note,
        }
        for a in sorted(absences, key=lambda a: (a.first, a.employee_id))
    ]


def list_absences(company: Company) -> list[dict]:
    settings = rota_settings(company)
    rows = absence_rows(settings.absences)
    for row in rows:
        person = settings.person(row["employee_id"])
        row["name"] = person.name if person else ""
    return rows


def template(company: Company, path: Path) -> Path:
    """One row per person of the rota, to fill in (kinds: vacation, absent, wish-off,
    wish-shift with the shift pattern); rows left empty are ignored on import."""
    settings = rota_settings(company)
    out = io.StringIO()
    write_csv_rows(
        out,
        COLUMNS,
        ({"employee_id": p.employee_id, "name": p.name} for p in settings.people),
        lineterminator="\n",
    )
    return write_private(Path(path), out.getvalue())


def import_absences(company: Company, path: Path) -> tuple[Path, int]:
    """Check ``path`` and add its filled rows to the company's absences file. Returns the
    absences file and how many rows were added; nothing is written if a row is wrong."""
    from remoteops.inventory import _Problems

    settings = rota_settings(company)
    path = Path(path)
    table = read_absences_table(path, path.name)
    problems = _Problems(list(table.problems))
    new: list[Absence] = []
    if not any(p.severity == "error" for p in table.problems):
        filled = [
            r for r in table.rows if any(r.values.get(k) for k in ("from", "to", "kind", "shift"))
        ]
        new = absences_from_rows(
            filled,
            path.name,
            {p.employee_id: p for p in settings.people},
            [s.shift_id for s in settings.shifts],
            problems,
        )
    if any(p.severity == "error" for p in problems.items):
        raise RotaFileError(path.name, problems.items)
    merged: list[Absence] = list(settings.absences)
    added = 0
    for a in new:
        key = (a.employee_id, a.first, a.last, a.kind, a.shift)
        if all(key != (b.employee_id, b.first, b.last, b.kind, b.shift) for b in merged):
            merged.append(a)
            added += 1
    out = io.StringIO()
    columns = [c for c in COLUMNS if c != "name"]
    write_csv_rows(out, columns, absence_rows(merged), lineterminator="\n")
    target = safe_file(Path(company.root), settings.absences_file)
    write_private(target, out.getvalue())
    return target, added


__all__ = ["ABSENCE_KINDS", "import_absences", "list_absences", "template"]
