"""A throwaway PostgreSQL server for the tests and the benchmark: Debian's ``postgresql``
binaries, ``initdb`` and ``pg_ctl`` in a temporary folder, run as an unprivileged user
(``initdb`` refuses root), listening on a free port of 127.0.0.1 and on a unix socket in
that folder; stopped and removed afterwards.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "remoteops"


class Unavailable(Exception):
    """No PostgreSQL server can be started here; the message says why."""


def server_binaries() -> Path:
    """The newest installed ``/usr/lib/postgresql/<version>/bin`` with initdb and pg_ctl."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if not found:
        raise Unavailable(
            "the PostgreSQL server is not installed (Debian package 'postgresql'; "
            "'make test' installs it)"
        )
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Cluster:
    folder: Path
    port: int
    bin: Path
    user: str | None  # the unprivileged user it runs as (None: the current one)

    def url(self, database: str = "postgres", *, user: str = SUPERUSER) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            user=self.user,
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = self._run(
            "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
            "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, "-d", database,
            "-c", sql,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def create_database(self, name: str, owner: str = SUPERUSER) -> str:
        self.psql(f'CREATE DATABASE "{name}" OWNER "{owner}"')
        return self.url(name)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder / 'socket'} -c listen_addresses=127.0.0.1 "
            "-c max_connections=60"
        )
        done = self._run(
            "pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "server.log"),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip
        if done.returncode != 0:
            log = (self.folder / "server.log").read_text(errors="replace")[-2000:]
            raise Unavailable(f"pg_ctl start failed: {done.stderr.strip()} {log}")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", mode, "-w", "stop")


def _unprivileged_user() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise Unavailable("running as root and there is no unprivileged user to run initdb as")


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """Start a new cluster (trust authentication for local connections only); stop and
    remove it on leaving. Raises :class:`Unavailable` when that is impossible here."""
    binaries = server_binaries()
    user = _unprivileged_user()
    folder = Path(tempfile.mkdtemp(prefix="remoteops-pg-"))
    try:
        (folder / "socket").mkdir()
        if user is not None:
            entry = pwd.getpwnam(user)
            for path in (folder, folder / "socket"):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        cluster = Cluster(folder, _free_port(), binaries, user)
        done = cluster._run(
            "initdb", "-D", str(folder / "data"), "-U", SUPERUSER, "--auth=trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        if done.returncode != 0:
            raise Unavailable(f"initdb failed: {done.stderr.strip()[-500:]}")
        cluster.start()
        try:
            yield cluster
        finally:
            cluster.stop("immediate")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
