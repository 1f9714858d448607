"""What every command shares: the session (inventory + state), output formats, errors.

Commands stay thin: parse options, call one library function, hand rows to :func:`emit`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from remoteops.errors import UsageError

if TYPE_CHECKING:
    from remoteops.models import Company
    from remoteops.state import StateStore

INVENTORY_ENV = "REMOTEOPS_INVENTORY"

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")]
CsvOption = Annotated[bool, typer.Option("--csv", help="Print CSV (for spreadsheets).")]


@dataclass
class Session:
    """Global options, and the inventory and state store opened on first use."""

    inventory: Path
    state_path: str | Path | None = None
    debug: bool = False
    _company: Company | None = field(default=None, repr=False)
    _store: StateStore | None = field(default=None, repr=False)

    def company(self) -> Company:
        if self._company is None:
            from remoteops.inventory import load_company

            self._company = load_company(self.inventory)
        return self._company

    def store(self, *, read_only: bool = False) -> StateStore:
        """The state store. ``read_only`` commands (``log``, ``... status``, ``... show``)
        never create one: without a database they see an empty store and say so."""
        if self._store is None:
            from remoteops.state import StateStore

            self._store = StateStore(self.state_target(), create=not read_only)
            if not self._store.exists:
                console(stderr=True).print(
                    f"No state database at {self._store.location} yet: nothing has been "
                    "recorded "
                    "there. (Give the right one with --state if you use another.)",
                    markup=False,
                )
        return self._store

    def state_target(self) -> str | Path:
        """Where the state store is: --state, REMOTEOPS_STATE, or beside the inventory."""
        from remoteops.state import STATE_ENV, default_state_path

        if self.state_path is None and not os.environ.get(STATE_ENV):
            self.require_inventory_dir()  # the default store lives beside it
        return self.state_path or default_state_path(self.inventory)

    def require_inventory_dir(self) -> None:
        """A mistyped ``--inventory`` is an error, not an empty company."""
        if not self.inventory.is_dir():
            from remoteops.errors import InputFileError

            what = "is a file, not a folder" if self.inventory.exists() else "does not exist"
            raise InputFileError(
                str(self.inventory),
                f"the inventory folder {what}.",
                hint=f"Give the company folder with --inventory/-i or {INVENTORY_ENV} "
                "(the one with employees.csv, assets.csv, hosts.yml and company.yml).",
            )

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def session(ctx: typer.Context) -> Session:
    obj = ctx.find_root().obj
    if not isinstance(obj, Session):  # called without the root callback (library use)
        obj = Session(Path(os.environ.get(INVENTORY_ENV, "inventory")))
        ctx.find_root().obj = obj
    return obj


def console(stderr: bool = False):
    from rich.console import Console

    out = Console(stderr=stderr, highlight=False, soft_wrap=True)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        # Piped into a file or a log: do not squeeze tables into 80 columns.
        out = Console(stderr=stderr, highlight=False, soft_wrap=True, width=160)
    return out


def output_format(as_json: bool, as_csv: bool) -> str:
    if as_json and as_csv:
        raise UsageError("Choose one of --json and --csv, not both.")
    return "json" if as_json else "csv" if as_csv else "table"


def emit(
    rows: Sequence[dict[str, Any]],
    columns: dict[str, str],
    *,
    as_json: bool = False,
    as_csv: bool = False,
    title: str | None = None,
    empty: str = "Nothing to show.",
) -> None:
    """Print ``rows`` as a rich table (people), JSON or CSV (scripts).

    ``columns`` maps row keys to table headers; JSON carries every key of the rows,
    CSV and the table the keys named in ``columns``.
    """
    fmt = output_format(as_json, as_csv)
    if fmt == "json":
        json.dump(list(rows), sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
        return
    if fmt == "csv":
        from remoteops.csvio import write_csv_rows

        write_csv_rows(
            sys.stdout,
            list(columns),
            ({k: _cell(r.get(k)) for k in columns} for r in rows),
            lineterminator="\n",
        )
        return
    out = console()
    if not rows:
        out.print(empty)
        return
    from rich.table import Table
    from rich.text import Text

    # Cells and title as Text: inventory values are shown as they are, never read as markup.
    table = Table(title=Text(title) if title else None, title_justify="left", header_style="bold")
    for header in columns.values():
        table.add_column(header)
    for row in rows:
        table.add_row(*(Text(_cell(row.get(k))) for k in columns))
    out.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
