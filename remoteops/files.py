"""Writing files that hold personal data: atomically and owner-only.

Run sheets, agreements, invitations and maps carry names and home addresses. They are
written to a temp file in the target folder, fsynced, then renamed over the target, so a
crash or Ctrl-C never leaves a half-written file and never destroys the previous version;
files are 0600 and the folders remoteops creates for them 0700.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

OUTPUT_ENV = "REMOTEOPS_OUT"
#: Suffix of the temp files :func:`write_private` writes before renaming; a crash can leave
#: one behind (``.NAME.XXXX.part``), never a half-written target.
TEMP_SUFFIX = ".part"


def default_output_dir(inventory_dir: Path) -> Path:
    """``REMOTEOPS_OUT`` if set, else ``out/`` beside the inventory folder."""
    env = os.environ.get(OUTPUT_ENV)
    if env:
        return Path(env)
    return Path(inventory_dir).resolve().parent / "out"


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) owner-only if missing; return it."""
    path = Path(path)
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    return missing[0] if missing else path


def write_private(path: Path, data: bytes | str, *, mode: int = 0o600) -> Path:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, fsync, rename),
    readable by the owner only (``mode`` for the rare file others must read, such as a
    known_hosts file). Returns ``path``."""
    path = Path(path)
    private_dir(path.parent)
    if isinstance(data, str):
        data = data.encode("utf-8")
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
    _fsync_dir(path.parent)
    return path


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
