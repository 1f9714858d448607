"""The lab's Debian root filesystem: made once with debootstrap, cached as a tarball.

The mirror is read at run time from this machine's own apt sources (deb822 ``*.sources`` or
one-line ``sources.list``), or from ``REMOTEOPS_LAB_MIRROR``; no mirror is written into the
project. The image holds everything the workstation baseline installs (see
:data:`BASELINE_PACKAGES`), so a lab run needs no mirror and no network: the playbook's
package tasks find every package installed and only check it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from remoteops.errors import RemoteOpsError

SUITE = "bookworm"
MIRROR_ENV = "REMOTEOPS_LAB_MIRROR"
CACHE_ENV = "REMOTEOPS_LAB_CACHE"
APT_SOURCES = Path("/etc/apt")
DEBIAN_KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
#: The account the lab (and the sample inventory, ``group_vars/all.yml``) connects as.
ADMIN_USER = "itadmin"

#: What a lab workstation needs to be reachable and manageable by Ansible.
LAB_PACKAGES = (
    "python3",
    "python3-apt",  # the apt module needs it on the target
    "openssh-server",
    "sudo",
    "systemd",  # systemctl: services are enabled offline in the chroot
    "kmod",
    "procps",
    "iproute2",
    "dbus",  # the system bus, as on every desktop: hostnamectl on a booted workstation
    "systemd-sysv",  # shutdown and reboot, as on every Debian PC: the reboot repair uses them
)

#: Everything ``playbooks/workstation.yml`` installs with its default settings. A test checks
#: that the roles' package lists stay inside this list, so lab runs never need the mirror.
BASELINE_PACKAGES = (
    "unattended-upgrades",
    "needrestart",
    "nftables",
    "dconf-cli",
    "wireguard-tools",
    "auditd",
    "apparmor",
    "systemd-timesyncd",
    "baresip",
    "alsa-utils",
    "pulseaudio-utils",
    "tigervnc-scraping-server",
    "libpam-pwquality",
    "aide",
    "aide-common",
    "libpam-tmpdir",
)

#: Bump when the way the image is made changes, so old cached tarballs are not reused.
RECIPE_VERSION = 2


class LabError(RemoteOpsError):
    """The lab cannot be built, started or stopped."""


@dataclass(frozen=True)
class Mirror:
    url: str
    source: str  # the apt sources file it was read from, or the environment variable


def _deb822_paragraphs(text: str) -> list[dict[str, str]]:
    paragraphs: list[dict[str, str]] = []
    current: dict[str, str] = {}
    key = ""
    for raw in text.splitlines():
        if raw.startswith("#"):
            continue
        if not raw.strip():
            if current:
                paragraphs.append(current)
            current, key = {}, ""
            continue
        if raw[0] in " \t" and key:
            current[key] += " " + raw.strip()
            continue
        name, _, value = raw.partition(":")
        key = name.strip().lower()
        current[key] = value.strip()
    if current:
        paragraphs.append(current)
    return paragraphs


def _entries(apt_dir: Path) -> list[tuple[str, list[str], str]]:
    """``(uri, suites, file)`` for every enabled binary ``deb`` source, in apt's order."""
    entries: list[tuple[str, list[str], str]] = []
    one_line = [apt_dir / "sources.list", *sorted((apt_dir / "sources.list.d").glob("*.list"))]
    for path in one_line:
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            line = line.split("#", 1)[0].strip()
            line = re.sub(r"\[[^\]]*\]", " ", line)  # drop [arch=... signed-by=...]
            words = line.split()
            if len(words) >= 3 and words[0] == "deb":
                entries.append((words[1], [words[2]], str(path)))
    for path in sorted((apt_dir / "sources.list.d").glob("*.sources")):
        text = path.read_text(encoding="utf-8", errors="replace")
        for para in _deb822_paragraphs(text):
            if "deb" not in para.get("types", "").split():
                continue
            if para.get("enabled", "yes").lower() == "no":
                continue
            for uri in para.get("uris", "").split():
                entries.append((uri, para.get("suites", "").split(), str(path)))
    return entries


def find_mirror(apt_dir: Path = APT_SOURCES) -> Mirror:
    """The Debian mirror this machine already uses (``REMOTEOPS_LAB_MIRROR`` overrides)."""
    env = os.environ.get(MIRROR_ENV, "").strip()
    if env:
        return Mirror(env, MIRROR_ENV)
    entries = [
        (uri, suites, file)
        for uri, suites, file in _entries(apt_dir)
        if not any(s.endswith(("-security", "/updates")) for s in suites)
    ]
    for uri, suites, file in entries:
        if SUITE in suites:
            return Mirror(uri.rstrip("/"), file)
    for uri, _suites, file in entries:
        if uri.rstrip("/").endswith("/debian"):
            return Mirror(uri.rstrip("/"), file)
    raise LabError(
        f"No Debian mirror found in this machine's apt sources ({apt_dir}).",
        hint=f"Set {MIRROR_ENV} to the URL of a Debian mirror that carries {SUITE}.",
    )


def cache_directory() -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "remoteops" / "lab"


def image_packages() -> tuple[str, ...]:
    return tuple(sorted(set(LAB_PACKAGES) | set(BASELINE_PACKAGES)))


def image_path(cache: Path | None = None) -> Path:
    """Where the tarball for the current package list and recipe lives (it may not exist)."""
    key = f"{SUITE}|{RECIPE_VERSION}|{','.join(image_packages())}".encode()
    digest = hashlib.sha256(key).hexdigest()[:12]
    return (cache or cache_directory()) / f"debian-{SUITE}-{digest}.tar.zst"


