"""The output folder of the agreements: checked, written in two phases, cleaned safely.

A new version of a packet replaces the old one only when the new file is complete:

1. :func:`stage` writes the new file under a temporary name beside its target
   (``.NAME.staged.part``, through :func:`remoteops.files.write_private`: owner-only, fsynced);
   a full disk or a file-size limit fails here, while the old file and the store are intact;
2. :func:`archive` keeps the old file under ``superseded/`` (a hard link, so nothing is copied
   and the old file stays in place until step 3);
3. :func:`commit` renames the staged file over the target; a rename does not need space.

Every ``OSError`` on the way becomes an :class:`OutputWriteError` naming the file and what to
do about it. :func:`remove_stale_temp_files` removes what an interrupted run left behind,
without ever following a symbolic link out of the folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
from pathlib import Path

from remoteops.contracts.errors import OutputWriteError
from remoteops.errors import RemoteOpsError
from remoteops.files import TEMP_SUFFIX, private_dir, write_private

#: A temp file of :func:`remoteops.files.write_private` (``.NAME.XXXX.part``) or a staged
#: file of :func:`stage` (``.NAME.staged.part``), for the files the renderer writes.
_TEMP_NAME = re.compile(r"^\..+\.(pdf|csv|json)(\.[A-Za-z0-9_]+)+" + re.escape(TEMP_SUFFIX) + "$")
_STAGED = ".staged" + TEMP_SUFFIX

_HINTS = {
    errno.ENOSPC: "The disk is full: free some space (or choose another folder with --out) "
    "and run the command again.",
    errno.EDQUOT: "Your disk quota is used up: free some space (or choose another folder "
    "with --out) and run the command again.",
    errno.EFBIG: "The file is larger than this process may write (a file-size limit, see "
    "'ulimit -f'): raise the limit, or run the command where there is none.",
    errno.EACCES: "You may not write there: fix the folder's permissions, or choose another "
    "folder with --out.",
    errno.EPERM: "You may not write there: fix the folder's permissions, or choose another "
    "folder with --out.",
    errno.EROFS: "The folder is on a read-only file system: choose another folder with --out.",
    errno.ENOTDIR: "A file is in the way where a folder is needed: move it away, or choose "
    "another folder with --out.",
    errno.EEXIST: "A file is in the way where a folder is needed: move it away, or choose "
    "another folder with --out.",
}
_KEPT = " Files written before, and the record of them, are unchanged."


def write_error(path: Path, exc: OSError) -> OutputWriteError:
    """The user's version of ``exc``, raised while writing ``path``."""
    reason = exc.strerror or str(exc)
    hint = _HINTS.get(exc.errno or 0, "Check the output folder and run the command again.")
    return OutputWriteError(f"Could not write {path}: {reason}.", hint=hint + _KEPT, path=path)


def output_folder(path: Path) -> Path:
    """Create the output folder (owner-only) if it is missing and return its real path;
    a file in its place, or one that cannot be created, is a clear error."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputWriteError(
            f"The output folder {path} is a file, not a folder.",
            hint="Name a folder with --out (it is created if missing), or move the file away.",
            path=path,
        )
    try:
        private_dir(path)
    except OSError as exc:
        raise write_error(path, exc) from None
    return path.resolve()


def write_file(path: Path, data: bytes | str) -> Path:
    """:func:`remoteops.files.write_private`, with a clear error instead of an ``OSError``."""
    try:
        return write_private(path, data)
    except OSError as exc:
        raise write_error(path, exc) from None


def stage(target: Path, data: bytes) -> Path:
    """Write ``data`` completely beside ``target`` under a temporary name; returns it."""
    staged = target.with_name(f".{target.name}{_STAGED}")
    try:
        return write_private(staged, data)
    except OSError as exc:
        raise write_error(target, exc) from None


def commit(staged: Path, target: Path) -> None:
    """Put a staged file in place of ``target`` (atomic; needs no space)."""
    try:
        os.replace(staged, target)
    except OSError as exc:
        raise write_error(target, exc) from None


def discard(paths: list[Path]) -> None:
    """Remove staged files or new archive links after a failure (best effort)."""
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def archive(old: Path, target: Path) -> bool:
    """Keep ``old`` as ``target`` (a hard link, or a copy where links are not possible).
    The old file stays where it is. Returns False if ``target`` already existed."""
    if target.exists():
        return False
    try:
        private_dir(target.parent)
        temp = target.with_name(f".{target.name}.link{TEMP_SUFFIX}")
        temp.unlink(missing_ok=True)
        try:
            os.link(old, temp)
        except OSError:  # no hard links on this file system: copy
            write_private(target, old.read_bytes())
        else:
            os.replace(temp, target)
    except OSError as exc:
        raise write_error(target, exc) from None
    return True


def remove_stale_temp_files(directory: Path) -> int:
    """Remove temporary files an interrupted run left behind in ``directory`` and its
    sub-folders. Symbolic links are never followed, and nothing outside ``directory`` is
    touched. Returns how many were removed."""
    root = Path(directory)
    if root.is_symlink() or not root.is_dir():
        return 0
    removed = 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        # os.walk lists a symlink to a folder among dirs but does not enter it; drop them
        # anyway so a later change of followlinks cannot send the cleanup elsewhere.
        dirs[:] = [d for d in dirs if not (here / d).is_symlink()]
        for name in files:
            path = here / name
            if not _TEMP_NAME.match(name) or path.is_symlink() or not path.is_file():
                continue
            try:
                path.unlink()
                removed += 1
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise RemoteOpsError(
                    f"Cannot remove the leftover temporary file {path}: {exc.strerror}.",
                    hint="Remove it by hand, or fix the folder's permissions.",
                ) from None
    return removed
