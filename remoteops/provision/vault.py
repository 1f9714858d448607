"""The ansible-vault password of a run: where it comes from, and whether it is right.

Secrets may be encrypted as whole files (``$ANSIBLE_VAULT`` on the first line) or value by
value (``key: !vault |``, as AWX needs to import an inventory without the password). Ansible
notices a wrong password for a whole file when it loads the inventory, but for a single value
only when a task first uses it, after the earlier tasks have run. :func:`check_vault_password`
therefore decrypts every vaulted file and value with the real ``ansible-vault`` before a run
starts; what it decrypts goes to ``/dev/null``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import yaml

from remoteops import yamlio
from remoteops.errors import InputFileError
from remoteops.provision.errors import VaultPasswordError

VAULT_PASSWORD_ENV = "REMOTEOPS_VAULT_PASSWORD"
WRONG_PASSWORD = "The vault could not be decrypted: the vault password is wrong."
NO_PASSWORD = "The vault could not be decrypted: no vault password was given."
_HINT = f"Check --vault-password-file or {VAULT_PASSWORD_ENV}."


def _is_vaulted(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(14)
            if head.startswith(b"$ANSIBLE_VAULT"):
                return True
            return b"!vault" in head + fh.read(200_000)
    except OSError:
        return False


#: The variable files Ansible loads from group_vars/ and host_vars/ (others, such as a
#: README.md, it ignores).
_VARIABLE_SUFFIXES = ("", ".yml", ".yaml", ".json")


def vaulted_files(inventories: Iterable[Path], playbook: Path) -> list[Path]:
    """Encrypted variable files Ansible will load for these inventories and this playbook."""
    folders = {Path(i).resolve().parent for i in inventories} | {playbook.resolve().parent}
    found = []
    for folder in sorted(folders):
        for sub in ("group_vars", "host_vars"):
            base = folder / sub
            if base.is_dir():
                found += [
                    p
                    for p in sorted(base.rglob("*"))
                    if p.suffix in _VARIABLE_SUFFIXES and p.is_file() and _is_vaulted(p)
                ]
    return found


def password_file_for_run(given: Path | None, needed: list[Path], scratch: Path) -> Path | None:
    """The password file to hand to ansible-playbook (written to ``scratch``, a private
    temporary folder, when the password comes from the environment)."""
    if given is not None:
        given = Path(given)
        if not given.is_file():
            raise VaultPasswordError(
                f"The vault password file {given} does not exist.",
                hint=f"Give the right file, or set {VAULT_PASSWORD_ENV}.",
            )
        return given.resolve()
    password = os.environ.get(VAULT_PASSWORD_ENV, "")
    if password:
        path = scratch / "vault-password"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(password)
        return path
    if needed:
        raise VaultPasswordError(
            f"{needed[0]} is encrypted with ansible-vault, but no vault password was given.",
            hint=f"Pass --vault-password-file FILE or set {VAULT_PASSWORD_ENV}.",
        )
    return None


def _vaulted_values(node: yaml.Node | None, where: str = "") -> Iterator[tuple[str, str]]:
    """(variable, encrypted text) for every ``!vault`` value under ``node``."""
    if isinstance(node, yaml.ScalarNode) and node.tag == "!vault":
        yield where, node.value
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else "?"
            yield from _vaulted_values(value, f"{where}.{name}" if where else name)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _vaulted_values(item, f"{where}[{index}]")


def check_vault_password(files: list[Path], password_file: Path, scratch: Path) -> None:
    """Decrypt every vaulted file and ``!vault`` value in ``files`` with the password, or raise
    :class:`VaultPasswordError` naming the first file (and variable) it cannot open.

    ``scratch`` is a private temporary folder: each encrypted value is copied there (still
    encrypted) so that one ``ansible-vault view`` call checks them all.
    """
    pieces: dict[str, str] = {}  # file given to ansible-vault -> what to call it
    for path in files:
        name = str(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise VaultPasswordError(f"{name} cannot be read: {exc.strerror}.") from exc
        if data.startswith(b"$ANSIBLE_VAULT"):
            pieces[str(path)] = name
            continue
        try:
            node = yamlio.compose(path, name, ansible=True)
        except InputFileError:
            continue  # not YAML: Ansible reports it with the inventory
        for variable, text in _vaulted_values(node):
            piece = scratch / f"value-{len(pieces)}"
            fd = os.open(piece, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            pieces[str(piece)] = f"{variable} in {name}"
    if not pieces:
        return
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-vault"),
            "view",
            "--vault-password-file",
            str(password_file),
            *pieces,
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,  # the secrets: never read, never kept
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"PAGER": "cat", "ANSIBLE_PAGER": "cat", "ANSIBLE_NOCOLOR": "1"},
        check=False,
    )
    if proc.returncode == 0:
        return
    failed = re.search(r"(?:on|for) (\S+?)\.?\s*$", proc.stderr.strip(), re.M)
    where = pieces.get(failed.group(1)) if failed else None
    if where is None and "decrypt" not in proc.stderr.lower():
        message = "The vault password could not be checked: " + (
            proc.stderr.strip().splitlines() or ["ansible-vault failed"]
        )[-1].removeprefix("ERROR! ").removeprefix("[ERROR]: ")
        raise VaultPasswordError(message, hint=_HINT)
    detail = f"; it does not open {where}" if where else ""
    raise VaultPasswordError(WRONG_PASSWORD.removesuffix(".") + detail + ".", hint=_HINT)
