"""The state store (see :mod:`remoteops.state.store`).

Cheap names (paths, the actor, the clock) import without a database library; the store
itself and the schema load on first use, so ``remoteops --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from remoteops.state.paths import (
    ACTOR_ENV,
    STATE_ENV,
    current_actor,
    default_state_path,
    is_server_url,
    utcnow,
)

if TYPE_CHECKING:
    from remoteops.state.backends import StateServerError
    from remoteops.state.schema import (
        DOCUMENTS_SCHEMA,
        MIGRATIONS,
        PROVISION_SCHEMA,
        READINESS_SCHEMA,
        SUPPORT_SCHEMA,
        Migration,
    )
    from remoteops.state.store import AuditEntry, Connection, Record, StateStore

_LAZY = {
    "StateStore": "remoteops.state.store",
    "AuditEntry": "remoteops.state.store",
    "Connection": "remoteops.state.store",
    "Record": "remoteops.state.store",
    "StateServerError": "remoteops.state.backends",
    "MIGRATIONS": "remoteops.state.schema",
    "Migration": "remoteops.state.schema",
    "DOCUMENTS_SCHEMA": "remoteops.state.schema",
    "PROVISION_SCHEMA": "remoteops.state.schema",
    "READINESS_SCHEMA": "remoteops.state.schema",
    "SUPPORT_SCHEMA": "remoteops.state.schema",
}

__all__ = [
    "ACTOR_ENV",
    "STATE_ENV",
    "current_actor",
    "default_state_path",
    "is_server_url",
    "utcnow",
    "StateStore",
    "AuditEntry",
    "Connection",
    "Record",
    "StateServerError",
    "MIGRATIONS",
    "Migration",
    "DOCUMENTS_SCHEMA",
    "PROVISION_SCHEMA",
    "READINESS_SCHEMA",
    "SUPPORT_SCHEMA",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'remoteops.state' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
