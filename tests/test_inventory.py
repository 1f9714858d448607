"""Loading the company folder and every validation rule, each with a broken fixture whose
error must name the file, the row and the field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from companyfiles import edit_row, read_rows, write_rows

from remoteops.errors import InventoryError
from remoteops.inventory import check_company, load_company


def problems_of(root: Path, severity: str = "error") -> list:
    return [p for p in check_company(root).problems if p.severity == severity]


def assert_problem(root: Path, file: str, row: int | None, field: str | None, *words: str):
    found = [p for p in problems_of(root) if p.file == file and p.row == row and p.field == field]
    assert found, f"no error at {file}:{row} {field}; got {[str(p) for p in problems_of(root)]}"
    text = str(found[0]).casefold()
    for word in words:
        assert word.casefold() in text, f"{word!r} not in {text!r}"
    return found[0]


def first_with(rows: list[dict[str, str]], **match: str) -> int:
    return next(i for i, r in enumerate(rows) if all(r[k] == v for k, v in match.items()))


# -- the sample company --------------------------------------------------------------------
def test_sample_company_checks_without_warnings(sample_dir, tmp_path):
    """make demo's check is clean: the generator gives an agent with a desktop at home on most
    days telearbeit, as the agreements would (remoteops.workmodel); a bigger invented company
    has no such contradiction either."""
    from remoteops.synthetic import write_company
    from remoteops.workmodel import contradicts_work_model

    report = check_company(sample_dir)
    assert report.problems == [], [str(p) for p in report.problems]
    write_company(tmp_path / "big", employees=600, seed=5)
    company = load_company(tmp_path / "big")
    assert not [
        e.employee_id
        for e in company.employees
        if contradicts_work_model(e, company.assets_of(e.employee_id))
    ]
    assert any(e.work_model == "mobile" for e in company.employees)


def test_sample_company_loads_without_errors(sample_dir):
    report = check_company(sample_dir)
    assert report.errors == [], [str(p) for p in report.errors]
    company = report.company
    assert len(company.employees) == 150
    assert company.depot.depot and company.depot.address.city == "Berlin"
    assert company.delivery.vans and all(v.capacity_boxes > 0 for v in company.delivery.vans)
    # every workstation belongs to an existing employee and is matched with their PC
    for ws in company.workstations:
        assert company.employee(ws.employee_id)
        pc = next(a for a in company.assets if a.asset_tag == ws.pc_asset_tag)
        assert pc.type == "pc" and pc.employee_id == ws.employee_id
    # the roster is as varied as the brief asks
    names = " ".join(e.full_name for e in company.employees)
    assert any(ch in names for ch in "äöüÄÖÜß")
    assert "-" in names and " von " in f" {names} "
    assert {e.language for e in company.employees} == {"de", "en"}
    cities = {e.address.city for e in company.employees}
    assert {"Berlin", "Potsdam"} <= cities and len(cities) >= 5
    assert any(e.delivery_window for e in company.employees)


def test_sample_company_equipment_per_agent(sample_dir):
    company = load_company(sample_dir)
    scheduled = [e for e in company.employees if e.scheduled_for_home_office]
    assert len(scheduled) > 100
    for employee in scheduled:
        kinds = sorted(a.type for a in company.assets_of(employee.employee_id))
        assert kinds == ["headset", "keyboard", "monitor", "monitor", "mouse", "pc"]
        assert company.boxes_of(employee.employee_id) > 0


def test_small_fixture_is_valid(small_company):
    assert problems_of(small_company) == []
    assert len(load_company(small_company).employees) == 8


# -- employees.csv rules -------------------------------------------------------------------
def test_duplicate_employee_id(small_company):
    path = small_company / "employees.csv"
    rows = read_rows(path)
    line = edit_row(path, 3, employee_id=rows[1]["employee_id"])
    assert_problem(
        small_company, "employees.csv", line, "employee_id", rows[1]["employee_id"], "line 3"
    )


def test_missing_coordinates(small_company):
    line = edit_row(small_company / "employees.csv", 2, latitude="")
    assert_problem(small_company, "employees.csv", line, "latitude", "empty")


def test_swapped_coordinates(small_company):
    path = small_company / "employees.csv"
    row = read_rows(path)[1]
    line = edit_row(path, 1, latitude=row["longitude"], longitude=row["latitude"])
    assert_problem(small_company, "employees.csv", line, "latitude", "swapped")


def test_german_decimal_comma_is_accepted(small_company):
    path = small_company / "employees.csv"
    row = read_rows(path)[0]
    edit_row(path, 0, latitude=row["latitude"].replace(".", ","))
    company = load_company(small_company)
    assert company.employees[0].location.latitude == pytest.approx(float(row["latitude"]))


def test_invalid_language(small_company):
    line = edit_row(small_company / "employees.csv", 0, language="fr")
    assert_problem(small_company, "employees.csv", line, "language", "'fr'", "de, en")


def test_language_words_are_mapped(small_company):
    edit_row(small_company / "employees.csv", 0, language="Deutsch")
    edit_row(small_company / "employees.csv", 1, language="English")
    company = load_company(small_company)
    assert (company.employees[0].language, company.employees[1].language) == ("de", "en")


@pytest.mark.parametrize(
    ("postcode", "words"),
    [
        ("1011", ("4 digits", "leading zero")),
        ("ABCDE", ("not a german postcode",)),
        ("", ("empty",)),
    ],
)
def test_implausible_postcode(small_company, postcode, words):
    line = edit_row(small_company / "employees.csv", 4, postcode=postcode)
    assert_problem(small_company, "employees.csv", line, "postcode", *words)


def test_bad_start_date(small_company):
    line = edit_row(small_company / "employees.csv", 0, home_office_start="31.02.2026")
    assert_problem(small_company, "employees.csv", line, "home_office_start", "YYYY-MM-DD")


def test_german_date_format_is_accepted(small_company):
    edit_row(small_company / "employees.csv", 0, home_office_start="07.12.2026", status="active")
    assert load_company(small_company).employees[0].home_office_start == dt.date(2026, 12, 7)


def test_bad_delivery_window(small_company):
    path = small_company / "employees.csv"
    line = edit_row(path, 0, delivery_hours="18:00-09:00")
    assert_problem(small_company, "employees.csv", line, "delivery_hours", "ends before")
    line = edit_row(path, 1, delivery_days="Mon-Frx")
    assert_problem(small_company, "employees.csv", line, "delivery_days", "weekday")


def test_delivery_window_is_parsed(small_company):
    edit_row(small_company / "employees.csv", 0, delivery_days="Mo,Mi,Fr", delivery_hours="8-12")
    window = load_company(small_company).employees[0].delivery_window
    assert window.weekdays == (0, 2, 4)
    assert (window.start, window.end) == (dt.time(8), dt.time(12))


def test_scheduled_employee_without_equipment(small_company):
    employees = read_rows(small_company / "employees.csv")
    index = first_with(employees, status="active")
    employee_id = employees[index]["employee_id"]
    edit_row(small_company / "employees.csv", index, home_office_start="2026-12-07")
    assets = [a for a in read_rows(small_company / "assets.csv") if a["employee_id"] != employee_id]
    write_rows(small_company / "assets.csv", assets)
    _drop_host(small_company, employee_id)
    assert_problem(
        small_company, "employees.csv", index + 2, "home_office_start", employee_id, "no equipment"
    )


def test_missing_required_column(small_company):
    path = small_company / "employees.csv"
    rows = [{k: v for k, v in r.items() if k != "email"} for r in read_rows(path)]
    write_rows(path, rows)
    assert_problem(small_company, "employees.csv", 1, "email", "required column")


# -- assets.csv rules ----------------------------------------------------------------------
def test_asset_for_unknown_employee(small_company):
    line = edit_row(small_company / "assets.csv", 0, employee_id="E9999")
    assert_problem(
        small_company, "assets.csv", line, "employee_id", "E9999", "not in employees.csv"
    )


def test_duplicate_asset_tag_and_serial(small_company):
    path = small_company / "assets.csv"
    rows = read_rows(path)
    line = edit_row(path, 2, asset_tag=rows[1]["asset_tag"])
    assert_problem(small_company, "assets.csv", line, "asset_tag", rows[1]["asset_tag"], "line 3")
    rows = read_rows(path)
    rows[2]["asset_tag"] = "HKS-X-1"
    rows[2].update(model=rows[1]["model"], serial_number=rows[1]["serial_number"])
    write_rows(path, rows)
    assert_problem(small_company, "assets.csv", 4, "serial_number", rows[1]["serial_number"])


def test_unknown_asset_type_and_bad_boxes(small_company):
    path = small_company / "assets.csv"
    line = edit_row(path, 0, type="toaster")
    assert_problem(small_company, "assets.csv", line, "type", "toaster", "pc, monitor")
    line = edit_row(path, 1, boxes="two")
    assert_problem(small_company, "assets.csv", line, "boxes", "not a number")


def test_pc_without_workstation(small_company):
    assets = read_rows(small_company / "assets.csv")
    index = first_with(assets, type="pc")
    employee_id = assets[index]["employee_id"]
    _drop_host(small_company, employee_id)
    assert_problem(small_company, "assets.csv", index + 2, "employee_id", "no workstation")


# -- hosts.yml rules -----------------------------------------------------------------------
def _hosts(root: Path) -> dict:
    return yaml.safe_load((root / "hosts.yml").read_text(encoding="utf-8"))


def _host_groups(data: dict):
    stack = [data["all"]]
    while stack:
        group = stack.pop()
        if group.get("hosts"):
            yield group["hosts"]
        stack.extend((group.get("children") or {}).values())


def _drop_host(root: Path, employee_id: str) -> None:
    data = _hosts(root)
    for hosts in _host_groups(data):
        for name in [n for n, v in hosts.items() if v["employee_id"] == employee_id]:
            del hosts[name]
    (root / "hosts.yml").write_text(yaml.safe_dump(data), encoding="utf-8")


def _line_of(root: Path, text: str) -> int:
    lines = (root / "hosts.yml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_workstation_of_unknown_employee(small_company):
    data = _hosts(small_company)
    hosts = next(_host_groups(data))
    name = next(iter(hosts))
    hosts[name]["employee_id"] = "E4711"
    (small_company / "hosts.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    line = _line_of(small_company, f"{name}:")
    assert_problem(small_company, "hosts.yml", line, "employee_id", name, "E4711")


def test_workstation_without_employee_id(small_company):
    data = _hosts(small_company)
    hosts = next(_host_groups(data))
    name = next(iter(hosts))
    del hosts[name]["employee_id"]
    (small_company / "hosts.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    assert_problem(small_company, "hosts.yml", _line_of(small_company, f"{name}:"), "employee_id")


def test_hosts_yaml_syntax_error_names_the_line(small_company):
    path = small_company / "hosts.yml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(3, "  - [unclosed")
    path.write_text("\n".join(lines), encoding="utf-8")
    errors = problems_of(small_company)
    assert any(p.file == "hosts.yml" and p.row and "not valid YAML" in p.message for p in errors)


# -- company.yml rules ---------------------------------------------------------------------
def _edit_company(root: Path, change) -> None:
    data = yaml.safe_load((root / "company.yml").read_text(encoding="utf-8"))
    change(data)
    (root / "company.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_company_missing_legal_name(small_company):
    _edit_company(small_company, lambda d: d["company"].pop("legal_name"))
    assert_problem(small_company, "company.yml", None, "company.legal_name", "missing")


def test_company_needs_exactly_one_depot(small_company):
    def two_depots(data):
        data["sites"].append({**data["sites"][0], "id": "B"})

    _edit_company(small_company, two_depots)
    assert_problem(small_company, "company.yml", None, "sites", "exactly one")


def test_van_capacity_and_holiday(small_company):
    def break_it(data):
        data["delivery"]["vans"][0]["capacity_boxes"] = 0
        data["delivery"]["holidays"] = ["Heiligabend"]

    _edit_company(small_company, break_it)
    assert_problem(small_company, "company.yml", None, "delivery.vans[0].capacity_boxes", "above 0")
    assert_problem(small_company, "company.yml", None, "delivery.holidays[0]", "YYYY-MM-DD")


def test_break_minutes(small_company):
    _edit_company(small_company, lambda d: d["delivery"].update(break_minutes=30))
    assert load_company(small_company).delivery.break_minutes == 30
    _edit_company(small_company, lambda d: d["delivery"].update(break_minutes=600))
    assert_problem(small_company, "company.yml", None, "delivery.break_minutes", "between 0")


def test_load_company_raises_with_all_problems(small_company):
    edit_row(small_company / "employees.csv", 0, language="xx")
    edit_row(small_company / "employees.csv", 1, postcode="12")
    with pytest.raises(InventoryError) as info:
        load_company(small_company)
    assert len(info.value.problems) >= 2
    assert "remoteops check" in str(info.value)


def test_not_a_folder(tmp_path):
    report = check_company(tmp_path / "nope")
    assert report.company is None and "not a folder" in str(report.errors[0])


def test_missing_file_is_reported(small_company):
    (small_company / "assets.csv").unlink()
    assert_problem(small_company, "assets.csv", None, None, "missing")
