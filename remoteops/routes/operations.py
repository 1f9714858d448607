"""What each ``remoteops routes`` command does, as one library function per command.

Each function takes the loaded :class:`~remoteops.models.Company` and the
:class:`~remoteops.state.StateStore`, does its work in the right transactions (solving
happens outside any write lock, saving inside one, with its audit entry) and returns
domain objects the CLI only has to print.
"""

from __future__ import annotations

import datetime as dt
import math
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from remoteops.errors import NotFoundError, RemoteOpsError, UsageError
from remoteops.files import safe_file, slug, write_private
from remoteops.models import Company
from remoteops.routes import store as rs
from remoteops.routes.planning import DeliveryPlan, DeliveryRun, delivery_problem, stops_for
from remoteops.routes.travel import TravelSettings
from remoteops.routes.whatif import Fix, Variant, comparison_rows, plan_variant, suggest_fix
from remoteops.state import StateStore

#: Longest solver time limit ``--seconds`` accepts (a day).
MAX_SECONDS = 86_400
#: Largest solver seed (PyVRP's random number generator takes an unsigned 32-bit seed; the
#: parallel workers use seed, seed+1, ...).
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class PlanRequest:
    """The options of ``routes plan`` / ``routes replan``."""

    start: dt.date
    days: int
    vans: int | None = None
    capacity: int | None = None
    seconds: float | None = None
    seed: int | None = None
    osrm_url: str | None = None
    matrix_file: Path | None = None
    require_provisioned: bool = False  # leave out workstations whose baseline is not applied
    extra_vans: tuple[tuple[dt.date, int], ...] = ()  # (day, count) more vans on single days
    what_if: tuple[Variant, ...] = ()  # plan these variants too and compare (not stored)
    suggest_fix: bool = True  # when someone is late, try and report a fix that works

    def __post_init__(self) -> None:
        if self.seconds is not None and not (
            math.isfinite(self.seconds) and 0 < self.seconds <= MAX_SECONDS
        ):
            raise UsageError(
                f"--seconds must be a number of seconds above 0 and at most {MAX_SECONDS}, "
                f"not {self.seconds:g}.",
                hint="For example --seconds 20 (the default).",
            )
        if self.seed is not None and not 0 <= self.seed <= MAX_SEED:
            raise UsageError(
                f"--seed must be a whole number from 0 to {MAX_SEED}, not {self.seed}.",
                hint="The same seed gives the same plan; any number in that range will do.",
            )
        if self.osrm_url is not None:
            parts = urllib.parse.urlsplit(self.osrm_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise UsageError(
                    f"--osrm must be the http:// or https:// address of an OSRM server, "
                    f"not {self.osrm_url!r}.",
                    hint="For example --osrm http://localhost:5000",
                )

    def travel(self) -> TravelSettings:
        if self.osrm_url and self.matrix_file:
            raise UsageError("Choose one of --osrm and --matrix, not both.")
        if self.osrm_url:
            return TravelSettings.from_osrm(self.osrm_url)
        if self.matrix_file:
            return TravelSettings.from_matrix_file(self.matrix_file)
        return TravelSettings()


def needing_equipment(company: Company) -> list[str]:
    """Everyone scheduled for home office who has equipment to receive."""
    return [s.employee.employee_id for s in stops_for(company)]


def not_provisioned(company: Company, conn) -> dict[str, str]:
    """Employees whose workstation's last baseline run (``workstation.yml``, applied) did not
    succeed, with what happened: ``failed``, ``unreachable`` or ``never ran``.
    Employees without a workstation in hosts.yml are not listed."""
    from remoteops.provision.history import baseline_results

    results = baseline_results(conn)
    out = {}
    for w in company.workstations:
        status = results.get(w.hostname)
        if status not in ("ok", "changed"):
            out[w.employee_id] = status or "never ran"
    return out


def workstations_not_provisioned(company: Company, store: StateStore) -> dict[str, str]:
    """:func:`not_provisioned` read from the store (an empty store: nobody provisioned)."""
    with store.reading() as conn:
        return not_provisioned(company, conn)


def _leave_out_not_provisioned(problem, missing: dict[str, str]):
    import dataclasses

    from remoteops.routes.planning import REASON_NOT_PROVISIONED

    keep = tuple(s for s in problem.stops if s.employee.employee_id not in missing)
    out = tuple(
        (
            s,
            REASON_NOT_PROVISIONED,
            f"the workstation's last baseline run: {missing[s.employee.employee_id]}. "
            "Provision it ('remoteops provision ID'), then plan again.",
        )
        for s in problem.stops
        if s.employee.employee_id in missing
    )
    return dataclasses.replace(problem, stops=keep, left_out=problem.left_out + out)


@dataclass(frozen=True)
class PlanOutcome:
    plan_id: int
    plan: DeliveryPlan
    not_provisioned: dict[str, str]  # employee ID -> what the last baseline run did
    fix: Fix | None  # a computed change that brings the late ones on time
    comparison: tuple[dict, ...] = ()  # this plan and each --what-if variant, side by side


def plan(
    company: Company, store: StateStore, request: PlanRequest, *, replan: bool = False
) -> PlanOutcome:
    """Plan the delivery runs for everyone not yet delivered and store the plan.

    ``replan=False`` (``routes plan``) refuses when runs are already loaded; ``replan=True``
    keeps loaded runs and their van-days untouched and schedules everyone else still
    waiting, failed stops included.  When someone is late, a fix is tried and reported only
    if it works; ``request.what_if`` variants are planned too and compared (not stored)."""
    from remoteops.routes.planning import plan_deliveries, solve_options

    travel = request.travel()
    needing = needing_equipment(company)
    with store.reading() as conn:
        if replan:
            problem = rs.replan_problem(
                conn,
                company,
                request.start,
                request.days,
                vans=request.vans,
                capacity=request.capacity,
                needing=needing,
                extra_vans=request.extra_vans,
            )
        else:
            rs.ensure_can_plan(conn)
            problem = delivery_problem(
                company,
                request.start,
                request.days,
                vans=request.vans,
                capacity=request.capacity,
                employee_ids=rs.to_replan(conn, needing),
                extra_vans=request.extra_vans,
            )
        missing = not_provisioned(company, conn)
        busy = rs.busy_van_days(conn)
        if request.require_provisioned:
            problem = _leave_out_not_provisioned(problem, missing)
    if not problem.stops and problem.left_out:
        raise RemoteOpsError(
            f"None of the {len(problem.left_out)} employees waiting for equipment has a "
            "provisioned workstation, and --require-provisioned leaves the others out.",
            hint="Provision them first ('remoteops provision TARGETS'), or plan without "
            "--require-provisioned to see them flagged.",
        )
    if not problem.stops:
        raise RemoteOpsError(
            "Nobody is waiting for equipment: everyone scheduled for home office has been "
            "delivered or is on a loaded van.",
            hint="See 'remoteops routes status'.",
        )
    if not problem.van_days:
        raise RemoteOpsError(
            "No van is free in this horizon: every van-day is taken by a loaded run.",
            hint="Plan further days with --days or start later with --from.",
        )
    options = solve_options(request.seconds, request.seed)
    result = plan_deliveries(problem, travel, options)
    with store.transaction() as conn:
        plan_id = rs.save_plan(conn, result, audit=store.audit, kind="replan" if replan else "plan")
    fix = None
    if request.suggest_fix:
        fix = suggest_fix(problem, result, travel=travel, options=options)
    comparison: tuple[dict, ...] = ()
    if request.what_if:
        ids = [s.employee.employee_id for s in problem.stops]
        base = {
            "vans": request.vans,
            "capacity": request.capacity,
            "extra_vans": request.extra_vans,
        }
        plans = [("this plan", result)]
        for variant in request.what_if:
            plans.append(
                (
                    variant.label,
                    plan_variant(
                        company,
                        request.start,
                        request.days,
                        variant.changes,
                        base=base,
                        employee_ids=ids,
                        travel=travel,
                        options=options,
                        busy=busy,
                    ),
                )
            )
        comparison = tuple(comparison_rows(plans))
    return PlanOutcome(plan_id, result, missing, fix, comparison)


def current_plan(store: StateStore) -> tuple[rs.StoredRun, ...]:
    """The runs of the current schedule (planned and loaded), by day and van."""
    with store.reading() as conn:
        runs = rs.current_runs(conn)
    if not runs:
        raise NotFoundError(
            "There is no delivery plan yet.",
            hint="Plan one with 'remoteops routes plan --from DATE --days N'.",
        )
    return runs


def runs_for(store: StateStore, day: dt.date | None, van: str | None = None) -> list[DeliveryRun]:
    """The current runs of ``day`` (all days if None), optionally of one van only."""
    runs = [r for r in current_plan(store) if day is None or r.day == day]
    if day is not None and not runs:
        days = sorted({r.day.isoformat() for r in current_plan(store)})
        raise NotFoundError(
            f"No delivery run on {day:%Y-%m-%d}.",
            hint=f"Days with runs: {', '.join(days)}.",
        )
    if van is not None:
        chosen = [r for r in runs if r.van.casefold() == van.casefold()]
        if not chosen:
            raise NotFoundError(
                f"No run for van {van!r} on {day:%Y-%m-%d}." if day else f"No van {van!r}.",
                hint=f"Vans: {', '.join(sorted({r.van for r in runs}))}.",
            )
        runs = chosen
    return [r.run for r in runs]


def write_run_sheets(
    company: Company,
    store: StateStore,
    day: dt.date,
    out: Path,
    *,
    van: str | None = None,
    language: str | None = None,
) -> list[Path]:
    """The driver's run sheet of each van on ``day`` as PDF and CSV in ``out``, in
    ``language`` (default: the company's ``delivery.language``)."""
    from remoteops.routes.sheets import (
        overview_png,
        run_sheet,
        write_run_sheet_csv,
        write_run_sheet_pdf,
    )

    runs = runs_for(store, day, van)
    missing = workstations_not_provisioned(company, store)
    sheets = [run_sheet(run, company, language=language, not_provisioned=missing) for run in runs]
    names = [f"run-sheet-{day:%Y-%m-%d}-{slug(run.van, default='van')}" for run in runs]
    targets = [(safe_file(out, f"{n}.csv"), safe_file(out, f"{n}.pdf")) for n in names]
    written = []
    for run, sheet, (csv_path, pdf_path) in zip(runs, sheets, targets, strict=True):
        written.append(write_run_sheet_csv(csv_path, sheet))
        written.append(
            write_run_sheet_pdf(
                pdf_path,
                sheet,
                company,
                overview_png=overview_png([run], company, language=sheet.language),
            )
        )
    return written


def write_maps(
    company: Company,
    store: StateStore,
    day: dt.date | None,
    out: Path,
    *,
    language: str | None = None,
) -> list[Path]:
    """An interactive HTML map and a static PNG of the runs of ``day``; for all days, the
    overview (HTML and PNG) and one PNG per day. Their words are in ``language`` (default:
    the company's ``delivery.language``)."""
    from remoteops.routes.maps import map_language, map_title, write_map_html
    from remoteops.routes.static_map import write_map_png

    language = map_language(company, language)
    runs = runs_for(store, day)
    stem = f"routes-{day:%Y-%m-%d}" if day else "routes-all"
    title = map_title(day, language)
    html_path, png_path = safe_file(out, f"{stem}.html"), safe_file(out, f"{stem}.png")
    days = sorted({run.day for run in runs}) if day is None else []
    day_paths = [(d, safe_file(out, f"routes-{d:%Y-%m-%d}.png")) for d in days]
    written = [
        write_map_html(html_path, runs, company, title=title, language=language),
        write_map_png(png_path, runs, company, language=language),
    ]
    for d, path in day_paths:
        day_runs = [run for run in runs if run.day == d]
        written.append(write_map_png(path, day_runs, company, language=language))
    return written


def write_notifications(
    company: Company, store: StateStore, day: dt.date | None, out: Path
) -> list[Path]:
    """Per employee on the runs of ``day`` (or all): an ``.ics`` invitation with the arrival
    window and the message text in their language (``.txt``: subject, blank line, body).

    Every file name is checked before the first file is written, so an employee ID that
    would not make a safe file name stops the batch with nothing written."""
    from remoteops.routes.sheets import invitation_text, write_invitations

    runs = runs_for(store, day)
    texts = [
        (safe_file(out, f"{stop.employee_id}.txt"), stop) for run in runs for stop in run.stops
    ]
    written = write_invitations(out, runs, company)
    for path, stop in texts:
        subject, body = invitation_text(company.employee(stop.employee_id), stop, company)
        written.append(write_private(path, f"{subject}\n\n{body}\n"))
    return written


def load(store: StateStore, day: dt.date, van: str) -> rs.StoredRun:
    """Lock the run of ``van`` on ``day``: it is being loaded and never reordered."""
    with store.transaction() as conn:
        return rs.load_run(conn, day, van, audit=store.audit)


def deliver(store: StateStore, employee_id: str, received_by: str, note: str | None) -> None:
    with store.transaction() as conn:
        rs.deliver(conn, employee_id, received_by, note=note, audit=store.audit)


def fail(store: StateStore, employee_id: str, reason: str, note: str | None) -> None:
    with store.transaction() as conn:
        rs.fail(conn, employee_id, reason, note=note, audit=store.audit)


def status(company: Company, store: StateStore) -> rs.DeliveryStatus:
    with store.reading() as conn:
        return rs.delivery_status(conn, needing_equipment(company))


def employee_delivery(store: StateStore, employee_id: str) -> rs.EmployeeDelivery:
    with store.reading() as conn:
        return rs.employee_delivery(conn, employee_id)
