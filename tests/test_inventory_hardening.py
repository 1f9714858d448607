"""The inventory refuses what a security review (issue 10) fed it: identifiers that are not
safe file-name parts, van names that clash as file names, control and text-direction
characters, over-long names, YAML alias bombs and object tags; and it keeps the real cause
of a failure on top instead of burying it under follow-on errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from companyfiles import REPO, edit_row, read_rows, write_rows

from remoteops import yamlio
from remoteops.errors import InventoryError, NotFoundError
from remoteops.files import NAME_RULE
from remoteops.inventory import (
    MAX_CITY,
    MAX_NAME,
    MAX_STREET,
    check_company,
    group_loop,
    load_company,
)

UNSAFE_IDS = ["..", "../../pwn", "/tmp/x/pwn", "=1+1", "E 1", "E1\u202e", "x" * 65]


def errors_of(root: Path) -> list:
    return check_company(root).errors


def the_error(root: Path, file: str, row: int | None, field: str | None, *words: str):
    found = [p for p in errors_of(root) if (p.file, p.row, p.field) == (file, row, field)]
    assert found, f"no error at {file}:{row} {field}; got {[str(p) for p in errors_of(root)]}"
    text = str(found[0])
    for word in words:
        assert word.casefold() in text.casefold(), f"{word!r} not in {text!r}"
    return found[0]


def edit_company(root: Path, change) -> None:
    data = yaml.safe_load((root / "company.yml").read_text(encoding="utf-8"))
    change(data)
    (root / "company.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """``remoteops ARGS`` in a child process, killed after ``timeout`` seconds."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "remoteops", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=REPO,
    )


# -- A: employee IDs and asset tags must be safe file-name parts ---------------------------
@pytest.mark.parametrize("bad", UNSAFE_IDS)
def test_unsafe_employee_id_is_refused_with_the_rule(small_company, bad):
    line = edit_row(small_company / "employees.csv", 0, employee_id=bad)
    the_error(small_company, "employees.csv", line, "employee_id", "may contain only", NAME_RULE)
    with pytest.raises(InventoryError):
        load_company(small_company)


@pytest.mark.parametrize("bad", UNSAFE_IDS)
def test_unsafe_asset_tag_is_refused_with_the_rule(small_company, bad):
    line = edit_row(small_company / "assets.csv", 0, asset_tag=bad)
    the_error(small_company, "assets.csv", line, "asset_tag", "may contain only", NAME_RULE)


def test_unsafe_employee_id_in_hosts_yml_is_refused(small_company):
    path = small_company / "hosts.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("employee_id: E0003", "employee_id: ../../pwn"), "utf-8")
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "ws-e0003:" in t)
    the_error(small_company, "hosts.yml", line, "employee_id", "ws-e0003", NAME_RULE)


def test_check_command_says_which_characters_are_allowed(cli, small_company):
    line = edit_row(small_company / "employees.csv", 2, employee_id="../../pwn")
    result = cli("check", small_company)
    assert result.exit_code == 1
    assert f"employees.csv:{line}: employee_id: '../../pwn' cannot be used" in result.stdout
    assert NAME_RULE in result.stdout


# -- B: van names become run-sheet file names ----------------------------------------------
def _vans(*names: str):
    def change(data):
        data["delivery"]["vans"] = [{"name": n, "capacity_boxes": 40} for n in names]

    return change


def test_van_names_that_give_the_same_file_name_are_refused(small_company):
    edit_company(small_company, _vans("VW Bus 1", "VW Bus 2", "VW Bus 1!"))
    error = the_error(
        small_company, "company.yml", None, "delivery.vans[2].name", "'VW Bus 1!'", "'VW Bus 1'"
    )
    assert "delivery.vans[0]" in error.message and "vw-bus-1" in error.message
    assert [p.field for p in errors_of(small_company)] == ["delivery.vans[2].name"]


def test_van_name_without_letter_or_digit_is_refused(small_company):
    edit_company(small_company, _vans("VW Bus 1", "!!!"))
    the_error(small_company, "company.yml", None, "delivery.vans[1].name", "no letter")


def test_van_name_with_a_line_break_is_refused(small_company):
    edit_company(small_company, _vans("VW Bus 1", "VW\nBus 2"))
    the_error(small_company, "company.yml", None, "delivery.vans[1].name", "line break")


