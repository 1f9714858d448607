"""company.yml settings the agreements print: allowance, data protection, signatory, register."""

from __future__ import annotations

from pathlib import Path

import yaml

from remoteops.inventory import check_company


def _edit_company(root: Path, change) -> None:
    data = yaml.safe_load((root / "company.yml").read_text(encoding="utf-8"))
    change(data["company"])
    (root / "company.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _problems(root: Path, field: str):
    return [p for p in check_company(root).problems if p.file == "company.yml" and p.field == field]


def test_sample_settings_load(sample_dir):
    details = check_company(sample_dir).company.details
    assert details.home_office_allowance.monthly_eur == 30
    assert details.signatory.name == "Dr. Katharina Brenner"
    assert [kind for kind, _ in details.data_protection.processing] == [
        "telephony_status",
        "handling_times",
        "call_recording",
        "silent_monitoring",
    ]
    assert details.register_court and details.register_number and details.seat


def test_missing_allowance_is_a_warning_that_says_what_to_set(small_company):
    _edit_company(small_company, lambda c: c.pop("home_office_allowance"))
    (problem,) = _problems(small_company, "company.home_office_allowance")
    assert problem.severity == "warning"
    assert "monthly_eur" in problem.message and "none_reason" in problem.message
    assert check_company(small_company).company.details.home_office_allowance is None


def test_allowance_needs_amount_or_reason_not_both(small_company):
    def both(c):
        c["home_office_allowance"]["none_reason"] = "freiwillig"

    _edit_company(small_company, both)
    (problem,) = _problems(small_company, "company.home_office_allowance.monthly_eur")
    assert problem.severity == "error" and "either" in problem.message


def test_allowance_amount_out_of_range(small_company):
    _edit_company(small_company, lambda c: c["home_office_allowance"].update(monthly_eur=-5))
    (problem,) = _problems(small_company, "company.home_office_allowance.monthly_eur")
    assert "outside" in problem.message


def test_allowance_covers_needs_every_language(small_company):
    _edit_company(
        small_company, lambda c: c["home_office_allowance"].update(covers={"de": "Strom"})
    )
    (problem,) = _problems(small_company, "company.home_office_allowance.covers.en")
    assert "every language" in problem.message


def test_processing_needs_purpose_basis_and_retention(small_company):
    _edit_company(small_company, lambda c: c["data_protection"]["call_recording"].pop("retention"))
    (problem,) = _problems(small_company, "company.data_protection.call_recording.retention")
    assert "missing" in problem.message


def test_processing_can_be_switched_off(small_company):
    _edit_company(
        small_company, lambda c: c["data_protection"]["call_recording"].update(enabled=False)
    )
    details = check_company(small_company).company.details
    assert "call_recording" not in dict(details.data_protection.processing)


def test_unknown_data_protection_setting_and_bad_flag(small_company):
    def break_it(c):
        c["data_protection"]["screen_recording"] = True
        c["data_protection"]["no_transfer_outside_eu"] = "ja"

    _edit_company(small_company, break_it)
    assert (
        "not a known setting"
        in _problems(small_company, "company.data_protection.screen_recording")[0].message
    )
    assert (
        "true or false"
        in _problems(small_company, "company.data_protection.no_transfer_outside_eu")[0].message
    )


def test_register_court_without_number(small_company):
    _edit_company(small_company, lambda c: c.pop("register_number"))
    (problem,) = _problems(small_company, "company.register_number")
    assert "§ 35a GmbHG" in problem.message
