"""Clauses that hold up and fit a call-centre agent (issue 11 part 2), read back from real
packets: the work model follows the facts, the costs clause prints the company's allowance,
the information sheet names only configured processing, and the gaps show in status."""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace

import pytest
from conftest import TODAY, with_employees
from pdfcheck import check_pdfs_under, flat, read_pdf

from remoteops.contracts import packet_path, render_agreements
from remoteops.contracts.render import document_context
from remoteops.models import DataProtectionSettings, HomeOfficeAllowance, Wording

#: Sample employees (see conftest.sample_company): German Telearbeit, German "mobile" with
#: a desktop and two monitors at home five days a week, English Telearbeit.
DE_TELEWORK, DE_MOBILE_DESKTOP, EN_TELEWORK = "E0001", "E0007", "E0011"


def text_of(sample_pdfs, eid: str) -> str:
    return flat(sample_pdfs[eid].text)


@pytest.fixture(scope="module")
def bare_company(sample_company):
    """The sample company without any of the new settings, with a genuinely mobile German
    agent (two home days) and the English agent."""
    details = replace(
        sample_company.details,
        home_office_allowance=None,
        data_protection=DataProtectionSettings(),
        signatory=None,
    )
    mobile = replace(sample_company.employee(DE_MOBILE_DESKTOP), home_days_per_week=2)
    english = sample_company.employee(EN_TELEWORK)
    company = with_employees(sample_company, [mobile, english])
    return replace(company, details=details)


@pytest.fixture(scope="module")
def bare_pdfs(tmp_path_factory, bare_company, templates):
    out = tmp_path_factory.mktemp("bare-packets")
    ids = [e.employee_id for e in bare_company.employees]
    render_agreements(bare_company, ids, out_dir=out, templates=templates, today=TODAY)
    check_pdfs_under(out)
    return {
        e.employee_id: flat(read_pdf(packet_path(out, e.employee_id, e.language)).text)
        for e in bare_company.employees
    }


def html_of(templates, company, employee, document: str, lang: str) -> str:
    """One rendered document as plain text (tags dropped): for variants that need no PDF."""
    base = templates.base_context(company, employee, lang=lang)
    rendered = templates.render_document(
        document, document_context(base, document, "0" * 64), employee_id=employee.employee_id
    )
    return flat(html.unescape(re.sub(r"<[^>]+>", " ", rendered.html)))


# -- 1. the work model follows the facts ---------------------------------------------------
@pytest.mark.slow
def test_mobile_agent_with_a_desktop_at_home_gets_telearbeit(sample_pdfs, sample_company):
    employee = sample_company.employee(DE_MOBILE_DESKTOP)
    assert employee.work_model == "mobile" and employee.home_days_per_week >= 4
    text = text_of(sample_pdfs, DE_MOBILE_DESKTOP)
    assert "gilt insoweit nicht" not in text
    assert "Zusatzvereinbarung über Telearbeit" in text
    assert "Telearbeit im Sinne von § 2 Abs. 7" in text
    assert "vereinbaren mobile Arbeit" not in text


@pytest.mark.slow
def test_genuine_mobile_work_does_not_deny_the_arbstaettv(bare_pdfs):
    text = bare_pdfs[DE_MOBILE_DESKTOP]
    assert "Die Parteien vereinbaren mobile Arbeit" in text
    assert "gilt insoweit nicht" not in text
    assert "ArbStättV nach Maßgabe von § 1 Abs. 3" in text


def test_check_warns_about_mobile_with_a_desktop(cli, small_company):
    from companyfiles import read_rows, write_rows

    assets = read_rows(small_company / "assets.csv")
    owners = {a["employee_id"] for a in assets if a["type"] == "pc"} & {
        a["employee_id"] for a in assets if a["type"] == "monitor"
    }
    rows = read_rows(small_company / "employees.csv")
    index = next(i for i, r in enumerate(rows) if r["employee_id"] in owners)
    rows[index].update(work_model="mobile", home_days_per_week="5")
    write_rows(small_company / "employees.csv", rows)
    eid = rows[index]["employee_id"]

    result = cli("-i", small_company, "check")
    assert result.exit_code == 0, result.output
    warning = next(
        line for line in result.output.splitlines() if "work_model" in line and eid in line
    )
    assert f"employees.csv:{index + 2}" in warning
    assert "Telearbeitsplatz" in warning and "Set work_model to telearbeit" in warning

    rows[index].update(home_days_per_week="2")
    write_rows(small_company / "employees.csv", rows)
    again = cli("-i", small_company, "check")
    assert not [line for line in again.output.splitlines() if "work_model" in line and eid in line]


