"""An invented company with one employee, for checking templates without an inventory."""

from __future__ import annotations

import datetime as dt

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
    Van,
)


def sample_company(
    *, works_agreement: str | None = "Betriebsvereinbarung Mobiles Arbeiten vom 1. März 2026"
) -> tuple[Company, Employee]:
    """(company, employee): every field filled, two monitors, a telework employee."""
    address = Address("Musterstraße 1", "10115", "Berlin")
    details = CompanyDetails(
        legal_name="Muster Kundenservice GmbH",
        short_name="MKS",
        address=address,
        managing_director="Erika Beispiel",
        data_protection_officer=Person("Dr. Max Datenschutz", "dsb@example.org", "+49 30 1234-50"),
        it_support=Person("IT-Service", "it@example.org", "+49 30 1234-20"),
        it_support_hours="Mo-Fr 08:00-18:00",
        hr_contact=Person("Petra Personal", "hr@example.org", "+49 30 1234-10"),
        works_agreement=works_agreement,
        contact_hours="09:00-16:00",
    )
    employee = Employee(
        employee_id="E9999",
        first_name="Erika",
        last_name="Mustermann",
        email="erika.mustermann@example.org",
        phone="+49 151 00000000",
        language="de",
        team="Inbound",
        address=Address("Beispielweg 12", "12345", "Berlin"),
        location=GeoPoint(52.52, 13.40),
        home_office_start=dt.date(2026, 12, 1),
        home_days_per_week=3,
        weekly_hours=37.5,
        work_model="telearbeit",
    )
    assets = (
        Asset("MKS-PC-1", "pc", "Fujitsu Esprimo D7010", "YM000001", "E9999", 1),
        Asset("MKS-MON-2", "monitor", "HP E24 G4", "CN000002", "E9999", 1),
        Asset("MKS-MON-3", "monitor", "HP E24 G4", "CN000003", "E9999", 1),
        Asset("MKS-HS-4", "headset", "Jabra Evolve2 40", "JB000004", "E9999", 0),
        Asset("MKS-KB-5", "keyboard", "Logitech K280e", "LG000005", "E9999", 1),
        Asset("MKS-MS-6", "mouse", "Logitech M100", "LG000006", "E9999", 0),
    )
    site = Site("HQ", "Zentrale", address, GeoPoint(52.53, 13.38), depot=True)
    delivery = DeliverySettings(
        vans=(Van("Van 1", 40),), day_start=dt.time(8, 0), day_end=dt.time(17, 0)
    )
    company = Company(
        root="<sample>",
        details=details,
        sites=(site,),
        delivery=delivery,
        employees=(employee,),
        assets=assets,
        workstations=(),
    )
    return company, employee