def test_distinct_van_names_are_accepted(small_company):
    edit_company(small_company, _vans("VW Bus 1", "VW Bus 2", "Sprinter"))
    assert [v.name for v in load_company(small_company).delivery.vans] == [
        "VW Bus 1",
        "VW Bus 2",
        "Sprinter",
    ]


# -- C: control characters, text-direction characters, over-long names ---------------------
@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("first_name", "Anna\u202eanilorak", ("U+202E", "text-direction")),
        ("last_name", "M\u00fcller\u2066", ("U+2066",)),
        ("last_name", "Smith\u200f", ("U+200F",)),
        ("street", "Hauptstr. 1\nBerlin", ("line break",)),
        ("city", "Berlin\x1b[31m", ("control character",)),
        ("team", "Outbound\tB", ("control character",)),
        ("phone", "+49 152\r 1", ("control character",)),
    ],
)
def test_control_and_bidi_characters_are_refused_in_employees(small_company, field, value, words):
    line = edit_row(small_company / "employees.csv", 1, **{field: value})
    the_error(small_company, "employees.csv", line, field, *words, "one line")


def test_control_characters_are_refused_in_assets(small_company):
    line = edit_row(small_company / "assets.csv", 1, model="Dell\u202eP2419H")
    the_error(small_company, "assets.csv", line, "model", "U+202E")


def test_control_and_bidi_characters_are_refused_in_company_yml(small_company):
    def change(data):
        data["company"]["legal_name"] = "Hauptstadt\u202e GmbH"
        data["company"]["hr_contact"]["name"] = "Susanne\nAlbrecht"
        data["sites"][0]["name"] = "HQ\x07"

    edit_company(small_company, change)
    the_error(small_company, "company.yml", None, "company.legal_name", "U+202E")
    the_error(small_company, "company.yml", None, "company.hr_contact.name", "line break")
    the_error(small_company, "company.yml", None, "sites[0].name", "U+0007")


@pytest.mark.parametrize(
    ("field", "limit"),
    [("first_name", MAX_NAME), ("last_name", MAX_NAME), ("street", MAX_STREET), ("city", MAX_CITY)],
)
def test_over_long_names_and_addresses_are_refused(small_company, field, limit):
    path = small_company / "employees.csv"
    edit_row(path, 0, **{field: "A" * limit})
    employee = load_company(small_company).employees[0]
    assert "A" * limit in (
        employee.first_name,
        employee.last_name,
        *vars(employee.address).values(),
    )
    line = edit_row(path, 0, **{field: "A" * (limit + 1)})
    the_error(small_company, "employees.csv", line, field, f"at most {limit}")
    line = edit_row(path, 0, **{field: "B" * 500})
    the_error(small_company, "employees.csv", line, field, "500 characters", f"at most {limit}")


def test_over_long_names_in_company_yml_are_refused(small_company):
    def change(data):
        data["company"]["hr_contact"]["name"] = "S" * 500
        data["sites"][0]["street"] = "T" * 500

    edit_company(small_company, change)
    the_error(small_company, "company.yml", None, "company.hr_contact.name", f"at most {MAX_NAME}")
    the_error(small_company, "company.yml", None, "sites[0].street", f"at most {MAX_STREET}")


# -- D: YAML aliases, tags, nesting, size ---------------------------------------------------
def alias_bomb(levels: int, fan_out: int = 6) -> str:
    """A small hosts.yml whose groups, followed through aliases, number fan_out ** levels."""
    lines = [
        "all:",
        "  children:",
        "    g0: &g0",
        "      hosts:",
        "        ws-e0001: {employee_id: E0001}",
    ]
    for level in range(1, levels + 1):
        kids = ", ".join(f"k{i}: *g{level - 1}" for i in range(fan_out))
        lines.append(f"    g{level}: &g{level}")
        lines.append(f"      children: {{{kids}}}")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_quickly(small_company):
    text = alias_bomb(9)
    assert len(text.encode()) < 1000
    (small_company / "hosts.yml").write_text(text, encoding="utf-8")
    started = time.monotonic()
    result = run_cli("-i", str(small_company), "check", timeout=60)
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert "hosts.yml:3: defines the YAML anchor '&g0'" in result.stdout
    assert "Unexpected" not in result.stdout + result.stderr


