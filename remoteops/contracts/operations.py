"""What each ``remoteops contracts`` command does, as one library function per command.

The renderer keeps its manifest (what was generated from which inputs, and its signature
status) in the state store's ``documents`` table, and mirrors it as ``manifest.csv`` and
``manifest.json`` in the output folder; every change writes an audit entry in the same
transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from remoteops.contracts.manifest import (
    DocumentStatus,
    SqliteDocumentStore,
    document_status,
    set_document_status,
)
from remoteops.contracts.render import RenderProgress, RenderReport, render_agreements
from remoteops.employees import find_employees, in_team
from remoteops.errors import UsageError
from remoteops.models import Company, Employee
from remoteops.state import StateStore


def chosen_employees(
    company: Company, employee_ids: list[str], *, everyone: bool, team: str | None
) -> list[str] | None:
    """The employees a command is about: those named, or ``--all`` (everyone scheduled for
    home office), narrowed by ``--team``. None means the renderer's default (everyone)."""
    if employee_ids and everyone:
        raise UsageError("Name employees or use --all, not both.")
    if not employee_ids and not everyone and not team:
        raise UsageError("Name the employees, or use --all or --team.")
    if employee_ids:
        chosen = [company.employee(e).employee_id for e in employee_ids]
    else:
        chosen = [e.employee_id for e in company.employees if e.scheduled_for_home_office]
    if team:
        chosen = [e for e in chosen if in_team(company.employee(e), team)]
        if not chosen:
            raise UsageError(f"No employee scheduled for home office in a team {team!r}.")
    return chosen


def render(
    company: Company,
    store: StateStore,
    employee_ids: list[str],
    *,
    out_dir: Path,
    everyone: bool = False,
    team: str | None = None,
    lang: str | None = None,
    split: bool = False,
    templates_dir: Path | None = None,
    force: bool = False,
    progress: Callable[[RenderProgress], None] | None = None,
) -> RenderReport:
    """Render the agreement packets; the manifest goes to the state store and ``out_dir``."""
    if lang is not None and lang not in ("de", "en"):
        raise UsageError(f"Unknown language {lang!r}; use de or en.")
    chosen = chosen_employees(company, employee_ids, everyone=everyone, team=team)
    return render_agreements(
        company,
        chosen,
        out_dir=out_dir,
        templates=templates_dir,
        lang=lang,
        split=split,
        force=force,
        store=SqliteDocumentStore(store.transaction, audit=store.audit),
        progress=progress,
    )


def parse_age(text: str) -> dt.timedelta:
    """``7d``, ``36h``, ``2w`` -> a timedelta."""
    units = {"h": "hours", "d": "days", "w": "weeks"}
    number, unit = text[:-1], text[-1:].lower()
    if unit not in units or not number.isdigit():
        raise UsageError(f"--older-than {text!r}: write a number and h, d or w, e.g. 7d.")
    return dt.timedelta(**{units[unit]: int(number)})


def status(
    company: Company,
    store: StateStore,
    *,
    pending: bool = False,
    older_than: str | None = None,
    team: str | None = None,
    history: bool = False,
) -> list[DocumentStatus]:
    """Per employee and document: where the agreement stands, with dates."""
    age = parse_age(older_than) if older_than else None
    ids = None
    if team:
        ids = [e.employee_id for e in find_employees(company, team=team)]
    with store.reading() as conn:
        return document_status(
            conn,
            employee_ids=ids,
            pending=pending or age is not None,
            older_than=age,
            include_history=history,
        )


def not_scheduled(company: Company, *, team: str | None = None) -> list[Employee]:
    """Active employees without a home-office start: they get no packet and appear in no
    manifest, so ``contracts status`` lists them for HR to see the gap."""
    return [
        e
        for e in find_employees(company, team=team, status="active")
        if e.home_office_start is None
    ]


@dataclass(frozen=True)
class Marked:
    """What ``contracts mark`` did: the document as it is now, and whether it changed
    (False when the step had been recorded before; its first date is kept)."""

    document: DocumentStatus
    changed: bool

    @property
    def since(self) -> dt.datetime | None:
        """When the document reached its current step."""
        return getattr(self.document, _STEP_DATE.get(self.document.status, "generated_at"))


_STEP_DATE = {
    "sent": "sent_at",
    "signed": "signed_at",
    "returned": "returned_at",
    "void": "voided_at",
}


def mark(
    company: Company,
    store: StateStore,
    employee_id: str,
    document: str,
    new_status: str,
    *,
    on: dt.date | None = None,
    note: str | None = None,
    lang: str | None = None,
) -> Marked:
    """Record that a document was sent, signed, returned or voided (audit-logged). A step
    recorded before is not recorded again: no new date, no audit entry."""
    employee = company.employee(employee_id)
    at = None
    if on is not None:
        if on > dt.date.today():
            raise UsageError(f"--date {on} is in the future.")
        if on < dt.date.today():  # a past day: record it at noon; today: now
            at = dt.datetime.combine(on, dt.time(12, 0), tzinfo=dt.UTC)
    with store.transaction() as conn:
        before, after = set_document_status(
            conn, employee.employee_id, document, new_status, language=lang, at=at, note=note
        )
        if after is before:
            return Marked(after, changed=False)
        store.audit(
            conn,
            f"contracts.{new_status}",
            employee_id=employee.employee_id,
            subject=after.document_id,
            details={
                "document": after.document,
                "language": after.language,
                "from": before.status,
                "note": note,
            },
        )
    return Marked(after, changed=True)
