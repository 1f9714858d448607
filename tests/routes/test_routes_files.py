"""Every file ``remoteops routes`` writes stays in its output folder: names come only from
``remoteops.files.safe_file`` (employee IDs) and ``slug`` (van names), whatever the
inventory says. ``remoteops check`` refuses such IDs too; these tests reach the writers with
a company built in code, as a library user or a future loader could."""

from __future__ import annotations

import dataclasses

import pytest
from routes_helpers import FAST, MONDAY, company, ring

from remoteops.files import UnsafeFileNameError
from remoteops.models import Van
from remoteops.routes import operations
from remoteops.routes import store as rs
from remoteops.routes.planning import delivery_problem, plan_deliveries
from remoteops.state import StateStore


def _files(folder):
    """Every file under ``folder``, but the state database (its -wal/-shm files come and go)."""
    return sorted(
        p.relative_to(folder)
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith("state.db")
    )


def _planned(tmp_path, firm):
    plan = plan_deliveries(delivery_problem(firm, MONDAY, 1), options=FAST)
    assert plan.runs and not plan.left_over
    store = StateStore(tmp_path / "state" / "state.db")
    with store.transaction() as conn:
        rs.save_plan(conn, plan, audit=store.audit)
    return store


@pytest.mark.parametrize("bad", ["../../pwn", "ABSOLUTE", "sub/pwn", ".hidden", "E1.ics\nx"])
def test_notify_refuses_an_employee_id_that_would_leave_the_folder(tmp_path, bad):
    if bad == "ABSOLUTE":
        bad = str(tmp_path / "x" / "pwn")  # like /tmp/x/pwn, but inside this test's folder
    people = ring(4)
    people[2] = dataclasses.replace(people[2], employee_id=bad)
    firm = company(people)
    store = _planned(tmp_path, firm)
    out = tmp_path / "a" / "b" / "out"
    before = _files(tmp_path)

    with pytest.raises(UnsafeFileNameError) as caught:
        operations.write_notifications(firm, store, MONDAY, out)
    store.close()

    assert repr(bad) in caught.value.message or repr(f"{bad}.txt") in caught.value.message
    assert caught.value.hint and "remoteops check" in caught.value.hint
    # Nothing written, inside out/ or anywhere else: not even the good employees' files.
    assert _files(tmp_path) == before
    assert not (tmp_path / "x").exists() and not (tmp_path / "a" / "pwn.ics").exists()


def test_notify_writes_only_plain_files_in_its_folder(tmp_path):
    firm = company(ring(3))
    store = _planned(tmp_path, firm)
    out = tmp_path / "out"
    written = operations.write_notifications(firm, store, MONDAY, out)
    store.close()
    assert sorted(p.name for p in written) == sorted(
        f"E00{k}.{ext}" for k in (1, 2, 3) for ext in ("ics", "txt")
    )
    assert all(p.parent == out for p in written)


def test_run_sheet_and_map_names_come_from_the_van_slug(tmp_path):
    firm = company(ring(3))
    firm = dataclasses.replace(
        firm, delivery=dataclasses.replace(firm.delivery, vans=(Van("../../Bus /1", 40),))
    )
    store = _planned(tmp_path, firm)
    out = tmp_path / "out" / "sheets"
    sheets = operations.write_run_sheets(firm, store, MONDAY, out)
    maps = operations.write_maps(firm, store, MONDAY, tmp_path / "out" / "maps")
    store.close()
    assert sorted(p.name for p in sheets) == [
        "run-sheet-2027-03-01-bus-1.csv",
        "run-sheet-2027-03-01-bus-1.pdf",
    ]
    assert sorted(p.name for p in maps) == ["routes-2027-03-01.html", "routes-2027-03-01.png"]
    assert _files(tmp_path / "out") == sorted(
        [p.relative_to(tmp_path / "out") for p in sheets + maps]
    )
    assert [p for p in _files(tmp_path) if p.parts[0] != "out"] == []
