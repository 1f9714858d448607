"""The raw facts of one diagnosed workstation, as ``playbooks/diagnose.yml`` gathered them,
and what else a judgement needs (:class:`Context`). The judging itself is in
:mod:`remoteops.support.checks`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from remoteops.support.policies import Limits

if TYPE_CHECKING:
    from remoteops.provision.results import HostResult

NO_SERVICE_MANAGER = (
    "no service manager runs there (systemd is not process 1: a lab workstation or a container)"
)
LAB_LIVE = "not asked on a lab workstation, which shares this machine's kernel and network"
#: The services the diagnosis asks about, by their place in ``findings['services']``.
FIREWALL, VPN_SERVICE, TIME_SERVICE = 0, 1, 2
NOT_RUN = "this check did not run in this diagnosis (left out by tags, or an older playbook)"


@dataclass(frozen=True)
class Command:
    """One command's result as Ansible registered it."""

    rc: int | None
    stdout: str = ""
    stderr: str = ""
    msg: str = ""
    skipped: bool = False
    item: object = None

    @classmethod
    def of(cls, raw: object) -> Command | None:
        if not isinstance(raw, Mapping):
            return None
        rc = raw.get("rc")
        return cls(
            rc=int(rc) if isinstance(rc, int | str) and str(rc).lstrip("-").isdigit() else None,
            stdout=str(raw.get("stdout") or ""),
            stderr=str(raw.get("stderr") or ""),
            msg=str(raw.get("msg") or ""),
            skipped=bool(raw.get("skipped")),
            item=raw.get("item"),
        )

    @property
    def lines(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.strip()]

    @property
    def ok(self) -> bool:
        return self.rc == 0 and not self.skipped

    def why(self) -> str:
        """Why the command did not answer, in its own words."""
        for text in (self.stderr, self.msg if self.msg != "non-zero return code" else ""):
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            if lines:
                return lines[0]
        if self.skipped:
            return "the check was skipped"
        return f"the command ended with exit code {self.rc}" if self.rc else "no answer"


class Findings:
    """The raw facts of one workstation (``HostResult.report``: wks_report's facts and
    wks_diagnose's ``diagnosis``)."""

    def __init__(self, report: Mapping[str, object]) -> None:
        self.report = report
        raw = report.get("diagnosis")
        self.raw: Mapping[str, object] = raw if isinstance(raw, Mapping) else {}
        results = self.raw.get("results")
        self._results: Mapping[str, object] = results if isinstance(results, Mapping) else {}

    @property
    def complete(self) -> bool:
        return bool(self._results)

    @property
    def lab(self) -> bool:
        return bool(self.raw.get("lab_workstation"))

    @property
    def service_manager(self) -> bool | None:
        value = self.raw.get("service_manager")
        return value if isinstance(value, bool) else None

    @property
    def limits(self) -> Limits:
        return Limits.from_findings(self.raw.get("limits"))

    def names(self, key: str) -> list[str]:
        value = self.raw.get(key)
        return [str(v) for v in value] if isinstance(value, list) else []

    @property
    def host_epoch(self) -> int | None:
        try:
            return int(str(self.raw.get("now")))
        except (TypeError, ValueError):
            return None

    def command(self, name: str) -> Command | None:
        return Command.of(self._results.get(name))

    def loop(self, name: str) -> list[Command] | None:
        """The per-item results of a looped task (None if the task did not run)."""
        raw = self._results.get(name)
        if not isinstance(raw, Mapping) or not isinstance(raw.get("results"), list):
            return None
        return [c for c in (Command.of(r) for r in raw["results"]) if c is not None]

    def service(self, position: int) -> tuple[str | None, str | None]:
        """(start at boot, running now) of the ``position``-th service the diagnosis asked
        about (:data:`FIREWALL`, :data:`VPN_SERVICE`, :data:`TIME_SERVICE`): ``enabled``,
        ``disabled``, ... and ``active``, ``inactive``, ``failed``; None where it could not
        be asked."""
        services = self.names("services")
        if position >= len(services):
            return None, None
        unit = services[position]
        enabled = None
        for command in self.loop("enabled") or []:
            if command.item == unit and command.lines:
                enabled = command.lines[0].strip()
        active = None
        running = self.command("active")
        if running and not running.skipped and len(running.lines) == len(services):
            active = running.lines[position].strip()
        return enabled, active


@dataclass(frozen=True)
class Context:
    """What a judgement needs besides the workstation's own facts."""

    now: dt.datetime
    limits: Limits = Limits()
    #: Pending security updates ("package version") -> when remoteops first saw them pending.
    first_seen: Mapping[str, dt.datetime] = field(default_factory=dict)
    #: The check-mode run of workstation.yml for this host, if one ran.
    baseline: HostResult | None = None
    baseline_checked: bool = False


def ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def some(names: list[str], most: int = 4) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def size_text(kilobytes: int) -> str:
    if kilobytes >= 1024 * 1024:
        return f"{kilobytes / 1024 / 1024:.1f} GB"
    return f"{kilobytes / 1024:.0f} MB" if kilobytes >= 1024 else f"{kilobytes} kB"
