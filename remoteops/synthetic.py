"""Generate a synthetic call-centre company for remoteops: all of its data is invented.

Every name, address, phone number, e-mail address, serial number and asset tag written by
this module is made up from the tables below with a seeded random generator. Any likeness to
real people is coincidence. Phone numbers come from the ranges the Bundesnetzagentur keeps
free for media productions ("drama numbers"); e-mail domains use the reserved ``.example``
top-level domain. Districts, postcodes and street names are real so that delivery runs look
like Berlin; house numbers and coordinates are drawn at random and tied to invented people.

The output is a complete ``inventory/`` folder: ``employees.csv``, ``assets.csv``,
``hosts.yml``, ``group_vars/all.yml`` and ``company.yml``. The same seed, size and start date
always give byte-identical files.

Example::

    python -m remoteops.synthetic inventory --employees 150 --seed 2020
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import pathlib
import random
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import yaml

from remoteops.workmodel import TELEARBEIT_MIN_HOME_DAYS

T = TypeVar("T")

EMPLOYEE_COLUMNS = (
    "employee_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "language",
    "team",
    "street",
    "postcode",
    "city",
    "latitude",
    "longitude",
    "status",
    "home_office_start",
    "home_days_per_week",
    "weekly_hours",
    "work_model",
    "delivery_days",
    "delivery_hours",
    "delivery_note",
)
ASSET_COLUMNS = ("asset_tag", "type", "model", "serial_number", "employee_id", "boxes", "condition")

DEFAULT_START = dt.date(2026, 12, 1)
HOME_OFFICE_WINDOW_DAYS = 14  # home-office starts fall on working days in [start, start + 14)
HOLIDAY_HORIZON_DAYS = 56  # company.yml lists closed days from start to start + 8 weeks

# --- the company --------------------------------------------------------------------------

SHORT_NAME = "HKS"
DOMAIN = "hks-berlin.example"
# Berlin's drama-number block (0)30 23125 000-999 is never assigned to a subscriber.
OFFICE_PHONE = "+49 30 23125 {:03d}"

COMPANY = {
    "legal_name": "Hauptstadt Kundenservice GmbH",
    "short_name": SHORT_NAME,
    "street": "Charlottenstraße 57",
    "postcode": "10117",
    "city": "Berlin",
    "managing_director": "Dr. Katharina Brenner",
    "hr_contact": {
        "name": "Susanne Albrecht",
        "email": f"personal@{DOMAIN}",
        "phone": OFFICE_PHONE.format(120),
    },
    "data_protection_officer": {
        "name": "Matthias Kühn",
        "email": f"datenschutz@{DOMAIN}",
        "phone": OFFICE_PHONE.format(150),
    },
    "it_support": {
        "name": "IT-Service",
        "email": f"it-service@{DOMAIN}",
        "phone": OFFICE_PHONE.format(200),
        "hours": "Mo-Fr 08:00-18:00",
    },
    "works_agreement": "Betriebsvereinbarung Mobiles Arbeiten vom 12.03.2026",
    "contact_hours": "09:00-16:00",
    "seat": "Berlin",
    "register_court": "Amtsgericht Charlottenburg",
    "register_number": "HRB 214365 B",
    "signatory": {
        "name": "Dr. Katharina Brenner",
        "role": {"de": "Geschäftsführerin", "en": "Managing Director"},
    },
    "home_office_allowance": {
        "monthly_eur": 30,
        "covers": {
            "de": "Strom, Heizung, Raumnutzung und die Mitbenutzung des privaten "
            "Internetanschlusses",
            "en": "electricity, heating, use of the room and shared use of the private "
            "internet connection",
        },
    },
    "data_protection": {
        "no_transfer_outside_eu": True,
        "no_screen_recording": True,
        "telephony_status": {
            "purpose": {
                "de": "Anmeldestatus und Status in der Telefonanlage (ACD: bereit, im Gespräch, "
                "Nachbearbeitung, Pause) zur Verteilung der Anrufe und Steuerung der "
                "Besetzung in Echtzeit",
                "en": "login state and status in the telephone system (ACD: ready, on a call, "
                "wrap-up, break) to route calls and manage staffing in real time",
            },
            "legal_basis": {
                "de": "Art. 6 Abs. 1 lit. b DSGVO und die Betriebsvereinbarung "
                "Telefonie vom 12.03.2026 (Art. 88 DSGVO)",
                "en": "Art. 6(1)(b) GDPR and the works agreement on telephony of "
                "12 March 2026 (Art. 88 GDPR)",
            },
            "retention": {
                "de": "personenbezogen 30 Tage, danach nur anonymisierte Teamstatistik",
                "en": "30 days in personal form, then only as anonymised team statistics",
            },
        },
        "handling_times": {
            "purpose": {
                "de": "Gesprächs- und Nachbearbeitungszeiten, Zahl der Anrufe, zur "
                "Personaleinsatzplanung und für Teamauswertungen; eine Auswertung einzelner "
                "Beschäftigter nur nach der Betriebsvereinbarung",
                "en": "talk and wrap-up times and number of calls, for workforce planning and "
                "team reports; individual evaluation only under the works agreement",
            },
            "legal_basis": {
                "de": "Art. 6 Abs. 1 lit. f DSGVO und die Betriebsvereinbarung Telefonie vom "
                "12.03.2026 (Art. 88 DSGVO)",
                "en": "Art. 6(1)(f) GDPR and the works agreement on telephony of 12 March 2026 "
                "(Art. 88 GDPR)",
            },
            "retention": {
                "de": "personenbezogen 90 Tage, danach anonymisiert",
                "en": "90 days in personal form, then anonymised",
            },
        },
        "call_recording": {
            "purpose": {
                "de": "Aufzeichnung von Gesprächen zur Qualitätssicherung und Schulung, nur "
                "wenn Anrufer und Beschäftigte im Einzelfall eingewilligt haben",
                "en": "recording of calls for quality assurance and training, only where the "
                "caller and the employee have consented in the individual case",
            },
            "legal_basis": {
                "de": "Art. 6 Abs. 1 lit. a DSGVO (Einwilligung, jederzeit widerruflich); "
                "§ 201 StGB",
                "en": "Art. 6(1)(a) GDPR (consent, which can be withdrawn at any time); "
                "section 201 German Criminal Code",
            },
            "retention": {
                "de": "30 Tage, danach gelöscht",
                "en": "30 days, then deleted",
            },
        },
        "silent_monitoring": {
            "purpose": {
                "de": "Mithören von Gesprächen durch die Teamleitung zur Qualitätssicherung "
                "und Schulung, nur nach Ankündigung zu Beginn der Schicht und ohne "
                "Aufzeichnung",
                "en": "team leaders listening in on calls for quality assurance and training, "
                "only when announced at the start of the shift and without recording",
            },
            "legal_basis": {
                "de": "Art. 6 Abs. 1 lit. f DSGVO und die Betriebsvereinbarung Telefonie vom "
                "12.03.2026 (Art. 88 DSGVO)",
                "en": "Art. 6(1)(f) GDPR and the works agreement on telephony of 12 March 2026 "
                "(Art. 88 GDPR)",
            },
            "retention": {
                "de": "Feedbackbogen 6 Monate; das Gespräch selbst wird nicht gespeichert",
                "en": "feedback form 6 months; the call itself is not stored",
            },
        },
    },
}
HEADQUARTERS = {
    "id": "HQ",
    "name": "Hauptsitz Berlin-Mitte",
    "street": "Charlottenstraße 57",
    "postcode": "10117",
    "city": "Berlin",
    "latitude": 52.511800,
    "longitude": 13.391500,
    "depot": True,
}
VAN_CAPACITY_BOXES = 40
#: Drivers and number plates of the vans (invented; plates use Berlin's "B" prefix).
VAN_DRIVERS = ("Dariusz Nowak", "Kerstin Lange", "Mehmet Aydın", "Jens Hoffmann")
DISPATCHER_PHONE = "+49 30 23125 300"
# A note for the driver for every fourth employee, chosen from the employee number (not
# drawn from the random generator, so the rest of the company stays as it was).
DELIVERY_NOTES = (
    "3. OG links, kein Aufzug",
    "Klingel: Hinterhaus, 2. Etage",
    "Parken im Hof möglich, Tor Code bei Anruf",
    "Bitte vorher anrufen, Hund im Haus",
    "EG rechts, Klingel defekt: bitte anrufen",
    "Seitenflügel, 4. OG mit Aufzug",
)
EMPLOYEES_PER_VAN = 60  # one van per 60 employees keeps a two-week roll-out comfortable

# --- people -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NamePool:
    """First names by gender and surnames as (male form, female form).

    ``rare_surnames`` (double names, nobility particles) are drawn with ``rare_share``.
    """

    female: tuple[str, ...]
    male: tuple[str, ...]
    surnames: tuple[tuple[str, str], ...]
    rare_surnames: tuple[tuple[str, str], ...] = ()
    rare_share: float = 0.0


def _same(*names: str) -> tuple[tuple[str, str], ...]:
    """Surnames that do not change with gender."""
    return tuple((name, name) for name in names)


# fmt: off
GERMAN = NamePool(
    female=(
        "Anna", "Anna-Lena", "Julia", "Laura", "Lea", "Lena", "Sarah", "Katrin", "Sabine",
        "Sandra", "Nicole", "Stefanie", "Kerstin", "Heike", "Birgit", "Ute", "Petra", "Mandy",
        "Peggy", "Jana", "Franziska", "Marie-Luise", "Jördis", "Dörte", "Käthe", "Jasmin",
        "Sophie", "Hannah", "Lisa-Marie", "Bärbel",
    ),
    male=(
        "Jürgen", "Jörg", "Björn", "Sören", "Günther", "Thomas", "Stefan", "Michael", "Andreas",
        "Matthias", "Frank", "Uwe", "Maik", "Ronny", "Jens", "Tobias", "Lukas", "Jonas", "Felix",
        "Maximilian", "Hans-Jürgen", "Karl-Heinz", "Jan-Ole", "Till", "Götz", "Torsten",
        "Niklas", "Jörn",
    ),
    surnames=_same(
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
        "Schulz", "Hoffmann", "Schröder", "Koch", "Bauer", "Richter", "Klein", "Wolf",
        "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hartmann", "Lange", "Werner",
        "Krause", "Lehmann", "Schulze", "Köhler", "Herrmann", "König", "Walter", "Kaiser",
        "Fuchs", "Peters", "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Vogel", "Friedrich",
        "Günther", "Winkler", "Lorenz", "Baumann", "Franke", "Albrecht", "Böhm", "Jäger",
        "Groß", "Kühn", "Pohl", "Gärtner", "Hübner", "Schäfer", "Fröhlich", "Voigt", "Thiele",
    ),
    rare_surnames=_same(
        "Müller-Lüdenscheidt", "Schulze-Böhm", "Krause-Jähnig", "Lehmann-Grüner",
        "Schmidt-Oßwald", "von Arnim", "van der Berg", "zu Putlitz", "von der Heide",
        "von Bülow",
    ),
    rare_share=0.08,
)
TURKISH = NamePool(
    female=(
        "Özlem", "Ayşe", "Elif", "Zeynep", "Fatma", "Gülay", "Emine", "Derya", "Melek", "Büşra",
    ),
    male=("Mehmet", "Mustafa", "Emre", "Murat", "Serkan", "Ömer", "Hakan", "Can", "Burak", "Cem"),
    surnames=_same(
        "Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Öztürk", "Aydın",
        "Arslan", "Doğan", "Koç", "Kılıç", "Yıldız",
        "Aksoy", "Erdem", "Güneş",
    ),
)
POLISH = NamePool(
    female=("Agnieszka", "Katarzyna", "Małgorzata", "Joanna", "Magdalena", "Ewa", "Aleksandra"),
    male=("Piotr", "Tomasz", "Łukasz", "Krzysztof", "Paweł", "Marek", "Wojciech"),
    surnames=(
        ("Kowalski", "Kowalska"),
        ("Wiśniewski", "Wiśniewska"),
        ("Kamiński", "Kamińska"),
        ("Lewandowski", "Lewandowska"),
        ("Zieliński", "Zielińska"),
        ("Szymański", "Szymańska"),
        ("Dąbrowski", "Dąbrowska"),
        *_same("Nowak", "Wójcik", "Kowalczyk", "Woźniak", "Mazur"),
    ),
)
ARABIC = NamePool(
    female=("Fatima", "Amira", "Layla", "Nour", "Rania", "Yasmin", "Hanan", "Samira"),
    male=("Mohammed", "Ahmad", "Omar", "Youssef", "Khaled", "Ali", "Hassan", "Karim", "Tarek"),
    surnames=_same(
        "Al-Hassan", "Haddad", "Khalil", "Saleh", "Nasser", "Hamdan", "Mansour", "El-Masri",
        "Abdallah", "Darwish", "Ibrahim", "Al-Khatib",
    ),
)
VIETNAMESE = NamePool(
    female=("Thi Huong", "Thi Lan", "Ngoc Anh", "Thu Trang", "Mai", "Linh", "Thi Hoa"),
    male=("Van Minh", "Duc Anh", "Quang Huy", "Tuan", "Minh", "Hoang Long", "Van Nam"),
    surnames=_same("Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu", "Dang", "Bui", "Do"),
)
ENGLISH = NamePool(
    female=(
        "Emma", "Olivia", "Sarah", "Chloe", "Megan", "Siobhan", "Grace", "Hannah", "Emily",
        "Charlotte",
    ),
    male=(
        "James", "Liam", "Sean", "Aidan", "Jack", "Oliver", "Daniel", "Connor", "Patrick",
        "Thomas",
    ),
    surnames=_same(
        "O'Brien", "Smith", "McAllister", "Johnson", "Walsh", "O'Connor", "Taylor", "Brown",
        "MacDonald", "Murphy", "Williams", "Campbell", "Kelly", "Evans", "Fitzgerald",
    ),
)
# fmt: on
#: Name origins of German-speaking staff, weighted roughly like Berlin's population.
GERMAN_SPEAKER_ORIGINS = ((GERMAN, 72), (TURKISH, 12), (POLISH, 6), (ARABIC, 5), (VIETNAMESE, 5))
ENGLISH_SPEAKER_ORIGINS = ((ENGLISH, 85), (VIETNAMESE, 15))
ENGLISH_SHARE = 0.10

GERMAN_TEAMS = (
    ("Inbound Strom", 35),
    ("Inbound Gas", 25),
    ("Outbound", 15),
    ("Beschwerden", 12),
    ("Backoffice", 13),
)
ENGLISH_TEAM = "Englischsprachiger Service"
ENGLISH_TEAM_SHARE = 0.85  # of English speakers; the rest work in a German-language team
TEAMS = (*(team for team, _ in GERMAN_TEAMS), ENGLISH_TEAM)

STATUS_SHARES = (("on-leave", 0.03), ("left", 0.01))  # everyone else is "active"
UNSCHEDULED_SHARE = 0.05  # active employees without a home-office start date yet
HOME_DAYS = ((5, 80), (4, 12), (3, 8))
WEEKLY_HOURS = ((40, 75), (30, 15), (20, 10))
WORK_MODELS = (("telearbeit", 85), ("mobile", 15))

# Delivery restrictions: (spec as HR writes it, weekdays with Monday = 0).
ALL_WEEKDAYS = (0, 1, 2, 3, 4)
UNRESTRICTED_DAYS = ((("", ALL_WEEKDAYS), 70), (("Mon-Fri", ALL_WEEKDAYS), 30))
RESTRICTED_DAYS = (
    ("Mon,Wed,Fri", (0, 2, 4)),
    ("Tue-Thu", (1, 2, 3)),
    ("Tue,Thu", (1, 3)),
    ("Mon-Wed", (0, 1, 2)),
    ("Wed-Fri", (2, 3, 4)),
    ("Mon,Tue", (0, 1)),
    ("Thu,Fri", (3, 4)),
)
RESTRICTED_DAYS_SHARE = 0.20
# Every window overlaps the vans' 08:00-17:00 day by at least one hour.
RESTRICTED_HOURS = (
    "08:00-12:00",
    "13:00-17:00",
    "16:00-19:00",
    "07:00-10:00",
    "09:00-13:00",
    "12:00-16:00",
    "10:00-14:00",
    "14:00-18:00",
)
RESTRICTED_HOURS_SHARE = 0.25

# Phones from a block of mobile drama numbers, never assigned to a subscriber.
MOBILE_PREFIX = "+49 152"
MOBILE_RANGE = (28817386, 28895456)

# --- places -------------------------------------------------------------------------------


@dataclass(frozen=True)
class District:
    """Where employees live: real postcodes and streets, a centre and a jitter radius."""

    name: str
    city: str
    postcodes: tuple[str, ...]
    latitude: float
    longitude: float
    radius_km: float
    weight: float  # share of the staff in percent
    streets: tuple[str, ...]


# fmt: off
DISTRICTS = (
    # Berlin: 80 %
    District(
        "Mitte", "Berlin", ("10115", "10117", "10119", "10178", "10179"),
        52.5217, 13.4017, 1.2, 4,
        ("Linienstraße", "Torstraße", "Auguststraße", "Brunnenstraße", "Alte Schönhauser Straße"),
    ),
    District(
        "Wedding", "Berlin", ("13347", "13349", "13351", "13353", "13359"),
        52.5500, 13.3580, 1.4, 6,
        ("Müllerstraße", "Seestraße", "Triftstraße", "Malplaquetstraße", "Utrechter Straße",
         "Antwerpener Straße"),
    ),
    District(
        "Prenzlauer Berg", "Berlin", ("10405", "10407", "10409", "10435", "10437", "10439"),
        52.5390, 13.4240, 1.3, 4,
        ("Schönhauser Allee", "Kastanienallee", "Stargarder Straße", "Greifswalder Straße",
         "Dunckerstraße", "Raumerstraße"),
    ),
    District(
        "Friedrichshain", "Berlin", ("10243", "10245", "10247", "10249"),
        52.5150, 13.4540, 1.2, 4,
        ("Boxhagener Straße", "Frankfurter Allee", "Simon-Dach-Straße", "Warschauer Straße",
         "Rigaer Straße", "Kopernikusstraße"),
    ),
    District(
        "Kreuzberg", "Berlin", ("10961", "10965", "10967", "10997", "10999"),
        52.4980, 13.4030, 1.3, 4,
        ("Oranienstraße", "Bergmannstraße", "Wiener Straße", "Manteuffelstraße",
         "Gneisenaustraße", "Reichenberger Straße"),
    ),
    District(
        "Neukölln", "Berlin", ("12043", "12045", "12047", "12049", "12051", "12053", "12055"),
        52.4810, 13.4350, 1.4, 7,
        ("Sonnenallee", "Karl-Marx-Straße", "Weserstraße", "Hermannstraße", "Pannierstraße",
         "Emser Straße"),
    ),
    District(
        "Charlottenburg", "Berlin", ("10585", "10587", "10623", "10625", "10627", "10629"),
        52.5160, 13.3040, 1.4, 4,
        ("Kantstraße", "Wilmersdorfer Straße", "Knesebeckstraße", "Goethestraße",
         "Pestalozzistraße", "Sophie-Charlotten-Straße"),
    ),
    District(
        "Spandau", "Berlin", ("13581", "13583", "13585", "13587", "13597"),
        52.5360, 13.2000, 2.0, 5,
        ("Seegefelder Straße", "Falkenseer Chaussee", "Neuendorfer Straße", "Klosterstraße",
         "Pichelsdorfer Straße", "Schönwalder Straße"),
    ),
    District(
        "Marzahn", "Berlin", ("12679", "12681", "12685", "12687", "12689"),
        52.5450, 13.5640, 1.6, 6,
        ("Allee der Kosmonauten", "Märkische Allee", "Landsberger Allee",
         "Raoul-Wallenberg-Straße", "Marzahner Promenade", "Mehrower Allee"),
    ),
    District(
        "Hellersdorf", "Berlin", ("12619", "12627", "12629"),
        52.5350, 13.6050, 1.5, 5,
        ("Hellersdorfer Straße", "Stendaler Straße", "Cecilienstraße", "Riesaer Straße",
         "Zossener Straße", "Alte Hellersdorfer Straße"),
    ),
    District(
        "Köpenick", "Berlin", ("12555", "12557", "12559"),
        52.4450, 13.5750, 2.0, 4,
        ("Bahnhofstraße", "Lindenstraße", "Grünauer Straße", "Müggelheimer Straße",
         "Seelenbinderstraße", "Wendenschloßstraße"),
    ),
    District(
        "Treptow", "Berlin", ("12435", "12437"),
        52.4800, 13.4750, 1.5, 3,
        ("Puschkinallee", "Elsenstraße", "Kiefholzstraße", "Baumschulenstraße",
         "Plesser Straße", "Bouchéstraße"),
    ),
    District(
        "Lichtenberg", "Berlin", ("10315", "10317", "10365", "10367", "10369"),
        52.5160, 13.4990, 1.5, 6,
        ("Frankfurter Allee", "Möllendorffstraße", "Siegfriedstraße", "Weitlingstraße",
         "Rathausstraße", "Alfred-Jung-Straße"),
    ),
    District(
        "Pankow", "Berlin", ("13187", "13189"),
        52.5690, 13.4020, 1.3, 4,
        ("Florastraße", "Breite Straße", "Berliner Straße", "Wollankstraße", "Mühlenstraße",
         "Kavalierstraße"),
    ),
    District(
        "Reinickendorf", "Berlin", ("13403", "13407", "13409"),
        52.5760, 13.3450, 1.5, 4,
        ("Residenzstraße", "Scharnweberstraße", "Provinzstraße", "Emmentaler Straße",
         "Lindauer Allee", "Aroser Allee"),
    ),
    District(
        "Tempelhof", "Berlin", ("12099", "12101", "12103", "12105", "12109"),
        52.4670, 13.3850, 1.5, 4,
        ("Tempelhofer Damm", "Manfred-von-Richthofen-Straße", "Alt-Tempelhof",
         "Friedrich-Karl-Straße", "Boelckestraße", "Kaiserin-Augusta-Straße"),
    ),
    District(
        "Steglitz", "Berlin", ("12157", "12163", "12165", "12167", "12169"),
        52.4560, 13.3220, 1.3, 3,
        ("Schloßstraße", "Albrechtstraße", "Birkbuschstraße", "Bergstraße",
         "Lauenburger Straße", "Kniephofstraße"),
    ),
    District(
        "Zehlendorf", "Berlin", ("14163", "14165", "14167", "14169"),
        52.4340, 13.2590, 2.0, 3,
        ("Teltower Damm", "Clayallee", "Potsdamer Chaussee", "Onkel-Tom-Straße",
         "Argentinische Allee", "Machnower Straße"),
    ),
    # Surrounding area (Brandenburg): 20 %
    District(
        "Potsdam", "Potsdam", ("14467", "14469", "14471", "14473", "14482"),
        52.3906, 13.0645, 2.0, 4,
        ("Brandenburger Straße", "Friedrich-Ebert-Straße", "Zeppelinstraße", "Jägerallee",
         "Großbeerenstraße", "Breite Straße"),
    ),
    District(
        "Falkensee", "Falkensee", ("14612",),
        52.5600, 13.0930, 2.0, 2,
        ("Bahnhofstraße", "Spandauer Straße", "Poststraße", "Seegefelder Straße",
         "Falkenhagener Straße"),
    ),
    District(
        "Bernau bei Berlin", "Bernau bei Berlin", ("16321",),
        52.6790, 13.5870, 1.8, 2,
        ("Breitscheidstraße", "Börnicker Chaussee", "Zepernicker Chaussee", "Berliner Straße",
         "Ladeburger Chaussee", "Hussitenstraße"),
    ),
    District(
        "Oranienburg", "Oranienburg", ("16515",),
        52.7540, 13.2370, 2.0, 2,
        ("Bernauer Straße", "Berliner Straße", "Lehnitzstraße", "André-Pican-Straße",
         "Sachsenhausener Straße", "Saarlandstraße"),
    ),
    District(
        "Königs Wusterhausen", "Königs Wusterhausen", ("15711",),
        52.3010, 13.6320, 1.8, 1.5,
        ("Bahnhofstraße", "Storkower Straße", "Karl-Marx-Straße", "Cottbuser Straße",
         "Schloßstraße", "Eichenallee"),
    ),
    District(
        "Teltow", "Teltow", ("14513",),
        52.4020, 13.2700, 1.5, 1.5,
        ("Potsdamer Straße", "Ritterstraße", "Mahlower Straße", "Oderstraße",
         "Lichterfelder Allee"),
    ),
    District(
        "Kleinmachnow", "Kleinmachnow", ("14532",),
        52.4070, 13.2240, 1.3, 1,
        ("Förster-Funke-Allee", "Hohe Kiefer", "Zehlendorfer Damm", "Karl-Marx-Straße",
         "Meiereifeld", "Am Weinberg"),
    ),
    District(
        "Hennigsdorf", "Hennigsdorf", ("16761",),
        52.6380, 13.2040, 1.5, 1.5,
        ("Hauptstraße", "Fontanestraße", "Rathenaustraße", "Ruppiner Chaussee",
         "Spandauer Allee", "Havelplatz"),
    ),
    District(
        "Erkner", "Erkner", ("15537",),
        52.4200, 13.7540, 1.3, 1,
        ("Friedrichstraße", "Fürstenwalder Straße", "Flakenstraße", "Neu Zittauer Straße",
         "Beuststraße", "Seestraße"),
    ),
    District(
        "Ludwigsfelde", "Ludwigsfelde", ("14974",),
        52.3000, 13.2590, 1.5, 1.5,
        ("Potsdamer Straße", "Theodor-Fontane-Straße", "Albert-Schweitzer-Straße",
         "Rathausstraße", "Brandenburgische Straße", "Märkische Straße"),
    ),
    District(
        "Strausberg", "Strausberg", ("15344",),
        52.5790, 13.8850, 2.0, 2,
        ("Große Straße", "Wriezener Straße", "Prötzeler Chaussee", "Garzauer Chaussee",
         "Hegermühlenstraße", "August-Bebel-Straße"),
    ),
)
# fmt: on

# --- equipment ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    """A model of equipment and how its manufacturer writes serial numbers."""

    type: str
    model: str
    serial_style: str  # key of SERIAL_STYLES
    tag_prefix: str
    boxes: int


PC_MODELS = (
    Product("pc", "Dell OptiPlex 7080", "dell", "PC", 1),
    Product("pc", "Fujitsu Esprimo D7010", "fujitsu", "PC", 1),
    Product("pc", "HP EliteDesk 800 G6", "hp_pc", "PC", 1),
    Product("pc", "Lenovo ThinkCentre M70s", "lenovo", "PC", 1),
)
MONITOR_MODELS = (
    Product("monitor", "Dell P2419H", "dell", "MON", 1),
    Product("monitor", "Dell P2422H", "dell", "MON", 1),
    Product("monitor", "HP E24 G4", "hp_monitor", "MON", 1),
    Product("monitor", "Eizo FlexScan EV2460", "eizo", "MON", 1),
)
HEADSET_MODELS = (
    Product("headset", "Jabra Evolve2 40", "jabra", "HS", 0),
    Product("headset", "Jabra Evolve2 30", "jabra", "HS", 0),
)
# Keyboard, mouse and headset travel in the keyboard's box.
INPUT_SETS = (
    (
        Product("keyboard", "Logitech K120", "logitech", "KB", 1),
        Product("mouse", "Logitech B100", "logitech", "MS", 0),
    ),
    (
        Product("keyboard", "Logitech K280e", "logitech", "KB", 1),
        Product("mouse", "Logitech M100", "logitech", "MS", 0),
    ),
)
MODEL_MIX = (70, 25, 5)  # how a company's first, second and third model are spread
USED_SHARE = 0.12
SPARE_EVERY = 15  # one spare item per 15 employees, at least MIN_SPARES
MIN_SPARES = 3
SPARE_TYPES = (("monitor", 4), ("headset", 3), ("keyboard", 3))

_ALNUM = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O, as on real labels
_DELL = "0123456789BCDFGHJKLMNPQRSTVWXYZ"
_UPPER = "ABCDEFGHJKLMNPRSTUVWXYZ"


def _chars(rng: random.Random, alphabet: str, count: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(count))


def _digits(rng: random.Random, count: int) -> str:
    return _chars(rng, "0123456789", count)


def _hp_serial(rng: random.Random, site: str) -> str:
    """HP: site code, year digit, week, four characters, e.g. CZC0251BXY."""
    return f"{site}{rng.randint(0, 2)}{rng.randint(1, 52):02d}{_chars(rng, _ALNUM, 4)}"


def _logitech_serial(rng: random.Random) -> str:
    """Logitech: production year and week, plant code, serial, e.g. 2104LZ0AB3C7."""
    return f"{rng.randint(19, 22)}{rng.randint(1, 52):02d}LZ{_chars(rng, _ALNUM, 6)}"


SERIAL_STYLES: dict[str, Callable[[random.Random], str]] = {
    "dell": lambda rng: _chars(rng, _DELL, 7),  # service tag, seven characters
    "hp_pc": lambda rng: _hp_serial(rng, "CZC"),
    "hp_monitor": lambda rng: _hp_serial(rng, "CNK"),
    "fujitsu": lambda rng: f"YM{_chars(rng, _UPPER, 2)}{_digits(rng, 6)}",  # YMEF012345
    "lenovo": lambda rng: f"MJ0{_chars(rng, _ALNUM, 5)}",  # eight characters, plant first
    "eizo": lambda rng: _digits(rng, 8),
    "jabra": lambda rng: _digits(rng, 10),
    "logitech": _logitech_serial,
}

# --- small helpers ------------------------------------------------------------------------

# fmt: off
_FOLD = str.maketrans({
    "ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss",
    "\u0131": "i", "ł": "l", "Ł": "L", "ø": "o", "æ": "ae",  # \u0131: Turkish dotless i
})
# fmt: on


def ascii_fold(text: str) -> str:
    """Spell ``text`` in ASCII the way a German mail admin would: Müller -> Mueller."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.encode("ascii", "ignore").decode("ascii")


