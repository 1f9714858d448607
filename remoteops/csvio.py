"""Reading CSV files the way people really produce them.

HR and IT export from Excel, LibreOffice or an HR system: comma or semicolon, UTF-8 with or
without a byte-order mark, Windows line endings, German column headers. This module turns
such a file into rows keyed by our canonical column names, each with its line number, or
raises :class:`InputFileError` saying what is wrong and how to fix it.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from remoteops.errors import InputFileError, Problem
from remoteops.files import read_input_bytes

_LATIN1_HINT = (
    "Save it from Excel as 'CSV UTF-8 (comma delimited)', or convert it with "
    "'iconv -f latin1 -t utf-8 FILE > FILE.utf8' and use the new file."
)


_UTF16_HINT = "Save it from Excel as 'CSV UTF-8 (comma delimited)'."
#: Largest CSV file remoteops reads (50 MiB; the employees.csv of 5000 agents is about 1 MiB).
MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class CsvRow:
    line: int  # line number in the file where the record starts (header = line 1)
    values: dict[str, str]  # canonical column name -> stripped text


@dataclass(frozen=True)
class CsvTable:
    file: str
    columns: tuple[str, ...]  # canonical names, in file order
    rows: tuple[CsvRow, ...]
    problems: tuple[Problem, ...]  # unknown columns (warnings), missing columns (errors)


def header_key(text: str) -> str:
    """Normalise a header for lookup: case, accents kept, spaces/dashes/underscores dropped."""
    text = unicodedata.normalize("NFC", text).strip().casefold()
    return "".join(ch for ch in text if ch.isalnum())


def looks_like_utf16(data: bytes) -> bool:
    """UTF-16 without a byte-order mark: text in Latin script has a NUL byte in every other
    position (odd positions for little-endian, even for big-endian)."""
    sample = data[:4096]
    if len(sample) < 4 or b"\x00" not in sample:
        return False
    half = len(sample) // 2
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    # one side mostly NUL, the other almost never (a binary file has NULs on both sides)
    return max(even, odd) >= 0.4 * half and min(even, odd) <= 0.02 * half


def decode(data: bytes, file: str) -> str:
    """UTF-8 (with or without BOM); anything else gets an error that says how to convert."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or looks_like_utf16(data):
        raise InputFileError(
            file,
            "is saved as UTF-16 (Excel's 'Unicode Text'), not UTF-8.",
            hint=_UTF16_HINT,
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputFileError(
            file,
            "is not UTF-8; it looks like Latin-1/Windows-1252 (what Excel's plain 'CSV' "
            f"writes), first odd byte on line {line}.",
            hint=_LATIN1_HINT,
        ) from None


def sniff_delimiter(header_line: str) -> str:
    """Semicolon (German Excel), tab or comma, judged from the header line."""
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(
    path: Path,
    *,
    display_name: str,
    aliases: Mapping[str, str],
    required: tuple[str, ...],
    max_bytes: int = MAX_BYTES,
) -> CsvTable:
    """Read ``path``; ``aliases`` maps :func:`header_key` forms to canonical column names."""
    data = read_input_bytes(path, display_name, max_bytes)
    text = decode(data, display_name)
    if "\x00" in text:
        raise InputFileError(
            display_name, "contains NUL bytes; is it a spreadsheet rather than a CSV file?"
        )
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    if not first_line.strip():
        raise InputFileError(display_name, "is empty; it needs a header row.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first_line))
    problems: list[Problem] = []
    try:
        header = next(reader)
        header_line = reader.line_num
        columns: list[str | None] = []
        seen: set[str] = set()
        for raw in header:
            name = aliases.get(header_key(raw))
            if name is None:
                if raw.strip():
                    problems.append(
                        Problem(
                            display_name,
                            header_line,
                            raw.strip(),
                            "unknown column, ignored.",
                            "warning",
                        )
                    )
            elif name in seen:
                raise InputFileError(
                    display_name,
                    f"column {name!r} appears twice in the header.",
                    hint="Delete one of them.",
                    row=header_line,
                )
            else:
                seen.add(name)
            columns.append(name)
        for name in required:
            if name not in seen:
                problems.append(
                    Problem(
                        display_name,
                        header_line,
                        name,
                        "required column is missing; add it to the header row.",
                    )
                )
        rows: list[CsvRow] = []
        start = reader.line_num + 1
        for record in reader:
            if any(cell.strip() for cell in record):
                if len(record) > len(columns) and any(c.strip() for c in record[len(columns) :]):
                    problems.append(
                        Problem(
                            display_name,
                            start,
                            None,
                            f"has {len(record)} fields but the header has {len(columns)}; "
                            "is there an unquoted delimiter in a value?",
                        )
                    )
                values = {
                    col: from_spreadsheet_cell(cell.strip())
                    for col, cell in zip(columns, record, strict=False)
                    if col
                }
                rows.append(CsvRow(start, values))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputFileError(
            display_name,
            f"is not valid CSV: {exc}.",
            hint="Check for an unclosed quote.",
            row=reader.line_num,
        ) from None
    return CsvTable(
        display_name,
        tuple(c for c in columns if c),
        tuple(rows),
        tuple(problems),
    )


# -- Writing CSV that is safe to open in a spreadsheet ---------------------------------------
#: A cell starting with one of these is run as a formula by Excel, LibreOffice and Google
#: Sheets (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def to_spreadsheet_cell(value: Any) -> str:
    """``value`` as CSV cell text that no spreadsheet runs as a formula.

    A text that starts like a formula (``=``, ``+``, ``-``, ``@``, tab, CR) gets a leading
    apostrophe, which spreadsheets hide and treat as "this is text"; a text that already
    starts with an apostrophe gets one more, so :func:`from_spreadsheet_cell` (used by every
    CSV remoteops reads) always gives back the real value. Plain numbers such as ``-3.5``
    stay numbers.
    """
    text = "" if value is None else str(value)
    if text.startswith("'") or (
        text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text)
    ):
        return "'" + text
    return text


def from_spreadsheet_cell(text: str) -> str:
    """The real value of a cell written by :func:`to_spreadsheet_cell`."""
    if text.startswith("'") and text[1:].startswith(("'", *_FORMULA_START)):
        return text[1:]
    return text


class SpreadsheetSafeWriter:
    """``csv.writer`` whose every cell goes through :func:`to_spreadsheet_cell`.

    Every CSV remoteops writes for people (lists, run sheets, manifests, the audit log)
    is written through this one class.
    """

    def __init__(self, handle, **kwargs: Any) -> None:
        self._writer = csv.writer(handle, **kwargs)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([to_spreadsheet_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def write_csv_rows(
    handle, columns: list[str], rows: Iterable[Mapping[str, Any]], **kwargs: Any
) -> None:
    """A header of ``columns``, then one spreadsheet-safe line per mapping in ``rows``."""
    writer = SpreadsheetSafeWriter(handle, **kwargs)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(row.get(c) for c in columns)
