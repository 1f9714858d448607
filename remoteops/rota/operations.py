"""What the ``remoteops rota`` commands do, one function each (the CLI only parses options
and prints): plan, the stored rota checked (show, coverage, fairness, check), a CSV made
elsewhere checked, who is on duty now, swaps and covers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

from remoteops.errors import ConflictError, NotFoundError, UsageError
from remoteops.models import Company
from remoteops.rota import store as rota_store
from remoteops.rota.check import CheckResult, check_duties
from remoteops.rota.model import DEFAULT_SECONDS, DEFAULT_WORKERS, SolveStats
from remoteops.rota.settings import ROTA_FILE, Duty, RotaSettings
from remoteops.state import StateStore, current_actor

#: How far around a planned period kept duties are read (the yearly Sunday count needs the
#: year; rest and replacement days need two weeks).
_BEFORE = dt.timedelta(days=370)
_AFTER = dt.timedelta(days=21)


def rota_settings(company: Company) -> RotaSettings:
    if company.rota is None:
        raise NotFoundError(
            f"The company in {company.root} has no support rota ({ROTA_FILE} is missing).",
            hint="Describe the channels, shift patterns and people in rota.yml "
            "(see inventory/README.md, 'rota.yml') and run 'remoteops check'.",
        )
    return company.rota


def parse_week(text: str) -> tuple[dt.date, dt.date]:
    """``2027-W02`` or any date of the week -> (Monday, Sunday)."""
    from remoteops.inventory import parse_date

    text = text.strip()
    try:
        if "w" in text.casefold():
            year, week = text.casefold().split("-w")
            monday = dt.date.fromisocalendar(int(year), int(week), 1)
        else:
            day = parse_date(text)
            monday = day - dt.timedelta(days=day.weekday())
    except ValueError:
        raise UsageError(
            f"--week: {text!r} is not a week; write it as 2027-W02 or as a date of the week."
        ) from None
    return monday, monday + dt.timedelta(days=6)


# -- planning ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PlanRequest:
    first: dt.date
    weeks: int
    seconds: float = DEFAULT_SECONDS
    workers: int = DEFAULT_WORKERS
    seed: int = 0

    @property
    def last(self) -> dt.date:
        return self.first + dt.timedelta(days=7 * self.weeks - 1)


@dataclass(frozen=True)
class PlanOutcome:
    plan_id: int
    result: CheckResult
    stats: SolveStats
    kept: int  # duties of earlier plans around the period, kept and respected


def plan(company: Company, store: StateStore, request: PlanRequest) -> PlanOutcome:
    """Plan ``request.weeks`` weeks from ``request.first``; duties of other days stay."""
    from remoteops.rota.model import plan_duties

    if not 1 <= request.weeks <= 26:
        raise UsageError("--weeks must be from 1 to 26.")
    if request.seconds <= 0 or request.workers < 1:
        raise UsageError("--seconds must be above 0 and --workers at least 1.")
    settings = rota_settings(company)
    first, last = request.first, request.last
    with store.reading() as conn:
        around = rota_store.active_duties(conn, first - _BEFORE, last + _AFTER)
        since = rota_store.planned_since(conn)
    kept = [d for d in around if not first <= d.day <= last]
    known_from = min(since or first, first)
    duties, stats = plan_duties(
        settings,
        first,
        last,
        kept=kept,
        known_from=known_from,
        seconds=request.seconds,
        workers=request.workers,
        seed=request.seed,
    )
    result = check_duties(settings, duties, first, last, kept=kept, known_from=known_from)
    summary = {
        "coverage": {c: round(p, 1) for c, p in result.coverage.items()},
        "spreads": result.spreads,
        "violations": len(result.violations),
    }
    with store.transaction() as conn:
        plan_id = rota_store.save_plan(
            conn,
            first,
            last,
            duties,
            result.gaps,
            solver=stats.to_dict(),
            summary=summary,
            audit=store.audit,
            actor=current_actor(),
        )
    return PlanOutcome(plan_id, result, stats, len(kept))


# -- the stored rota ----------------------------------------------------------------------
def stored_rota(
    company: Company,
    store: StateStore,
    first: dt.date | None = None,
    last: dt.date | None = None,
) -> CheckResult:
    """The stored rota of ``first``..``last`` (default: every planned day), checked."""
    settings = rota_settings(company)
    with store.reading() as conn:
        duties = rota_store.active_duties(conn)
        periods = rota_store.planned_periods(conn)
        since = rota_store.planned_since(conn)
    if not periods:
        raise NotFoundError(
            "No rota has been planned yet.",
            hint="Plan one with 'remoteops rota plan --from YYYY-MM-DD --weeks 4'.",
        )
    first = first or min(p[1] for p in periods)
    last = last or max(p[2] for p in periods)
    period = [d for d in duties if first <= d.day <= last]
    kept = [d for d in duties if not first <= d.day <= last]
    return check_duties(
        settings, period, first, last, kept=kept, known_from=min(since or first, first)
    )


def check_file(company: Company, path: Path) -> CheckResult:
    """A rota made elsewhere (CSV: employee_id, day, channel, start, end, break_minutes),
    checked against every rule."""
    from remoteops.rota.exports import read_duties_csv

    settings = rota_settings(company)
    duties = read_duties_csv(Path(path), settings)
    first, last = min(d.day for d in duties), max(d.day for d in duties)
    return check_duties(settings, duties, first, last)


@dataclass(frozen=True)
class OnDuty:
    channel: str
    name: str
    hotline: str
    needed: int
    people: tuple[tuple[Duty, str, str], ...]  # (duty, name, phone)

    def as_row(self) -> dict:
        return {
            "channel": self.channel,
            "name": self.name,
            "hotline": self.hotline,
            "needed": self.needed,
            "on_duty": [
                f"{name} ({duty.employee_id}, {phone or 'no phone'}) until "
                f"{duty.times.describe()[-5:]}"
                for duty, name, phone in self.people
            ],
            "missing": max(0, self.needed - len(self.people)),
        }


def on_duty_now(company: Company, store: StateStore, at: dt.datetime) -> list[OnDuty]:
    """Who is on each channel at ``at`` (local time), with their phone numbers."""
    settings = rota_settings(company)
    with store.reading() as conn:
        duties = rota_store.active_duties(conn, at.date(), at.date())
    rows = []
    for channel in settings.channels:
        people = []
        for duty in duties:
            if duty.channel == channel.channel_id and duty.start_at <= at < duty.end_at:
                person = settings.person(duty.employee_id)
                people.append(
                    (
                        duty,
                        person.name if person else duty.employee_id,
                        person.phone if person else "",
                    )
                )
        rows.append(
            OnDuty(
                channel.channel_id,
                channel.name,
                channel.phone,
                channel.need(at.date(), at.hour, settings.holidays),
                tuple(people),
            )
        )
    return rows


# -- swaps and covers ---------------------------------------------------------------------
@dataclass(frozen=True)
class Change:
    removed: tuple[Duty, ...]
    added: tuple[Duty, ...]


def _change(
    company: Company,
    store: StateStore,
    removed: list[Duty],
    added: list[Duty],
    source: str,
    details: dict,
) -> Change:
    """Apply a change if it breaks no rule the rota did not break before."""
    settings = rota_settings(company)
    with store.reading() as conn:
        duties = rota_store.active_duties(conn)
        since = rota_store.planned_since(conn)
    first = min(d.day for d in duties)
    last = max(d.day for d in duties)
    known_from = min(since or first, first)
    before = check_duties(settings, duties, first, last, known_from=known_from)
    after_duties = [d for d in duties if d not in removed] + added
    after = check_duties(settings, after_duties, first, last, known_from=known_from)
    old = {(v.rule, v.employee_id, v.day, v.message) for v in before.violations}
    new = [v for v in after.violations if (v.rule, v.employee_id, v.day, v.message) not in old]
    if new:
        lines = "; ".join(f"{v.message} [{v.rule.law}]" for v in new[:5])
        raise ConflictError(
            f"Refused: the {source} would break {len(new)} rule(s): {lines}",
            hint="Choose someone else, or another day; nothing was changed.",
        )
    with store.transaction() as conn:
        rota_store.change_duties(
            conn,
            removed,
            added,
            source=source,
            audit=store.audit,
            actor=current_actor(),
            details={
                **details,
                "removed": [_describe(d) for d in removed],
                "added": [_describe(d) for d in added],
            },
        )
    return Change(tuple(removed), tuple(added))


def _describe(duty: Duty) -> str:
    return f"{duty.employee_id} {duty.channel} {duty.day:%Y-%m-%d} {duty.times.describe()}"


def _duty_of(store: StateStore, employee_id: str, day: dt.date) -> Duty | None:
    with store.reading() as conn:
        found = [
            d for d in rota_store.active_duties(conn, day, day) if d.employee_id == employee_id
        ]
    return found[0] if found else None


def _on_rota(company: Company, employee_id: str) -> None:
    if rota_settings(company).person(employee_id) is None:
        raise NotFoundError(
            f"{employee_id} is not on the rota.",
            hint="The people of the rota are listed under 'people:' in rota.yml.",
        )


def swap(company: Company, store: StateStore, day: dt.date, first: str, second: str) -> Change:
    """``first`` and ``second`` exchange their duties of ``day`` (one may have none)."""
    for employee_id in (first, second):
        _on_rota(company, employee_id)
    if first == second:
        raise UsageError("Name two different employees to swap.")
    a, b = _duty_of(store, first, day), _duty_of(store, second, day)
    if a is None and b is None:
        raise NotFoundError(f"Neither {first} nor {second} has a duty on {day:%Y-%m-%d}.")
    removed = [d for d in (a, b) if d is not None]
    added = [
        replace(d, employee_id=other, source="swap") for d, other in ((a, second), (b, first)) if d
    ]
    return _change(company, store, removed, added, "swap", {"day": day.isoformat()})


def cover(company: Company, store: StateStore, day: dt.date, absent: str, by: str) -> Change:
    """``by`` takes over the duty of ``absent`` on ``day``."""
    for employee_id in (absent, by):
        _on_rota(company, employee_id)
    duty = _duty_of(store, absent, day)
    if duty is None:
        raise NotFoundError(f"{absent} has no duty on {day:%Y-%m-%d}; nothing to cover.")
    if _duty_of(store, by, day) is not None:
        raise ConflictError(
            f"{by} already has a duty on {day:%Y-%m-%d}.",
            hint=f"Use 'remoteops rota swap {day:%Y-%m-%d} {absent} {by}' to exchange them.",
        )
    return _change(
        company,
        store,
        [duty],
        [replace(duty, employee_id=by, source="cover")],
        "cover",
        {"day": day.isoformat(), "absent": absent, "by": by},
    )


# -- views and files ----------------------------------------------------------------------
@dataclass(frozen=True)
class Grid:
    """The rota of some days as a grid: one row per person, one column per day."""

    days: tuple[dt.date, ...]
    rows: tuple[dict, ...]
    result: CheckResult


def grid(
    company: Company,
    store: StateStore,
    first: dt.date | None = None,
    last: dt.date | None = None,
    person: str | None = None,
) -> Grid:
    """The stored rota of ``first``..``last`` (default: the first planned week) per person
    and day ("phone 08:00-16:30"); ``person``: only that employee."""
    settings = rota_settings(company)
    if person is not None:
        _on_rota(company, person)
    if first is None:
        with store.reading() as conn:
            periods = rota_store.planned_periods(conn)
        if periods:
            first = min(p[1] for p in periods)
            first -= dt.timedelta(days=first.weekday())
            last = first + dt.timedelta(days=6)
    result = stored_rota(company, store, first, last)
    days = tuple(
        result.first + dt.timedelta(days=k) for k in range((result.last - result.first).days + 1)
    )
    cells: dict[tuple[str, dt.date], list[str]] = {}
    for d in result.duties:
        cells.setdefault((d.employee_id, d.day), []).append(f"{d.channel} {d.times.describe()}")
    rows = []
    for p in settings.people:
        if person is not None and p.employee_id != person:
            continue
        row = {"employee_id": p.employee_id, "name": p.name}
        for day in days:
            row[day.isoformat()] = " / ".join(cells.get((p.employee_id, day), []))
        if person is not None or any(row[day.isoformat()] for day in days):
            rows.append(row)
    return Grid(days, tuple(rows), result)


def export_rota(
    company: Company,
    store: StateStore,
    folder: Path,
    first: dt.date | None = None,
    last: dt.date | None = None,
    formats: tuple[str, ...] = ("csv", "json", "ics", "pdf"),
) -> list[Path]:
    """The stored rota of ``first``..``last`` as CSV and JSON, calendars per person and
    channel (``ics/``) and a PDF per week, owner-only in ``folder``."""
    from remoteops.files import safe_file, write_private
    from remoteops.rota import exports

    unknown = sorted(set(formats) - {"csv", "json", "ics", "pdf"})
    if unknown:
        raise UsageError(f"--format: {', '.join(unknown)} is not one of csv, json, ics, pdf.")
    settings = rota_settings(company)
    result = stored_rota(company, store, first, last)
    stem = f"rota-{result.first:%Y-%m-%d}-{result.last:%Y-%m-%d}"
    written: list[Path] = []
    if "csv" in formats:
        path = safe_file(folder, f"{stem}.csv")
        written.append(write_private(path, exports.duties_csv(result.duties, settings)))
    if "json" in formats:
        path = safe_file(folder, f"{stem}.json")
        written.append(write_private(path, exports.rota_json(result, settings)))
    if "ics" in formats:
        written += exports.write_calendars(folder / "ics", result.duties, settings)
    if "pdf" in formats:
        monday = result.first - dt.timedelta(days=result.first.weekday())
        while monday <= result.last:
            sunday = monday + dt.timedelta(days=6)
            week = stored_rota(company, store, monday, sunday)
            year, number, _ = monday.isocalendar()
            path = safe_file(folder, f"rota-{year}-W{number:02d}.pdf")
            written.append(exports.write_week_pdf(path, week, settings, company.details.short_name))
            monday += dt.timedelta(days=7)
    return written