def test_self_referencing_alias_is_refused(small_company):
    (small_company / "hosts.yml").write_text(
        "all: &loop\n  children:\n    again: *loop\n", encoding="utf-8"
    )
    result = run_cli("-i", str(small_company), "check", timeout=60)
    assert result.returncode == 1
    assert "hosts.yml:1: defines the YAML anchor '&loop'" in result.stdout
    assert "RecursionError" not in result.stdout + result.stderr
    # every other command refuses it the same way, through load_company
    result = run_cli("-i", str(small_company), "employees", "list", timeout=60)
    assert result.returncode == 1 and "anchor" in result.stderr
    assert "Unexpected" not in result.stderr


def test_alias_without_anchor_name_in_company_yml(small_company):
    path = small_company / "company.yml"
    path.write_text(path.read_text(encoding="utf-8") + "extra: *nowhere\n", encoding="utf-8")
    errors = [str(p) for p in errors_of(small_company)]
    assert any("company.yml:" in e and "alias '*nowhere'" in e for e in errors), errors


@pytest.mark.parametrize("which", ["company.yml", "hosts.yml", "group_vars/all.yml"])
def test_python_tags_are_refused_with_file_and_line(small_company, tmp_path, which):
    marker = tmp_path / "pwned"
    path = small_company / which
    payload = f"evil: !!python/object/apply:os.system ['touch {marker}']\n"
    path.write_text(path.read_text(encoding="utf-8") + payload, encoding="utf-8")
    line = len(path.read_text(encoding="utf-8").splitlines())
    problem = next(p for p in errors_of(small_company) if p.file == which)
    assert problem.row == line
    assert "!!python/object/apply:os.system" in problem.message and "tag" in problem.message
    with pytest.raises(InventoryError):
        load_company(small_company)
    assert not marker.exists()


def test_unknown_tag_and_bad_dates_in_company_yml_are_clear(small_company):
    path = small_company / "company.yml"
    original = path.read_text(encoding="utf-8")
    path.write_text(original + "extra: !custom thing\n", encoding="utf-8")
    assert "'!custom'" in str(errors_of(small_company)[0])
    # an impossible date used to escape as "Unexpected error: ValueError"
    path.write_text(original.replace("'2026-12-24'", "2026-02-30"), encoding="utf-8")
    error = errors_of(small_company)[0]
    assert error.file == "company.yml" and error.row and "day is out of range" in error.message


def test_ansible_vault_tag_is_accepted_in_group_vars(small_company):
    path = small_company / "group_vars" / "all.yml"
    vaulted = "secret: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n"
    path.write_text(path.read_text(encoding="utf-8") + vaulted, encoding="utf-8")
    assert errors_of(small_company) == []


def test_deep_nesting_is_refused(small_company):
    (small_company / "hosts.yml").write_text("all: " + "[" * 5000 + "]" * 5000, "utf-8")
    error = next(p for p in errors_of(small_company) if p.file == "hosts.yml")
    assert "nested more than" in error.message


