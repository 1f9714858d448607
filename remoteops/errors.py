"""The one small exception hierarchy of remoteops.

Every error a user can cause carries what they need to fix it: the file, the row, the field
and a hint. The CLI maps :class:`RemoteOpsError` to one readable message and exit code 1;
nothing else should reach a user (``--debug`` shows the traceback for developers).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the inventory, located as precisely as we can."""

    file: str
    row: int | None  # 1-based line number in the file (header is line 1), None for whole-file
    field: str | None
    message: str
    severity: str = "error"  # "error" or "warning"

    def location(self) -> str:
        loc = self.file
        if self.row is not None:
            loc += f":{self.row}"
        return loc

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        return f"{self.location()}:{field} {self.message}"


class RemoteOpsError(Exception):
    """Base class: something the user can fix, described in one sentence plus a hint."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} {self.hint}"


class InventoryError(RemoteOpsError):
    """The inventory could not be loaded; ``problems`` lists every error found."""

    def __init__(self, problems: list[Problem], *, root: str = "") -> None:
        errors = [p for p in problems if p.severity == "error"]
        first = str(errors[0]) if errors else "unknown problem"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(
            f"The inventory {root} has errors: {first}{more}".replace("  ", " "),
            hint="Run 'remoteops check' to see them all.",
        )
        self.problems = problems


class InputFileError(RemoteOpsError):
    """A single input file is unreadable (encoding, syntax, missing)."""

    def __init__(self, file: str, message: str, *, hint: str | None = None, row: int | None = None):
        super().__init__(f"{file}{f':{row}' if row else ''}: {message}", hint=hint)
        self.problem = Problem(
            file=file, row=row, field=None, message=f"{message} {hint or ''}".strip()
        )


class NotFoundError(RemoteOpsError):
    """An employee, run or document the user named does not exist."""


class StateError(RemoteOpsError):
    """The state database cannot be opened, migrated or written."""


class ConflictError(RemoteOpsError):
    """What was asked clashes with what has already happened (a run already loaded, not
    yet loaded, equipment already delivered)."""


class UsageError(RemoteOpsError):
    """The command was called with options that do not fit together."""

    exit_code = 2
