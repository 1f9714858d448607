"""The PDFs as strict readers see them: qpdf, PDFium (Chrome/Edge) and Poppler.

Every test in this folder also has its PDFs checked by the autouse fixture in conftest.py;
these tests add the pixel comparison, split documents and the parts of the assembly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import TODAY
from contracts_pdf import check_packet_content
from pdfcheck import (
    ARTIFACTS,
    check_pdf,
    compare_renderings,
    font_problems,
    image_difference,
    pdfium_images,
    poppler_pages,
    qpdf_problems,
    read_pdf,
)
from pypdf import PdfReader

from remoteops.contracts import DOCUMENTS, packet_path, render_agreements
from remoteops.contracts import pdf as pdf_module
from remoteops.contracts.pdf import (
    _stamp_font_pdf,
    field_ancestors,
    find_stamp_font,
    keyword_values,
    load_stamp_font,
    make_sheet,
)


@pytest.mark.slow
def test_sample_packets_look_the_same_in_pdfium_and_poppler(
    request, sample_render, sample_company, sample_ids
):
    out, _ = sample_render
    artifacts = ARTIFACTS / request.node.name
    for eid in sample_ids:
        path = packet_path(out, eid, sample_company.employee(eid).language)
        check_packet_content(path, sample_company, eid, sample_ids)
        for page in (1, 2):
            compare_renderings(path, artifacts, page=page)


@pytest.mark.slow
def test_split_documents_pass_the_strict_checks(tmp_path, request, synthetic_company, templates):
    employees = synthetic_company.employees[:2]
    ids = [e.employee_id for e in employees]
    report = render_agreements(
        synthetic_company, ids, out_dir=tmp_path, templates=templates, split=True, today=TODAY
    )
    assert report.failures == []
    assert len({r.pdf_path for r in report.rendered}) == len(DOCUMENTS) * len(ids)
    for record in report.rendered:
        path = tmp_path / record.pdf_path
        pdf = check_pdf(path)
        employee = synthetic_company.employee(record.employee_id)
        text = re.sub(r"\s+", "", pdf.text)
        assert re.sub(r"\s+", "", employee.full_name) in text
        assert record.document_id in text
        other = next(e for e in employees if e.employee_id != record.employee_id)
        assert re.sub(r"\s+", "", other.full_name) not in text
        if record.document == "equipment-loan":
            for asset in synthetic_company.assets_of(record.employee_id):
                assert asset.serial_number in text and asset.asset_tag in text
        compare_renderings(path, ARTIFACTS / request.node.name)


@pytest.mark.slow
def test_packet_numbering_files_pass_the_strict_checks(tmp_path, synthetic_company, templates):
    employee = synthetic_company.employees[0]
    render_agreements(
        synthetic_company,
        [employee.employee_id],
        out_dir=tmp_path,
        templates=templates,
        page_numbers="packet",
    )
    pdf = check_pdf(packet_path(tmp_path, employee.employee_id, employee.language))
    total = len(pdf.pages)
    word, of = ("Seite", "von") if employee.language == "de" else ("Page", "of")
    assert f"{word} {total} {of} {total}" in pdf.pages[-1]


@pytest.mark.slow
def test_fast_and_naive_pages_look_alike(tmp_path, request, sample_company, templates):
    """The fields are laid out on their own, wrapped in their ancestors: they must come out
    in the same font, size and place as in a plain render of the whole sheet."""
    eid = "E0001"
    reports = {}
    for engine in ("sheets", "naive"):
        reports[engine] = render_agreements(
            sample_company,
            [eid],
            out_dir=tmp_path / engine,
            templates=templates,
            today=TODAY,
            engine=engine,
        )
    lang = sample_company.employee(eid).language
    images = {
        engine: pdfium_images(packet_path(tmp_path / engine, eid, lang))
        for engine in ("sheets", "naive")
    }
    assert len(images["sheets"]) == len(images["naive"])
    # The device table reserves two lines per row for the fields where naive needs one:
    # different row heights by design, so that document is not compared.
    compared = [
        number
        for record in reports["sheets"].rendered
        if record.document != "equipment-loan"
        for number in range(int(record.pages.split("-")[0]), int(record.pages.split("-")[1]) + 1)
    ]
    assert len(compared) >= 6
    for number in compared:
        fast, naive = images["sheets"][number - 1], images["naive"][number - 1]
        mean = image_difference(fast, naive)
        if mean > 0.8:
            folder = ARTIFACTS / request.node.name
            folder.mkdir(parents=True, exist_ok=True)
            fast.save(folder / f"page{number}-sheets.png")
            naive.save(folder / f"page{number}-naive.png")
        assert mean <= 0.8, f"page {number}: {mean:.2f}; see {ARTIFACTS / request.node.name}"


def test_the_old_assembly_defect_is_caught(tmp_path):
    """A form XObject written inside a dictionary (the defect of issue 11) fails the checks."""
    good = _stamp_font_pdf(load_stamp_font(find_stamp_font()))
    path = tmp_path / "good.pdf"
    path.write_bytes(good)
    assert qpdf_problems(path) == []
    broken = good.replace(
        b"/Resources << /Font",
        b"/Resources << /XObject << /X1 <</Length 3>>\nstream\nabc\nendstream >> /Font",
    )
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(broken)
    assert qpdf_problems(bad)
    bad.unlink()
    path.unlink()


def test_the_stamp_font_pdf_is_sound_and_tagged(tmp_path):
    font = load_stamp_font(find_stamp_font())
    path = tmp_path / "stamp-font.pdf"
    path.write_bytes(_stamp_font_pdf(font))
    assert qpdf_problems(path) == []
    reader = PdfReader(path)
    assert font_problems(reader) == []
    path.unlink()  # not a PDF remoteops writes: no PDF/A parts


@pytest.mark.slow
def test_one_subset_tag_per_font_program(sample_render, sample_company, sample_ids):
    out, _ = sample_render
    reader = PdfReader(
        packet_path(out, sample_ids[0], sample_company.employee(sample_ids[0]).language)
    )
    assert font_problems(reader) == []
    tags = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            tags.add(str(font.get_object()["/BaseFont"])[1:7])
    assert len(tags) >= 3  # the sheets' subsets, the fields' subsets, the stamp font


def test_field_ancestors_keep_classes_and_neutralise_boxes():
    form = (
        '<section class="sheet letter" data-header="H"><table class="devices"><tr>'
        '<td class="code" id="x"><div class="field field-slot" id="remoteops-field-0"></div>'
        "</td></tr></table><br><p>after</p></section>"
    )
    chain = field_ancestors(form)[0]
    assert [tag for tag, _ in chain] == ["section", "table", "tr", "td"]
    assert chain[0][1] == '<section data-header="H" class="sheet letter remoteops-chain">'
    assert chain[3][1] == '<td class="code remoteops-chain">'  # no ID: it stays unique
    assert "style=" not in "".join(start for _, start in chain)  # one rule in the CSS


def test_fields_carry_their_ancestors():
    html = (
        '<div class="party"><div class="field" data-lines="1"><!--field-->'
        "<strong>Ada</strong><!--/field--></div></div>"
    )
    sheet = make_sheet("de", "", html, "v1", "E1")
    assert "Ada" not in sheet.html
    assert sheet.fields == ((0, "<strong>Ada</strong>"),)
    assert sheet.chains == ((("div", '<div class="party remoteops-chain">'),),)


def test_pdf_module_uses_public_apis_only():
    source = Path(pdf_module.__file__).read_text("utf-8")
    for private in ("_add_object", "_page_box", "ctypes", "._objects", "_replace_object"):
        assert private not in source, private


@pytest.mark.slow
def test_fields_are_drawn_as_a_form_with_its_own_resources(
    sample_render, sample_company, sample_ids
):
    """The fields of a page come as one form XObject carrying the overlay's own resources:
    nothing merged into the page's resources, so no font renamed (merge_page renamed the
    clashing names, after parsing the overlay's content twice)."""
    out, _ = sample_render
    reader = PdfReader(
        packet_path(out, sample_ids[0], sample_company.employee(sample_ids[0]).language)
    )
    forms = 0
    for page in reader.pages:
        resources = page["/Resources"]
        fonts = resources["/Font"]
        assert not [name for name in fonts if "-" in name], "a font resource was renamed"
        for name, form in (resources.get("/XObject") or {}).items():
            form = form.get_object()
            assert name == "/RoFields" and form["/Subtype"] == "/Form"
            own = form["/Resources"]["/Font"]
            assert own, "the form has no fonts of its own"
            pages_fonts = {fonts.raw_get(k).idnum for k in fonts}
            assert not {own.raw_get(k).idnum for k in own} & pages_fonts
            assert b"/RoFields Do" in page.get_contents().get_data()
            forms += 1
    assert forms >= 3  # the letter, the addendum, the commitment, the loan


