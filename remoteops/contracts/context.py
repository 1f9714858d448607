"""What a template sees: the company, the employee and their devices as read-only records.

Templates get plain mappings (``Record``), not the domain objects, so that

- a required value that is missing (``None`` or blank) is *absent*: the sandbox's strict
  undefined stops the employee with the field's full name (``employee.home_office_start``);
- an optional value that is empty (works agreement, a contact's e-mail or phone) is an
  :class:`EmptyOptional`: false in ``{% if %}``, but an error if printed without a check;
- the context can be hashed (``input_hash``) to see whether anything changed since the last run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from jinja2 import StrictUndefined, UndefinedError
from jinja2.utils import missing

from remoteops.models import (
    PROCESSING_KINDS,
    Asset,
    Company,
    CompanyDetails,
    DataProtectionSettings,
    Employee,
    HomeOfficeAllowance,
    Person,
    Wording,
)
from remoteops.workmodel import effective_work_model

#: Fields that may be empty; templates must test them with {% if %} before printing.
OPTIONAL_FIELDS = frozenset(
    {
        "company.works_agreement",
        "company.hr_contact.email",
        "company.hr_contact.phone",
        "company.it_support.email",
        "company.it_support.phone",
        "company.data_protection_officer.email",
        "company.data_protection_officer.phone",
        "employee.email",
        "employee.phone",
        "company.seat",
        "company.register_court",
        "company.register_number",
        "company.logo",
        "company.home_office_allowance",
        "company.home_office_allowance.monthly_eur",
        "company.home_office_allowance.covers",
        "company.home_office_allowance.none_reason",
        "company.data_protection.no_transfer_outside_eu",
        "company.data_protection.no_screen_recording",
        *(f"company.data_protection.{kind}" for kind in PROCESSING_KINDS),
    }
)


#: The role printed under the employer's signature when company.yml names no signatory.
DEFAULT_SIGNATORY_ROLE = Wording("Geschäftsführung", "Managing Director")


class Record(dict):
    """A mapping for templates that remembers where it sits (``company.address``)."""

    __slots__ = ("path",)

    def __init__(self, path: str, values: Mapping[str, Any]) -> None:
        super().__init__()
        self.path = path
        for key, value in values.items():
            field = f"{path}.{key}"
            if _is_empty(value):
                if field in OPTIONAL_FIELDS:
                    self[key] = EmptyOptional(obj=self, name=key)
                # A required empty value stays absent: using it is an error naming the field.
                continue
            self[key] = value

    def plain(self) -> dict[str, Any]:
        """JSON-ready copy (for hashing and debugging)."""
        return {key: _plain(value) for key, value in self.items()}


class MissingFieldError(UndefinedError):
    """Raised inside a template when a field is missing or empty; carries the field's name."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


class FieldUndefined(StrictUndefined):
    """StrictUndefined that names the full field (``employee.address.street``)."""

    __slots__ = ()

    def field_name(self) -> str | None:
        obj, name = self._undefined_obj, self._undefined_name
        if isinstance(obj, Record):
            return f"{obj.path}.{name}" if isinstance(name, str) else f"{obj.path}[{name!r}]"
        if name is not None and obj is missing:
            return str(name)
        return None

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
        raise MissingFieldError(self.field_name(), self._undefined_message)


