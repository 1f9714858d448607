"""The rota through the command line, as a support lead uses it: plan, look at it, see who
is on duty, swap and cover (refused when a rule breaks), check a CSV made elsewhere,
export calendars, CSV and the printable week."""

from __future__ import annotations

import csv
import datetime as dt
import json
import stat

import pytest
from pdfcheck import pdfium_pages, qpdf_problems
from rota_helpers import MONDAY

from remoteops.rota import store as rota_store
from remoteops.rota.settings import Duty
from remoteops.state import StateStore

T = dt.time


def hand_made(ids: list[str]) -> list[Duty]:
    """Week 2027-W01: A phone Mon, B chat Mon (until 22:00), C phone Tue, D chat Tue,
    E on call Sat and Sun."""
    a, b, c, d, e = ids[:5]
    tue = MONDAY + dt.timedelta(days=1)
    sat, sun = MONDAY + dt.timedelta(days=5), MONDAY + dt.timedelta(days=6)
    return [
        Duty(MONDAY, a, "phone", T(8), T(16, 30), 30, "day"),
        Duty(MONDAY, b, "chat", T(14), T(22), 30, "eve"),
        Duty(tue, c, "phone", T(8), T(16, 30), 30, "day"),
        Duty(tue, d, "chat", T(14), T(22), 30, "eve"),
        Duty(sat, e, "on-call", T(8), T(14), 0, "short"),
        Duty(sun, e, "on-call", T(8), T(14), 0, "short"),
    ]


def plan_week(cli, root):
    return cli(
        "-i",
        root,
        "rota",
        "plan",
        "--from",
        "2027-01-04",
        "--weeks",
        "1",
        "--seconds",
        "3",
        "--json",
    )


def write_rows(path, rows) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def stored(rota_company, cli, state_target, monkeypatch):
    """The small company with the hand-made week stored as a plan of 2027-W01, on both
    databases (the commands find it through ``REMOTEOPS_STATE``)."""
    root, ids = rota_company
    monkeypatch.setenv("REMOTEOPS_STATE", state_target)
    with StateStore(state_target) as store, store.transaction() as conn:
        rota_store.save_plan(
            conn,
            MONDAY,
            MONDAY + dt.timedelta(days=6),
            hand_made(ids),
            [],
            solver={},
            summary={},
            audit=store.audit,
            actor="test",
        )
    return root, ids


def test_check_loads_the_rota_and_names_wrong_fields(cli, rota_company):
    root, ids = rota_company
    ok = cli("-i", root, "check")
    assert ok.exit_code == 0, ok.output
    text = (root / "rota.yml").read_text(encoding="utf-8")
    text = text.replace(
        'days: Sat-Sun, hours: "08:00-14:00"', 'days: Sat-Sun, hours: "08:00-14:00"'
    )
    text = text.replace('    legal_basis: "§ 10 Abs. 1 Nr. 14 ArbZG"\n', "")
    text = text.replace(
        'short: {start: "08:00", end: "14:00", break: 0}',
        'short: {start: "08:00", end: "15:00", break: 0}',
    )
    text = text.replace(f"employee_id: {ids[0]},", "employee_id: E9999,")
    (root / "rota.yml").write_text(text, encoding="utf-8")
    bad = cli("-i", root, "check", "--json")
    assert bad.exit_code == 1
    problems = {
        p["field"]: p["message"]
        for p in json.loads(bad.stdout)[0]["problems"]
        if p["file"].endswith("rota.yml")
    }
    assert "§ 9 ArbZG" in problems["channels.on-call.need[0].days"]
    assert "at least 30 minutes of break (§ 4 ArbZG" in problems["shifts.short.break"]
    assert problems["people[0].employee_id"] == "'E9999' is not in employees.csv."


