"""The lab: disposable local Debian workstations for trying the baseline and for the tests.

Example::

    from remoteops.lab import lab_up, lab_down, inventory_path

    workstations = lab_up(2, Path("/var/lib/remoteops/lab"))
    ...  # run_playbook(inventories=[company_hosts, inventory_path(lab_dir)], targets=["lab"])
    lab_down(Path("/var/lib/remoteops/lab"))

Needs root, ``unshare``/``chroot`` (util-linux, coreutils), ``zstd``, ``ssh-keygen`` and, for
the first run only, Debian's ``debootstrap`` and the mirror from this machine's apt sources.
"""

from remoteops.lab.image import (
    BASELINE_PACKAGES,
    LabError,
    ensure_image,
    find_mirror,
    image_path,
)
from remoteops.lab.workstations import (
    LOOPBACK,
    LabWorkstation,
    default_lab_directory,
    inventory_path,
    lab_down,
    lab_list,
    lab_up,
    ssh_command,
)

__all__ = [
    "BASELINE_PACKAGES",
    "LOOPBACK",
    "LabError",
    "LabWorkstation",
    "default_lab_directory",
    "ensure_image",
    "find_mirror",
    "image_path",
    "inventory_path",
    "lab_down",
    "lab_list",
    "lab_up",
    "ssh_command",
]
