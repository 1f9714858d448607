"""Run a playbook through ansible-runner, safely, and say what happened per workstation.

The known traps of ansible-runner and how this module avoids them:

- It runs the ``ansible-playbook`` found on ``PATH``: we pass the one installed next to the
  Python running remoteops (:func:`ansible_playbook_path`).
- Files under ``env/`` persist between runs in a private data directory: every run gets a
  fresh one (``<work_dir>/<run id>``), and nothing is written to ``env/``.
- The event handler must return True, or events (and with them the stats) are dropped.
- Host key checking is off unless set: we set ``ANSIBLE_HOST_KEY_CHECKING=True``. The opt-out
  (``host_key_checking=False``) is for machines whose keys are not known yet; the lab does
  not need it, it writes its own known_hosts.
- The parent environment, secrets included, is written to ``artifacts/<id>/command``: secret
  looking variables are blanked for the child, the vault password never travels in the
  environment (it goes in a root-only temporary file named with ``--vault-password-file``),
  the ``command`` file is deleted after the run and old run folders are rotated.
- An unparseable inventory "succeeds" with zero hosts: unparsed inventories are made fatal
  and a run that processed no host is an error.

Speed: unless switched off, runs use Mitogen's ``mitogen_linear`` strategy (PyPI ``mitogen``),
which keeps one Python interpreter per workstation for the whole run instead of sending and
starting a module per task; same task order, same results, 2-3x faster on our playbooks (see
``bench/support.py``). It only changes how the controller talks to the workstation, so the
playbooks run unchanged without it (plain ``ansible-playbook``, AWX). Off switch:
``REMOTEOPS_MITOGEN=0`` in the environment, or ``accelerate=False``; runs without host key
checking (which learn new keys) always use Ansible's own strategy.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from remoteops.errors import UsageError
from remoteops.provision.errors import InventoryParseError, ProvisionError, VaultPasswordError
from remoteops.provision.messages import ansible_errors, failure_message, unreachable_message
from remoteops.provision.results import (
    Change,
    HostResult,
    ProgressUpdate,
    ProvisionRun,
    change_from_result,
)
from remoteops.provision.vault import (
    NO_PASSWORD,
    VAULT_PASSWORD_ENV,
    WRONG_PASSWORD,
    check_vault_password,
    password_file_for_run,
    vaulted_files,
)

#: Set to 0 / off / false / no to run with Ansible's own strategy instead of Mitogen's.
MITOGEN_ENV = "REMOTEOPS_MITOGEN"
#: Environment variables whose values never reach ansible-playbook or its artifacts.
_SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE_KEY|API_KEY", re.I)
_SAFE_SUFFIX = ("_FILE", "_PATH", "_DIR", "_SOCK")
#: Roles whose final debug message is a dict of report-only facts, kept with the host result.
REPORT_ROLES = ("wks_report", "wks_diagnose")


# -- preflight ------------------------------------------------------------------------------
def ansible_playbook_path() -> Path:
    """The ``ansible-playbook`` installed with remoteops (next to this Python), not PATH's."""
    candidate = Path(sys.executable).parent / "ansible-playbook"
    if not os.access(candidate, os.X_OK):
        raise ProvisionError(
            f"ansible-playbook is not installed next to {sys.executable}.",
            hint="Install remoteops with its dependencies (ansible-core, ansible-runner).",
        )
    return candidate


def _walk_inventory(
    node: object, group: str, hosts: dict[str, dict], groups: dict[str, set[str]]
) -> set[str]:
    """Collect the hosts under ``node`` (group ``group``); returns them."""
    members = groups.setdefault(group, set())
    if not isinstance(node, dict):
        return members
    for name, variables in (node.get("hosts") or {}).items():
        entry = hosts.setdefault(str(name), {})
        if isinstance(variables, dict):
            entry.update(variables)
        members.add(str(name))
    for child, sub in (node.get("children") or {}).items():
        members |= _walk_inventory(sub or {}, str(child), hosts, groups)
    return members


