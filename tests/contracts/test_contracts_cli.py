"""Agreements through the CLI as HR uses them: render, status, mark, pending reminders."""

from __future__ import annotations

import csv
import io
import json
import stat

import pytest
from pypdf import PdfReader

from remoteops.synthetic import write_company


@pytest.fixture
def company_dir(tmp_path, monkeypatch):
    root = tmp_path / "inventory"
    write_company(root, employees=4, seed=5)
    monkeypatch.setenv("REMOTEOPS_OUT", str(tmp_path / "out"))
    return root


def scheduled(cli, root) -> list[dict]:
    rows = json.loads(cli("-i", root, "employees", "list", "--status", "active", "--json").stdout)
    return [r for r in rows if r["home_office_start"]]


def test_render_status_mark_round_trip(cli, company_dir, tmp_path):
    someone = scheduled(cli, company_dir)[0]
    eid = someone["employee_id"]
    result = cli("-i", company_dir, "contracts", "render", eid, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)[0]
    assert report["rendered"] == [eid] and report["failures"] == []

    out = tmp_path / "out" / "contracts"
    packet = next(out.glob(f"{eid}-*-packet.pdf"))
    assert stat.S_IMODE(packet.stat().st_mode) == 0o600
    text = " ".join(p.extract_text() for p in PdfReader(packet).pages)
    assert someone["name"] in text and "{{" not in text
    shown = json.loads(cli("-i", company_dir, "employees", "show", eid, "--json").stdout)[0]
    for asset in shown["equipment"]:
        assert asset["serial_number"] in text
    manifest = list(csv.DictReader((out / "manifest.csv").open(encoding="utf-8")))
    assert {r["employee_id"] for r in manifest} == {eid}

    again = json.loads(cli("-i", company_dir, "contracts", "render", eid, "--json").stdout)[0]
    assert again["rendered"] == [] and again["unchanged"] == [eid]

    pending = cli("-i", company_dir, "contracts", "status", "--pending", "--csv").stdout
    documents = {r["document"] for r in csv.DictReader(io.StringIO(pending))}
    assert {"home-office", "data-protection", "equipment-loan"} <= documents

    marked = cli(
        "-i", company_dir, "contracts", "mark", eid, "home-office", "signed", "--note", "Post"
    )
    assert marked.exit_code == 0, marked.output
    rows = json.loads(cli("-i", company_dir, "contracts", "status", "--json").stdout)
    home = next(r for r in rows if r["document"] == "home-office")
    assert home["status"] == "signed" and home["signed_at"]
    still = json.loads(cli("-i", company_dir, "contracts", "status", "--pending", "--json").stdout)
    assert "home-office" not in {r["document"] for r in still}
    # nothing is pending for a week yet
    old = json.loads(
        cli("-i", company_dir, "contracts", "status", "--older-than", "7d", "--json").stdout
    )
    assert old == []

    back = cli("-i", company_dir, "contracts", "mark", eid, "home-office", "sent")
    assert back.exit_code == 1 and "cannot go back" in back.stderr
    log = json.loads(cli("-i", company_dir, "log", "--employee", eid, "--json").stdout)
    assert log[0]["action"] == "contracts.signed"
    assert {e["action"] for e in log} >= {"contracts.generated", "contracts.signed"}


def test_render_needs_employees_or_all(cli, company_dir):
    result = cli("-i", company_dir, "contracts", "render")
    assert result.exit_code == 2 and "--all" in result.stderr


def test_render_unknown_employee_is_friendly(cli, company_dir):
    result = cli("-i", company_dir, "contracts", "render", "E9999")
    assert result.exit_code == 1 and "E9999" in result.stderr and "Traceback" not in result.output


def test_bad_older_than_is_a_usage_error(cli, company_dir):
    result = cli("-i", company_dir, "contracts", "status", "--older-than", "a week")
    assert result.exit_code == 2 and "7d" in result.stderr


def test_bundled_templates_check(cli, company_dir):
    result = cli("-i", company_dir, "contracts", "check")
    assert result.exit_code == 0 and "OK" in result.stdout


def test_broken_templates_folder_is_reported(cli, company_dir, tmp_path):
    broken = tmp_path / "vorlagen"
    broken.mkdir()
    (broken / "base.html").write_text("{% block x %}", encoding="utf-8")
    result = cli("-i", company_dir, "contracts", "check", "--templates", broken)
    assert result.exit_code == 1 and "problem" in result.stderr