class EmptyOptional(FieldUndefined):
    """An optional field without a value: false in tests, an error when printed."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return False

    def __len__(self) -> int:
        return 0

    def __iter__(self):  # type: ignore[override]
        return iter(())

    def __eq__(self, other: object) -> bool:
        return other is None or isinstance(other, EmptyOptional)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return 0


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return value.plain()
    if isinstance(value, EmptyOptional):
        return None
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


def _person(path: str, person: Person) -> Record:
    return Record(path, {"name": person.name, "email": person.email, "phone": person.phone})


#: Weekday abbreviations as printed: German after DIN 5008 (``Mo.``), English ``Mon``.
_WEEKDAYS = {
    "de": ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_WEEKDAY_INDEX = {
    word: index
    for words in (("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"), _WEEKDAYS["en"])
    for index, word in enumerate(words)
}
_WEEKDAY = re.compile(r"\b(" + "|".join(sorted(_WEEKDAY_INDEX, key=len, reverse=True)) + r")\b\.?")
_RANGE_END = (
    r"(?:\d{1,2}(?::\d{2})?|"
    + "|".join(re.escape(day) for days in _WEEKDAYS.values() for day in days)
    + ")"
)
#: A hyphen (or dash, with or without spaces) between two times or two weekdays.
_RANGE = re.compile(r"(" + _RANGE_END + r")\s*[-\u2013]\s*(?=" + _RANGE_END + ")")


def hours_text(text: str, lang: str) -> str:
    """Opening and contact hours as printed: weekdays in the document's language and ranges
    with an en dash without spaces (DIN 5008): ``Mo-Fr 08:00-18:00`` becomes
    ``Mo.–Fr. 08:00–18:00`` (de) or ``Mon–Fri 08:00–18:00`` (en)."""
    days = _WEEKDAYS.get(lang, _WEEKDAYS["en"])
    text = _WEEKDAY.sub(lambda m: days[_WEEKDAY_INDEX[m.group(1)]], text)
    return _RANGE.sub(lambda m: m.group(1) + "\u2013", text)


def _text(wording: Wording | None, lang: str) -> str | None:
    return wording.in_language(lang) if wording else None


def _allowance(allowance: HomeOfficeAllowance | None, lang: str) -> Record | None:
    if allowance is None:
        return None
    return Record(
        "company.home_office_allowance",
        {
            "monthly_eur": allowance.monthly_eur,
            "covers": _text(allowance.covers, lang),
            "none_reason": _text(allowance.none_reason, lang),
        },
    )


def _data_protection(settings: DataProtectionSettings, lang: str) -> Record:
    """Each configured processing by kind (absent kinds are false in ``{% if %}``), and the
    claims the company confirmed (false when not confirmed)."""
    path = "company.data_protection"
    values: dict[str, Any] = dict.fromkeys(PROCESSING_KINDS)
    for kind, processing in settings.processing:
        values[kind] = Record(
            f"{path}.{kind}",
            {
                "purpose": processing.purpose.in_language(lang),
                "legal_basis": processing.legal_basis.in_language(lang),
                "retention": processing.retention.in_language(lang),
            },
        )
    values["no_transfer_outside_eu"] = settings.no_transfer_outside_eu or None
    values["no_screen_recording"] = settings.no_screen_recording or None
    return Record(path, values)


def company_record(details: CompanyDetails, lang: str = "de") -> Record:
    """The company for templates of language ``lang`` (company texts in that language)."""
    address = details.address
    signatory = details.signatory
    return Record(
        "company",
        {
            "legal_name": details.legal_name,
            "short_name": details.short_name,
            "address": Record(
                "company.address",
                {"street": address.street, "postcode": address.postcode, "city": address.city},
            ),
            "managing_director": details.managing_director,
            "data_protection_officer": _person(
                "company.data_protection_officer", details.data_protection_officer
            ),
            "it_support": _person("company.it_support", details.it_support),
            "it_support_hours": hours_text(details.it_support_hours, lang),
            "hr_contact": _person("company.hr_contact", details.hr_contact),
            "works_agreement": details.works_agreement,
            "contact_hours": hours_text(details.contact_hours, lang),
            "seat": details.seat,
            "register_court": details.register_court,
            "register_number": details.register_number,
            # The letterhead logo as a data: URL made by remoteops (remoteops.logo), or None.
            "logo": details.logo.data_url() if details.logo else None,
            # Who signs for the employer; without a setting, the managing director.
            "signatory": Record(
                "company.signatory",
                {
                    "name": signatory.name if signatory else details.managing_director,
                    "role": (signatory.role if signatory else DEFAULT_SIGNATORY_ROLE).in_language(
                        lang
                    ),
                },
            ),
            "home_office_allowance": _allowance(details.home_office_allowance, lang),
            "data_protection": _data_protection(details.data_protection, lang),
        },
    )


def employee_record(employee: Employee, *, work_model: str | None = None) -> Record:
    """``work_model`` overrides the column (see remoteops.workmodel)."""
    address = employee.address
    return Record(
        "employee",
        {
            "employee_id": employee.employee_id,
            "first_name": employee.first_name,
            "last_name": employee.last_name,
            "full_name": " ".join(
                part for part in (employee.first_name, employee.last_name) if part and part.strip()
            ),
            "email": employee.email,
            "phone": employee.phone,
            "language": employee.language,
            "team": employee.team,
            "address": Record(
                "employee.address",
                {"street": address.street, "postcode": address.postcode, "city": address.city},
            ),
            "status": employee.status,
            "home_office_start": employee.home_office_start,
            "home_days_per_week": employee.home_days_per_week,
            "weekly_hours": employee.weekly_hours,
            "work_model": work_model or employee.work_model,
        },
    )


def device_records(assets: Iterable[Asset]) -> list[Record]:
    return [
        Record(
            f"devices[{index}]",
            {
                "asset_tag": asset.asset_tag,
                "type": asset.type,
                "model": asset.model,
                "serial_number": asset.serial_number,
                "boxes": asset.boxes,
                "condition": asset.condition,
            },
        )
        for index, asset in enumerate(assets)
    ]


def employee_context(
    company: Company, employee: Employee, *, lang: str, template_version: str
) -> dict[str, Any]:
    """Everything the templates of one employee see, except ``document`` and ``today``."""
    assets = company.assets_of(employee.employee_id)
    return {
        "lang": lang,
        "template_version": template_version,
        "company": company_record(company.details, lang),
        "employee": employee_record(employee, work_model=effective_work_model(employee, assets)),
        "devices": device_records(assets),
        "total_boxes": sum(asset.boxes for asset in assets),
    }


def input_hash(context: Mapping[str, Any], *extra: str) -> str:
    """SHA-256 of the employee's context (and the template version inside it) plus ``extra``
    (render options). The issue date is deliberately not part of it."""
    payload = json.dumps(
        {key: _plain(value) for key, value in context.items() if key != "today"},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    digest = hashlib.sha256(payload.encode("utf-8"))
    for part in extra:
        digest.update(b"\0" + part.encode("utf-8"))
    return digest.hexdigest()
