"""Rendering real packets and reading them back (PDFium, Poppler, qpdf; see pdfcheck)."""

from __future__ import annotations

import datetime as dt
import json
import re
import stat
from dataclasses import replace

import pytest
from conftest import TODAY, with_employees
from contracts_pdf import check_packet_content, page_fill
from pdfcheck import (
    ARTIFACTS,
    check_pdf,
    flat,
    font_problems,
    image_difference,
    pdfa_problems,
    pdfium_images,
    pdfium_lines,
    qpdf_problems,
    read_pdf,
    squeezed,
    unembedded_fonts,
    xmp_properties,
)
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


@pytest.mark.slow
def test_sample_packets_render_without_failures(sample_render, sample_ids):
    out, report = sample_render
    assert report.failures == []
    assert report.employees_rendered == sorted(sample_ids)
    assert {(r.employee_id, r.document) for r in report.rendered} == {
        (eid, doc) for eid in sample_ids for doc in DOCUMENTS
    }


@pytest.mark.slow
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


def _personal_values(company, employee) -> set[str]:
    """What identifies an employee in a packet: name, street, e-mail, phone, devices."""
    values = {
        employee.full_name,
        employee.address.street,
        employee.email,
        employee.phone,
    }
    for asset in company.assets_of(employee.employee_id):
        values |= {asset.serial_number, asset.asset_tag}
    return {v for v in values if v}


@pytest.mark.slow
def test_no_packet_carries_any_other_employees_data(sample_pdfs, sample_company, sample_ids):
    """Every other employee of the company (all of them, not only those rendered): none of
    their names, streets, e-mail addresses, phone numbers, serials or asset tags is in the
    packet, as PDFium reads it (values the employee shares with them excepted)."""
    for eid in sample_ids:
        employee = sample_company.employee(eid)
        own = _personal_values(sample_company, employee)
        text = squeezed(" ".join(sample_pdfs[eid].pages))
        company_text = squeezed(
            " ".join(
                str(v)
                for v in (
                    sample_company.details.legal_name,
                    sample_company.details.address.street,
                    sample_company.details.it_support.phone,
                    sample_company.details.hr_contact.phone,
                    sample_company.details.data_protection_officer.phone,
                )
            )
        )
        found = []
        others = [o for o in sample_company.employees if o.employee_id != eid]
        assert len(others) == len(sample_company.employees) - 1 > 100
        for other in others:
            for value in _personal_values(sample_company, other) - own:
                if squeezed(value) in text and squeezed(value) not in company_text:
                    found.append(f"{other.employee_id}: {value!r}")
        assert found == [], f"{eid}'s packet carries other employees' data: {found}"


@pytest.mark.slow
def test_sample_packets_are_in_the_right_language(sample_pdfs, sample_company, sample_ids):
    for eid in sample_ids:
        lang = sample_company.employee(eid).language
        text = flat(sample_pdfs[eid].text)
        present, title, absent = LANGUAGE_MARKERS[lang]
        assert present in text and title in text
        assert absent not in text


@pytest.mark.slow
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


@pytest.mark.slow
def test_no_template_syntax_and_no_none(sample_pdfs, sample_ids):
    for eid in sample_ids:
        for page in sample_pdfs[eid].pages:
            assert "{{" not in page and "{%" not in page and "}}" not in page
            assert not re.search(r"\bNone\b", page)


@pytest.mark.slow
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


@pytest.mark.slow
def test_packets_are_pdfa_3b_as_far_as_can_be_checked(sample_pdfs, sample_company, sample_ids):
    """qpdf --check clean, fonts embedded with one subset tag per program, the XMP parsed
    as XML saying PDF/A-3B and agreeing with the document info, one output intent with a
    sound sRGB profile, no encryption or scripts (pdfcheck.pdfa_problems names each)."""
    for eid in sample_ids:
        pdf = sample_pdfs[eid]
        raw = pdf.path.read_bytes()
        assert qpdf_problems(pdf.path) == []
        assert font_problems(pdf.reader) == [] and unembedded_fonts(pdf) == []
        assert pdfa_problems(pdf.reader, raw) == []
        xmp = xmp_properties(pdf.xmp())
        assert (xmp["pdfaid:part"], xmp["pdfaid:conformance"]) == ("3", "B")
        language = sample_company.employee(eid).language
        assert xmp["dc:language"] == language == pdf.reader.trailer["/Root"]["/Lang"]
        assert xmp["dc:creator"] == sample_company.details.legal_name
        assert xmp["dc:description"].split()[0] == eid
        assert raw.startswith(b"%PDF-1.7\n%")


