"""What a provisioning run did, in the users' words: one result per workstation."""

from __future__ import annotations

import datetime as dt
import difflib
import json
from dataclasses import dataclass, field

#: Host states, worst last: a host's state is the worst thing that happened to it.
HOST_STATES = ("ok", "changed", "failed", "unreachable")
#: Run states as the state store keeps them.
RUN_STATES = ("succeeded", "failed", "canceled", "error")
MODES = ("apply", "check")


#: A diff longer than this many lines is cut (with a line saying how many more there were).
MAX_DIFF_LINES = 200


@dataclass(frozen=True)
class Change:
    """What one task changed (or, in check mode, would change) on a workstation, as a
    unified diff for people: ``remoteops provision --diff``. Shown, not stored."""

    task: str
    diff: str


def _side(value: object) -> list[str]:
    """One side of an Ansible diff as lines: text as it is, a dict (a file's state, a
    setting) as sorted ``key: value`` lines."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [f"{k}: {json.dumps(v, ensure_ascii=False)}\n" for k, v in sorted(value.items())]
    text = str(value)
    return text.splitlines(keepends=True) if text else []


def change_from_result(task: str, diff: object) -> Change | None:
    """The unified diff of a task's ``diff`` result (Ansible's before/after, one dict or a
    list of them, or text the module ``prepared``); None when it shows no difference."""
    parts = diff if isinstance(diff, list) else [diff]
    lines: list[str] = []
    for part in parts:
        if not isinstance(part, dict):
            continue
        if part.get("prepared"):
            lines += [line + "\n" for line in str(part["prepared"]).splitlines()]
            continue
        before, after = _side(part.get("before")), _side(part.get("after"))
        if before == after:
            continue
        lines += difflib.unified_diff(
            before,
            after,
            fromfile=str(part.get("before_header") or "before"),
            tofile=str(part.get("after_header") or "after"),
        )
    lines = [line if line.endswith("\n") else line + "\n" for line in lines]
    if not lines:
        return None
    if len(lines) > MAX_DIFF_LINES:
        more = len(lines) - MAX_DIFF_LINES
        lines = [*lines[:MAX_DIFF_LINES], f"... ({more} more lines)\n"]
    return Change(task, "".join(lines).rstrip("\n"))


@dataclass(frozen=True)
class HostResult:
    """One workstation's outcome in one run (the counts are Ansible's play recap)."""

    host: str
    status: str  # one of HOST_STATES
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0
    rescued: int = 0
    ignored: int = 0
    employee_id: str | None = None
    failed_task: str | None = None  # the first task that failed, as named in the playbook
    message: str | None = None  # the first failure in plain words
    report: dict[str, object] = field(default_factory=dict)  # report-only compliance facts
    # The tasks that changed something (in check mode: would change), in the order they ran.
    changed_tasks: tuple[str, ...] = ()
    #: With --diff: what each task changed. Shown to the user, not kept in the state store.
    changes: tuple[Change, ...] = field(default=(), compare=False)

    @property
    def succeeded(self) -> bool:
        return self.status in ("ok", "changed")

    def as_row(self) -> dict[str, object]:
        """A flat row for tables, CSV and JSON."""
        return {
            "host": self.host,
            "employee_id": self.employee_id or "",
            "status": self.status,
            "ok": self.ok,
            "changed": self.changed,
            "failed": self.failed,
            "unreachable": self.unreachable,
            "skipped": self.skipped,
            "failed_task": self.failed_task or "",
            "message": self.message or "",
        }


@dataclass(frozen=True)
class ProvisionRun:
    """One run of a playbook against some workstations."""

    run_id: str
    playbook: str
    mode: str  # "apply" or "check"
    targets: tuple[str, ...]
    limit: str
    started_at: dt.datetime
    finished_at: dt.datetime
    actor: str
    status: str  # one of RUN_STATES
    hosts: tuple[HostResult, ...] = ()
    tags: tuple[str, ...] = ()
    skip_tags: tuple[str, ...] = ()
    return_code: int | None = None
    error: str | None = None  # why the run as a whole failed (no host processed, vault, ...)
    artifacts: str | None = None  # the folder holding the run's output, while it is kept

    @property
    def succeeded(self) -> bool:
        """True only if at least one host was processed and every host succeeded."""
        return self.status == "succeeded"

    @property
    def exit_code(self) -> int:
        return 0 if self.succeeded else 1

    @property
    def failed_hosts(self) -> tuple[str, ...]:
        """Hosts that failed or could not be reached (what ``--retry-failed`` targets)."""
        return tuple(h.host for h in self.hosts if not h.succeeded)

    def host(self, name: str) -> HostResult:
        for result in self.hosts:
            if result.host == name:
                return result
        raise KeyError(name)

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()

    def summary(self) -> str:
        """One line for people, e.g. ``apply on 3 workstations: 2 succeeded, 1 unreachable``."""
        counts: dict[str, int] = {}
        for result in self.hosts:
            counts[result.status] = counts.get(result.status, 0) + 1
        done = counts.get("ok", 0) + counts.get("changed", 0)
        parts = [f"{done} succeeded"]
        parts += [f"{counts[s]} {s}" for s in ("failed", "unreachable") if counts.get(s)]
        text = f"{self.mode} on {len(self.hosts)} workstations: {', '.join(parts)}"
        if self.error:
            text += f" ({self.error})"
        return text


@dataclass(frozen=True)
class ProgressUpdate:
    """A live view of the run, sent to the ``progress`` callback after every event.

    ``state`` is ``waiting`` for every targeted host as soon as the run's outline is known,
    ``running`` when a host starts a task, then the task's outcome (``ok``, ``changed``,
    ``failed``, ``unreachable``, ``skipped``); ``finished`` once for every host when the run
    ends. ``tasks_done`` counts the tasks this host has finished; ``tasks_total`` is how many
    the playbook has for it and ``hosts_total`` how many hosts the run targets (both ``None``
    until the outline is known; handlers can make ``tasks_done`` exceed ``tasks_total``).
    """

    host: str
    task: str
    state: str
    tasks_done: int
    hosts_seen: int
    tasks_total: int | None = None
    hosts_total: int | None = None