def test_huge_yaml_file_is_refused_before_parsing(small_company):
    path = small_company / "hosts.yml"
    with path.open("a", encoding="utf-8") as fh:
        fh.write("# padding\n" * (yamlio.MAX_BYTES // 10 + 1))
    started = time.monotonic()
    error = next(p for p in errors_of(small_company) if p.file == "hosts.yml")
    assert time.monotonic() - started < 10
    assert "larger than 5 MB" in error.message


def test_groups_that_contain_each_other_are_reported(small_company):
    (small_company / "hosts.yml").write_text(
        "all:\n"
        "  children:\n"
        "    a:\n"
        "      children:\n"
        "        b:\n"
        "    b:\n"
        "      children:\n"
        "        a:\n"
        "      hosts:\n"
        "        ws-e0001: {employee_id: E0001}\n",
        encoding="utf-8",
    )
    error = next(p for p in errors_of(small_company) if "loop" in p.message)
    assert (error.file, error.row) == ("hosts.yml", 8)
    assert "a > b > a" in error.message or "b > a > b" in error.message


def test_group_loop_finds_loops_and_only_loops():
    assert group_loop({"all": {"a": 1, "b": 2}, "a": {"c": 3}, "b": {"c": 4}}) is None
    assert group_loop({"all": {"a": 1}, "a": {"b": 2}, "b": {"all": 3}}) == ["all", "a", "b", "all"]
    assert group_loop({"x": {"x": 1}}) == ["x", "x"]


# -- E: the cause first, follow-on errors suppressed, repeated errors capped ---------------
def test_empty_employees_file_is_the_only_error(small_company, cli):
    (small_company / "employees.csv").write_text("", encoding="utf-8")
    report = check_company(small_company)
    assert [str(p) for p in report.errors] == ["employees.csv: is empty; it needs a header row."]
    assert any("not checked against employees.csv" in p.message for p in report.warnings)
    with pytest.raises(InventoryError) as info:
        load_company(small_company)
    assert "employees.csv: is empty" in str(info.value) and "more)" not in str(info.value)
    result = cli("check", small_company)
    first = result.stdout.splitlines()[0]
    assert "error" in first and "employees.csv: is empty" in first
    assert "1 error(s)" in result.stdout


def test_employees_file_without_a_required_column_is_the_cause(small_company):
    path = small_company / "employees.csv"
    write_rows(path, [{k: v for k, v in r.items() if k != "employee_id"} for r in read_rows(path)])
    errors = errors_of(small_company)
    assert [(p.file, p.field) for p in errors] == [("employees.csv", "employee_id")]


def test_unreadable_hosts_file_does_not_fail_every_pc(small_company):
    (small_company / "hosts.yml").write_text("all: [unclosed\n", encoding="utf-8")
    errors = errors_of(small_company)
    assert len(errors) == 1 and errors[0].file == "hosts.yml"


def _many_bad_rows(root: Path, count: int) -> None:
    path = root / "employees.csv"
    rows = read_rows(path)
    template = {**rows[0], "postcode": "1", "home_office_start": ""}
    extra = [{**template, "employee_id": f"X{i:06d}"} for i in range(count)]
    write_rows(path, rows + extra)


def test_repeated_errors_are_capped_in_check_output_but_not_in_json(small_company, cli):
    _many_bad_rows(small_company, 500)
    result = cli("check", small_company)
    assert result.exit_code == 1
    listed = [line for line in result.stdout.splitlines() if ": postcode:" in line]
    assert len(listed) == 20
    assert "... and 480 more errors like this in" in result.stdout
    assert "500 error(s)" in result.stdout
    data = json.loads(cli("check", small_company, "--json").stdout)[0]
    errors = [p for p in data["problems"] if p["severity"] == "error"]
    assert data["errors"] == 500 and len(errors) == 500


@pytest.mark.slow
def test_twenty_thousand_bad_rows_stay_readable(small_company):
    _many_bad_rows(small_company, 20_000)
    started = time.monotonic()
    result = run_cli("check", str(small_company), timeout=300)
    elapsed = time.monotonic() - started
    lines = result.stdout.splitlines()
    assert result.returncode == 1 and len(lines) < 30, lines[:40]
    assert "... and 19,980 more errors like this" in result.stdout
    assert elapsed < 120


# -- F: UTF-16 without a byte-order mark ---------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_diagnosed_as_utf16(small_company, encoding):
    path = small_company / "employees.csv"
    text = path.read_text(encoding="utf-8")
    assert "ä" in text or "ö" in text or "ü" in text or "ß" in text
    path.write_bytes(text.encode(encoding))
    errors = [p for p in errors_of(small_company) if p.file == "employees.csv"]
    assert len(errors) == 1 and "UTF-16" in errors[0].message
    assert "Latin-1" not in errors[0].message


# -- G: a mistyped inventory folder --------------------------------------------------------
def test_missing_inventory_folder_is_a_clear_error(tmp_path):
    with pytest.raises(NotFoundError) as info:
        load_company(tmp_path / "invenotry")
    assert str(info.value).startswith(f"The inventory folder {tmp_path / 'invenotry'} does not")
    assert "-i/--inventory" in str(info.value)
    afile = tmp_path / "employees.csv"
    afile.write_text("x", encoding="utf-8")
    with pytest.raises(NotFoundError, match="is not a folder"):
        load_company(afile)


def test_missing_inventory_folder_in_a_command(cli, tmp_path):
    result = cli("-i", tmp_path / "invenotry", "employees", "list")
    assert result.exit_code == 1
    assert "The inventory folder" in result.stderr and "does not exist" in result.stderr
    assert "Traceback" not in result.output and "Unexpected" not in result.output
