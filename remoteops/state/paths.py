"""Where the state store is and who is acting: cheap to import (no database library)."""

from __future__ import annotations

import datetime as dt
import getpass
import os
import socket
from pathlib import Path

STATE_ENV = "REMOTEOPS_STATE"
ACTOR_ENV = "REMOTEOPS_ACTOR"

#: Ways to write a PostgreSQL address; anything else is the path of an SQLite file.
POSTGRESQL_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def is_server_url(target: str | os.PathLike[str]) -> bool:
    return isinstance(target, str) and target.startswith(POSTGRESQL_SCHEMES)


def default_state_path(inventory_dir: Path) -> Path | str:
    """``REMOTEOPS_STATE`` if set (a path, ``sqlite:///path`` or ``postgresql://...``),
    else ``.remoteops/state.db`` beside the inventory folder."""
    env = os.environ.get(STATE_ENV)
    if env:
        return env if is_server_url(env) or env.startswith("sqlite:") else Path(env)
    return Path(inventory_dir).resolve().parent / ".remoteops" / "state.db"


def current_actor() -> str:
    """Who is acting: ``REMOTEOPS_ACTOR`` if set (e.g. the real person behind a shared
    account), else the login name and host."""
    env = os.environ.get(ACTOR_ENV)
    if env:
        return env
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
