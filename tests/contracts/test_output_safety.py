"""The output folder and the store stay right when a render is killed or cannot write.

These run the real CLI (``python -m remoteops``) as a subprocess, so a SIGKILL or a
file-size limit hits the whole program as it would on an operator's machine.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pdfcheck import check_pdf
from pypdf import PdfReader

from remoteops.contracts import DOCUMENTS, render_agreements
from remoteops.contracts.pdf import sha256_of
from remoteops.inventory import load_company
from remoteops.synthetic import write_company

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "REMOTEOPS_STATE": str(tmp_path / "state" / "state.db"),
        "REMOTEOPS_OUT": str(tmp_path / "out"),
        "COLUMNS": "200",
    }


def _remoteops(inventory: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "remoteops", "-i", str(inventory), *args]


def _in_force(state: Path) -> list[dict]:
    """The documents in force in the state store, read as a separate reader."""
    if not state.exists():
        return []
    conn = sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute(
            "SELECT * FROM documents WHERE status NOT IN ('superseded', 'void')"
        ).fetchall()
    except sqlite3.OperationalError:  # not migrated yet
        return []
    finally:
        conn.close()
    return [dict(r) for r in rows]


def _all_documents(state: Path) -> list[dict]:
    conn = sqlite3.connect(f"file:{state}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM documents ORDER BY id")]
    finally:
        conn.close()


def _key(row: dict) -> tuple:
    return (row["employee_id"], row["document"], row["language"], row["sha256"], row["pdf_path"])


def _manifest(out: Path) -> tuple[list[dict], list[dict]]:
    as_json = json.loads((out / "manifest.json").read_text("utf-8"))["documents"]
    with (out / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        as_csv = list(csv.DictReader(handle))
    return as_json, as_csv


def _assert_manifest_matches_store(out: Path, state: Path) -> list[dict]:
    store = _in_force(state)
    as_json, as_csv = _manifest(out)
    assert sorted(map(_key, as_json)) == sorted(map(_key, store))
    assert sorted(map(_key, as_csv)) == sorted(map(_key, store))
    for row in store:
        path = out / row["pdf_path"]
        assert path.is_file(), f"{row['pdf_path']} is listed but missing"
        assert sha256_of(path) == row["sha256"], f"{row['pdf_path']} is not the listed file"
    return store


@pytest.mark.slow
def test_killed_render_leaves_a_manifest_that_matches_the_store(tmp_path):
    inventory = tmp_path / "inventory"
    write_company(inventory, employees=12, seed=5)
    env = _env(tmp_path)
    state = tmp_path / "state" / "state.db"
    out = tmp_path / "out" / "contracts"
    company = load_company(inventory)
    scheduled = [e.employee_id for e in company.employees if e.scheduled_for_home_office]
    assert len(scheduled) >= 4

    process = subprocess.Popen(
        _remoteops(inventory, "contracts", "render", "--all", "--json"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and process.poll() is None:
            if len(_in_force(state)) >= len(DOCUMENTS):  # the first packet is recorded
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "the render ended before it could be killed"
    recorded = _in_force(state)
    assert 0 < len(recorded) < len(scheduled) * len(DOCUMENTS), "killed too late to test"

    # The manifest was rewritten after each employee: at most the packet in flight is
    # missing from it, and everything it lists is in the store and on disk.
    as_json, _ = _manifest(out)
    assert set(map(_key, as_json)) <= set(map(_key, recorded))
    assert len(recorded) - len(as_json) <= len(DOCUMENTS)
    for row in as_json:
        assert (out / row["pdf_path"]).is_file()
    # Every document the store records is on disk as recorded; every PDF on disk is whole
    # (strict readers), and at most the packet in flight is on disk but not yet recorded.
    for row in recorded:
        assert sha256_of(out / row["pdf_path"]) == row["sha256"], row["pdf_path"]
    on_disk = sorted(out.glob("*.pdf"))
    for path in on_disk:
        check_pdf(path)
    stored = {row["employee_id"] for row in recorded}
    assert len({p.name.split("-")[0] for p in on_disk} - stored) <= 1

    again = subprocess.run(
        _remoteops(inventory, "contracts", "render", "--all", "--json"),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert again.returncode == 0, again.stderr
    (report,) = json.loads(again.stdout)
    assert report["failures"] == []
    assert report["unchanged"] == sorted(stored)  # what was recorded is not rendered again
    assert report["rendered"] == sorted(set(scheduled) - stored)
    store = _assert_manifest_matches_store(out, state)
    assert len(store) == len(scheduled) * len(DOCUMENTS)
    # one packet per scheduled employee on disk, nothing else (no stray half-run file)
    assert {p.name for p in out.glob("*.pdf")} == {Path(r["pdf_path"]).name for r in store}
    assert len(list(out.glob("*.pdf"))) == len(scheduled)
    assert not list(out.rglob("*.part")), "temporary files were left in place of real files"
    for path in out.glob("*.pdf"):
        assert len(PdfReader(str(path), strict=True).pages) >= 10

    # A run where nothing changed still writes the whole manifest from the store.
    (out / "manifest.csv").unlink()
    (out / "manifest.json").write_text('{"format": 1, "documents": []}\n', "utf-8")
    third = subprocess.run(
        _remoteops(inventory, "contracts", "render", "--all", "--json"),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert third.returncode == 0, third.stderr
    assert json.loads(third.stdout)[0]["rendered"] == []
    _assert_manifest_matches_store(out, state)


def _limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes fail with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.slow
@pytest.mark.parametrize("split", [False, True], ids=["packet", "split"])
def test_a_failed_write_keeps_the_old_pdf_and_the_store_right(tmp_path, split):
    inventory = tmp_path / "inventory"
    write_company(inventory, employees=4, seed=5)
    env = _env(tmp_path)
    state = tmp_path / "state" / "state.db"
    out = tmp_path / "out" / "contracts"
    company = load_company(inventory)
    eid = next(e.employee_id for e in company.employees if e.scheduled_for_home_office)
    options = ["--split"] if split else []

    first = subprocess.run(
        _remoteops(inventory, "contracts", "render", eid, *options, "--json"),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert first.returncode == 0, first.stderr
    before = _in_force(state)
    assert len(before) == len(DOCUMENTS)
    old_files = {row["pdf_path"]: (out / row["pdf_path"]).read_bytes() for row in before}
    sizes = sorted(len(data) for data in old_files.values())
    # A packet is larger than this process may write; of the split files, the first ones
    # fit and a later one does not (the ones already written must not replace anything).
    limit = (sizes[0] + sizes[-1]) // 2 if split else sizes[0] // 2
    assert limit > 40_000  # room for the state store's shared-memory file

    failed = subprocess.run(
        _remoteops(inventory, "contracts", "render", eid, *options, "--force"),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=_limit_file_size(limit),
    )
    assert failed.returncode == 1
    message = " ".join(failed.stderr.split())
    assert "Could not write" in message and "File too large" in message, failed.stderr
    assert "file-size limit" in message
    assert "Unexpected error" not in message and "Traceback" not in failed.stderr
    assert _in_force(state) == before, "the store changed although nothing was written"
    for path, data in old_files.items():
        assert (out / path).read_bytes() == data, f"{path} was replaced or moved"
    superseded = out / "superseded"
    assert not superseded.exists() or not list(superseded.iterdir())
    assert not list(out.rglob("*.part"))
    _assert_manifest_matches_store(out, state)

    again = subprocess.run(
        _remoteops(inventory, "contracts", "render", eid, *options, "--force", "--json"),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert again.returncode == 0, again.stderr
    _assert_manifest_matches_store(out, state)
    history = _all_documents(state)
    old_rows = [r for r in history if r["status"] == "superseded"]
    new_rows = [r for r in history if r["status"] not in ("superseded", "void")]
    assert len(old_rows) == len(new_rows) == len(DOCUMENTS)
    by_document = {r["document"]: r for r in before}
    for row in old_rows:
        kept = out / row["pdf_path"]
        assert row["pdf_path"].startswith("superseded/")
        assert kept.read_bytes() == old_files[by_document[row["document"]]["pdf_path"]]
        assert sha256_of(kept) == row["sha256"]
    for row in new_rows:
        path = out / row["pdf_path"]
        assert sha256_of(path) == row["sha256"] != by_document[row["document"]]["sha256"]
        subject = PdfReader(str(path)).metadata.subject
        assert row["document_id"] in subject and eid in subject


def test_output_folder_that_is_a_file_is_a_clear_error(cli, tmp_path):
    inventory = tmp_path / "inventory"
    write_company(inventory, employees=4, seed=5)
    company = load_company(inventory)
    eid = next(e.employee_id for e in company.employees if e.scheduled_for_home_office)
    not_a_folder = tmp_path / "report.txt"
    not_a_folder.write_text("keep me", "utf-8")
    result = cli("-i", inventory, "contracts", "render", eid, "--out", not_a_folder)
    assert result.exit_code == 1, result.output
    message = " ".join(result.stderr.split())
    assert f"{not_a_folder} is a file, not a folder" in message
    assert "Unexpected error" not in message and "Traceback" not in result.output
    assert not_a_folder.read_text("utf-8") == "keep me"
    assert cli("-i", inventory, "contracts", "status", "--json").stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.ENOSPC, "disk is full"),
        (errno.EFBIG, "file-size limit"),
        (errno.EACCES, "permissions"),
        (errno.EROFS, "read-only"),
    ],
)
def test_write_errors_say_what_to_do(tmp_path, code, words):
    from remoteops.contracts.output import write_error

    error = write_error(tmp_path / "E0001-de-packet.pdf", OSError(code, os.strerror(code)))
    text = str(error)
    assert str(tmp_path / "E0001-de-packet.pdf") in text and os.strerror(code) in text
    assert words in text and "unchanged" in text


def test_cleanup_of_leftovers_never_follows_a_symlink_out_of_the_folder(tmp_path):
    inventory = tmp_path / "inventory"
    write_company(inventory, employees=2, seed=5)
    company = load_company(inventory)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    victims = [outside / ".E0001-de-packet.pdf.abcd1234.part", outside / ".x.part"]
    for victim in victims:
        victim.write_bytes(b"not ours")
    out = tmp_path / "out"
    (out / "E0001").mkdir(parents=True)
    (out / "E0002").symlink_to(outside, target_is_directory=True)
    (out / ".E0003-de-packet.pdf.zz99.part").symlink_to(victims[0])
    leftovers = [
        out / ".E0001-de-packet.pdf.k3j_x9.part",
        out / "E0001" / ".E0001-home-office-de.pdf.q1w2e3.part",
        out / ".manifest.json.abc123.part",
    ]
    for leftover in leftovers:
        leftover.write_bytes(b"half")

    render_agreements(company, [], out_dir=out)  # nobody to render: only the clean-up runs

    for victim in victims:
        assert victim.read_bytes() == b"not ours", f"{victim} outside out/ was deleted"
    assert (out / "E0002").is_symlink()
    for leftover in leftovers:
        assert not leftover.exists(), f"{leftover} was left behind"