@pytest.mark.slow
def test_template_version_is_in_the_metadata_not_on_the_pages(
    sample_render, sample_company, sample_ids
):
    """Info dictionary (pypdf), XMP and PDFium agree on the keywords, which carry the
    manifest's template version and input hash; the pages show only the document ID."""
    import pypdfium2

    out, report = sample_render
    for eid in sample_ids:
        records = [r for r in report.rendered if r.employee_id == eid]
        path = out / records[0].pdf_path
        document = pypdfium2.PdfDocument(str(path))
        try:
            keywords = document.get_metadata_dict()["Keywords"]
        finally:
            document.close()
        assert keyword_values(keywords) == {
            "template-version": records[0].template_version,
            "input-hash": records[0].input_hash,
        }
        reader = PdfReader(str(path))
        assert reader.metadata["/Keywords"] == keywords
        assert f"<pdf:Keywords>{keywords}</pdf:Keywords>" in read_pdf(path).xmp()
        pages = poppler_pages(path)
        text = "".join(pages)
        assert records[0].template_version not in text
        assert "Vorlage" not in text and "Template " not in text
        for record in records:  # the short document ID stays in the footer of its pages
            first, last = (int(n) for n in record.pages.split("-"))
            for number in range(first, last + 1):
                assert record.document_id in pages[number - 1], (path, number)
