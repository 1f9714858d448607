"""The policies as data and the employee's message: complete, in both languages, plain."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from support_helpers import NOW

from remoteops.models import Company
from remoteops.support.messages import employee_message, message_language
from remoteops.support.policies import (
    POLICIES,
    REPAIR_ACTIONS,
    SEVERITIES,
    Limits,
    policy,
)
from remoteops.support.results import Diagnosis, PolicyResult, failed, passed, unknown
from remoteops.synthetic import write_company

REPO = Path(__file__).resolve().parents[2]
#: Words an employee must never read: tools, packages, services.
JARGON = re.compile(
    r"\b(systemd|nftables|dpkg|apt|apt-get|wireguard|wg-quick|sudo|ssh|dconf|gdm3?|"
    r"timedatectl|loginctl|arecord|baresip|ansible|playbook|daemon|kernel|unit)\b",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def company(tmp_path_factory) -> Company:
    from remoteops.inventory import load_company

    root = tmp_path_factory.mktemp("company") / "inventory"
    write_company(root, employees=8, seed=7)
    return load_company(root)


def test_every_policy_is_complete_and_unique():
    assert len({p.id for p in POLICIES}) == len(POLICIES) >= 15
    for p in POLICIES:
        assert p.severity in SEVERITIES, p.id
        assert p.question.endswith("?") and p.title and p.failing, p.id
        assert p.repair is None or p.repair in REPAIR_ACTIONS, p.id
        assert set(p.resolution) == {"de", "en"}, p.id
        assert all(len(text) > 40 for text in p.resolution.values()), p.id


def test_the_named_checks_are_all_there():
    ids = {p.id for p in POLICIES}
    assert ids == {
        "reachable",
        "vpn",
        "dns",
        "clock",
        "disk",
        "security-updates",
        "packages",
        "reboot",
        "firewall",
        "screen-lock",
        "softphone",
        "headset",
        "failed-services",
        "baseline",
        "remote-desktop",
    }


@pytest.mark.parametrize("p", POLICIES, ids=[p.id for p in POLICIES])
def test_resolutions_carry_no_jargon(p):
    for language, text in p.resolution.items():
        assert not JARGON.search(text), (p.id, language, JARGON.search(text).group(0))


def test_the_fleet_labels_carry_the_limits():
    limits = Limits(updates_max_age_days=7, disk_max_percent=85)
    assert policy("security-updates").failing_text(limits) == "security updates older than 7 days"
    assert policy("disk").failing_text(limits) == "file systems fuller than 85 %"
    assert policy("disk").question_text(limits) == "Is every file system at most 85 % full?"


def test_the_limit_defaults_are_the_roles_defaults():
    defaults = yaml.safe_load(
        (REPO / "playbooks/roles/wks_diagnose/defaults/main.yml").read_text(encoding="utf-8")
    )
    assert Limits() == Limits(
        disk_max_percent=defaults["wks_diagnose_disk_max_percent"],
        vpn_max_handshake_age=defaults["wks_diagnose_vpn_max_handshake_age"],
        updates_max_age_days=defaults["wks_diagnose_updates_max_age_days"],
        screen_lock_max_idle_seconds=defaults["wks_diagnose_screen_lock_max_idle_seconds"],
    )
    assert Limits.from_findings({"disk_max_percent": "70", "vpn_max_handshake_age": "x"}) == (
        Limits(disk_max_percent=70)
    )


def _diagnosis(verdicts: dict, reachable: bool = True) -> Diagnosis:
    return Diagnosis(
        host="ws-e0001",
        employee_id="E0001",
        at=NOW,
        actor="tester",
        reachable=reachable,
        results=tuple(PolicyResult.of(p, v, NOW) for p, v in verdicts.items()),
        error=None if reachable else "Unreachable: nothing answers on its SSH port.",
    )


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_message_with_every_policy_failing_is_plain_and_complete(company, language):
    everything = _diagnosis(
        {p.id: failed("dpkg says: systemd unit nftables.service failed") for p in POLICIES[1:]}
    )
    employee = company.employee("E0001")
    text = employee_message(everything, employee, company, language)
    assert not JARGON.search(text), JARGON.search(text).group(0)
    assert text.startswith({"de": "Guten Tag ", "en": "Hello "}[language] + employee.full_name)
    for p in POLICIES[1:]:
        assert p.resolution[language] in text, p.id
    assert company.details.it_support.phone in text
    high = text.index(policy("vpn").resolution[language])
    low = text.index(policy("remote-desktop").resolution[language])
    assert high < low  # the most severe first


def test_a_healthy_workstation_gets_a_short_all_clear(company):
    text = employee_message(
        _diagnosis({"reachable": passed("reached"), "disk": passed("fine")}),
        company.employee("E0001"),
        company,
        "en",
    )
    assert "we have just checked your computer remotely: it is in good order." in text
    assert "could not be completed" not in text


def test_checks_that_could_not_run_are_mentioned_without_detail(company):
    text = employee_message(
        _diagnosis({"reachable": passed("reached"), "clock": unknown("timedatectl: no bus")}),
        None,
        company,
        "de",
    )
    assert text.startswith("Guten Tag,\n")
    assert "Einige Prüfungen konnten wir aus der Ferne nicht abschließen" in text
    assert "timedatectl" not in text


@pytest.mark.parametrize(
    "language, checks",
    [
        ("de", ["eingeschaltet", "Netzwerkkabel", "WLAN", "VPN-Symbol", "Router"]),
        ("en", ["switched on", "network cable", "Wi-Fi", "VPN icon", "router"]),
    ],
)
def test_an_unreachable_workstation_tells_the_employee_what_to_check(company, language, checks):
    down = _diagnosis({"reachable": failed("Unreachable")}, reachable=False)
    text = employee_message(down, company.employee("E0001"), company, language)
    for word in checks:
        assert word in text
    assert not JARGON.search(text)


def test_the_message_language_is_the_employees(company):
    assert message_language(company.employee("E0001")) == "en"
    assert message_language(company.employee("E0002")) == "de"
    assert message_language(None) == "de"
