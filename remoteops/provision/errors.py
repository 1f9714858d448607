"""The errors a provisioning run raises before or instead of processing workstations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from remoteops.errors import RemoteOpsError

if TYPE_CHECKING:
    from remoteops.provision.results import ProvisionRun


class ProvisionError(RemoteOpsError):
    """A run could not start or processed no host; ``run`` holds what there is to record."""

    def __init__(self, message: str, *, hint: str | None = None, run: ProvisionRun | None = None):
        super().__init__(message, hint=hint)
        self.run = run


class VaultPasswordError(ProvisionError):
    """The vault password is missing or wrong."""


class InventoryParseError(ProvisionError):
    """Ansible could not read an inventory file."""
