"""Hostile text from the HR export through every command that writes a file.

An attacker with edit rights on the HR export puts template, script, formula and path
payloads into names. Whatever command then runs, the payload must stay text: no file
appears outside the output folder, no template or script runs, every CSV cell is
spreadsheet-safe, and the name appears literally where names appear.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from companyfiles import edit_row, read_rows

from remoteops.synthetic import write_company

PAYLOADS = {
    "jinja_rce": "{{ cycler.__init__.__globals__.os.mkdir(dict(PWNED=1)|first) }}",
    "jinja_math": "Van {{ 7*7 }}",
    "lone_braces": "Anna {{",
    "js_template": "${document.body.setAttribute('data-pwned','1')}",
    "script_close": "</script><img src=x onerror=alert(1)>",
    "formula": '=HYPERLINK("http://x","y")',
    "at_formula": "@SUM(1+1)",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*")} if folder.exists() else set()


@pytest.fixture
def hostile_company(tmp_path, monkeypatch):
    """A company of 8 whose first employees carry the payloads as first names; the van
    and the depot carry some too."""
    root = tmp_path / "inventory"
    write_company(root, employees=8, seed=7)
    for index, payload in enumerate(list(PAYLOADS.values())[:6]):
        edit_row(root / "employees.csv", index, first_name=payload)
    company = (root / "company.yml").read_text(encoding="utf-8")
    company = company.replace("name: VW Bus 1", "name: 'Van {{ 7*7 }}'", 1)
    (root / "company.yml").write_text(company, encoding="utf-8")
    monkeypatch.setenv("REMOTEOPS_OUT", str(tmp_path / "out"))
    monkeypatch.chdir(tmp_path / "inventory")
    return root


def _assert_csv_safe(text: str) -> None:
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if cell.startswith(FORMULA_START):
                float(cell.replace(",", "."))


@pytest.mark.slow
def test_payloads_stay_text_in_every_writing_command(cli, hostile_company, tmp_path):
    out = tmp_path / "out"
    before = _files_under(tmp_path) - _files_under(out)
    result = cli("-i", hostile_company, "check")
    assert result.exit_code == 0, result.output

    result = cli("-i", hostile_company, "contracts", "render", "--all")
    assert result.exit_code == 0, result.output
    result = cli(
        "-i",
        hostile_company,
        "routes",
        "plan",
        "--from",
        "2026-12-01",
        "--days",
        "5",
        "--seconds",
        "2",
        "--json",
    )
    assert result.exit_code == 0, result.output
    days = sorted({run["day"] for run in json.loads(result.stdout)[0]["runs"]})
    assert days, result.stdout
    for step in (
        ("routes", "sheet", days[0]),
        ("routes", "map"),
        ("routes", "map", days[0]),
        ("routes", "notify"),
    ):
        result = cli("-i", hostile_company, *step)
        assert result.exit_code == 0, (step, result.output)
        assert "Traceback" not in result.output and "bug" not in result.output

    for step in (
        ("employees", "list", "--csv"),
        ("contracts", "status", "--csv"),
        ("routes", "status", "--csv"),
        ("log", "--csv", "--limit", "500"),
    ):
        result = cli("-i", hostile_company, *step)
        assert result.exit_code == 0, (step, result.output)
        _assert_csv_safe(result.stdout)

    # nothing ran: no PWNED folder anywhere we can see, no file outside out/ and the state
    after = _files_under(tmp_path) - _files_under(out)
    new = {
        p
        for p in after - before - {out}
        if "state" not in p.relative_to(tmp_path).parts and p.name != "__pycache__"
    }
    # the one file `check` writes into the inventory: the playbooks' copy of company.yml,
    # every value marked !unsafe (text for Ansible, never a template)
    copy = hostile_company / "group_vars" / "workstations" / "company.yml"
    assert new == {copy.parent, copy}, sorted(map(str, new))
    values = [line for line in copy.read_text("utf-8").splitlines() if line[:1].isalpha()]
    assert values and all(": !unsafe " in line for line in values), values
    assert not any(p.name == "PWNED" for p in _files_under(tmp_path))
    assert not Path("/PWNED").exists() and not (Path.cwd() / "PWNED").exists()

    # every file written under out/ is owner-only, every CSV is spreadsheet-safe
    written = [p for p in _files_under(out) if p.is_file()]
    assert written
    for path in written:
        assert os.stat(path).st_mode & 0o077 == 0, path
        if path.suffix == ".csv":
            _assert_csv_safe(path.read_text(encoding="utf-8"))

    # the names appear literally: the map page carries them as data, "Van 49" never appears
    pages = [p for p in written if p.suffix == ".html"]
    assert pages
    text = "\n".join(p.read_text(encoding="utf-8") for p in pages)
    assert "Van 49" not in text
    names = {r["first_name"] for r in read_rows(hostile_company / "employees.csv")}
    assert PAYLOADS["jinja_rce"] in names
    messages = "\n".join(p.read_text(encoding="utf-8") for p in written if p.suffix == ".txt")
    assert messages, "routes notify wrote no message"
    assert "49" not in messages.replace("+49", "") or "{{ 7*7 }}" in messages