def read_inventory(
    inventories: Iterable[Path],
) -> tuple[dict[str, dict], dict[str, set[str]]]:
    """Hosts (with their variables) and groups (with every host in them, children's
    included) of YAML inventory files.

    Raises :class:`InventoryParseError` naming the file when one cannot be read. Only YAML
    inventories are understood here; Ansible itself reads the others.
    """
    hosts: dict[str, dict] = {}
    groups: dict[str, set[str]] = {"all": set(), "ungrouped": set()}
    for path in inventories:
        path = Path(path)
        if not path.is_file():
            raise InventoryParseError(
                f"The inventory {path} does not exist.",
                hint="Check the path, or run 'remoteops lab up' for the lab's inventory.",
            )
        if path.suffix not in (".yml", ".yaml"):
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            where = getattr(exc, "problem_mark", None)
            line = f":{where.line + 1}" if where else ""
            raise InventoryParseError(
                f"The inventory {path}{line} is not valid YAML: "
                f"{getattr(exc, 'problem', None) or exc}.",
                hint="Fix the file; 'remoteops check' shows the inventory's problems.",
            ) from None
        if not isinstance(data, dict) or not all(isinstance(v, dict | None) for v in data.values()):
            raise InventoryParseError(
                f"The inventory {path} is not an Ansible YAML inventory "
                "(it must be a mapping of groups, starting with 'all:').",
                hint="Fix the file; 'remoteops check' shows the inventory's problems.",
            )
        for group, node in data.items():
            _walk_inventory(node or {}, str(group), hosts, groups)
    return hosts, groups


def resolve_targets(targets: Sequence[str], inventories: Sequence[Path]) -> list[str]:
    """Turn what the user typed (employee IDs, hostnames, groups) into Ansible host patterns.

    Employee IDs are matched case-insensitively against each host's ``employee_id``. A
    target that is none of the three raises :class:`~remoteops.errors.UsageError`.
    """
    hosts, groups = read_inventory(inventories)
    by_employee = {
        str(v.get("employee_id")).upper(): name for name, v in hosts.items() if v.get("employee_id")
    }
    patterns = []
    for target in targets:
        if target in hosts or target in groups:
            patterns.append(target)
        elif target.upper() in by_employee:
            patterns.append(by_employee[target.upper()])
        else:
            raise UsageError(
                f"No workstation, employee ID or inventory group is called {target!r}.",
                hint="Targets are employee IDs (E0042), hostnames (ws-e0042) or groups (lab).",
            )
    return patterns


def hosts_of(patterns: Sequence[str], inventories: Sequence[Path]) -> set[str]:
    """The host names behind resolved targets (host names and group names)."""
    hosts, groups = read_inventory(inventories)
    found: set[str] = set()
    for pattern in patterns:
        found |= groups.get(pattern, {pattern} if pattern in hosts else set())
    return found


def employees_of(inventories: Sequence[Path]) -> dict[str, str]:
    """host -> employee ID, from the YAML inventories."""
    hosts, _groups = read_inventory(inventories)
    return {name: str(v["employee_id"]) for name, v in hosts.items() if v.get("employee_id")}


# -- the run's outline (for the progress bar) --------------------------------------------------
@dataclass(frozen=True)
class RunOutline:
    """Which hosts a run targets and how many tasks each will go through, as Ansible lists
    them (``--list-hosts --list-tasks``, tags applied), facts gathering included."""

    tasks: Mapping[str, int]  # host -> tasks

    @property
    def hosts(self) -> tuple[str, ...]:
        return tuple(sorted(self.tasks))


_PLAY = re.compile(r"^\s*play #\d+ ")
_HOSTS = re.compile(r"^\s*hosts \(\d+\):\s*$")
_TASKS = re.compile(r"^\s*tasks:\s*$")


