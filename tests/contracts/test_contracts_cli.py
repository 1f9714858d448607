"""Agreements through the CLI as HR uses them: render, status, mark, pending reminders."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import stat

import pytest
from companyfiles import edit_row
from pdfcheck import check_pdf, squeezed

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


@pytest.mark.slow
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
    text = check_pdf(packet).text  # as PDFium shows it, checked against qpdf and Poppler
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
    assert documents == {"home-office", "data-protection", "equipment-loan"}

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


@pytest.mark.slow
def test_bundled_templates_check(cli, company_dir):
    result = cli("-i", company_dir, "contracts", "check")
    assert result.exit_code == 0 and "OK" in result.stdout


def test_broken_templates_folder_is_reported(cli, company_dir, tmp_path):
    broken = tmp_path / "vorlagen"
    broken.mkdir()
    (broken / "base.html").write_text("{% block x %}", encoding="utf-8")
    result = cli("-i", company_dir, "contracts", "check", "--templates", broken)
    assert result.exit_code == 1 and "problem" in result.stderr


@pytest.mark.slow
def test_repeating_a_step_keeps_its_first_date(cli, company_dir):
    eid = scheduled(cli, company_dir)[0]["employee_id"]
    assert cli("-i", company_dir, "contracts", "render", eid, "--json").exit_code == 0
    first = cli("-i", company_dir, "contracts", "mark", eid, "home-office", "signed")
    assert first.exit_code == 0, first.output

    def home_office() -> dict:
        rows = json.loads(cli("-i", company_dir, "contracts", "status", "--json").stdout)
        return next(r for r in rows if r["employee_id"] == eid and r["document"] == "home-office")

    signed_at = home_office()["signed_at"]
    assert signed_at
    for extra in ([], ["--date", "2026-01-05"], ["--note", "again"]):
        again = cli("-i", company_dir, "contracts", "mark", eid, "home-office", "signed", *extra)
        assert again.exit_code == 0, again.output
        said = " ".join(again.stdout.split())
        assert f"already signed on {signed_at[:10]}" in said and "nothing changed" in said
        assert home_office()["signed_at"] == signed_at
    log = json.loads(cli("-i", company_dir, "log", "--employee", eid, "--json").stdout)
    assert [e["action"] for e in log].count("contracts.signed") == 1


def _templates_with(tmp_path, name: str, link: str):
    """A copy of the bundled templates whose base.html also loads ``link``."""
    import shutil

    from remoteops.contracts.templates import default_templates_dir

    folder = tmp_path / name
    shutil.copytree(default_templates_dir(), folder)
    if link:
        base = folder / "base.html"
        tag = '<link rel="stylesheet" href="style.css">'
        base.write_text(
            base.read_text("utf-8").replace(tag, f'{tag}<link rel="stylesheet" href="{link}">'),
            "utf-8",
        )
    return folder


def _outside_css(tmp_path):
    outside = tmp_path / "outside.css"
    outside.write_text("body { color: black }", "utf-8")
    return outside


@pytest.mark.parametrize("case", ["file-url", "symlink-out", "http", "template-symlink"])
@pytest.mark.slow
def test_check_refuses_what_render_refuses(cli, company_dir, tmp_path, case):
    if case == "file-url":
        folder, refused = _templates_with(tmp_path, "t", "file:///etc/hostname"), "/etc/hostname"
    elif case == "http":
        url = "http://intranet.example/brand.css"
        folder, refused = _templates_with(tmp_path, "t", url), url
    elif case == "symlink-out":  # a stylesheet in the folder that is a link out of it
        folder, refused = _templates_with(tmp_path, "t", "brand.css"), "brand.css"
        (folder / "brand.css").symlink_to(_outside_css(tmp_path))
    else:  # a template that is a link out of the folder
        folder, refused = _templates_with(tmp_path, "t", ""), "macros.html"
        outside = tmp_path / "macros.html"
        outside.write_bytes((folder / "macros.html").read_bytes())
        (folder / "macros.html").unlink()
        (folder / "macros.html").symlink_to(outside)
    checked = cli("-i", company_dir, "contracts", "check", "--templates", folder)
    assert checked.exit_code == 1, checked.output
    assert refused in checked.stdout and "refused" in checked.stdout
    assert "OK" not in checked.stdout and "Traceback" not in checked.output

    eid = scheduled(cli, company_dir)[0]["employee_id"]
    rendered = cli("-i", company_dir, "contracts", "render", eid, "--templates", folder)
    assert rendered.exit_code == 1 and refused in rendered.stderr, rendered.output
    assert not list((tmp_path / "out").rglob("*.pdf"))


def test_every_contracts_help_has_an_example(cli):
    for command in ([], ["render"], ["status"], ["mark"], ["check"]):
        shown = cli("contracts", *command, "--help")
        assert shown.exit_code == 0
        assert "Example:" in shown.stdout and "remoteops contracts" in shown.stdout, command


@pytest.mark.slow
def test_formula_like_names_are_inert_in_status_csv_and_manifest(cli, company_dir, tmp_path):
    from remoteops.csvio import from_spreadsheet_cell
    from remoteops.synthetic import EMPLOYEE_COLUMNS

    starts = ["=", "+", "-", "@"]
    path = company_dir / "employees.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    chosen = [r for r in rows if r["status"] == "active" and r["home_office_start"]][:4]
    assert len(chosen) == 4
    names = {}
    for row, start in zip(chosen, starts, strict=True):
        row["first_name"] = f"{start}HYPERLINK(1)"
        row["last_name"] = f"{start}cmd|calc"
        names[row["employee_id"]] = f"{row['first_name']} {row['last_name']}"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, EMPLOYEE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    # HR may put the employee's name first in a document's title: it reaches the manifest.
    folder = _templates_with(tmp_path, "t", "")
    base = folder / "base.html"
    base.write_text(
        base.read_text("utf-8").replace(
            "<title>{{ doc_title }}</title>",
            "<title>{{ employee.first_name }} {{ doc_title }}</title>",
        ),
        "utf-8",
    )
    ids = sorted(names)
    result = cli("-i", company_dir, "contracts", "render", *ids, "--templates", folder, "--json")
    assert result.exit_code == 0, result.output

    def assert_inert(text: str) -> list[list[str]]:
        table = list(csv.reader(io.StringIO(text)))
        for line in table:
            for cell in line:
                assert not cell.startswith(tuple(starts)), f"formula cell {cell!r}"
        return table

    status = cli("-i", company_dir, "contracts", "status", "--csv")
    table = assert_inert(status.stdout)
    header = table[0]
    shown = {
        from_spreadsheet_cell(line[header.index("employee_id")]): from_spreadsheet_cell(
            line[header.index("name")]
        )
        for line in table[1:]
    }
    assert shown == names

    out = tmp_path / "out" / "contracts"
    table = assert_inert((out / "manifest.csv").read_text("utf-8"))
    header = table[0]
    titles = {from_spreadsheet_cell(line[header.index("title")]) for line in table[1:]}
    first_names = {name.split(" ")[0] for name in names.values()}
    assert {title.split(" ")[0] for title in titles} == first_names
    from remoteops.contracts import read_manifest

    assert {r.title for r in read_manifest(out)} == titles  # the JSON holds the real values


# -- the render options, a partial failure, void ------------------------------------------


def _manifest_rows(out) -> list[dict]:
    return list(csv.DictReader((out / "manifest.csv").open(encoding="utf-8")))


def _templates_printing_the_phone(tmp_path):
    """A copy of the bundled templates whose letter prints the employee's phone number
    without asking whether there is one (an optional field: it fails where it is empty)."""
    import shutil

    from remoteops.contracts.templates import default_templates_dir

    own = tmp_path / "our-templates"
    shutil.copytree(default_templates_dir(), own)
    letter = own / "de" / "setup-letter.html"
    text = letter.read_text("utf-8")
    marker = '<div class="box">'
    assert marker in text
    letter.write_text(
        text.replace(marker, f"<p>Telefon: {{{{ employee.phone }}}}</p>\n{marker}", 1)
    )
    return own


@pytest.mark.slow
def test_render_all_exits_1_when_one_fails_and_force_renders_again(cli, company_dir, tmp_path):
    """The company's own templates print the phone number; E0001 has none: --all renders
    the other three, lists E0001 with the field, template and line, and exits 1. With a
    phone number only E0001 is rendered; --force renders everyone again."""
    out = tmp_path / "out" / "contracts"
    own = _templates_printing_the_phone(tmp_path)
    everyone = ["E0001", "E0002", "E0003", "E0004"]
    edit_row(company_dir / "employees.csv", 0, phone="")
    first = cli("-i", company_dir, "contracts", "render", "--all", "--templates", own)
    assert first.exit_code == 1, first.output
    (failed,) = [r for r in first.stdout.splitlines() if r.startswith("│ E0001")]
    assert "employee.phone" in failed and "setup-letter.html" in failed
    counts = {
        cells[0]: cells[1]
        for row in first.stdout.splitlines()
        if row.startswith("│ ")
        for cells in [[c.strip() for c in row.strip("│").split("│")]]
        if len(cells) == 2
    }
    assert counts["employees rendered"] == "3" and counts["employees failed"] == "1"
    assert {r["employee_id"] for r in _manifest_rows(out)} == set(everyone[1:])
    assert not list(out.glob("E0001*"))

    edit_row(company_dir / "employees.csv", 0, phone="+49 30 1234567")
    args = ("-i", company_dir, "contracts", "render", "--all", "--templates", own, "--json")
    fixed = json.loads(cli(*args).stdout)[0]
    assert (fixed["rendered"], fixed["unchanged"]) == (["E0001"], everyone[1:])
    assert "Telefon: +49 30 1234567" in check_pdf(out / "E0001-de-packet.pdf").text
    forced = cli(*args, "--force")
    assert forced.exit_code == 0, forced.output
    report = json.loads(forced.stdout)[0]
    assert (report["rendered"], report["unchanged"]) == (everyone, [])
    assert report["superseded"] == 4 * len(everyone)
    assert len(list((out / "superseded").rglob("*.pdf"))) == len(everyone)
    assert {r["employee_id"] for r in _manifest_rows(out)} == set(everyone)


@pytest.mark.slow
def test_render_a_team_in_english_one_file_per_document(cli, company_dir, tmp_path):
    out = tmp_path / "out" / "contracts"
    result = cli(
        "-i", company_dir, "contracts", "render", "--team", "Beschwerden", "--lang", "en",
        "--split", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["rendered"] == ["E0003", "E0004"]  # the team only
    documents = ("setup-letter", "home-office", "data-protection", "equipment-loan")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.pdf")) == sorted(
        f"{e}/{e}-{d}-en.pdf" for e in ("E0003", "E0004") for d in documents
    )
    assert {(r["employee_id"], r["language"]) for r in _manifest_rows(out)} == {
        ("E0003", "en"),
        ("E0004", "en"),
    }
    text = squeezed(check_pdf(out / "E0003" / "E0003-home-office-en.pdf").text)
    assert squeezed("Home-Office Addendum") in text and "Page1of" in text
    assert "Seite1von" not in text
    unknown = cli("-i", company_dir, "contracts", "render", "--team", "Vertrieb")
    assert unknown.exit_code == 2 and "No employee scheduled for home office" in unknown.stderr


@pytest.mark.slow
def test_render_with_the_companys_own_templates(cli, company_dir, tmp_path):
    import shutil

    from remoteops.contracts.templates import default_templates_dir

    out = tmp_path / "out" / "contracts"
    bundled = json.loads(cli("-i", company_dir, "contracts", "render", "E0002", "--json").stdout)
    assert bundled[0]["rendered"] == ["E0002"]
    own = tmp_path / "our-templates"
    shutil.copytree(default_templates_dir(), own)
    letter = own / "de" / "setup-letter.html"
    sentence = "Bitte bringen Sie Ihren Werksausweis mit."
    text = letter.read_text("utf-8").replace(
        '<div class="box">', f'<p>{sentence}</p>\n<div class="box">', 1
    )
    letter.write_text(text, "utf-8")
    result = cli("-i", company_dir, "contracts", "render", "E0002", "--templates", own, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)[0]
    assert report["rendered"] == ["E0002"] and report["superseded"] == 4
    packet = out / "E0002-de-packet.pdf"
    assert squeezed(sentence) in squeezed(check_pdf(packet).text)
    versions = {r["template_version"] for r in _manifest_rows(out)}
    assert len(versions) == 1 and versions != {
        r["template_version"] for r in bundled[0].get("documents", [])
    }


@pytest.mark.slow
def test_void_takes_a_document_out_of_force_and_repeating_it_changes_nothing(
    cli, company_dir, tmp_path
):
    assert cli("-i", company_dir, "contracts", "render", "E0003", "--json").exit_code == 0
    voided = cli("-i", company_dir, "contracts", "mark", "E0003", "equipment-loan", "void")
    assert voided.exit_code == 0, voided.output
    assert "E0003 equipment-loan (de): void." in voided.stdout
    in_force = json.loads(cli("-i", company_dir, "contracts", "status", "--json").stdout)
    assert {r["document"] for r in in_force if r["employee_id"] == "E0003"} == {
        "setup-letter",
        "home-office",
        "data-protection",
    }
    every = json.loads(cli("-i", company_dir, "contracts", "status", "--history", "--json").stdout)
    (loan,) = [r for r in every if r["document"] == "equipment-loan"]
    assert loan["status"] == "void"

    again = cli("-i", company_dir, "contracts", "mark", "E0003", "equipment-loan", "void")
    assert again.exit_code == 0, again.output
    said = " ".join(again.stdout.split())
    assert "E0003 equipment-loan (de) is already void" in said and "nothing changed" in said
    signed = cli("-i", company_dir, "contracts", "mark", "E0003", "equipment-loan", "signed")
    assert signed.exit_code == 1
    assert "E0003 equipment-loan is void; it cannot change any more." in signed.stderr
    assert "remoteops contracts render E0003" in signed.stderr
    log = json.loads(cli("-i", company_dir, "log", "--employee", "E0003", "--json").stdout)
    assert [e["action"] for e in log].count("contracts.void") == 1

    # a new one, as the message says: the packet is rendered again with a new loan
    new = json.loads(cli("-i", company_dir, "contracts", "render", "E0003", "--json").stdout)
    assert new[0]["rendered"] == ["E0003"]
    # the void loan keeps its own file: the old packet, kept aside, unchanged
    every = json.loads(cli("-i", company_dir, "contracts", "status", "--history", "--json").stdout)
    (void,) = [r for r in every if r["status"] == "void"]
    assert void["sha256"] == loan["sha256"] and void["pdf_path"].startswith("superseded/")
    kept = tmp_path / "out" / "contracts" / void["pdf_path"]
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == loan["sha256"]
    assert void["document_id"] in check_pdf(kept).text
    in_force = json.loads(cli("-i", company_dir, "contracts", "status", "--json").stdout)
    (loan,) = [r for r in in_force if r["document"] == "equipment-loan"]
    assert loan["status"] == "generated"
    again = cli("-i", company_dir, "contracts", "mark", "E0003", "equipment-loan", "signed")
    assert again.exit_code == 0, again.output
