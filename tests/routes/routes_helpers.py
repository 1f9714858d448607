"""Small companies built in code for the delivery-run tests, and independent plan checks."""

from __future__ import annotations

import datetime as dt
import json
import math
import re

from remoteops.models import (
    Address,
    Asset,
    Company,
    CompanyDetails,
    DeliverySettings,
    Employee,
    GeoPoint,
    Person,
    Site,
    TimeWindow,
    Van,
)

DEPOT = GeoPoint(52.5118, 13.3915)  # Berlin-Mitte
#: The mean Earth radius (IUGG), in metres: the tests' own great-circle distance.
MEAN_EARTH_RADIUS_M = 6_371_008.8
MONDAY = dt.date(2027, 3, 1)  # a Monday without holidays around it


def employee(
    employee_id: str,
    lat: float,
    lon: float,
    *,
    window: TimeWindow | None = None,
    start: dt.date | None = MONDAY,
) -> Employee:
    return Employee(
        employee_id=employee_id,
        first_name="Test",
        last_name=f"Person {employee_id}",
        email=f"{employee_id.lower()}@example.org",
        phone="+49 30 23125 999",
        language="de",
        team="Inbound",
        address=Address(f"Teststraße {employee_id[-2:]}", "10115", "Berlin"),
        location=GeoPoint(lat, lon),
        home_office_start=start,
        delivery_window=window,
    )


def assets_for(employee_id: str, boxes: int) -> list[Asset]:
    return [
        Asset(f"T-{employee_id}-{k}", "monitor", "Test 24", f"SN{employee_id}{k}", employee_id, 1)
        for k in range(boxes)
    ]


def company(
    employees: list[Employee],
    *,
    boxes: dict[str, int] | int = 4,
    vans: int = 1,
    capacity: int = 40,
    day: tuple[dt.time, dt.time] = (dt.time(8, 0), dt.time(17, 0)),
    multi_trip: bool = True,
    holidays: tuple[dt.date, ...] = (),
    break_minutes: int = 0,
    lead_days: int = 1,
    rental: str = "per-day",
) -> Company:
    person = Person("Someone", "someone@example.org", "+49 30 23125 100")
    address = Address("Charlottenstraße 57", "10117", "Berlin")
    assets: list[Asset] = []
    for e in employees:
        n = boxes if isinstance(boxes, int) else boxes[e.employee_id]
        assets.extend(assets_for(e.employee_id, n))
    return Company(
        root="<in memory>",
        details=CompanyDetails(
            legal_name="Test GmbH",
            short_name="TST",
            address=address,
            managing_director="Dr. Test",
            data_protection_officer=person,
            it_support=person,
            it_support_hours="Mo-Fr 08:00-18:00",
            hr_contact=person,
        ),
        sites=(Site("HQ", "Head office", address, DEPOT, depot=True),),
        delivery=DeliverySettings(
            vans=tuple(Van(f"Van {k + 1}", capacity) for k in range(vans)),
            day_start=day[0],
            day_end=day[1],
            multi_trip=multi_trip,
            holidays=holidays,
            break_minutes=break_minutes,
            lead_days=lead_days,
            rental=rental,
        ),
        employees=tuple(employees),
        assets=tuple(assets),
        workstations=(),
    )


def ring(count: int, *, radius_km: float = 8.0, prefix: str = "E", **kw) -> list[Employee]:
    """``count`` employees spread on a circle around the depot (deterministic)."""
    out = []
    for k in range(count):
        angle = 2 * math.pi * k / count
        r = radius_km * (0.4 + 0.6 * ((k * 7) % count) / max(1, count - 1))
        lat = DEPOT.latitude + r / 111.2 * math.sin(angle)
        lon = DEPOT.longitude + r / (111.2 * math.cos(math.radians(DEPOT.latitude))) * math.cos(
            angle
        )
        out.append(employee(f"{prefix}{k + 1:03d}", lat, lon, **kw))
    return out


def haversine_m(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance in metres by the haversine formula, written here so the tests
    do not check the library against itself."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat, dlon = lat2 - lat1, math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * MEAN_EARTH_RADIUS_M * math.asin(math.sqrt(h))


def days_late(due: dt.date, day: dt.date, holidays=()) -> int:
    """Working days (Monday to Friday, not a holiday) after ``due`` up to ``day``; a delivery
    after the due date is at least 1 day late (also after a weekend only)."""
    if day <= due:
        return 0
    count = 0
    for k in range(1, (day - due).days + 1):
        d = due + dt.timedelta(days=k)
        count += d.weekday() < 5 and d not in holidays
    return max(count, 1)


def seconds(t: dt.datetime | dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def check_plan(plan, problem) -> None:
    """Everything a plan must never violate, checked from the plan's own numbers."""
    vans = {(v.day, v.van): v for v in problem.van_days}
    stops = {s.employee.employee_id: s for s in problem.stops}
    seen: list[str] = []
    for run in plan.runs:
        van = vans[(run.day, run.van)]
        assert run.start.date() == run.day and run.end.date() == run.day
        assert run.start.time() >= van.start, (run.van, run.day, run.start)
        assert run.end.time() <= van.end, (run.van, run.day, run.end)
        assert run.working_minutes <= (seconds(van.end) - seconds(van.start)) / 60 + 1e-6
        for trip in range(1, run.trips + 1):
            assert sum(s.boxes for s in run.trip_stops(trip)) <= van.capacity
        if not van.multi_trip:
            assert run.trips == 1
        previous_end = run.start
        for s in run.stops:
            e = stops[s.employee_id].employee
            seen.append(s.employee_id)
            assert s.boxes == stops[s.employee_id].boxes
            assert s.arrival >= previous_end
            assert s.service_start >= s.arrival
            assert (s.service_end - s.service_start).total_seconds() == 60 * stops[
                s.employee_id
            ].service_minutes
            assert s.window_start <= s.service_start <= s.window_end
            if e.delivery_window is not None:
                w = e.delivery_window
                assert run.day.weekday() in w.weekdays, (s.employee_id, run.day)
                assert s.service_start.time() >= w.start, (s.employee_id, s.service_start)
                assert s.service_end.time() <= w.end, (s.employee_id, s.service_end)
            previous_end = s.service_end
            stop = stops[s.employee_id]
            if stop.ready is not None:
                assert run.day >= stop.ready, (s.employee_id, run.day, stop.ready)
            assert s.due == stop.due
            if stop.due is not None:
                assert s.days_late == days_late(stop.due, run.day, problem.holidays)
    left = [x.employee_id for x in plan.left_over]
    assert len(seen) == len(set(seen)), "an employee is planned twice"
    assert sorted(seen + left) == sorted(stops), "every employee is planned or left over"


def fast_options():
    """Short, iteration-bounded solver settings for tests (deterministic)."""
    from remoteops.routes.solver import SolveOptions

    return SolveOptions(seconds=30, seed=3, max_iterations=150)


FAST = fast_options()


def data_block(page: str) -> dict:
    """The runs a map page carries as data (its JSON block), parsed."""
    match = re.search(
        r'<script type="application/json" id="routes-data">(.*?)</script>', page, re.S
    )
    assert match, "the map page has its data block"
    return json.loads(match.group(1))