@pytest.mark.slow
def test_the_pdfa_check_finds_what_breaks_pdfa(sample_pdfs, sample_ids, tmp_path):
    """The check above can fail: copies of a packet with the same bytes changed in place
    (so the file stays readable) are each refused, naming the problem."""
    raw = sample_pdfs[sample_ids[0]].path.read_bytes()
    damages = {
        b"<pdfaid:part>3</pdfaid:part>": (b"<pdfaid:part>2</pdfaid:part>", "not 3 B"),
        b"<xmp:CreatorTool>remoteops<": (b"<xmp:CreatorTool>remoteopz<", "xmp:CreatorTool"),
        b"<dc:format>application/pdf</dc:format>": (
            b"<dc:format>application/pdf</dc:formax>",
            "does not parse",
        ),
        b"/GTS_PDFA1": (b"/GTS_PDFX1", "0 PDF/A output intents"),
    }
    for original, (damaged, finding) in damages.items():
        assert raw.count(original) == 1, original
        path = tmp_path / "damaged.pdf"
        path.write_bytes(raw.replace(original, damaged))
        problems = pdfa_problems(PdfReader(str(path)), path.read_bytes())
        assert any(finding in p for p in problems), (original, problems)
        path.unlink()  # not a packet remoteops wrote: the autouse check must not see it
    binary = raw.index(b"\n%") + 2
    path = tmp_path / "damaged.pdf"
    path.write_bytes(raw[:binary] + b"abcd" + raw[binary + 4 :])
    assert any(
        "binary comment" in p for p in pdfa_problems(PdfReader(str(path)), path.read_bytes())
    )
    path.unlink()


@pytest.mark.slow
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


@pytest.mark.slow
def test_naive_and_sheet_rendering_show_the_same_pages(
    tmp_path, request, sample_company, templates
):
    """The fast engine (shared sheets, fields drawn on top) against a plain WeasyPrint render
    of each packet: PDFium shows the same lines on every page, and every page looks the
    same (the equipment loan's device table reserves two lines per row for the fields where
    naive needs one, so its pages are compared as text only)."""
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
    a = tmp_path / "fast" / fast.rendered[0].pdf_path
    b = tmp_path / "naive" / naive.rendered[0].pdf_path
    lines_a, lines_b = pdfium_lines(a), pdfium_lines(b)
    assert len(lines_a) == len(lines_b) == sum(r.page_count for r in fast.rendered)
    for number, (page_a, page_b) in enumerate(zip(lines_a, lines_b, strict=True), start=1):
        assert page_a == page_b, f"page {number} differs"
        assert len(page_a) > 5, f"page {number} is nearly empty"
    loan = next(r for r in fast.rendered if r.document == "equipment-loan")
    first_loan = int(loan.pages.split("-")[0])
    images_a, images_b = pdfium_images(a), pdfium_images(b)
    folder = ARTIFACTS / request.node.name
    for number, (image_a, image_b) in enumerate(zip(images_a, images_b, strict=True), start=1):
        if number >= first_loan:
            continue
        difference = image_difference(image_a, image_b)
        if difference > 0.8:
            folder.mkdir(parents=True, exist_ok=True)
            image_a.save(folder / f"page{number}-sheets.png")
            image_b.save(folder / f"page{number}-naive.png")
        assert difference <= 0.8, f"page {number} looks different ({difference:.2f}); {folder}"
    assert naive.pages_laid_out == len(lines_b)
    assert fast.pages_laid_out > 0


# -- odd names, bad data -----------------------------------------------------------------

LONG_NAME = "Maximiliane-Aurelia " + "Xylophon" * 24  # 212 characters


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_template_change_renders_again(tmp_path, synthetic_company, templates_copy):
    eid = synthetic_company.employees[0].employee_id
    first = render_agreements(synthetic_company, [eid], out_dir=tmp_path, templates=templates_copy)
    css = templates_copy / "style.css"
    css.write_text(css.read_text("utf-8") + "\n/* HR changed a colour */\n", "utf-8")
    second = render_agreements(synthetic_company, [eid], out_dir=tmp_path, templates=templates_copy)
    assert second.employees_rendered == [eid]
    assert second.rendered[0].template_version != first.rendered[0].template_version


@pytest.mark.slow
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
        pdf = check_pdf(path)
        assert len(pdf.pages) >= 10 and squeezed(pdf.pages[-1])
    assert not list(tmp_path.rglob("*.part"))
    assert {r.employee_id for r in read_manifest(tmp_path)} == set(done)

    resumed = render_agreements(synthetic_company, ids, out_dir=tmp_path, templates=templates)
    assert resumed.employees_unchanged == sorted(done)
    assert resumed.employees_rendered == sorted(set(ids) - set(done))


# A render killed (SIGKILL) in the middle: tests/contracts/test_output_safety.py runs the CLI
# and checks the PDFs, the state store and the manifest.


# -- options and the sandbox at PDF level --------------------------------------------------


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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
