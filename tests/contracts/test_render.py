"""Rendering real packets and reading them back with pypdf."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import stat
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import TODAY, with_employees
from contracts_pdf import check_packet_content, page_fill
from pdfcheck import flat, read_pdf, squeezed, unembedded_fonts
from pypdf import PdfReader

from remoteops.contracts import (
    DOCUMENTS,
    TemplateError,
    TemplateSet,
    packet_path,
    read_manifest,
    render_agreements,
)
from remoteops.contracts.pdf import sha256_of
from remoteops.workmodel import effective_work_model

LANGUAGE_MARKERS = {
    "de": ("Seite 1 von", "Zusatzvereinbarung", "Page 1 of"),
    "en": ("Page 1 of", "Home-Office Addendum", "Seite 1 von"),
}


# -- the sample company ---------------------------------------------------------------


def test_sample_packets_render_without_failures(sample_render, sample_ids):
    out, report = sample_render
    assert report.failures == []
    assert report.employees_rendered == sorted(sample_ids)
    assert {(r.employee_id, r.document) for r in report.rendered} == {
        (eid, doc) for eid in sample_ids for doc in DOCUMENTS
    }


def test_sample_packets_hold_the_employees_own_data(sample_pdfs, sample_company, sample_ids):
    for eid in sample_ids:
        employee = sample_company.employee(eid)
        pdf = sample_pdfs[eid]
        text = flat(pdf.text)
        assert employee.full_name in text
        assert employee.address.street in text
        assert f"{employee.address.postcode} {employee.address.city}" in text
        assets = sample_company.assets_of(eid)
        assert assets, "the sample employee should have devices"
        for asset in assets:
            assert asset.serial_number in text
            assert asset.asset_tag in text
        # in PDFium (Chrome/Edge) and Poppler too, and nobody else's name or address
        check_packet_content(pdf.path, sample_company, eid, sample_ids)
        others = [
            o
            for o in sample_company.employees
            if o.employee_id != eid and o.full_name != employee.full_name
        ]
        assert not [o.full_name for o in others if o.full_name in text]


def test_sample_packets_are_in_the_right_language(sample_pdfs, sample_company, sample_ids):
    for eid in sample_ids:
        lang = sample_company.employee(eid).language
        text = flat(sample_pdfs[eid].text)
        present, title, absent = LANGUAGE_MARKERS[lang]
        assert present in text and title in text
        assert absent not in text


def test_sample_packets_switch_on_the_work_model(sample_pdfs, sample_company, sample_ids):
    words = {
        ("de", "telearbeit"): "Telearbeit im Sinne von § 2 Abs. 7",
        ("de", "mobile"): "Die Parteien vereinbaren mobile Arbeit",
        ("en", "telearbeit"): "The parties agree on telework",
        ("en", "mobile"): "The parties agree on mobile work",
    }
    seen = set()
    for eid in sample_ids:
        employee = sample_company.employee(eid)
        # The facts decide (a desktop at home most days is Telearbeit), not the column.
        model = effective_work_model(employee, sample_company.assets_of(eid))
        key = (employee.language, model)
        text = flat(sample_pdfs[eid].text)
        assert words[key] in text
        other = [v for k, v in words.items() if k[0] == key[0] and k != key][0]
        assert other not in text
        seen.add(key)
    assert {("de", "telearbeit"), ("en", "telearbeit")} <= seen


def test_no_template_syntax_and_no_none(sample_pdfs, sample_ids):
    for eid in sample_ids:
        for page in sample_pdfs[eid].pages:
            assert "{{" not in page and "{%" not in page and "}}" not in page
            assert not re.search(r"\bNone\b", page)


def test_page_count_and_numbering(sample_render, sample_pdfs, sample_company, sample_ids):
    _, report = sample_render
    for eid in sample_ids:
        lang = sample_company.employee(eid).language
        pdf = sample_pdfs[eid]
        assert 10 <= len(pdf.pages) <= 15
        records = [r for r in report.rendered if r.employee_id == eid]
        assert sum(r.page_count for r in records) == len(pdf.pages)
        word, of = ("Seite", "von") if lang == "de" else ("Page", "of")
        for record in records:
            first, last = (int(n) for n in record.pages.split("-"))
            for number in range(first, last + 1):
                page = flat(pdf.pages[number - 1])
                assert f"{word} {number - first + 1} {of} {record.page_count}" in page
                assert record.document_id in page


def test_pdfa_markers_fonts_and_metadata(sample_pdfs, sample_ids):
    for eid in sample_ids:
        pdf = sample_pdfs[eid]
        xmp = pdf.xmp()
        assert "<pdfaid:part>3</pdfaid:part>" in xmp
        assert "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
        root = pdf.reader.trailer["/Root"]
        intent = root["/OutputIntents"][0].get_object()
        assert intent["/S"] == "/GTS_PDFA1" and "/DestOutputProfile" in intent
        assert "/ID" in pdf.reader.trailer
        assert unembedded_fonts(pdf) == []
        info = pdf.reader.metadata
        assert info["/Producer"] in xmp and info["/Creator"] in xmp
        assert "/Filter" not in root["/Metadata"].get_object()
        assert pdf.path.read_bytes().startswith(b"%PDF-1.7")


def test_files_are_private_and_listed_in_the_manifest(sample_render, sample_ids):
    out, report = sample_render
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for name in ("manifest.json", "manifest.csv"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600
    manifest = read_manifest(out)
    assert len(manifest) == len(sample_ids) * len(DOCUMENTS)
    for record in manifest:
        path = out / record.pdf_path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert sha256_of(path) == record.sha256
        assert record.template_version and len(record.input_hash) == 64
    assert (out / "manifest.csv").read_text("utf-8").count("\n") == len(manifest) + 1
    assert not list(out.rglob("*.part"))


def test_naive_and_sheet_rendering_print_the_same_words(tmp_path, sample_company, templates):
    eid = "E0011"
    fast = render_agreements(
        sample_company, [eid], out_dir=tmp_path / "fast", templates=templates, today=TODAY
    )
    naive = render_agreements(
        sample_company,
        [eid],
        out_dir=tmp_path / "naive",
        templates=templates,
        today=TODAY,
        engine="naive",
    )
    assert fast.failures == naive.failures == []
    a = read_pdf(tmp_path / "fast" / fast.rendered[0].pdf_path)
    b = read_pdf(tmp_path / "naive" / naive.rendered[0].pdf_path)
    assert len(a.pages) == len(b.pages)
    for page_a, page_b in zip(a.pages, b.pages, strict=True):
        assert sorted(page_a.split()) == sorted(page_b.split())
    assert naive.pages_laid_out == len(b.pages)
    assert fast.pages_laid_out > 0


# -- odd names, bad data -----------------------------------------------------------------

LONG_NAME = "Maximiliane-Aurelia " + "Xylophon" * 24  # 212 characters


def test_injection_and_odd_names_render_literally(tmp_path, synthetic_company, templates):
    names = ["O'Brien", "Müller-Lüdenscheidt", "<script>alert(1)</script>", "{{ 7*7 }}", LONG_NAME]
    staff = synthetic_company.employees[: len(names)]
    employees = [replace(e, last_name=name) for e, name in zip(staff, names, strict=True)]
    company = with_employees(synthetic_company, employees)
    report = render_agreements(
        company, [e.employee_id for e in employees], out_dir=tmp_path, templates=templates
    )
    assert report.failures == []
    ids = [e.employee_id for e in employees]
    for employee in employees:
        path = packet_path(tmp_path, employee.employee_id, employee.language)
        check_packet_content(path, company, employee.employee_id, ids)
        pdf = read_pdf(path)
        if employee.last_name == LONG_NAME:
            assert squeezed(employee.full_name) in squeezed(pdf.text)
        else:
            assert employee.full_name in flat(pdf.text)
        if employee.last_name == "{{ 7*7 }}":
            assert " 49" not in flat(pdf.text).replace("+49", "")


def test_missing_field_stops_only_that_employee(tmp_path, synthetic_company, templates):
    good, bad = synthetic_company.employees[0], synthetic_company.employees[1]
    company = with_employees(synthetic_company, [good, replace(bad, home_office_start=None)])
    report = render_agreements(
        company, [good.employee_id, bad.employee_id], out_dir=tmp_path, templates=templates
    )
    assert report.employees_rendered == [good.employee_id]
    assert [f.employee_id for f in report.failures] == [bad.employee_id]
    failure = report.failures[0]
    assert failure.field == "employee.home_office_start"
    assert failure.template.endswith(".html") and failure.line > 0
    assert "home_office_start" in failure.reason
    assert not packet_path(tmp_path, bad.employee_id, bad.language).exists()
    assert packet_path(tmp_path, good.employee_id, good.language).exists()


def test_employee_without_devices_is_listed_not_rendered(tmp_path, synthetic_company, templates):
    first = synthetic_company.employees[0]
    company = with_employees(
        synthetic_company,
        list(synthetic_company.employees),
        [a for a in synthetic_company.assets if a.employee_id != first.employee_id],
    )
    report = render_agreements(company, [first.employee_id], out_dir=tmp_path, templates=templates)
    assert [f.employee_id for f in report.failures] == [first.employee_id]
    assert not list(tmp_path.glob("*.pdf"))


# -- incremental runs ----------------------------------------------------------------------


def test_rerun_renders_nothing_and_a_change_renders_only_that_packet(
    tmp_path, synthetic_company, templates
):
    ids = [e.employee_id for e in synthetic_company.employees[:3]]
    first = render_agreements(
        synthetic_company, ids, out_dir=tmp_path, templates=templates, today=TODAY
    )
    assert first.employees_rendered == sorted(ids)
    lang = {eid: synthetic_company.employee(eid).language for eid in ids}
    stamps = {eid: packet_path(tmp_path, eid, lang[eid]).stat().st_mtime_ns for eid in ids}

    again = render_agreements(
        synthetic_company, ids, out_dir=tmp_path, templates=templates, today=TODAY + dt.timedelta(1)
    )
    assert again.rendered == [] and again.employees_unchanged == sorted(ids)
    assert again.pages_laid_out == 0

    changed = synthetic_company.employees[1]
    moved = replace(changed, address=replace(changed.address, street="Neue Straße 1"))
    employees = [
        moved if e.employee_id == changed.employee_id else e for e in synthetic_company.employees
    ]
    company = with_employees(synthetic_company, employees)
    third = render_agreements(company, ids, out_dir=tmp_path, templates=templates, today=TODAY)
    assert third.employees_rendered == [changed.employee_id]
    assert sorted(third.employees_unchanged) == sorted(set(ids) - {changed.employee_id})
    assert {r.employee_id for r in third.superseded} == {changed.employee_id}
    old = third.superseded[0]
    assert old.status == "superseded" and old.pdf_path.startswith("superseded/")
    assert sha256_of(tmp_path / old.pdf_path) == old.sha256
    new_path = tmp_path / third.rendered[0].pdf_path
    assert "Neue Straße 1" in flat(read_pdf(new_path).text)
    for eid in set(ids) - {changed.employee_id}:
        assert packet_path(tmp_path, eid, lang[eid]).stat().st_mtime_ns == stamps[eid]
    manifest = {(r.employee_id, r.document): r for r in read_manifest(tmp_path)}
    assert manifest[(changed.employee_id, "home-office")].sha256 == third.rendered[0].sha256
    assert len(manifest) == len(ids) * len(DOCUMENTS)


def test_template_change_renders_again(tmp_path, synthetic_company, templates_copy):
    eid = synthetic_company.employees[0].employee_id
    first = render_agreements(synthetic_company, [eid], out_dir=tmp_path, templates=templates_copy)
    css = templates_copy / "style.css"
    css.write_text(css.read_text("utf-8") + "\n/* HR changed a colour */\n", "utf-8")
    second = render_agreements(synthetic_company, [eid], out_dir=tmp_path, templates=templates_copy)
    assert second.employees_rendered == [eid]
    assert second.rendered[0].template_version != first.rendered[0].template_version


def test_interrupted_batch_leaves_no_partial_pdf_and_resumes(
    tmp_path, synthetic_company, templates
):
    ids = [e.employee_id for e in synthetic_company.employees[:4]]
    done = []

    def stop_after_two(progress):
        done.append(progress.employee_id)
        if len(done) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        render_agreements(
            synthetic_company,
            ids,
            out_dir=tmp_path,
            templates=templates,
            progress=stop_after_two,
            batch_size=2,
        )
    pdfs = sorted(tmp_path.glob("*.pdf"))
    assert len(pdfs) == 2
    for path in pdfs:
        PdfReader(str(path)).pages[-1].extract_text()
    assert not list(tmp_path.rglob("*.part"))
    assert {r.employee_id for r in read_manifest(tmp_path)} == set(done)

    resumed = render_agreements(synthetic_company, ids, out_dir=tmp_path, templates=templates)
    assert resumed.employees_unchanged == sorted(done)
    assert resumed.employees_rendered == sorted(set(ids) - set(done))


@pytest.mark.slow
def test_killed_batch_leaves_only_whole_pdfs(tmp_path, synthetic_company):
    inventory = tmp_path / "inventory"
    out = tmp_path / "out"
    from remoteops.synthetic import write_company

    write_company(inventory, employees=6, seed=11)
    script = textwrap.dedent(
        f"""
        from remoteops.contracts import render_agreements
        from remoteops.inventory import load_company
        company = load_company({str(inventory)!r})
        ids = [e.employee_id for e in company.employees if e.scheduled_for_home_office]
        render_agreements(company, ids, out_dir={str(out)!r}, batch_size=1)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    process = subprocess.Popen([sys.executable, "-c", script], env=env)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not list(out.glob("*.pdf")):
            time.sleep(0.05)
        assert list(out.glob("*.pdf")), "the batch wrote nothing before the deadline"
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    for path in out.glob("*.pdf"):
        reader = PdfReader(str(path), strict=True)
        assert len(reader.pages) >= 10
    from remoteops.inventory import load_company

    company = load_company(inventory)
    ids = [e.employee_id for e in company.employees if e.scheduled_for_home_office]
    report = render_agreements(company, ids, out_dir=out)
    assert report.failures == []
    assert not list(out.rglob("*.part"))
    assert {p.name for p in out.glob("*.pdf")} == {
        packet_path(out, eid, company.employee(eid).language).name for eid in ids
    }


