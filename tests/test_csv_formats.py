"""CSV files as people really produce them, and a property test that malformed input only
ever yields the project's own errors."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path

import pytest
import yaml
from companyfiles import REVIEW_PAYLOADS, edit_row, read_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remoteops.csvio import from_spreadsheet_cell
from remoteops.errors import InputFileError, RemoteOpsError
from remoteops.inventory import (
    EMPLOYEE_COLUMNS,
    MAX_CITY,
    MAX_NAME,
    MAX_STREET,
    MAX_VAN_NAME,
    check_company,
    load_company,
)

GERMAN = {canonical: aliases[0] for canonical, aliases in EMPLOYEE_COLUMNS.items()}


def excel_export(rows: list[dict[str, str]], *, german_headers: bool) -> bytes:
    """What German Excel writes with 'CSV UTF-8': BOM, semicolons, CRLF."""
    buffer = io.StringIO()
    header = [GERMAN[k] if german_headers else k for k in rows[0]]
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(r.values() for r in rows)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def test_semicolon_bom_crlf_german_headers_load_like_the_original(small_company):
    original = load_company(small_company)
    path = small_company / "employees.csv"
    path.write_bytes(excel_export(read_rows(path), german_headers=True))
    assert path.read_bytes().startswith(b"\xef\xbb\xbfPersonalnummer;Vorname;")
    assert b"\r\n" in path.read_bytes()
    reloaded = load_company(small_company)
    assert reloaded.employees == original.employees


def test_semicolon_file_with_english_headers(small_company):
    original = load_company(small_company)
    path = small_company / "assets.csv"
    path.write_bytes(excel_export(read_rows(path), german_headers=False))
    assert load_company(small_company).assets == original.assets


def test_latin1_file_is_rejected_with_how_to_convert(small_company):
    path = small_company / "employees.csv"
    text = path.read_text(encoding="utf-8")
    path.write_bytes(text.replace("E0001", "Jürgen").encode("latin-1", errors="replace"))
    if "ü" not in text.replace("E0001", "Jürgen"):
        raise AssertionError("fixture must contain a non-ASCII character")
    errors = [p for p in check_company(small_company).errors if p.file == "employees.csv"]
    assert len(errors) == 1
    message = str(errors[0])
    assert "not UTF-8" in message and "Latin-1" in message and "iconv" in message


def test_unquoted_delimiter_in_a_value_is_reported(small_company):
    path = small_company / "employees.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2] + ",extra,fields"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    errors = [p for p in check_company(small_company).errors if p.row == 3]
    assert errors and "fields but the header has" in errors[0].message


# -- property: garbage in, only our own errors out ---------------------------------------
cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "0", "-1", "1e999", "nan", "2026-02-30", "12:00-11:00", ";", '"']),
    st.sampled_from(REVIEW_PAYLOADS),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.dictionaries(st.sampled_from(list(EMPLOYEE_COLUMNS)), cell), max_size=6),
    which=st.sampled_from(["employees.csv", "assets.csv"]),
)
@pytest.mark.slow
def test_malformed_rows_raise_only_project_errors(small_company, rows, which):
    path: Path = small_company / which
    original = path.read_bytes()
    try:
        existing = read_rows(path)
        columns = list(existing[0])
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(existing[:3])
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
        path.write_text(buffer.getvalue(), encoding="utf-8")
        report = check_company(small_company)  # never raises: problems are in the report
        refused = None
        try:
            load_company(small_company)
        except RemoteOpsError as exc:
            refused = exc
        # check and load agree: refused exactly when check reports an error, and then
        # the message names the first problem's file and row
        assert (refused is not None) == bool(report.errors), (report.errors, refused)
        first = report.errors[0] if report.errors else None
        assert refused is None or f"{first.file}:{first.row or ''}" in str(refused), refused
    finally:
        path.write_bytes(original)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=300),
    which=st.sampled_from(["employees.csv", "hosts.yml", "company.yml"]),
)
@pytest.mark.slow
def test_arbitrary_bytes_raise_only_project_errors(small_company, data, which):
    path: Path = small_company / which
    original = path.read_bytes()
    try:
        path.write_bytes(data)
        report = check_company(small_company)
        assert report.errors, "garbage must not load as a valid company"
        with pytest.raises(RemoteOpsError):
            load_company(small_company)
    finally:
        path.write_bytes(original)


def test_input_file_error_carries_a_problem():
    error = InputFileError("x.csv", "is broken.", hint="Fix it.", row=3)
    assert str(error.problem) == "x.csv:3: is broken. Fix it."


# -- property: the review's payloads are refused, or kept exactly as written ----------------
payload = st.one_of(st.sampled_from(REVIEW_PAYLOADS), st.text(max_size=30))
_DIRECTION_MARKS = {"\u200e", "\u200f", "\u061c", *map(chr, range(0x202A, 0x202F))}
_DIRECTION_MARKS |= set(map(chr, range(0x2066, 0x206A)))


#: An asset tag becomes part of file names: only these characters (remoteops/files.py).
SAFE_TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def must_be_refused(text: str, limit: int | None) -> bool:
    """Independent of the loader: control characters, line breaks, direction marks, length."""
    bad = any(
        unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _DIRECTION_MARKS for ch in text
    )
    return bad or (limit is not None and len(text) > limit)


def may_be_refused(value: str, limit: int | None) -> bool:
    """The reasons a loader may refuse a text: what must be refused, control characters
    also at either end (before trimming), or nothing left after trimming."""
    return (
        must_be_refused(value, None) or must_be_refused(value.strip(), limit) or not value.strip()
    )


EMPLOYEE_TEXT = {
    "first_name": (MAX_NAME, lambda e: e.first_name),
    "last_name": (MAX_NAME, lambda e: e.last_name),
    "street": (MAX_STREET, lambda e: e.address.street),
    "city": (MAX_CITY, lambda e: e.address.city),
    "team": (None, lambda e: e.team),
    "phone": (None, lambda e: e.phone),
}


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=payload, field=st.sampled_from(sorted(EMPLOYEE_TEXT)))
@pytest.mark.slow
def test_payloads_in_employees_are_refused_or_kept_literally(small_company, value, field):
    path: Path = small_company / "employees.csv"
    original = path.read_bytes()
    limit, read_back = EMPLOYEE_TEXT[field]
    expected = from_spreadsheet_cell(value.strip())
    try:
        line = edit_row(path, 0, **{field: value})
        try:
            company = load_company(small_company)
        except RemoteOpsError as exc:
            # refused for a reason it may have, naming the file, row and field
            assert may_be_refused(value, limit), (field, value, exc)
            where = (
                "employees.csv: contains NUL"
                if "\x00" in value
                else f"employees.csv:{line}: {field}:"
            )
            assert where in str(exc), exc
            return
        assert not must_be_refused(expected, limit), f"{expected!r} was accepted in {field}"
        assert read_back(company.employees[0]) == expected
    finally:
        path.write_bytes(original)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=payload, field=st.sampled_from(["model", "serial_number", "asset_tag"]))
@pytest.mark.slow
def test_payloads_in_assets_are_refused_or_kept_literally(small_company, value, field):
    path: Path = small_company / "assets.csv"
    original = path.read_bytes()
    expected = from_spreadsheet_cell(value.strip())
    try:
        line = edit_row(path, 1, **{field: value})
        try:
            company = load_company(small_company)
        except RemoteOpsError as exc:
            # refused for a reason it may have, naming the file, row and field
            assert may_be_refused(value, None) or (
                field == "asset_tag" and not SAFE_TAG.fullmatch(expected)
            ), (field, value, exc)
            where = (
                "assets.csv: contains NUL" if "\x00" in value else f"assets.csv:{line}: {field}:"
            )
            assert where in str(exc), exc
            return
        assert not must_be_refused(expected, None)
        if field == "asset_tag":  # a file-name part: only the safe characters
            assert SAFE_TAG.fullmatch(expected), expected
        assert getattr(company.assets[1], field) == expected
    finally:
        path.write_bytes(original)


COMPANY_TEXT = {
    "company.legal_name": (
        None,
        lambda d: d["company"],
        "legal_name",
        lambda c: c.details.legal_name,
    ),
    "hr_contact.name": (
        MAX_NAME,
        lambda d: d["company"]["hr_contact"],
        "name",
        lambda c: c.details.hr_contact.name,
    ),
    "vans[0].name": (
        MAX_VAN_NAME,
        lambda d: d["delivery"]["vans"][0],
        "name",
        lambda c: c.delivery.vans[0].name,
    ),
    "sites[0].name": (None, lambda d: d["sites"][0], "name", lambda c: c.depot.name),
}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=payload, field=st.sampled_from(sorted(COMPANY_TEXT)))
@pytest.mark.slow
def test_payloads_in_company_yml_are_refused_or_kept_literally(small_company, value, field):
    path: Path = small_company / "company.yml"
    original = path.read_bytes()
    limit, section, key, read_back = COMPANY_TEXT[field]
    try:
        data = yaml.safe_load(original)
        section(data)[key] = value
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        try:
            company = load_company(small_company)
        except RemoteOpsError as exc:
            # refused for a reason it may have, naming the file and the setting
            # (a van's run sheet is named after it: it needs a letter or digit)
            assert may_be_refused(value, limit) or (
                field == "vans[0].name" and not re.search("[A-Za-z0-9]", value)
            ), (field, exc)
            assert "company.yml" in str(exc) and key in str(exc), exc
            return
        assert not must_be_refused(value.strip(), limit), f"{value!r} was accepted in {field}"
        assert read_back(company) == value.strip()
    finally:
        path.write_bytes(original)
