"""CSV files as people really produce them, and a property test that malformed input only
ever yields the project's own errors."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from companyfiles import read_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remoteops.errors import InputFileError, RemoteOpsError
from remoteops.inventory import EMPLOYEE_COLUMNS, check_company, load_company

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
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.dictionaries(st.sampled_from(list(EMPLOYEE_COLUMNS)), cell), max_size=6),
    which=st.sampled_from(["employees.csv", "assets.csv"]),
)
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
        try:
            report = check_company(small_company)
            load_company(small_company)
        except RemoteOpsError:
            pass
        else:
            assert not report.errors
    finally:
        path.write_bytes(original)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=300),
    which=st.sampled_from(["employees.csv", "hosts.yml", "company.yml"]),
)
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