# -- options and the sandbox at PDF level --------------------------------------------------


def test_one_file_per_document_and_packet_numbering(tmp_path, synthetic_company, templates):
    employee = synthetic_company.employees[0]
    split = render_agreements(
        synthetic_company,
        [employee.employee_id],
        out_dir=tmp_path / "split",
        templates=templates,
        split=True,
    )
    assert len({r.pdf_path for r in split.rendered}) == len(DOCUMENTS)
    for record in split.rendered:
        eid, lang = employee.employee_id, employee.language
        assert record.pdf_path == f"{eid}/{eid}-{record.document}-{lang}.pdf"
        assert len(read_pdf(tmp_path / "split" / record.pdf_path).pages) == record.page_count

    packet = render_agreements(
        synthetic_company,
        [employee.employee_id],
        out_dir=tmp_path / "packet",
        templates=templates,
        page_numbers="packet",
    )
    pdf = read_pdf(tmp_path / "packet" / packet.rendered[0].pdf_path)
    total = len(pdf.pages)
    word, of = ("Seite", "von") if employee.language == "de" else ("Page", "of")
    assert f"{word} {total} {of} {total}" in flat(pdf.pages[-1])
    assert f"{word} 3 {of} {total}" in flat(pdf.pages[2])


def test_resources_outside_the_templates_folder_are_refused(
    tmp_path, synthetic_company, templates_copy
):
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }", "utf-8")
    base = templates_copy / "base.html"
    base.write_text(
        base.read_text("utf-8").replace(
            '<link rel="stylesheet" href="style.css">',
            '<link rel="stylesheet" href="style.css">'
            f'<link rel="stylesheet" href="{secret.as_uri()}">',
        ),
        "utf-8",
    )
    employee = synthetic_company.employees[0]
    with pytest.raises(TemplateError, match="secret.css"):
        render_agreements(
            synthetic_company,
            [employee.employee_id],
            out_dir=tmp_path / "out",
            templates=TemplateSet(templates_copy),
        )
    assert not list((tmp_path / "out").glob("*.pdf"))


def test_manifest_json_is_readable_by_scripts(sample_render):
    out, _ = sample_render
    data = json.loads((out / "manifest.json").read_text("utf-8"))
    assert data["format"] == 1
    row = data["documents"][0]
    assert set(row) >= {
        "employee_id",
        "document",
        "language",
        "template_version",
        "sha256",
        "generated_at",
    }


def test_no_part_empty_pages_inside_a_document(sample_render, sample_company, sample_ids):
    """Sections of a document flow on; only the last page of a document may end early
    (every document starts on a new page, the annex and the letter's enclosure too).
    With a forced break between sheets, pages were filled to 37-61 %."""
    out, report = sample_render
    for eid in sample_ids:
        records = [r for r in report.rendered if r.employee_id == eid]
        fills = page_fill(out / records[0].pdf_path)
        for record in records:
            first, last = (int(n) for n in record.pages.split("-"))
            for number in range(first, last):
                assert fills[number - 1] >= 0.65, (
                    f"{eid} {record.document}: page {number} is filled to "
                    f"{fills[number - 1]:.0%} only"
                )
