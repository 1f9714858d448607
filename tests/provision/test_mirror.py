"""The lab's Debian mirror comes from this machine's apt sources, never from the project."""

from __future__ import annotations

from pathlib import Path

import pytest

from remoteops.lab import LabError, find_mirror

REPO = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_deb822_sources_skip_security_and_comments(tmp_path, monkeypatch):
    monkeypatch.delenv("REMOTEOPS_LAB_MIRROR", raising=False)
    write(
        tmp_path / "sources.list.d/debian.sources",
        "Types: deb\n# URIs: http://commented.invalid/debian\nURIs: http://security.invalid/x\n"
        "Suites: bookworm-security\nComponents: main\n\n"
        "Types: deb deb-src\nURIs: http://mirror.invalid/debian/\nSuites: bookworm "
        "bookworm-updates\nComponents: main\n",
    )
    mirror = find_mirror(tmp_path)
    assert mirror.url == "http://mirror.invalid/debian"
    assert mirror.source.endswith("debian.sources")


def test_one_line_sources_list_with_options(tmp_path, monkeypatch):
    monkeypatch.delenv("REMOTEOPS_LAB_MIRROR", raising=False)
    write(
        tmp_path / "sources.list",
        "# deb http://old.invalid/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://one.invalid/debian bookworm main\n",
    )
    assert find_mirror(tmp_path).url == "http://one.invalid/debian"


def test_disabled_entries_are_ignored_and_a_debian_path_is_a_fallback(tmp_path, monkeypatch):
    monkeypatch.delenv("REMOTEOPS_LAB_MIRROR", raising=False)
    write(
        tmp_path / "sources.list.d/a.sources",
        "Enabled: no\nTypes: deb\nURIs: http://off.invalid/debian\nSuites: bookworm\n\n"
        "Types: deb\nURIs: http://trixie.invalid/debian\nSuites: trixie\n",
    )
    assert find_mirror(tmp_path).url == "http://trixie.invalid/debian"


def test_no_usable_source_names_the_override(tmp_path, monkeypatch):
    monkeypatch.delenv("REMOTEOPS_LAB_MIRROR", raising=False)
    write(tmp_path / "sources.list", "deb http://archive.invalid/ubuntu jammy main\n")
    with pytest.raises(LabError, match="No Debian mirror") as caught:
        find_mirror(tmp_path)
    assert "REMOTEOPS_LAB_MIRROR" in caught.value.hint


def test_the_environment_overrides_the_sources(tmp_path, monkeypatch):
    monkeypatch.setenv("REMOTEOPS_LAB_MIRROR", "http://override.invalid/debian")
    assert find_mirror(tmp_path).source == "REMOTEOPS_LAB_MIRROR"


def test_no_mirror_host_is_written_into_the_project():
    debian = "debian" + ".org"  # spelled apart so this file does not match itself
    hosts = (f"deb.{debian}", f"ftp.{debian}", f"httpredir.{debian}", f"security.{debian}")
    areas = ("remoteops/lab", "remoteops/provision", "playbooks", "tests/provision", "bench")
    for folder in areas:
        for path in (REPO / folder).rglob("*"):
            if path.is_file() and path.suffix in (".py", ".yml", ".yaml", ".j2", ".md", ".cfg"):
                text = path.read_text(encoding="utf-8", errors="replace")
                assert not any(h in text for h in hosts), path