# -- 2. costs: the allowance from company.yml ----------------------------------------------
@pytest.mark.slow
def test_allowance_is_printed_in_both_languages(sample_pdfs):
    de = text_of(sample_pdfs, DE_TELEWORK)
    assert "monatliche Pauschale von 30 EUR" in de
    assert "Strom, Heizung, Raumnutzung" in de
    assert "mit der Vergütung abgegolten" not in de
    en = text_of(sample_pdfs, EN_TELEWORK)
    assert "monthly flat amount of EUR 30" in en
    assert "covered by the salary" not in en


@pytest.mark.slow
def test_without_an_allowance_expenses_are_reimbursed_on_proof(bare_pdfs):
    de = bare_pdfs[DE_MOBILE_DESKTOP]
    assert "entsprechend § 670 BGB" in de and "auf Nachweis" in de
    assert "abgegolten" not in de and "Pauschale von" not in de
    en = bare_pdfs[EN_TELEWORK]
    assert "against receipts" in en and "flat amount of EUR" not in en


def test_allowance_none_reason_is_printed(templates, sample_company):
    reason = Wording("Der Arbeitnehmer arbeitet freiwillig zu Hause.", "It is voluntary.")
    details = replace(
        sample_company.details, home_office_allowance=HomeOfficeAllowance(none_reason=reason)
    )
    company = replace(sample_company, details=details)
    employee = company.employee(DE_TELEWORK)
    de = html_of(templates, company, employee, "home-office", "de")
    assert "Grund: Der Arbeitnehmer arbeitet freiwillig zu Hause." in de
    assert "§ 670 BGB" in de
    en = html_of(templates, company, employee, "home-office", "en")
    assert "Reason: It is voluntary." in en


# -- 3. the information sheet: only what is configured -------------------------------------
@pytest.mark.slow
def test_information_sheet_names_the_configured_agent_data(sample_pdfs):
    # On the information sheet itself, not somewhere else in the packet.
    de = text_of(sample_pdfs, DE_TELEWORK).split("Anlage: Informationsblatt")[1]
    for words in (
        "Status in der Telefonanlage (ACD)",
        "Gesprächs- und Bearbeitungszeiten",
        "Gesprächsaufzeichnung",
        "Silent Monitoring",
        "30 Tage, danach gelöscht",
        "Einwilligung, jederzeit widerruflich",
        "außerhalb der EU oder des EWR findet nicht statt",
        "Kamera werden nicht aufgezeichnet",
    ):
        assert words in de, words
    en = text_of(sample_pdfs, EN_TELEWORK).split("Annex: Information sheet")[1]
    assert "Call recording" in en and "silent monitoring" in en
    assert "30 days, then deleted" in en


@pytest.mark.slow
def test_information_sheet_claims_nothing_unconfigured(bare_pdfs):
    de = bare_pdfs[DE_MOBILE_DESKTOP]
    for words in (
        "Gesprächsaufzeichnung",
        "Silent Monitoring",
        "Telefonanlage (ACD)",
        "außerhalb der EU",
        "Kamera werden nicht aufgezeichnet",
    ):
        assert words not in de, words
    assert "VPN-Protokolle" in de  # the processing that always happens stays
    en = bare_pdfs[EN_TELEWORK]
    assert "Call recording" not in en and "outside the EU" not in en
    assert "camera are not recorded" not in en


