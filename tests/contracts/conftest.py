"""Fixtures for the agreements tests: templates, companies, and packets rendered once."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import fields, replace
from pathlib import Path

import pytest
from companyfiles import SAMPLE
from pdfcheck import check_pdfs_under, read_pdf

from remoteops.contracts import load_templates, packet_path, render_agreements
from remoteops.contracts.templates import default_templates_dir
from remoteops.inventory import load_company
from remoteops.models import Company, Employee
from remoteops.synthetic import write_company

#: From the bundled sample company: German telework, German "mobile" with a desktop at home
#: (see sample_company), English telework and one more German; sample_ids adds an English
#: mobile worker, so both languages and both work models render.
SAMPLE_EMPLOYEES = ("E0001", "E0007", "E0011", "E0002")
#: Set to "mobile" in the column although a desktop and monitors are at home five days a week.
MOBILE_WITH_DESKTOP = "E0007"
TODAY = dt.date(2026, 11, 20)


def with_employees(company: Company, employees: list[Employee], assets=None) -> Company:
    """A copy of ``company`` with other employees (and assets)."""
    indexes = {f.name: {} for f in fields(Company) if f.name.startswith("_")}
    return replace(
        company,
        employees=tuple(employees),
        assets=company.assets if assets is None else tuple(assets),
        **indexes,
    )


@pytest.fixture(autouse=True)
def every_pdf_passes_strict_checks(tmp_path):
    """After each test: every PDF the test wrote under its tmp_path passes qpdf --check
    with no warning, PDFium and Poppler read the same text from it, its fonts are embedded
    with one subset tag per font program and its PDF/A identification is consistent."""
    yield
    check_pdfs_under(tmp_path)


@pytest.fixture(scope="session")
def templates():
    return load_templates()


@pytest.fixture(scope="session")
def sample_company() -> Company:
    """The bundled sample company with the two work-model cases the agreements must handle.

    The generator gives every agent with a desktop at home on most days ``telearbeit``, so
    the sample itself has no active mobile worker; here :data:`MOBILE_WITH_DESKTOP` says
    ``mobile`` against the facts (the agreements must still say Telearbeit), and the first
    scheduled English agent after E0011 works from home two days a week, genuinely mobile."""
    company = load_company(SAMPLE)
    english = next(
        e.employee_id
        for e in company.employees
        if e.scheduled_for_home_office and e.language == "en" and e.employee_id > "E0011"
    )
    changed = {
        MOBILE_WITH_DESKTOP: {"work_model": "mobile"},
        english: {"work_model": "mobile", "home_days_per_week": 2},
    }
    employees = [replace(e, **changed.get(e.employee_id, {})) for e in company.employees]
    return with_employees(company, employees)


@pytest.fixture(scope="session")
def sample_ids(sample_company) -> list[str]:
    """The sample employees to render, plus the first English mobile worker."""
    ids = list(SAMPLE_EMPLOYEES)
    mobile_en = next(
        e.employee_id
        for e in sample_company.employees
        if e.scheduled_for_home_office and e.language == "en" and e.work_model == "mobile"
    )
    return [*ids, mobile_en]


@pytest.fixture(scope="session")
def sample_render(tmp_path_factory, sample_company, sample_ids, templates):
    """The sample subset rendered once: (out_dir, report)."""
    out = tmp_path_factory.mktemp("sample-packets")
    report = render_agreements(
        sample_company, sample_ids, out_dir=out, templates=templates, today=TODAY
    )
    check_pdfs_under(out)
    return out, report


@pytest.fixture(scope="session")
def sample_pdfs(sample_render, sample_company, sample_ids):
    """The sample packets read back once (text extraction is slow): employee ID -> ReadPdf."""
    out, _ = sample_render
    return {
        eid: read_pdf(packet_path(out, eid, sample_company.employee(eid).language))
        for eid in sample_ids
    }


@pytest.fixture
def synthetic_company(tmp_path: Path) -> Company:
    """A synthetic company of 6 employees (all scheduled for home office)."""
    root = tmp_path / "inventory"
    write_company(root, employees=6, seed=11)
    company = load_company(root)
    employees = [
        replace(e, status="active", home_office_start=e.home_office_start or dt.date(2026, 12, 7))
        for e in company.employees
    ]
    return with_employees(company, employees)


@pytest.fixture
def templates_copy(tmp_path: Path) -> Path:
    """A copy of the bundled templates that a test may change."""
    target = tmp_path / "templates"
    shutil.copytree(default_templates_dir(), target)
    return target