def _gathers_facts(playbook: Path) -> list[bool]:
    """Per play of ``playbook``, whether it gathers facts (Ansible's default: yes)."""
    try:
        plays = yaml.safe_load(playbook.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return []
    if not isinstance(plays, list):
        return []
    return [
        str(play.get("gather_facts", True)).lower() not in ("false", "no", "0")
        for play in plays
        if isinstance(play, dict)
    ]


def parse_listing(text: str, gathers_facts: Sequence[bool] = ()) -> RunOutline:
    """The outline from ``ansible-playbook --list-hosts --list-tasks`` output.

    ``gathers_facts`` tells per play whether its facts gathering adds a task (not listed by
    Ansible); plays beyond it are assumed to gather facts.
    """
    tasks: dict[str, int] = {}
    plays: list[tuple[list[str], int]] = []
    section = None
    for line in text.splitlines():
        if _PLAY.match(line):
            plays.append(([], 0))
            section = None
        elif not plays:
            continue
        elif _HOSTS.match(line):
            section = "hosts"
        elif _TASKS.match(line):
            section = "tasks"
        elif not line.strip():
            section = None
        elif section == "hosts":
            plays[-1][0].append(line.strip())
        elif section == "tasks":
            plays[-1] = (plays[-1][0], plays[-1][1] + 1)
    for number, (hosts, count) in enumerate(plays):
        gathers = gathers_facts[number] if number < len(gathers_facts) else True
        for host in hosts:
            tasks[host] = tasks.get(host, 0) + count + int(gathers)
    return RunOutline(tasks)


class _Outliner(threading.Thread):
    """Lists the run's hosts and tasks next to the run itself, so the progress bar gets a
    total without delaying the run. Any failure just leaves the bar without a total: the
    run itself reports what is wrong."""

    def __init__(self, command: list[str], env: Mapping[str, str], playbook: Path) -> None:
        super().__init__(name="remoteops-outline", daemon=True)
        self.command, self.env, self.playbook = command, dict(env), playbook
        self.outline: RunOutline | None = None
        self._process: subprocess.Popen | None = None
        self._stopped = threading.Event()

    def run(self) -> None:
        try:
            self._process = subprocess.Popen(
                self.command,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            if self._stopped.is_set():
                self._process.kill()
            out, _err = self._process.communicate(timeout=300)
        except (OSError, subprocess.SubprocessError):
            return
        if self._process.returncode == 0:
            outline = parse_listing(out, _gathers_facts(self.playbook))
            self.outline = outline if outline.tasks else None

    def stop(self) -> None:
        self._stopped.set()
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
        self.join(timeout=10)


# -- the run -------------------------------------------------------------------------------
def new_run_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"


def _child_environment() -> dict[str, str]:
    """Overrides for the child's environment: blank every secret-looking variable."""
    env = {
        name: ""
        for name in os.environ
        if _SECRET_NAME.search(name) and not name.upper().endswith(_SAFE_SUFFIX)
    }
    env[VAULT_PASSWORD_ENV] = ""
    return env


def mitogen_strategy_plugins() -> Path | None:
    """The folder of Mitogen's strategy plugins, or None when Mitogen is not installed."""
    try:
        import ansible_mitogen  # light: a package folder, the plugins load in ansible-playbook
    except ImportError:
        return None
    folder = Path(ansible_mitogen.__file__).parent / "plugins" / "strategy"
    return folder if (folder / "mitogen_linear.py").is_file() else None


def accelerate_by_default() -> bool:
    """Whether runs use Mitogen: yes, unless ``REMOTEOPS_MITOGEN`` switches it off."""
    value = os.environ.get(MITOGEN_ENV, "").strip().lower()
    return value not in ("0", "off", "false", "no")


def ansible_environment(
    host_key_checking: bool = True, accelerate: bool | None = None
) -> dict[str, str]:
    """What the driver sets in ansible-playbook's environment (on top of the parent's):
    secrets blanked, host key checking, unparsable inventories fatal, plain output, and
    Mitogen's strategy unless ``accelerate`` is False (None: :func:`accelerate_by_default`)."""
    env = _child_environment() | {
        "ANSIBLE_HOST_KEY_CHECKING": str(bool(host_key_checking)),
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True",
        "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "True",
        "ANSIBLE_DISPLAY_ARGS_TO_STDOUT": "False",
        "ANSIBLE_NOCOLOR": "True",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        # Seconds to wait for a workstation's SSH connection: Ansible's 10 s is short for a
        # home DSL line through the VPN and for a busy controller; an explicit setting wins.
        "ANSIBLE_TIMEOUT": os.environ.get("ANSIBLE_TIMEOUT", "30"),
    }
    if accelerate is None:
        accelerate = accelerate_by_default()
    # Without host key checking, Mitogen sends SSH's UserKnownHostsFile to /dev/null, so a
    # freshly installed machine's key would never be learnt; Ansible's own strategy records
    # it in known_hosts, which is what the opt-out is for.
    accelerate = accelerate and host_key_checking
    plugins = mitogen_strategy_plugins() if accelerate else None
    if plugins is not None:
        env["ANSIBLE_STRATEGY_PLUGINS"] = str(plugins)
        env["ANSIBLE_STRATEGY"] = "mitogen_linear"
        # ansible-core 2.19 warns about every third-party strategy plugin; the warning is
        # about future support, not this run, and would only puzzle IT staff.
        env["ANSIBLE_DEPRECATION_WARNINGS"] = "False"
    return env


def _rotate(work_dir: Path, keep: int, current: Path) -> None:
    runs = sorted(
        (p for p in work_dir.iterdir() if p.is_dir() and p != current and not p.is_symlink()),
        key=lambda p: p.stat().st_mtime,
    )
    for old in runs[: max(0, len(runs) - (keep - 1))]:
        shutil.rmtree(old, ignore_errors=True)


@dataclass
class _HostState:
    name: str
    tasks_done: int = 0
    failed_task: str | None = None
    message: str | None = None
    report: dict = field(default_factory=dict)
    unreachable: bool = False
    failed: bool = False
    changed: bool = False
    changed_tasks: list[str] = field(default_factory=list)  # in check mode: would change
    reached: bool = False  # False for a host only announced by the outline so far
    changes: list[Change] = field(default_factory=list)  # with --diff


class _EventCollector:
    """Turns ansible-runner events into per-host results and progress updates."""

    def __init__(
        self,
        progress: Callable[[ProgressUpdate], None] | None,
        outliner: _Outliner | None = None,
    ) -> None:
        self.progress = progress
        self.outliner = outliner
        self.outline: RunOutline | None = None
        self.hosts: dict[str, _HostState] = {}
        self.stats: dict[str, dict[str, int]] | None = None
        self.output: list[str] = []
        self.no_hosts_matched = False

    def _host(self, name: str) -> _HostState:
        if name not in self.hosts:
            self.hosts[name] = _HostState(name)
        return self.hosts[name]

    def _tell(self, host: _HostState, task: str, state: str) -> None:
        if self.progress:
            outline = self.outline
            self.progress(
                ProgressUpdate(
                    host.name,
                    task,
                    state,
                    host.tasks_done,
                    len(self.hosts),
                    tasks_total=outline.tasks.get(host.name) if outline else None,
                    hosts_total=len(outline.tasks) if outline else None,
                )
            )

    def _take_outline(self) -> None:
        """Once the outline is ready (it is made next to the run), announce every host."""
        if self.outline is None and self.outliner is not None and self.outliner.outline:
            self.outline = self.outliner.outline
            for name in self.outline.hosts:
                if name not in self.hosts:
                    self._tell(self._host(name), "", "waiting")

    def __call__(self, event: dict) -> bool:
        self._take_outline()
        kind = event.get("event", "")
        data = event.get("event_data") or {}
        if event.get("stdout"):
            self.output.append(event["stdout"])
        if kind == "playbook_on_no_hosts_matched":
            self.no_hosts_matched = True
        elif kind == "playbook_on_stats":
            self.stats = {
                key: dict(data.get(key) or {})
                for key in ("ok", "changed", "failures", "dark", "skipped", "rescued", "ignored")
            }
        elif kind.startswith("runner_on_") and data.get("host"):
            self._host_event(kind, data, str(event.get("stdout") or ""))
        return True  # False would drop the event from the artifacts (and the stats with it)

    def _host_event(self, kind: str, data: dict, stdout: str = "") -> None:
        host = self._host(str(data["host"]))
        host.reached = True
        task = str(data.get("task") or "")
        result = data.get("res") or {}
        if kind == "runner_on_start":
            self._tell(host, task, "running")
            return
        host.tasks_done += 1
        state = kind.removeprefix("runner_on_")
        if kind == "runner_on_ok":
            # A no_log task's result is censored down to one key; its line still says
            # whether it changed something.
            changed = result.get("changed") or (
                "censored" in result and stdout.lstrip().startswith("changed:")
            )
            state = "changed" if changed else "ok"
            if changed:
                host.changed = True
                if task not in host.changed_tasks:
                    host.changed_tasks.append(task)
                change = change_from_result(task, result.get("diff"))
                if change is not None:
                    host.changes.append(change)
            if data.get("role") in REPORT_ROLES and isinstance(result.get("msg"), dict):
                host.report.update(result["msg"])
        elif kind == "runner_on_failed" and not data.get("ignore_errors"):
            host.failed = True
            if host.failed_task is None:
                host.failed_task, host.message = task, failure_message(result)
        elif kind == "runner_on_unreachable":
            host.unreachable = True
            if host.failed_task is None:
                host.failed_task, host.message = task, unreachable_message(result)
        self._tell(host, task, state)

    def results(self, employee_ids: Mapping[str, str]) -> list[HostResult]:
        stats = self.stats or {}
        names = {name for name, host in self.hosts.items() if host.reached}
        for counts in stats.values():
            names |= set(counts)
        results = []
        for name in sorted(names):
            host = self._host(name)

            def count(key: str, host_name: str = name) -> int:
                return int(stats.get(key, {}).get(host_name, 0))

            unreachable, failed = count("dark"), count("failures")
            if unreachable or host.unreachable:
                status = "unreachable"
            elif failed or host.failed:
                status = "failed"
            elif count("changed") or host.changed:
                status = "changed"
            else:
                status = "ok"
            results.append(
                HostResult(
                    host=name,
                    status=status,
                    ok=count("ok"),
                    changed=count("changed"),
                    failed=failed,
                    unreachable=unreachable,
                    skipped=count("skipped"),
                    rescued=count("rescued"),
                    ignored=count("ignored"),
                    employee_id=employee_ids.get(name),
                    failed_task=host.failed_task,
                    message=host.message,
                    changes=tuple(host.changes),
                    report=host.report,
                    changed_tasks=tuple(host.changed_tasks),
                )
            )
        if self.progress:
            for result in results:
                self._tell(self._host(result.host), "", "finished")
        return results


def run_playbook(
    playbook: Path,
    inventories: Sequence[Path],
    *,
    work_dir: Path,
    targets: Sequence[str] = (),
    limit: Sequence[str] | None = None,
    check: bool = False,
    diff: bool = False,
    tags: Sequence[str] = (),
    skip_tags: Sequence[str] = (),
    forks: int = 5,
    extra_vars: Mapping[str, object] | None = None,
    vault_password_file: Path | None = None,
    host_key_checking: bool = True,
    keep_runs: int = 10,
    employee_ids: Mapping[str, str] | None = None,
    progress: Callable[[ProgressUpdate], None] | None = None,
    actor: str | None = None,
    timeout: int | None = None,
    accelerate: bool | None = None,
    cancel: Callable[[], bool] | None = None,
) -> ProvisionRun:
    """Run ``playbook`` against ``inventories`` and return what happened on every host.

    ``targets`` are what the user typed (employee IDs, hostnames, groups); they are resolved
    with :func:`resolve_targets` unless ``limit`` (Ansible host patterns) is given. With no
    targets the playbook's own ``hosts:`` apply. ``check`` is Ansible's ``--check`` (changes
    nothing). ``host_key_checking=False`` is the documented opt-out for freshly installed
    machines whose host keys are not yet in known_hosts; keep it on otherwise.

    The vault password comes from ``vault_password_file`` or the ``REMOTEOPS_VAULT_PASSWORD``
    environment variable. ``accelerate`` chooses Mitogen's strategy (None: on unless
    ``REMOTEOPS_MITOGEN=0``; see the module's docstring). Each run gets a fresh private data
    directory ``work_dir/<run id>``; only the ``keep_runs`` newest are kept. ``progress``
    receives a :class:`ProgressUpdate` for every task on every host. ``cancel`` is asked now
    and then; once it returns True the run stops (status ``canceled``).

    Returns the run (``run.succeeded`` only if hosts were processed and none failed). Raises
    :class:`ProvisionError` (with ``exc.run`` to record) when the run cannot start or
    processes no host: missing or wrong vault password, unreadable inventory, no match.
    """
    import ansible_runner  # heavy: imported only when a run starts

    from remoteops.state import current_actor

    playbook = Path(playbook).resolve()
    inventories = [Path(i).resolve() for i in inventories]
    if not playbook.is_file():
        raise ProvisionError(f"The playbook {playbook} does not exist.")
    if not inventories:
        raise UsageError("Give at least one inventory.")
    if forks < 1:
        raise UsageError(f"--forks must be 1 or more, not {forks}.")
    binary = ansible_playbook_path()
    if limit is None:
        limit = resolve_targets(targets, inventories) if targets else []
    else:
        read_inventory(inventories)  # clear errors for unreadable YAML inventories
    employee_ids = dict(employee_ids) if employee_ids is not None else employees_of(inventories)

    started = dt.datetime.now(dt.UTC)
    run_id = new_run_id(started)
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    private = work_dir / run_id
    private.mkdir(mode=0o700)
    _rotate(work_dir, keep_runs, private)
    mode = "check" if check else "apply"

    def finish(status: str, *, rc: int | None, error: str | None, hosts=()) -> ProvisionRun:
        return ProvisionRun(
            run_id=run_id,
            playbook=str(playbook),
            mode=mode,
            targets=tuple(targets),
            limit=",".join(limit),
            started_at=started,
            finished_at=dt.datetime.now(dt.UTC),
            actor=actor or current_actor(),
            status=status,
            hosts=tuple(hosts),
            tags=tuple(tags),
            skip_tags=tuple(skip_tags),
            return_code=rc,
            error=error,
            artifacts=str(private),
        )

    with tempfile.TemporaryDirectory(prefix="remoteops-vault-") as scratch:
        try:
            needed = vaulted_files(inventories, playbook)
            password_file = password_file_for_run(vault_password_file, needed, Path(scratch))
            if password_file is not None:  # None only when nothing is vaulted
                check_vault_password(needed, password_file, Path(scratch))
        except VaultPasswordError as exc:
            exc.run = finish("error", rc=None, error=exc.message)
            raise
        args = [str(playbook)]
        if password_file:
            args += ["--vault-password-file", str(password_file)]
        if check:
            args.append("--check")
        if diff:
            args.append("--diff")
        envvars = ansible_environment(host_key_checking, accelerate)
        outliner = None
        if progress is not None:
            listing = [str(binary), *args, "--list-hosts", "--list-tasks"]
            for inventory in inventories:
                listing += ["-i", str(inventory)]
            for flag, values in (("--limit", limit), ("--tags", tags), ("--skip-tags", skip_tags)):
                if values:
                    listing += [flag, ",".join(values)]
            if extra_vars:
                listing += ["-e", json.dumps(dict(extra_vars))]
            outliner = _Outliner(listing, os.environ | envvars, playbook)
            outliner.start()
        collector = _EventCollector(progress, outliner)
        try:
            runner = ansible_runner.run(
                private_data_dir=str(private),
                ident=run_id,
                binary=str(binary),
                cmdline=shlex.join(args),
                inventory=[str(i) for i in inventories],
                limit=",".join(limit) if limit else None,
                tags=",".join(tags) if tags else None,
                skip_tags=",".join(skip_tags) if skip_tags else None,
                forks=forks,
                extravars=dict(extra_vars or {}),
                envvars=envvars,
                event_handler=collector,
                suppress_env_files=True,
                quiet=True,
                timeout=timeout,
                cancel_callback=cancel,
            )
        finally:
            if outliner is not None:
                outliner.stop()
    # The command file holds the child's whole environment: never keep it.
    for leftover in private.glob("artifacts/*/command"):
        leftover.unlink()

    rc = runner.rc
    hosts = collector.results(employee_ids)
    output = "".join(collector.output)
    stdout = private / "artifacts" / run_id / "stdout"
    if stdout.is_file():  # errors printed before the first event are only in the stdout file
        output += "\n" + stdout.read_text(encoding="utf-8", errors="replace")
    errors = ansible_errors(output)
    if runner.status == "canceled":
        return finish("canceled", rc=rc, error="The run was stopped.", hosts=hosts)
    if runner.status == "timeout":
        return finish("failed", rc=rc, error=f"The run took longer than {timeout} s.", hosts=hosts)
    if not hosts:
        raise _no_host_error(errors, collector.no_hosts_matched, limit, finish, rc)
    error = None
    if rc not in (0, 2, 4, 6) and errors:  # 2: failed hosts, 4: unreachable hosts, 6: both
        error = errors[0]
    ok = rc == 0 and error is None and all(h.succeeded for h in hosts)
    return finish("succeeded" if ok else "failed", rc=rc, error=error, hosts=hosts)


def _no_host_error(errors, no_match, limit, finish, rc) -> ProvisionError:
    text = " ".join(errors)
    if re.search(r"vault|decrypt", text, re.I):
        message = WRONG_PASSWORD
        if "attempting to decrypt but no vault secrets" in text.lower():
            message = NO_PASSWORD
        return VaultPasswordError(
            message,
            hint=f"Check --vault-password-file or {VAULT_PASSWORD_ENV}.",
            run=finish("error", rc=rc, error=message),
        )
    if re.search(r"no hosts to target|no hosts matched|could not match supplied host", text, re.I):
        message = f"No workstation matched {','.join(limit) or 'the playbook hosts'}."
        return ProvisionError(
            message,
            hint="Check the targets: employee IDs, hostnames or inventory groups.",
            run=finish("error", rc=rc, error=message),
        )
    inventory_error = next((e for e in errors if re.search(r"parse|inventory", e, re.I)), None)
    if inventory_error:
        message = f"Ansible could not read the inventory: {inventory_error}"
        return InventoryParseError(
            message,
            hint="Fix the inventory file; 'remoteops check' shows its problems.",
            run=finish("error", rc=rc, error=message),
        )
    if errors:
        message = f"Ansible stopped before reaching any workstation: {errors[0]}"
    elif no_match or limit:
        message = f"No workstation matched {','.join(limit) or 'the playbook hosts'}."
    else:
        message = "No workstation was processed."
    return ProvisionError(
        message,
        hint="Check the targets and the inventory.",
        run=finish("error", rc=rc, error=message),
    )
