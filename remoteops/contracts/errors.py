"""Errors of the agreements feature, each naming what HR or IT needs to fix it."""

from __future__ import annotations

from remoteops.errors import Problem, RemoteOpsError


class TemplateError(RemoteOpsError):
    """The templates folder is unusable: a file is missing, does not parse or does not render.

    ``problems`` lists every problem found (file, line, field, message).
    """

    def __init__(self, problems: list[Problem], *, directory: str = "") -> None:
        first = str(problems[0]) if problems else "unknown problem"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        where = f" in {directory}" if directory else ""
        super().__init__(
            f"The agreement templates{where} have errors: {first}{more}",
            hint="Fix the template and run 'remoteops contracts check'.",
        )
        self.problems = problems


class TemplateFieldError(RemoteOpsError):
    """A template needs a value the employee's data does not have (or prints an empty one)."""

    def __init__(
        self,
        *,
        template: str,
        line: int | None,
        field: str | None,
        employee_id: str | None = None,
        detail: str | None = None,
    ) -> None:
        where = f"{template} line {line}" if line else template
        what = f"needs {field}, which is missing or empty" if field else (detail or "failed")
        who = f"Employee {employee_id}: " if employee_id else ""
        super().__init__(
            f"{who}{where} {what}.",
            hint="Fill in the field in the inventory, or change the template "
            "(wrap optional values in {% if ... %}).",
        )
        self.template = template
        self.line = line
        self.field = field
        self.employee_id = employee_id


class DocumentGuardError(RemoteOpsError):
    """A rendered document still contains template syntax or the text 'None'."""

    def __init__(self, *, template: str, employee_id: str | None, found: str, excerpt: str):
        who = f"Employee {employee_id}: " if employee_id else ""
        super().__init__(
            f"{who}the document rendered from {template} contains {found!r} "
            f"near {excerpt!r}; it was not written.",
            hint="A value or a template tag did not render; check the template.",
        )
        self.template = template
        self.employee_id = employee_id
        self.found = found


class StatusError(RemoteOpsError):
    """A signature status change that is not possible (unknown document, wrong order)."""


class OutputWriteError(RemoteOpsError):
    """An agreement or manifest file could not be written (disk full, file-size limit, no
    permission, a file where a folder should be). ``path`` is the file concerned; what was
    written before, and the store, are left as they were."""

    def __init__(self, message: str, *, hint: str | None = None, path=None) -> None:
        super().__init__(message, hint=hint)
        self.path = path