# -- 7. active employees without a start date show in status -------------------------------
def test_status_lists_active_employees_without_a_start_date(cli, sample_company, tmp_path):
    from companyfiles import SAMPLE

    gaps = [
        e.employee_id
        for e in sample_company.employees
        if e.status == "active" and e.home_office_start is None
    ]
    assert len(gaps) == 7
    result = cli("-i", SAMPLE, "contracts", "status", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    listed = [r["employee_id"] for r in rows if r["status"] == "not scheduled"]
    assert listed == gaps
    table = cli("-i", SAMPLE, "contracts", "status").stdout
    assert "7 active employee(s) not scheduled" in table


# -- 4. equipment: storage that fits a desktop, no excluded right to withhold ---------------
@pytest.mark.slow
def test_equipment_storage_and_possession_wording(sample_pdfs):
    de = text_of(sample_pdfs, DE_TELEWORK)
    assert "verschlossen aufbewahrt" not in de
    assert "schließt er sie ab" in de and "sperrt er den Bildschirm" in de
    assert "Zurückbehaltungsrecht" not in de
    assert "keinen eigenen Besitz" in de and "§ 855 BGB" in de
    en = text_of(sample_pdfs, EN_TELEWORK)
    assert "locked away" not in en and "right to withhold" not in en
    assert "lends" not in en and "provides the Employee with the following" in en


# -- 5. language ------------------------------------------------------------------------------
@pytest.mark.slow
def test_ranges_and_weekdays_in_each_language(sample_pdfs):
    de = text_of(sample_pdfs, DE_TELEWORK)
    assert "Mo.–Fr. 08:00–18:00" in de and "09:00–16:00 Uhr" in de
    assert "Mo-Fr" not in de and "08:00-18:00" not in de
    en = text_of(sample_pdfs, EN_TELEWORK)
    assert "Mon–Fri 08:00–18:00" in en
    assert "Mo-Fr" not in en and "Mo.–Fr." not in en


def test_hours_text_rules():
    from remoteops.contracts.context import hours_text

    assert hours_text("Mo-Fr 08:00-18:00", "de") == "Mo.–Fr. 08:00–18:00"
    assert hours_text("Mon - Fri 8-18, Sa 10:00-14:00", "en") == "Mon–Fri 8–18, Sat 10:00–14:00"
    assert hours_text("IT-Service Mo-Do", "de") == "IT-Service Mo.–Do."


@pytest.mark.slow
def test_german_pronoun_and_english_salutation(sample_pdfs, sample_company):
    de = text_of(sample_pdfs, DE_TELEWORK)
    assert "An Bürotagen arbeitet der Arbeitnehmer im Betrieb" in de
    en = text_of(sample_pdfs, EN_TELEWORK)
    name = sample_company.employee(EN_TELEWORK).full_name
    assert f"Dear {name}, From " in en


# -- 6. letterhead details and named signatories ---------------------------------------------
@pytest.mark.slow
def test_letterhead_names_register_and_signatories(sample_pdfs, sample_company):
    de = text_of(sample_pdfs, DE_TELEWORK)
    assert "Sitz: Berlin · Amtsgericht Charlottenburg, HRB 214365 B" in de
    assert "Geschäftsführerin, für den Arbeitgeber Hauptstadt Kundenservice GmbH" in de
    closing = de.split("Abschluss der Vereinbarung")[1]
    assert "Dr. Katharina Brenner" in closing
    assert sample_company.employee(DE_TELEWORK).full_name in closing
    en = text_of(sample_pdfs, EN_TELEWORK)
    assert "Registered office: Berlin · Amtsgericht Charlottenburg, HRB 214365 B" in en
    assert "Managing Director, for the Employer" in en
    assert (
        sample_company.employee(EN_TELEWORK).full_name in en.split("Conclusion of the agreement")[1]
    )


@pytest.mark.slow
def test_without_a_signatory_the_managing_director_signs(bare_pdfs, bare_company):
    de = bare_pdfs[DE_MOBILE_DESKTOP]
    director = bare_company.details.managing_director
    assert "Geschäftsführung, für den Arbeitgeber" in de
    assert director in de.split("Abschluss der Vereinbarung")[1]


def _text_span(textpage, words: str) -> tuple[float, float, float] | None:
    """(left, right, bottom) of the first occurrence of ``words`` on a page (PDFium)."""
    searcher = textpage.search(words, match_case=True)
    found = searcher.get_next()
    searcher.close()
    if not found:
        return None
    start, count = found
    first = textpage.get_charbox(start)
    last = textpage.get_charbox(start + count - 1)
    return first[0], last[2], first[1]


@pytest.mark.slow
def test_device_table_headers_do_not_run_into_each_other(sample_render, sample_company):
    import pypdfium2

    out, _ = sample_render
    path = packet_path(out, DE_TELEWORK, sample_company.employee(DE_TELEWORK).language)
    headers = ["Nr.", "Gerät", "Seriennummer", "Inventarnummer", "Zubehör", "Zustand", "Kartons"]
    document = pypdfium2.PdfDocument(str(path))
    try:
        for index in range(len(document)):
            textpage = document[index].get_textpage()
            spans = [_text_span(textpage, words) for words in headers]
            if all(spans):  # the page with the device table
                break
        else:
            pytest.fail("device table header row not found")
    finally:
        document.close()
    for index in range(len(headers) - 1):
        # a gap of at least the cell padding between one header and the next
        right, next_left = spans[index][1], spans[index + 1][0]
        assert right + 2 < next_left, f"{headers[index]} runs into {headers[index + 1]}"
