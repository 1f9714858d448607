"""The templates and their sandbox: checks, versions, missing fields, guards, odd names."""

from __future__ import annotations

import html
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remoteops.contracts import (
    DOCUMENTS,
    DocumentGuardError,
    TemplateError,
    TemplateFieldError,
    TemplateSet,
    check_templates,
    load_templates,
)
from remoteops.contracts.render import document_context
from remoteops.contracts.samples import sample_company


def _render_all(templates: TemplateSet, company, employee, lang="de"):
    base = templates.base_context(company, employee, lang=lang)
    return {
        doc: templates.render_document(
            doc, document_context(base, doc, "0" * 64), employee_id=employee.employee_id
        )
        for doc in DOCUMENTS
    }


@pytest.mark.slow
def test_bundled_templates_pass_the_check():
    assert check_templates() == []


def test_every_document_exists_in_both_languages(templates):
    assert set(templates.languages) >= {"de", "en"}
    for lang in ("de", "en"):
        for doc in DOCUMENTS:
            assert (templates.directory / lang / f"{doc}.html").is_file()


def test_check_reports_a_missing_document(templates_copy: Path):
    (templates_copy / "en" / "equipment-loan.html").unlink()
    problems = check_templates(templates_copy)
    assert [p.file for p in problems] == ["en/equipment-loan.html"]
    with pytest.raises(TemplateError, match="en/equipment-loan.html"):
        load_templates(templates_copy)


def test_check_reports_a_syntax_error_with_its_line(templates_copy: Path):
    path = templates_copy / "de" / "home-office.html"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(20, "{% if employee.team %}unclosed")
    path.write_text("\n".join(lines), encoding="utf-8")
    problems = check_templates(templates_copy)
    assert problems and problems[0].file == "de/home-office.html"
    assert "syntax error" in problems[0].message


def test_check_names_an_unknown_field(templates_copy: Path):
    path = templates_copy / "en" / "data-protection.html"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("{{ employee.team }}", "{{ employee.shoe_size }}"), "utf-8")
    expected_line = next(
        n for n, line in enumerate(path.read_text("utf-8").splitlines(), 1) if "shoe_size" in line
    )
    problems = check_templates(templates_copy)
    assert len(problems) == 1
    assert (problems[0].file, problems[0].row, problems[0].field) == (
        "en/data-protection.html",
        expected_line,
        "employee.shoe_size",
    )


def test_template_version_follows_the_files(templates_copy: Path):
    before = TemplateSet(templates_copy)
    de, en = before.version("de"), before.version("en")
    (templates_copy / "de" / "setup-letter.html").write_text(
        (templates_copy / "de" / "setup-letter.html").read_text("utf-8") + "\n", "utf-8"
    )
    after = TemplateSet(templates_copy)
    assert after.version("de") != de
    assert after.version("en") == en  # a German edit does not touch English documents
    (templates_copy / "style.css").write_text("/* changed */\n", "utf-8")
    assert TemplateSet(templates_copy).version("en") != en


def test_missing_field_names_template_line_and_field(templates):
    company, employee = sample_company()
    employee = replace(employee, home_office_start=None)
    with pytest.raises(TemplateFieldError) as caught:
        _render_all(templates, company, employee)
    error = caught.value
    assert error.field == "employee.home_office_start"
    assert error.employee_id == employee.employee_id
    assert error.template.startswith("de/")
    source = (templates.directory / error.template).read_text("utf-8").splitlines()
    assert "home_office_start" in source[error.line - 1]
    assert "home_office_start" in str(error) and f"line {error.line}" in str(error)


def test_blank_required_value_is_missing_not_printed(templates):
    company, employee = sample_company()
    employee = replace(employee, address=replace(employee.address, street="   "))
    with pytest.raises(TemplateFieldError) as caught:
        _render_all(templates, company, employee)
    assert caught.value.field == "employee.address.street"


def test_optional_value_may_be_absent_but_not_printed_unchecked(templates_copy: Path):
    company, employee = sample_company(works_agreement=None)
    templates = TemplateSet(templates_copy)
    rendered = _render_all(templates, company, employee)  # the bundled ones check with {% if %}
    assert "keine" in rendered["home-office"].html
    path = templates_copy / "de" / "data-protection.html"
    path.write_text(
        path.read_text("utf-8").replace("<h2>4. Drucken", "{{ company.works_agreement }}<h2>4. X"),
        "utf-8",
    )
    with pytest.raises(TemplateFieldError) as caught:
        _render_all(TemplateSet(templates_copy), company, employee)
    assert caught.value.field == "company.works_agreement"


def test_sandbox_refuses_python_internals(templates_copy: Path):
    path = templates_copy / "de" / "setup-letter.html"
    path.write_text(
        path.read_text("utf-8").replace(
            "<p>Wir wünschen", "{{ employee.__class__.__mro__[1].__subclasses__() }}<p>Wir"
        ),
        "utf-8",
    )
    company, employee = sample_company()
    with pytest.raises(TemplateFieldError):
        _render_all(TemplateSet(templates_copy), company, employee)


def test_guard_refuses_leftover_template_syntax(templates_copy: Path):
    path = templates_copy / "en" / "setup-letter.html"
    path.write_text(
        path.read_text("utf-8").replace(
            "<p>We wish you", "{% raw %}{{ employee.first_name }}{% endraw %}<p>We wish you"
        ),
        "utf-8",
    )
    company, employee = sample_company()
    with pytest.raises(DocumentGuardError, match=r"\{\{"):
        _render_all(TemplateSet(templates_copy), company, employee, lang="en")


def test_guard_refuses_the_word_none(templates_copy: Path):
    path = templates_copy / "de" / "equipment-loan.html"
    path.write_text(
        path.read_text("utf-8").replace("<h2>§ 3 Eigentum</h2>", "<h2>§ 3 Eigentum None</h2>"),
        "utf-8",
    )
    company, employee = sample_company()
    with pytest.raises(DocumentGuardError, match="None"):
        _render_all(TemplateSet(templates_copy), company, employee)


ODD_NAMES = [
    "O'Brien",
    "Müller-Lüdenscheidt",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "{% if true %}x{% endif %}",
    'Ørsted & Söhne "Quote"',
]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_odd_names_are_escaped_and_literal(templates, name):
    company, employee = sample_company()
    employee = replace(employee, last_name=name)
    rendered = _render_all(templates, company, employee)
    letter = rendered["setup-letter"].html
    assert "<script>" not in letter
    assert html.unescape(letter).count(f"{employee.first_name} {name}") >= 1
    assert "49" not in html.unescape(letter).replace("+49", "")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\x00"
        ),
        min_size=1,
        max_size=60,
    ).filter(lambda s: s.strip() and s.strip() != "None")
)
def test_any_name_renders_literally_or_fails_by_name(templates, name):
    company, employee = sample_company()
    employee = replace(employee, first_name=name)
    rendered = _render_all(templates, company, employee)
    for document in rendered.values():
        for sheet in document.sheets:
            assert "{{" not in sheet and "{%" not in sheet
    text = html.unescape(rendered["home-office"].html)
    assert f"{name} {employee.last_name}" in text


@pytest.mark.slow
def test_shared_subfolders_are_not_languages_but_count_for_the_version(templates_copy: Path):
    before = TemplateSet(templates_copy).version("de")
    (templates_copy / "images").mkdir()
    (templates_copy / "images" / "logo.svg").write_text("<svg/>", "utf-8")
    templates = TemplateSet(templates_copy)
    assert templates.languages == ("de", "en")
    assert templates.version("de") != before
    assert check_templates(templates_copy) == []
