"""Writing files that hold personal data: atomically and owner-only.

Run sheets, agreements, invitations and maps carry names and home addresses. They are
written to a temp file in the target folder, fsynced, then renamed over the target, so a
crash or Ctrl-C never leaves a half-written file and never destroys the previous version;
files are 0600 and the folders remoteops creates for them 0700.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from pathlib import Path

from remoteops.errors import InputFileError, RemoteOpsError

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


_notices: list[str] = []


def take_notices() -> list[str]:
    """What the file functions want the user to know (a permission tightened, a folder
    readable by others), once each; the CLI prints them after the command."""
    notes = list(dict.fromkeys(_notices))
    _notices.clear()
    return notes


def private_dir(path: Path, *, notice: bool = True) -> Path:
    """Create ``path`` (and every missing parent) owner-only (0700, whatever the umask);
    return it. An existing folder is left as it is, but if other users can read it a
    notice says so (it is the user's folder; remoteops does not change its mode)."""
    target = path = Path(path)
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask, never widened
    if notice and not missing and target.is_dir():
        mode = stat.S_IMODE(target.stat().st_mode)
        if mode & 0o077 and not mode & stat.S_ISVTX:
            _notices.append(
                f"{target} can be read by other users (mode {mode:o}); the files remoteops "
                f"writes there are owner-only, but to hide their names run 'chmod 700 {target}'."
            )
    return target


def tighten_private_file(path: Path, *, what: str) -> bool:
    """Make an existing file of ours owner-only (0600) if others could read it; say so.
    Returns True if the mode was changed."""
    try:
        mode = stat.S_IMODE(Path(path).stat().st_mode)
    except FileNotFoundError:
        return False
    if not mode & 0o077:
        return False
    os.chmod(path, mode & 0o700 | 0o600)
    _notices.append(f"Made {what} {path} owner-only (it was mode {mode:o}).")
    return True


def write_private(path: Path, data: bytes | str, *, mode: int = 0o600) -> Path:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, fsync, rename),
    readable by the owner only (``mode`` for the rare file others must read, such as a
    known_hosts file). Returns ``path``."""
    path = Path(path)
    # A file meant for others too needs no warning that others can list its folder.
    private_dir(path.parent, notice=not mode & 0o077)
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


# -- Reading input files ----------------------------------------------------------------


def read_input_bytes(path: Path, display_name: str, limit: int) -> bytes:
    """The bytes of an input file (CSV, YAML, a logo), refused with a sentence naming
    ``display_name`` if it is missing, a folder, unreadable or larger than ``limit`` bytes
    (read at most ``limit + 1`` bytes, so a huge file costs nothing)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise InputFileError(display_name, "is missing.", hint="Create it (see README).") from None
    except IsADirectoryError:
        raise InputFileError(display_name, "is a folder, not a file.") from None
    except OSError as exc:
        raise InputFileError(display_name, f"cannot be read: {exc.strerror}.") from None
    if len(data) > limit:
        raise InputFileError(
            display_name,
            f"is larger than {limit / 2**20:g} MB, more than an inventory file ever needs.",
            hint="Check that it is the right file.",
        )
    return data


# -- File names -------------------------------------------------------------------------
#: What an identifier from the inventory (employee ID, asset tag) may contain to be used as
#: part of a file name. Said to the user by ``remoteops check``.
NAME_RULE = (
    "letters A-Z and a-z, digits, '-' and '_', starting with a letter or digit, "
    "at most 64 characters"
)
_SAFE_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_SAFE_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}")


class UnsafeFileNameError(RemoteOpsError):
    """A name from the inventory would not make a safe file name (it could leave its folder)."""


def is_safe_name_part(value: str) -> bool:
    """True if ``value`` may be used as part of a file name as it is (see :data:`NAME_RULE`)."""
    return isinstance(value, str) and _SAFE_PART.fullmatch(value) is not None


def slug(text: str, *, default: str = "x") -> str:
    """A lower-case ASCII file-name part made from free text such as a van name
    ("VW Bus 1" -> "vw-bus-1"); different texts can give the same slug, which
    ``remoteops check`` refuses where it matters (two vans)."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).casefold()).strip("-")[:64] or default


def safe_file(folder: Path, name: str) -> Path:
    """``folder / name``, refused unless ``name`` is one plain file name (letters, digits,
    '.', '-', '_'; no separator, no '..', no leading dot) that stays inside ``folder``.

    Every writer builds the names of the files it writes through this function, so text
    from the inventory can never choose where a file goes.
    """
    folder = Path(folder)
    if not _SAFE_FILE.fullmatch(name or "") or ".." in name:
        raise UnsafeFileNameError(
            f"Refusing to write a file named {name!r}: it is not a safe file name.",
            hint=f"Identifiers used in file names may contain only {NAME_RULE}; "
            "run 'remoteops check' to find the row.",
        )
    path = folder / name
    base = folder.resolve()
    if path.resolve().parent != base:
        raise UnsafeFileNameError(
            f"Refusing to write {name!r}: it would leave the folder {folder}.",
            hint="Remove the symbolic link in that folder, or choose another output folder.",
        )
    return path
