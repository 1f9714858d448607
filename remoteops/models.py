"""Domain objects: the company as remoteops sees it after loading ``inventory/``.

Each fact lives in one place in the inventory files; these objects are the joined view.
They are plain frozen dataclasses so every part of remoteops (provisioning, agreements,
delivery runs) can rely on them without re-parsing anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from remoteops.logo import Logo
    from remoteops.rota.settings import RotaSettings

#: Weekday numbers as ``datetime.date.weekday()`` returns them (Monday = 0).
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

ASSET_TYPES = ("pc", "monitor", "headset", "keyboard", "mouse", "dock", "other")
LANGUAGES = ("de", "en")
EMPLOYEE_STATUSES = ("active", "on-leave", "left")
WORK_MODELS = ("telearbeit", "mobile")
#: How vans are rented: by the day (only the days a van drives are paid) or as one contiguous
#: period per van (every day from its first to its last run is paid).
RENTAL_MODES = ("per-day", "contiguous")


@dataclass(frozen=True)
class Address:
    street: str
    postcode: str
    city: str

    def one_line(self) -> str:
        return f"{self.street}, {self.postcode} {self.city}"


@dataclass(frozen=True)
class GeoPoint:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class TimeWindow:
    """A daily window on some weekdays, e.g. Mon-Fri 08:00-18:00."""

    weekdays: tuple[int, ...]
    start: dt.time
    end: dt.time

    def describe(self) -> str:
        days = ",".join(WEEKDAY_NAMES[d] for d in self.weekdays)
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M}"

    def allows(self, day: dt.date) -> bool:
        return day.weekday() in self.weekdays


@dataclass(frozen=True)
class Asset:
    """One item of equipment from ``assets.csv``."""

    asset_tag: str
    type: str  # one of ASSET_TYPES
    model: str
    serial_number: str
    employee_id: str | None  # None: spare stock in the office
    boxes: int
    condition: str = "good"
    available_from: dt.date | None = None  # not ready to go out before (e.g. still in use)


@dataclass(frozen=True)
class Workstation:
    """An agent PC as Ansible knows it (``hosts.yml``), joined with its PC asset."""

    hostname: str
    employee_id: str
    groups: tuple[str, ...]
    ansible_host: str | None = None
    pc_asset_tag: str | None = None


@dataclass(frozen=True)
class Employee:
    """One row of ``employees.csv``."""

    employee_id: str
    first_name: str
    last_name: str
    email: str
    phone: str
    language: str  # one of LANGUAGES
    team: str
    address: Address
    location: GeoPoint
    status: str = "active"  # one of EMPLOYEE_STATUSES
    home_office_start: dt.date | None = None
    home_days_per_week: int = 5
    weekly_hours: float = 40.0
    work_model: str = "telearbeit"  # one of WORK_MODELS
    delivery_window: TimeWindow | None = None  # None: any time during the van's working day
    delivery_note: str = ""  # for the driver: floor, doorbell, parking

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def scheduled_for_home_office(self) -> bool:
        return self.status == "active" and self.home_office_start is not None


@dataclass(frozen=True)
class Site:
    """An office site; the depot is where the vans load."""

    site_id: str
    name: str
    address: Address
    location: GeoPoint
    depot: bool = False


@dataclass(frozen=True)
class Person:
    """A named contact (managing director, data protection officer, IT support)."""

    name: str
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Van:
    name: str
    capacity_boxes: int
    driver: str = ""  # printed on the van's run sheet
    plate: str = ""  # number plate, printed on the van's run sheet


@dataclass(frozen=True)
class DeliverySettings:
    vans: tuple[Van, ...]
    day_start: dt.time
    day_end: dt.time
    service_minutes_base: int = 15
    service_minutes_per_box: int = 3
    multi_trip: bool = True
    holidays: tuple[dt.date, ...] = ()
    break_minutes: int = 0  # the driver's break, taken from each van's working day
    dispatcher_phone: str = ""  # whom the driver calls; printed on every run sheet
    language: str = "de"  # of the run sheets (one of LANGUAGES)
    # The equipment arrives at the latest ``lead_days`` working days before the employee's
    # home_office_start (1: on the working day before; on the start day itself is late).
    lead_days: int = 1
    rental: str = "per-day"  # one of RENTAL_MODES
    cost_per_van_day: float = 90.0  # EUR: the van's rent and the driver's day
    cost_per_km: float = 0.35  # EUR: fuel and wear

    def van(self, name: str) -> Van | None:
        """The van called ``name`` (as the plan spells it), or None."""
        return next((v for v in self.vans if v.name.casefold() == name.casefold()), None)


@dataclass(frozen=True)
class Wording:
    """A company text in every document language (company.yml: one string, or ``de:``/``en:``)."""

    de: str
    en: str

    def in_language(self, lang: str) -> str:
        return self.en if lang == "en" else self.de


@dataclass(frozen=True)
class Signatory:
    """Who signs the agreements for the employer (printed under the employer's signature)."""

    name: str
    role: Wording


@dataclass(frozen=True)
class HomeOfficeAllowance:
    """What the employer pays towards the costs of the home workplace (§ 670 BGB): a monthly
    amount and what it covers, or the reason why nothing is paid."""

    monthly_eur: float | None = None
    covers: Wording | None = None
    none_reason: Wording | None = None


#: Processing of agents' data that the information sheet (Art. 13 DSGVO) describes only when
#: company.yml configures it, in this order.
PROCESSING_KINDS = ("telephony_status", "handling_times", "call_recording", "silent_monitoring")


@dataclass(frozen=True)
class Processing:
    """One processing of employee data: what for, on which legal basis, kept how long."""

    purpose: Wording
    legal_basis: Wording
    retention: Wording


@dataclass(frozen=True)
class DataProtectionSettings:
    """What the information sheet may say: only configured processing, only confirmed claims."""

    processing: tuple[
        tuple[str, Processing], ...
    ] = ()  # (kind, processing), kind in PROCESSING_KINDS
    no_transfer_outside_eu: bool = False  # the company confirms: no transfer outside the EU/EEA
    no_screen_recording: bool = (
        False  # the company confirms: no keystroke, screen or camera recording
    )


@dataclass(frozen=True)
class CompanyDetails:
    """What HR needs on every agreement (``company.yml``)."""

    legal_name: str
    short_name: str
    address: Address
    managing_director: str
    data_protection_officer: Person
    it_support: Person
    it_support_hours: str
    hr_contact: Person
    works_agreement: str | None = None  # reference of the works-council agreement, if any
    contact_hours: str = "09:00-16:00"
    # Letter details of a GmbH (§ 35a GmbHG): seat, register court and number.
    seat: str | None = None
    register_court: str | None = None
    register_number: str | None = None
    signatory: Signatory | None = None  # None: the managing director signs
    home_office_allowance: HomeOfficeAllowance | None = None  # None: expenses on proof (§ 670 BGB)
    data_protection: DataProtectionSettings = DataProtectionSettings()
    logo: Logo | None = None  # company.logo: the letterhead logo, checked and cleaned


#: The stages of readiness whose evidence can grow too old (``company.yml`` ``readiness``).
READINESS_STAGES = ("provisioned", "remote_check", "agreements", "equipment")


@dataclass(frozen=True)
class ReadinessSettings:
    """How old the evidence of each readiness stage may be before the stage counts as
    *unknown* (``company.yml`` ``readiness.max_age_days``); None: it never grows too old
    (a signature or a handover stays true; a workstation's state does not)."""

    provisioned: int | None = 14
    remote_check: int | None = 7
    agreements: int | None = None
    equipment: int | None = None

    def max_age(self, stage: str) -> dt.timedelta | None:
        days = getattr(self, stage)
        return None if days is None else dt.timedelta(days=days)


@dataclass(frozen=True)
class Company:
    """The whole inventory, loaded and cross-validated."""

    root: str
    details: CompanyDetails
    sites: tuple[Site, ...]
    delivery: DeliverySettings
    employees: tuple[Employee, ...]
    assets: tuple[Asset, ...]
    workstations: tuple[Workstation, ...]
    readiness: ReadinessSettings = ReadinessSettings()
    rota: RotaSettings | None = None  # rota.yml, if the company has a support rota

    def __post_init__(self) -> None:
        # Indexes, so per-employee look-ups stay cheap for thousands of employees. They are
        # plain attributes, not fields: dataclasses.replace() builds them anew.
        grouped: dict[str, list[Asset]] = {}
        for asset in self.assets:
            if asset.employee_id:
                grouped.setdefault(asset.employee_id, []).append(asset)
        object.__setattr__(self, "_by_id", {e.employee_id: e for e in self.employees})
        object.__setattr__(self, "_assets_by_employee", {k: tuple(v) for k, v in grouped.items()})
        object.__setattr__(
            self, "_workstation_by_employee", {w.employee_id: w for w in self.workstations}
        )

    @property
    def depot(self) -> Site:
        return next(s for s in self.sites if s.depot)

    def employee(self, employee_id: str) -> Employee:
        from remoteops.errors import NotFoundError

        try:
            return self._by_id[employee_id]
        except KeyError:
            raise NotFoundError(
                f"No employee with ID {employee_id!r} in {self.root}",
                hint="List them with 'remoteops employees list'.",
            ) from None

    def assets_of(self, employee_id: str) -> tuple[Asset, ...]:
        return self._assets_by_employee.get(employee_id, ())

    def boxes_of(self, employee_id: str) -> int:
        return sum(a.boxes for a in self.assets_of(employee_id))

    def equipment_ready(self, employee_id: str) -> dt.date | None:
        """The first day all of the employee's equipment may go out (None: it is ready)."""
        days = [a.available_from for a in self.assets_of(employee_id) if a.available_from]
        return max(days, default=None)

    def workstation_of(self, employee_id: str) -> Workstation | None:
        return self._workstation_by_employee.get(employee_id)