def email_local_part(first_name: str, last_name: str) -> str:
    """``vorname.nachname``: folded to ASCII, lower case, without spaces or apostrophes."""

    def part(name: str) -> str:
        return re.sub(r"[^a-z0-9-]", "", ascii_fold(name).lower())

    return f"{part(first_name)}.{part(last_name)}"


def team_group(team: str) -> str:
    """The Ansible group of a team, e.g. ``Inbound Strom`` -> ``team_inbound_strom``."""
    return "team_" + re.sub(r"[^a-z0-9]+", "_", ascii_fold(team).lower()).strip("_")


def _weighted(rng: random.Random, pairs: Sequence[tuple[T, float]]) -> T:
    return rng.choices([value for value, _ in pairs], [weight for _, weight in pairs])[0]


def _easter_sunday(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a, (b, c) = year % 19, divmod(year, 100)
    d, e = divmod(b, 4)
    g = (b - (b + 8) // 25 + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_shift) // 451
    month, day = divmod(h + weekday_shift - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def closed_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """Berlin public holidays plus Christmas Eve and New Year's Eve, first to last inclusive."""
    days = []
    for year in range(first.year, last.year + 1):
        easter = _easter_sunday(year)
        days += [dt.date(year, month, day) for month, day in ((1, 1), (3, 8), (5, 1), (10, 3))]
        days += [easter + dt.timedelta(days=offset) for offset in (-2, 1, 39, 50)]
        days += [dt.date(year, 12, day) for day in (24, 25, 26, 31)]
    return sorted(day for day in days if first <= day <= last)


def working_days(start: dt.date, count: int, holidays: Sequence[dt.date]) -> list[dt.date]:
    """Weekdays that are not holidays in ``[start, start + count days)``."""
    days = (start + dt.timedelta(days=offset) for offset in range(count))
    return [day for day in days if day.weekday() < 5 and day not in holidays]


def rendered_agreement(employee_id: str, number: int, generated_at: dt.datetime):
    """An invented rendered home-office agreement (a 3-page document of a packet) to record
    in a state store with ``remoteops.contracts.record_rendered``; for tests and benchmarks
    that need signature steps without rendering PDFs. ``number`` makes its hashes unique."""
    from remoteops.contracts import DocumentRecord  # the contracts package is heavy

    digest = f"{number:064x}"
    return DocumentRecord(
        employee_id=employee_id,
        document="home-office",
        language="de",
        title="Home office agreement",
        document_id=f"HO-{employee_id}",
        template_version="v1",
        input_hash=digest,
        pdf_path=f"{employee_id}-de-packet.pdf",
        pages="1-3",
        page_count=3,
        sha256=digest,
        generated_at=generated_at,
    )


def delivery_note(number: int) -> str:
    """The driver's note for employee ``number`` (every fourth has one)."""
    if number % 4:
        return ""
    return DELIVERY_NOTES[(number // 4) % len(DELIVERY_NOTES)]


def _quota_indices(rng: random.Random, count: int, share: float, pool: list[int]) -> set[int]:
    """Pick ``round(count * share)`` indices from ``pool`` (removing them from it)."""
    picked = rng.sample(pool, min(len(pool), round(count * share)))
    for index in picked:
        pool.remove(index)
    return set(picked)


# --- the generator ------------------------------------------------------------------------


class _CompanyGenerator:
    """Draws employees and assets from one seeded random generator."""

    def __init__(
        self,
        rng: random.Random,
        start: dt.date,
        holidays: Sequence[dt.date],
        spread_days: int = HOME_OFFICE_WINDOW_DAYS,
    ) -> None:
        self.rng = rng
        self.working_days = working_days(start, spread_days, holidays)
        self.emails: set[str] = set()
        self.phones: set[str] = set()
        self.serials: set[str] = set()
        self.tag_count = 0
        self.tag_width = 5
        self.pcs = rng.sample(PC_MODELS, rng.choice((2, 3)))
        self.monitors = rng.sample(MONITOR_MODELS, rng.choice((1, 2)))
        self.headsets = rng.sample(HEADSET_MODELS, 2)
        self.input_set = rng.choice(INPUT_SETS)

    # employees

    def employees(self, count: int) -> list[dict[str, str]]:
        rng = self.rng
        width = max(4, len(str(count)))
        pool = list(range(count))
        english = _quota_indices(rng, count, ENGLISH_SHARE, list(pool))
        statuses = {
            index: status
            for status, share in STATUS_SHARES
            for index in sorted(_quota_indices(rng, count, share, pool))
        }
        return [
            self.employee(
                f"E{index + 1:0{width}d}",
                "en" if index in english else "de",
                statuses.get(index, "active"),
            )
            for index in range(count)
        ]

    def employee(self, employee_id: str, language: str, status: str) -> dict[str, str]:
        rng = self.rng
        first_name, last_name = self.name(language)
        district = _weighted(rng, [(d, d.weight) for d in DISTRICTS])
        latitude, longitude = self.location(district)
        days_spec, weekdays = self.delivery_days(status)
        row = {
            "employee_id": employee_id,
            "first_name": first_name,
            "last_name": last_name,
            "email": self.email(first_name, last_name),
            "phone": self.phone(),
            "language": language,
            "team": self.team(language),
            "street": self.street(district),
            "postcode": rng.choice(district.postcodes),
            "city": district.city,
            "latitude": f"{latitude:.6f}",
            "longitude": f"{longitude:.6f}",
            "status": status,
            "home_office_start": self.home_office_start(status, weekdays),
            "home_days_per_week": str(_weighted(rng, HOME_DAYS)),
            "weekly_hours": str(_weighted(rng, WEEKLY_HOURS)),
            "work_model": _weighted(rng, WORK_MODELS),
            "delivery_days": days_spec,
            "delivery_hours": self.delivery_hours(status),
            "delivery_note": delivery_note(int(employee_id[1:])),
        }
        # Everyone still employed gets a desktop PC and monitors (see assets()): at home on
        # most days that is a Telearbeitsplatz, whatever was drawn (remoteops.workmodel).
        desk_at_home = int(row["home_days_per_week"]) >= TELEARBEIT_MIN_HOME_DAYS
        if status != "left" and row["work_model"] == "mobile" and desk_at_home:
            row["work_model"] = "telearbeit"
        return row

    def name(self, language: str) -> tuple[str, str]:
        rng = self.rng
        origins = ENGLISH_SPEAKER_ORIGINS if language == "en" else GERMAN_SPEAKER_ORIGINS
        pool = _weighted(rng, origins)
        female = rng.random() < 0.6  # call centres employ more women than men
        first_name = rng.choice(pool.female if female else pool.male)
        rare = pool.rare_surnames and rng.random() < pool.rare_share
        male_form, female_form = rng.choice(pool.rare_surnames if rare else pool.surnames)
        return first_name, female_form if female else male_form

    def email(self, first_name: str, last_name: str) -> str:
        local = email_local_part(first_name, last_name)
        candidate, suffix = local, 1
        while candidate in self.emails:
            suffix += 1
            candidate = f"{local}{suffix}"
        self.emails.add(candidate)
        return f"{candidate}@{DOMAIN}"

    def phone(self) -> str:
        low, high = MOBILE_RANGE
        if len(self.phones) > high - low:
            raise ValueError("ran out of invented phone numbers")
        while True:
            number = f"{MOBILE_PREFIX} {self.rng.randint(low, high)}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def team(self, language: str) -> str:
        if language == "en" and self.rng.random() < ENGLISH_TEAM_SHARE:
            return ENGLISH_TEAM
        return _weighted(self.rng, GERMAN_TEAMS)

    def street(self, district: District) -> str:
        rng = self.rng
        number = str(min(rng.randint(1, 60), rng.randint(1, 160)))  # low numbers are commoner
        if rng.random() < 0.1:
            number += rng.choice("abc")
        return f"{rng.choice(district.streets)} {number}"

    def location(self, district: District) -> tuple[float, float]:
        """A point spread uniformly over the disc around the district's centre."""
        distance_km = district.radius_km * math.sqrt(self.rng.random())
        bearing = self.rng.uniform(0.0, 2.0 * math.pi)
        km_per_degree = 111.32
        latitude = district.latitude + distance_km * math.cos(bearing) / km_per_degree
        longitude = district.longitude + distance_km * math.sin(bearing) / (
            km_per_degree * math.cos(math.radians(district.latitude))
        )
        return latitude, longitude

    def delivery_days(self, status: str) -> tuple[str, tuple[int, ...]]:
        if status != "left" and self.rng.random() < RESTRICTED_DAYS_SHARE:
            spec, weekdays = self.rng.choice(RESTRICTED_DAYS)
            if any(day.weekday() in weekdays for day in self.working_days):
                return spec, weekdays
        spec, weekdays = _weighted(self.rng, UNRESTRICTED_DAYS)
        return ("" if status == "left" else spec), weekdays

    def delivery_hours(self, status: str) -> str:
        if status != "left" and self.rng.random() < RESTRICTED_HOURS_SHARE:
            return self.rng.choice(RESTRICTED_HOURS)
        return ""

    def home_office_start(self, status: str, weekdays: tuple[int, ...]) -> str:
        """A working day on or after the first day a van may deliver to this employee.

        Later days weigh more, so the first days of the roll-out stay light for the vans.
        """
        if status != "active" or self.rng.random() < UNSCHEDULED_SHARE:
            return ""
        first = next(i for i, day in enumerate(self.working_days) if day.weekday() in weekdays)
        choices = [(day, min(i + 1, 3)) for i, day in enumerate(self.working_days) if i >= first]
        return _weighted(self.rng, choices).isoformat()

    # assets

    def assets(self, employees: list[dict[str, str]]) -> list[dict[str, str]]:
        rng = self.rng
        equipped = [e["employee_id"] for e in employees if e["status"] != "left"]
        spares = max(MIN_SPARES, round(len(employees) / SPARE_EVERY))
        self.tag_width = max(5, len(str(len(equipped) * 6 + spares)))
        keyboard, mouse = self.input_set
        rows = []
        for employee_id in equipped:
            monitor = _weighted(rng, list(zip(self.monitors, MODEL_MIX, strict=False)))
            kit = (
                _weighted(rng, list(zip(self.pcs, MODEL_MIX, strict=False))),
                monitor,
                monitor,
                _weighted(rng, list(zip(self.headsets, MODEL_MIX, strict=False))),
                keyboard,
                mouse,
            )
            rows += [self.asset(product, employee_id) for product in kit]
        by_type = {"monitor": self.monitors[0], "headset": self.headsets[0], "keyboard": keyboard}
        for _ in range(spares):
            rows.append(self.asset(by_type[_weighted(rng, SPARE_TYPES)], ""))
        return rows

    def asset(self, product: Product, employee_id: str) -> dict[str, str]:
        self.tag_count += 1
        return {
            "asset_tag": f"{SHORT_NAME}-{product.tag_prefix}-{self.tag_count:0{self.tag_width}d}",
            "type": product.type,
            "model": product.model,
            "serial_number": self.serial(product.serial_style),
            "employee_id": employee_id,
            "boxes": str(product.boxes),
            "condition": "used" if self.rng.random() < USED_SHARE else "good",
        }

    def serial(self, style: str) -> str:
        while True:
            serial = SERIAL_STYLES[style](self.rng)
            if serial not in self.serials:
                self.serials.add(serial)
                return serial


# --- the files ----------------------------------------------------------------------------


def _header(
    employees: int,
    seed: int,
    start: dt.date,
    spread_days: int = HOME_OFFICE_WINDOW_DAYS,
    vans: int | None = None,
) -> str:
    options = "" if start == DEFAULT_START else f" --start {start.isoformat()}"
    if spread_days != HOME_OFFICE_WINDOW_DAYS:
        options += f" --spread-days {spread_days}"
    if vans is not None:
        options += f" --vans {vans}"
    return (
        "# Invented sample data, generated by remoteops.synthetic. Regenerate with:\n"
        f"# python -m remoteops.synthetic DIR --employees {employees} --seed {seed}{options}\n"
    )


def _write_csv(path: pathlib.Path, columns: Sequence[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _write_yaml(path: pathlib.Path, data: object, header: str) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    path.write_text(header + text, encoding="utf-8")


def hosts_inventory(employees: list[dict[str, str]]) -> dict[str, object]:
    """The Ansible inventory: one group per team, one host per employee who has a PC."""
    groups: dict[str, dict[str, object]] = {}
    for team in TEAMS:
        hosts = {
            f"ws-{e['employee_id'].lower()}": {
                "employee_id": e["employee_id"],
                "ansible_host": _ip_address(int(e["employee_id"][1:])),
            }
            for e in employees
            if e["team"] == team and e["status"] != "left"
        }
        if hosts:
            groups[team_group(team)] = {"hosts": hosts}
    workstations: dict[str, object] = {"children": groups} if groups else {}
    return {"all": {"children": {"workstations": workstations}}}


def _ip_address(number: int) -> str:
    """10.20.x.y from the employee number: 200 hosts per /24, starting at .10."""
    return f"10.20.{1 + (number - 1) // 200}.{10 + (number - 1) % 200}"


def company_settings(
    employees: int, holidays: Sequence[dt.date], vans: int | None = None
) -> dict[str, object]:
    """The contents of ``company.yml`` (``vans``: default one per 60 employees)."""
    vans = vans or max(1, math.ceil(employees / EMPLOYEES_PER_VAN))
    return {
        "company": COMPANY,
        "sites": [HEADQUARTERS],
        "delivery": {
            "vans": [
                {
                    "name": f"VW Bus {i}",
                    "capacity_boxes": VAN_CAPACITY_BOXES,
                    "driver": VAN_DRIVERS[(i - 1) % len(VAN_DRIVERS)],
                    "plate": f"B-HK {100 + i}",
                }
                for i in range(1, vans + 1)
            ],
            "dispatcher_phone": DISPATCHER_PHONE,
            "language": "de",
            "day_start": "08:00",
            "day_end": "17:00",
            "service_minutes_base": 15,
            "service_minutes_per_box": 3,
            "multi_trip": True,
            "holidays": [day.isoformat() for day in holidays],
        },
    }


GROUP_VARS_ALL = """\
# Settings for every host in hosts.yml.
# IT settings for the workstation baseline (packages, softphone, VPN, hardening) will be
# added here.
ansible_user: itadmin
ansible_python_interpreter: /usr/bin/python3
"""


def write_company(
    directory: pathlib.Path,
    employees: int = 150,
    seed: int = 2020,
    *,
    start: dt.date = DEFAULT_START,
    spread_days: int = HOME_OFFICE_WINDOW_DAYS,
    vans: int | None = None,
) -> None:
    """Write an invented company with ``employees`` staff into ``directory``.

    Files: ``employees.csv``, ``assets.csv``, ``hosts.yml``, ``group_vars/all.yml`` and
    ``company.yml``. The same arguments always give the same bytes. Home-office starts fall on
    working days in the ``spread_days`` calendar days from ``start`` (default two weeks);
    ``vans`` sets the number of vans (default one per 60 employees).
    """
    if employees < 1:
        raise ValueError(f"a company needs at least one employee, not {employees}")
    if spread_days < 1 or (vans is not None and vans < 1):
        raise ValueError("spread_days and vans must be at least 1")
    directory = pathlib.Path(directory)
    holidays = closed_days(
        start, start + dt.timedelta(days=max(HOLIDAY_HORIZON_DAYS, spread_days + 42))
    )
    generator = _CompanyGenerator(random.Random(seed), start, holidays, spread_days)
    staff = generator.employees(employees)
    assets = generator.assets(staff)

    header = _header(employees, seed, start, spread_days, vans)
    (directory / "group_vars").mkdir(parents=True, exist_ok=True)
    _write_csv(directory / "employees.csv", EMPLOYEE_COLUMNS, staff)
    _write_csv(directory / "assets.csv", ASSET_COLUMNS, assets)
    _write_yaml(directory / "hosts.yml", hosts_inventory(staff), header)
    _write_yaml(directory / "company.yml", company_settings(employees, holidays, vans), header)
    (directory / "group_vars" / "all.yml").write_text(header + GROUP_VARS_ALL, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m remoteops.synthetic",
        description="Write an invented call-centre company (remoteops inventory) into DIR.",
        epilog="Example: python -m remoteops.synthetic inventory --employees 150 --seed 2020",
    )
    parser.add_argument("directory", metavar="DIR", type=pathlib.Path)
    parser.add_argument("--employees", type=int, default=150, help="staff count (default 150)")
    parser.add_argument("--seed", type=int, default=2020, help="random seed (default 2020)")
    parser.add_argument(
        "--start",
        type=dt.date.fromisoformat,
        default=DEFAULT_START,
        help=f"first day of the roll-out, ISO date (default {DEFAULT_START.isoformat()})",
    )
    parser.add_argument(
        "--spread-days",
        type=int,
        default=HOME_OFFICE_WINDOW_DAYS,
        help="home-office starts fall in this many calendar days from --start (default 14)",
    )
    parser.add_argument("--vans", type=int, default=None, help="vans (default: 1 per 60 staff)")
    args = parser.parse_args(argv)
    if args.employees < 1:
        parser.error("--employees must be at least 1")
    if args.spread_days < 1 or (args.vans is not None and args.vans < 1):
        parser.error("--spread-days and --vans must be at least 1")
    write_company(
        args.directory,
        args.employees,
        args.seed,
        start=args.start,
        spread_days=args.spread_days,
        vans=args.vans,
    )
    print(f"Wrote {args.employees} invented employees to {args.directory}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