def test_plan_show_now_fairness_and_check(cli, rota_company):
    root, ids = rota_company
    plan = plan_week(cli, root)
    assert plan.exit_code == 0, plan.output
    data = json.loads(plan.stdout)[0]
    assert data["violations"] == [] and data["gaps"] == []
    assert {r["channel"]: r["coverage_percent"] for r in data["coverage"]} == {
        "phone": 100.0,
        "chat": 100.0,
        "on-call": 100.0,
    }
    assert data["solver"]["workers"] == 2
    assert len(data["duties"]) == 12  # 5 phone, 5 chat, 2 on call

    grid = json.loads(cli("-i", root, "rota", "show", "--week", "2027-W01", "--json").stdout)
    cells = [c for row in grid for k, c in row.items() if k.startswith("2027-") and c]
    assert sorted(c.split()[0] for c in cells) == ["chat"] * 5 + ["on-call"] * 2 + ["phone"] * 5

    now = json.loads(cli("-i", root, "rota", "now", "--at", "2027-01-05 10:00", "--json").stdout)
    phone = next(r for r in now if r["channel"] == "phone")
    assert phone["hotline"] == "+49 30 1234 400" and phone["missing"] == 0
    assert len(phone["on_duty"]) == 1 and "+49" in phone["on_duty"][0]
    chat = next(r for r in now if r["channel"] == "chat")
    assert chat["on_duty"] == [] and chat["needed"] == 0

    fairness = json.loads(cli("-i", root, "rota", "fairness", "--json").stdout)
    assert sum(r["duties"] for r in fairness) == 12
    assert sum(r["on_call"] for r in fairness) == 2
    assert cli("-i", root, "rota", "check").exit_code == 0


def test_a_cover_that_breaks_the_rest_rule_is_refused_and_a_good_one_logged(cli, stored):
    root, ids = stored
    a, b, c, d, e = ids[:5]
    refused = cli("-i", root, "rota", "cover", "2027-01-05", c, "--by", b)
    assert refused.exit_code == 1
    assert "§ 5 Abs. 1 ArbZG" in refused.stderr and "10 h of rest" in refused.stderr
    swap = cli("-i", root, "rota", "swap", "2027-01-05", c, b)
    assert swap.exit_code == 1 and "§ 5 Abs. 1 ArbZG" in swap.stderr
    log = json.loads(cli("-i", root, "log", "--action", "rota.", "--json").stdout)
    assert [entry["action"] for entry in log] == ["rota.plan"]

    ok = cli("-i", root, "rota", "cover", "2027-01-05", c, "--by", e)
    assert ok.exit_code == 0, ok.output
    now = json.loads(cli("-i", root, "rota", "now", "--at", "2027-01-05 09:00", "--json").stdout)
    assert [e in x for x in next(r for r in now if r["channel"] == "phone")["on_duty"]] == [True]
    log = json.loads(cli("-i", root, "log", "--action", "rota.cover", "--json").stdout)
    assert sorted(entry["employee_id"] for entry in log) == sorted([c, e])
    assert log[0]["details"]["removed"] == [f"{c} phone 2027-01-05 08:00-16:30"]


def test_a_swap_that_keeps_the_rules_is_done(cli, stored):
    root, ids = stored
    a, b = ids[:2]
    ok = cli("-i", root, "rota", "swap", "2027-01-04", a, b)
    assert ok.exit_code == 0, ok.output
    grid = json.loads(cli("-i", root, "rota", "show", "--week", "2027-W01", "--json").stdout)
    by_id = {row["employee_id"]: row["2027-01-04"] for row in grid}
    assert (by_id[a], by_id[b]) == ("chat 14:00-22:00", "phone 08:00-16:30")