def require_root(what: str = "The lab") -> None:
    if os.geteuid() != 0:
        raise LabError(
            f"{what} needs root: it unpacks a Debian root filesystem and starts each "
            "workstation in its own mount and PID namespace.",
            hint="Run it as root, e.g. with sudo.",
        )


def require_tools(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        hint = "Install them with your package manager"
        if "debootstrap" in missing:
            hint = "Install Debian's debootstrap: apt-get install debootstrap"
        elif "zstd" in missing:
            hint = "Install zstd: apt-get install zstd"
        raise LabError(f"The lab needs {', '.join(missing)}, which is not installed.", hint=hint)


def _run(args: list[str], what: str, *, log: Path | None = None, timeout: float = 3600) -> None:
    with open(log or os.devnull, "ab") as out:
        proc = subprocess.run(
            args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=timeout
        )
    if proc.returncode != 0:
        tail = ""
        if log and log.exists():
            tail = " Last lines: " + " | ".join(log.read_text(errors="replace").splitlines()[-5:])
        raise LabError(
            f"{what} failed (exit code {proc.returncode}).{tail}",
            hint=f"See {log} for the whole log." if log else None,
        )


_SUDOERS = (
    "# remoteops lab: the admin account Ansible connects as\n"
    f"{ADMIN_USER} ALL=(ALL:ALL) NOPASSWD: ALL\n"
)
_POLICY_RC = "#!/bin/sh\n# remoteops lab: packages never start services inside the lab\nexit 101\n"


def _prepare_root(root: Path, log: Path) -> None:
    """Make a fresh debootstrap tree fit to be copied: no cached packages, no host keys, no
    services started by package scripts, the admin account the lab connects as."""
    for deb in (root / "var/cache/apt/archives").glob("*.deb"):
        deb.unlink()
    # apt's binary caches, as on an installed system: otherwise the first look at the
    # package list (even in --check mode) would write them.
    _run(["chroot", str(root), "apt-cache", "gencaches"], "Building apt's caches", log=log)
    for sub in ("usr/share/doc", "usr/share/man", "usr/share/info"):
        shutil.rmtree(root / sub, ignore_errors=True)
        (root / sub).mkdir(parents=True, exist_ok=True)
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    policy = root / "usr/sbin/policy-rc.d"
    policy.write_text(_POLICY_RC)
    policy.chmod(0o755)
    _run(
        ["chroot", str(root), "useradd", "--create-home", "--shell", "/bin/bash", ADMIN_USER],
        "Creating the lab admin account",
        log=log,
    )
    sudoers = root / "etc/sudoers.d/remoteops-lab"
    sudoers.write_text(_SUDOERS)
    sudoers.chmod(0o440)
    (root / "etc/hostname").write_text("lab\n")
    (root / "etc/remoteops-lab").write_text(
        "This root filesystem is a disposable remoteops lab workstation.\n"
    )


def ensure_image(cache: Path | None = None, *, progress=None) -> Path:
    """The cached tarball, building it with debootstrap first if it is missing.

    Building takes a few minutes and needs the mirror once; later calls return at once.
    A lock file keeps two concurrent callers from building it twice.
    """
    require_root("Building the lab image")
    target = image_path(cache)
    if target.is_file():
        return target
    require_tools("debootstrap", "zstd", "tar", "chroot")
    if not DEBIAN_KEYRING.is_file():
        raise LabError(
            f"Debian's archive keyring {DEBIAN_KEYRING} is missing, so the image cannot be "
            "verified.",
            hint="Install it: apt-get install debian-archive-keyring",
        )
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(target.parent / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.is_file():  # built by someone else while we waited
            return target
        mirror = find_mirror()
        log = target.with_suffix(".log")
        log.write_text(f"remoteops lab image from {mirror.url} (read from {mirror.source})\n")
        if progress:
            progress(f"Building the lab image with debootstrap from {mirror.url} (once)")
        started = time.monotonic()
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as tmp:
            root = Path(tmp) / "root"
            _run(
                [
                    "debootstrap",
                    "--variant=minbase",
                    f"--keyring={DEBIAN_KEYRING}",
                    f"--include={','.join(image_packages())}",
                    SUITE,
                    str(root),
                    mirror.url,
                ],
                "debootstrap",
                log=log,
            )
            _prepare_root(root, log)
            partial = Path(tmp) / "image.tar.zst"
            _run(
                [
                    "tar",
                    "--create",
                    "--zstd",
                    "--numeric-owner",
                    "--xattrs",
                    "--xattrs-include=*",
                    "--file",
                    str(partial),
                    "--directory",
                    str(root),
                    ".",
                ],
                "Packing the lab image",
                log=log,
            )
            os.replace(partial, target)
        for old in target.parent.glob(f"debian-{SUITE}-*.tar.zst"):  # images of older recipes
            if old != target:
                old.unlink(missing_ok=True)
                old.with_suffix(".log").unlink(missing_ok=True)
        with log.open("a") as fh:
            fh.write(f"built in {time.monotonic() - started:.0f} s\n")
    return target


def unpack_image(image: Path, root: Path) -> None:
    root.mkdir(parents=True, exist_ok=False)
    _run(
        [
            "tar",
            "--extract",
            "--zstd",
            "--numeric-owner",
            "--same-permissions",
            "--xattrs",
            "--xattrs-include=*",
            "--file",
            str(image),
            "--directory",
            str(root),
        ],
        f"Unpacking the lab image into {root}",
    )