def test_check_of_an_imported_csv_names_the_law(cli, stored, tmp_path):
    root, ids = stored
    assert cli("-i", root, "rota", "export", "--format", "csv").exit_code == 0
    exported = tmp_path / "out" / "rota" / "rota-2027-01-04-2027-01-10.csv"
    assert cli("-i", root, "rota", "check", exported).exit_code == 0
    with open(exported, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rows.append(
        {**rows[0], "day": "2027-01-07", "start": "08:00", "end": "15:00", "break_minutes": "0"}
    )
    rows.append({**rows[0], "day": "2027-01-10", "channel": "phone"})
    broken = tmp_path / "broken.csv"
    write_rows(broken, rows)
    result = cli("-i", root, "rota", "check", broken, "--json")
    assert result.exit_code == 1
    laws = sorted({v["law"].split(":")[0] for v in json.loads(result.stdout)[0]["violations"]})
    assert laws == ["§ 4 ArbZG", "§ 9 Abs. 1 ArbZG"]

    rows[1]["channel"] = "fax"
    write_rows(broken, rows)
    wrong = cli("-i", root, "rota", "check", broken)
    assert wrong.exit_code == 1
    assert "broken.csv:3: channel: 'fax' is not a channel of rota.yml." in wrong.stderr
    assert "Traceback" not in wrong.output


def test_export_calendars_and_the_printable_week(cli, stored, tmp_path):
    from icalendar import Calendar

    root, ids = stored
    result = cli("-i", root, "rota", "export", "--week", "2027-W01")
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / "rota"
    person = Calendar.from_ical((folder / "ics" / f"person-{ids[4]}.ics").read_bytes())
    events = person.walk("VEVENT")
    assert [(e["dtstart"].dt.isoformat(), e["dtend"].dt.isoformat()) for e in events] == [
        ("2027-01-09T08:00:00+01:00", "2027-01-09T14:00:00+01:00"),
        ("2027-01-10T08:00:00+01:00", "2027-01-10T14:00:00+01:00"),
    ]
    channel = Calendar.from_ical((folder / "ics" / "channel-phone.ics").read_bytes())
    assert len(channel.walk("VEVENT")) == 2
    pdf = folder / "rota-2027-W01.pdf"
    assert qpdf_problems(pdf) == []
    text = " ".join(pdfium_pages(pdf))
    assert "Support-Rota 04.01.2027 - 10.01.2027" in text
    assert ids[0] in text and "phone" in text
    for path in [pdf, *folder.rglob("*.ics"), *folder.glob("*.csv"), *folder.glob("*.json")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_absences_template_import_and_a_wrong_row(cli, rota_company, tmp_path):
    root, ids = rota_company
    template = tmp_path / "absences.csv"
    assert cli("-i", root, "rota", "absences", "template", template).exit_code == 0
    with open(template, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["employee_id"] for r in rows] == ids
    rows[0].update({"from": "2027-01-04", "to": "2027-01-08", "kind": "vacation"})
    rows[1].update({"from": "2027-01-05", "kind": "holiday"})
    write_rows(template, rows)
    wrong = cli("-i", root, "rota", "absences", "import", template)
    assert wrong.exit_code == 1
    assert "absences.csv:3: kind: 'holiday' is not one of vacation" in wrong.stderr
    assert not (root / "rota_absences.csv").exists()

    rows[1].update({"from": "", "kind": ""})
    write_rows(template, rows)
    ok = cli("-i", root, "rota", "absences", "import", template)
    assert ok.exit_code == 0, ok.output
    assert "Added 1 row(s)" in ok.stdout
    assert stat.S_IMODE((root / "rota_absences.csv").stat().st_mode) == 0o600
    listed = json.loads(cli("-i", root, "rota", "absences", "list", "--json").stdout)
    assert [(r["employee_id"], r["from"], r["to"], r["kind"]) for r in listed] == [
        (ids[0], "2027-01-04", "2027-01-08", "vacation")
    ]
    plan = plan_week(cli, root)
    duties = json.loads(plan.stdout)[0]["duties"]
    assert [d for d in duties if d["employee_id"] == ids[0] and d["day"] <= "2027-01-08"] == []


def test_without_rota_yml_the_commands_say_what_to_do(cli, small_company):
    result = cli("-i", small_company, "rota", "plan", "--from", "2027-01-04")
    assert result.exit_code == 1
    assert "has no support rota (rota.yml is missing)" in result.stderr
    assert "Traceback" not in result.output


def test_every_rota_command_has_an_example(cli):
    for command in (
        "plan",
        "show",
        "now",
        "coverage",
        "fairness",
        "check",
        "swap",
        "cover",
        "export",
    ):
        result = cli("rota", command, "--help")
        assert result.exit_code == 0 and "Example" in result.stdout, command
    for command in ("list", "template", "import"):
        result = cli("rota", "absences", command, "--help")
        assert result.exit_code == 0 and "Example" in result.stdout, command


def test_check_and_help_do_not_import_the_solver(rota_company, tmp_path):
    import subprocess
    import sys

    root, _ = rota_company
    script = (
        "import sys\n"
        "from remoteops.cli import main\n"
        "main(['rota', '--help']); main(['check', sys.argv[1]])\n"
        "print('HEAVY', [m for m in sys.modules if m.split('.')[0] in ('ortools', 'icalendar',"
        " 'weasyprint')])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(root)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "REMOTEOPS_STATE": str(tmp_path / "s.db")},
        check=False,
    )
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr
