"""Render agreement packets for many employees: the batch, the incremental check, the files.

The one entry point is :func:`render_agreements`. For each selected employee it

1. builds the template context and its input hash (employee data + template version +
   options); if the documents in force have that hash and their files are intact, the
   employee is *unchanged* and nothing is rendered;
2. renders the four documents with Jinja2 (a missing field or a guard hit stops that
   employee only, with the template, line and field in the reason);
3. lays out the sheets (shared sheets once per run, the employee's own sheets together with
   other employees' in one WeasyPrint call), stamps the footers and writes one PDF/A-3b
   packet (or one file per document) completely under a temporary name, owner-only;
4. keeps the file it replaces under ``superseded/``, renames the new file into place and
   records new and superseded entries in one transaction; then the manifest files are
   rewritten from the store (after each employee and at the end of every run, also after
   Ctrl-C), so they always list exactly the documents in force.

A full disk, a file-size limit or a missing permission stops the run with a clear
:class:`OutputWriteError` before anything is replaced; earlier files and the store stay.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from remoteops.contracts.context import Record, input_hash
from remoteops.contracts.errors import (
    DocumentGuardError,
    OutputWriteError,
    TemplateError,
    TemplateFieldError,
)
from remoteops.contracts.manifest import (
    DocumentRecord,
    DocumentStore,
    ManifestFileStore,
    regenerate_manifest,
    utcnow,
)
from remoteops.contracts.output import (
    archive,
    commit,
    discard,
    output_folder,
    remove_stale_temp_files,
    stage,
)
from remoteops.contracts.templates import (
    DOCUMENT_CODES,
    DOCUMENTS,
    RenderedDocument,
    TemplateSet,
    load_templates,
)
from remoteops.errors import RemoteOpsError, UsageError
from remoteops.files import safe_file
from remoteops.models import Company, Employee

#: Bump when the output changes for the same inputs (forces a re-render of everything).
RENDER_FORMAT = "1"
SUPERSEDED_DIR = "superseded"
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")

PageNumbers = Literal["document", "packet"]
Engine = Literal["sheets", "naive"]


@dataclass(frozen=True)
class AgreementFailure:
    """An employee whose documents were not generated, and why."""

    employee_id: str
    reason: str
    template: str | None = None
    line: int | None = None
    field: str | None = None


@dataclass(frozen=True)
class RenderProgress:
    """Reported after each employee: ``outcome`` is rendered, unchanged or failed."""

    done: int
    total: int
    employee_id: str
    outcome: str


@dataclass
class RenderReport:
    out_dir: Path
    rendered: list[DocumentRecord] = field(default_factory=list)
    unchanged: list[DocumentRecord] = field(default_factory=list)
    superseded: list[DocumentRecord] = field(default_factory=list)
    failures: list[AgreementFailure] = field(default_factory=list)
    files_written: int = 0
    pages_written: int = 0
    layout_renders: int = 0
    pages_laid_out: int = 0
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def employees_rendered(self) -> list[str]:
        return sorted({r.employee_id for r in self.rendered})

    @property
    def employees_unchanged(self) -> list[str]:
        return sorted({r.employee_id for r in self.unchanged})


def document_id(document: str, employee_id: str, lang: str, digest: str) -> str:
    """Short, stable ID of one version of one document, e.g. ``HO-7K3F9QX2``."""
    raw = hashlib.sha256(f"{employee_id}|{document}|{lang}|{digest}".encode()).digest()
    return f"{DOCUMENT_CODES.get(document, 'XX')}-{base64.b32encode(raw).decode()[:8]}"


def document_context(base: dict[str, Any], document: str, digest: str) -> dict[str, Any]:
    """The context of one document: the employee's context plus ``document``."""
    employee = base["employee"]
    employee_id = employee.get("employee_id", "?") if isinstance(employee, dict) else "?"
    return {
        **base,
        "document": Record(
            "document",
            {
                "key": document,
                "code": DOCUMENT_CODES.get(document, "XX"),
                "id": document_id(document, employee_id, base["lang"], digest),
            },
        ),
    }


def packet_path(out_dir: Path, employee_id: str, lang: str) -> Path:
    return safe_file(Path(out_dir), f"{employee_id}-{lang}-packet.pdf")


def document_path(out_dir: Path, employee_id: str, document: str, lang: str) -> Path:
    folder = safe_file(Path(out_dir), employee_id)
    return safe_file(folder, f"{employee_id}-{document}-{lang}.pdf")


# -- one employee -----------------------------------------------------------------------


@dataclass
class _Document:
    rendered: RenderedDocument
    context: dict[str, Any]
    sheets: list[Any]  # pdf.Sheet


@dataclass
class _Job:
    employee: Employee
    lang: str
    digest: str
    template_version: str
    documents: list[_Document]
    previous: list[DocumentRecord]
    # void documents whose file is the packet this job replaces: kept aside first
    voided: list[DocumentRecord] = field(default_factory=list)
    # (document index, sheet index, page in sheet) -> overlay with the field contents
    overlays: dict[tuple[int, int, int], Any] = field(default_factory=dict)
    # sheets whose fields did not fit: laid out in full instead
    full: set[tuple[int, int]] = field(default_factory=set)

    @property
    def employee_id(self) -> str:
        return self.employee.employee_id

    def all_sheets(self) -> list[Any]:
        return [sheet for doc in self.documents for sheet in doc.sheets]

    def sheet_for(self, doc_index: int, sheet_index: int) -> Any:
        sheet = self.documents[doc_index].sheets[sheet_index]
        return sheet.full() if (doc_index, sheet_index) in self.full else sheet


def _failure(employee_id: str, exc: Exception) -> AgreementFailure:
    if isinstance(exc, TemplateFieldError):
        return AgreementFailure(employee_id, exc.message, exc.template, exc.line, exc.field)
    if isinstance(exc, DocumentGuardError):
        return AgreementFailure(employee_id, exc.message, exc.template)
    if isinstance(exc, RemoteOpsError):
        return AgreementFailure(employee_id, exc.message)
    return AgreementFailure(employee_id, f"{type(exc).__name__}: {exc}")


class _Renderer:
    def __init__(
        self,
        company: Company,
        templates: TemplateSet,
        out_dir: Path,
        *,
        lang: str | None,
        split: bool,
        page_numbers: PageNumbers,
        force: bool,
        today: dt.date,
        engine: Engine,
    ) -> None:
        from remoteops.contracts.pdf import SheetLayout, find_stamp_font, load_stamp_font

        self.company = company
        self.templates = templates
        self.out_dir = out_dir
        self.lang = lang
        self.split = split
        self.page_numbers = page_numbers
        self.force = force
        self.today = today
        self.engine = engine
        self.layout = SheetLayout(templates.directory)
        self.font = load_stamp_font(find_stamp_font(templates.directory))
        self.options = f"format={RENDER_FORMAT};split={split};numbers={page_numbers}"

    # -- step 1 and 2: decide and render HTML -------------------------------------------
    def prepare(self, employee: Employee, previous: list[DocumentRecord]) -> _Job | list:
        """A job to render, or the list of unchanged records."""
        from remoteops.contracts.pdf import make_sheet, sha256_of

        eid = employee.employee_id
        if not _SAFE_ID.fullmatch(eid):
            raise RemoteOpsError(
                f"Employee ID {eid!r} cannot be used in a file name.",
                hint="Use letters, digits, '-' and '_' only.",
            )
        lang = self.lang or employee.language
        if lang not in self.templates.languages:
            raise RemoteOpsError(
                f"There are no templates in language {lang!r} (have: "
                f"{', '.join(self.templates.languages)}).",
                hint="Choose a language with --lang or add the templates.",
            )
        version = self.templates.version(lang)
        base = self.templates.base_context(self.company, employee, lang=lang, today=self.today)
        if not base["devices"]:
            raise RemoteOpsError(
                f"Employee {eid} has no devices in the asset list; the equipment loan "
                "agreement needs at least one.",
                hint="Assign the employee's devices in assets.csv (employee_id column).",
            )
        digest = input_hash(base, self.options)
        mine = [r for r in previous if r.language == lang]
        if not self.force and self._intact(mine, digest, eid, lang, sha256_of):
            return mine
        documents = []
        for document in DOCUMENTS:
            context = document_context(base, document, digest)
            rendered = self.templates.render_document(document, context, employee_id=eid)
            # Check the stamp now, so a bad footer stops this employee before any layout.
            self.templates.render_stamp(lang, {**context, "page": 1, "pages": 1}, employee_id=eid)
            sheets = [
                make_sheet(lang, rendered.head, html, version, eid) for html in rendered.sheets
            ]
            if self.engine == "naive":
                sheets = [sheet.full() for sheet in sheets]
            documents.append(_Document(rendered, context, sheets))
        return _Job(employee, lang, digest, version, documents, mine)

    def _intact(self, records, digest, eid, lang, sha256_of) -> bool:
        if {r.document for r in records} != set(DOCUMENTS) or len(records) != len(DOCUMENTS):
            return False
        checked: dict[str, bool] = {}
        for record in records:
            if record.input_hash != digest:
                return False
            expected = (
                document_path(self.out_dir, eid, record.document, lang)
                if self.split
                else packet_path(self.out_dir, eid, lang)
            )
            path = self.out_dir / record.pdf_path
            if path.resolve() != expected.resolve():
                return False
            if record.pdf_path not in checked:
                checked[record.pdf_path] = path.is_file() and sha256_of(path) == record.sha256
            if not checked[record.pdf_path]:
                return False
        return True

    # -- step 3: lay out, stamp, write ---------------------------------------------------
    def lay_out(self, jobs: Sequence[_Job]) -> list[tuple[_Job, Exception]]:
        """Lay out the sheets of ``jobs`` and set their fields; returns the jobs that failed
        (each on its own, so one employee's problem does not stop the others)."""
        from remoteops.contracts.pdf import PdfRenderError

        if self.engine == "naive":
            failed = []
            for job in jobs:
                self.layout.cache.clear()
                self.layout.uses.clear()
                try:
                    self.layout.ensure(job.all_sheets())
                except PdfRenderError as exc:
                    failed.append((job, exc))
            return failed
        self.layout.count(sheet for job in jobs for sheet in job.all_sheets())
        try:
            self._lay_out(jobs)
            return []
        except PdfRenderError as exc:
            if len(jobs) == 1:
                return [(jobs[0], exc)]
        failed = []
        for job in jobs:  # find the employee whose sheets WeasyPrint cannot lay out
            try:
                self._lay_out([job])
            except PdfRenderError as exc:
                failed.append((job, exc))
        return failed

    def _lay_out(self, jobs: Sequence[_Job]) -> None:
        from remoteops.contracts.pdf import OverlayRequest

        self.layout.ensure(sheet for job in jobs for sheet in job.all_sheets())
        requests, targets = [], []
        for job in jobs:
            job.overlays.clear()
            job.full.clear()
            for d, doc in enumerate(job.documents):
                for s, sheet in enumerate(doc.sheets):
                    if not sheet.fields:
                        continue
                    laid_out = self.layout.pages(sheet.key)
                    by_page: dict[int, list] = {}
                    for index, content in sheet.fields:
                        slot = laid_out.slots[index]
                        by_page.setdefault(slot.page, []).append((index, slot, content))
                    for page, values in sorted(by_page.items()):
                        request = OverlayRequest(
                            job.employee_id,
                            sheet.lang,
                            sheet.head,
                            laid_out.page_size,
                            tuple(values),
                        )
                        requests.append(request)
                        targets.append((job, d, s, page))
        results = self.layout.overlays(requests)
        for (job, d, s, page), result in zip(targets, results, strict=True):
            if result.fits:
                job.overlays[(d, s, page)] = result
            else:
                job.full.add((d, s))
        for job in jobs:  # a sheet laid out in full needs none of its overlays
            for key in [k for k in job.overlays if (k[0], k[1]) in job.full]:
                del job.overlays[key]
        fallback = [job.sheet_for(d, s) for job in jobs for d, s in job.full]
        if fallback:
            self.layout.ensure(fallback)

    def write(self, job: _Job) -> _Written:
        """Assemble the job's file(s) and put them in place of the old version.

        The new files are written completely under temporary names first; only then is the
        old version kept under ``superseded/`` and the new files renamed into place. A full
        disk or a file-size limit therefore fails before anything is replaced
        (:class:`OutputWriteError`). The caller records the result in the store."""
        from remoteops.contracts.pdf import (
            FileMeta,
            StampedPage,
            agreement_keywords,
            assemble_pdf,
        )

        eid, lang = job.employee_id, job.lang
        generated_at = utcnow().replace(microsecond=0)
        per_document = []
        for d, doc in enumerate(job.documents):
            pages = []
            for s in range(len(doc.sheets)):
                sheet = job.sheet_for(d, s)
                for page_index, page in enumerate(self.layout.pages(sheet.key).pages()):
                    overlay = job.overlays.get((d, s, page_index))
                    pages.append((page, overlay.page_object() if overlay else None))
            per_document.append((doc, pages))
        total = sum(len(pages) for _, pages in per_document)

        files: list[tuple[Path, list[tuple[_Document, int, int]], list[Any]]] = []
        if self.split:
            for doc, pages in per_document:
                path = document_path(self.out_dir, eid, doc.rendered.document, lang)
                files.append((path, [(doc, 1, len(pages))], self._stamped(doc, pages, 1, None)))
        else:
            stamped, ranges, start = [], [], 1
            for doc, pages in per_document:
                ranges.append((doc, start, start + len(pages) - 1))
                stamped += self._stamped(doc, pages, start, total)
                start += len(pages)
            files.append((packet_path(self.out_dir, eid, lang), ranges, stamped))

        built: list[tuple[Path, list[tuple[_Document, int, int]], bytes, int]] = []
        for path, ranges, stamped in files:
            titles = [doc.rendered.title for doc, _, _ in ranges]
            meta = FileMeta(
                title=" · ".join(titles),
                author=self.company.details.legal_name,
                subject=f"{eid} " + " ".join(d.context["document"]["id"] for d, _, _ in ranges),
                lang=lang,
                created=generated_at,
                keywords=agreement_keywords(job.template_version, job.digest),
            )
            data = assemble_pdf(
                [StampedPage(p, left, right, ov) for (p, ov), left, right in stamped],
                meta,
                self.font,
            )
            built.append((path, ranges, data, len(stamped)))

        staged: list[Path] = []
        try:
            for path, _, data, _ in built:
                staged.append(stage(path, data))
            superseded, voided, retire = self._archive_previous(
                job, {p.resolve() for p, *_ in built}
            )
        except BaseException:
            discard(staged)
            raise
        for (path, *_), temp in zip(built, staged, strict=True):
            commit(temp, path)

        written = _Written(superseded=superseded, voided=voided, retire=retire, files=len(built))
        for path, ranges, data, page_count in built:
            digest = hashlib.sha256(data).hexdigest()
            written.pages += page_count
            relative = os.path.relpath(path, self.out_dir)
            for doc, first, last in ranges:
                written.records.append(
                    DocumentRecord(
                        employee_id=eid,
                        document=doc.rendered.document,
                        language=lang,
                        title=doc.rendered.title,
                        document_id=doc.context["document"]["id"],
                        template_version=job.template_version,
                        input_hash=job.digest,
                        pdf_path=relative,
                        pages=f"{first}-{last}",
                        page_count=last - first + 1,
                        sha256=digest,
                        generated_at=generated_at,
                    )
                )
        return written

    def _stamped(self, doc: _Document, pages: list[Any], start: int, packet_total: int | None):
        """(page, left, right) for the pages of one document starting at packet page
        ``start``; numbering per document, or across the packet if so chosen."""
        out = []
        for index, page in enumerate(pages, start=1):
            if self.page_numbers == "packet" and packet_total is not None:
                number, count = start + index - 1, packet_total
            else:
                number, count = index, len(pages)
            left, right = self.templates.render_stamp(
                doc.context["lang"],
                {**doc.context, "page": number, "pages": count},
                employee_id=doc.context["employee"].get("employee_id"),
            )
            out.append((page, left, right))
        return out

    def _archive_previous(
        self, job: _Job, new_paths: set[Path]
    ) -> tuple[list[DocumentRecord], list[DocumentRecord], list[Path]]:
        """Keep the files of the documents this job replaces, and of the void documents in
        the same packets, under ``superseded/`` (hard links: the old files stay in place
        until the new ones are renamed over them).

        Returns the superseded records and the void ones, each pointing at its kept file (or
        at no file, ``""``, if the file was gone or changed before this run), and the old
        files that no new file replaces, to remove once the store has recorded the change."""
        from remoteops.contracts.pdf import sha256_of

        kept: dict[str, str] = {}
        created: list[Path] = []
        retire: list[Path] = []
        superseded = []
        voided = []
        try:
            for record in [*job.previous, *job.voided]:
                if record.pdf_path not in kept:
                    kept[record.pdf_path] = ""
                    old = self.out_dir / record.pdf_path
                    name = Path(record.pdf_path)
                    target = safe_file(
                        self.out_dir / SUPERSEDED_DIR,
                        f"{name.stem}-{record.sha256[:10]}{name.suffix}",
                    )
                    relative = os.path.relpath(target, self.out_dir)
                    intact = old.is_file() and sha256_of(old) == record.sha256
                    if target.is_file() and sha256_of(target) == record.sha256:
                        kept[record.pdf_path] = relative  # kept by a run that was stopped
                    elif intact:
                        archive(old, target)
                        created.append(target)
                        kept[record.pdf_path] = relative
                    if intact and old.resolve() not in new_paths:
                        retire.append(old)  # kept above; no new file takes its place
                if record.status == "void":
                    voided.append(replace(record, pdf_path=kept[record.pdf_path]))
                else:
                    superseded.append(
                        replace(record, status="superseded", pdf_path=kept[record.pdf_path])
                    )
        except BaseException:
            discard(created)
            raise
        return superseded, voided, retire


@dataclass
class _Written:
    """What :meth:`_Renderer.write` put in place, for the store and the report."""

    records: list[DocumentRecord] = field(default_factory=list)
    superseded: list[DocumentRecord] = field(default_factory=list)
    voided: list[DocumentRecord] = field(default_factory=list)
    retire: list[Path] = field(default_factory=list)
    files: int = 0
    pages: int = 0


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def select_employees(company: Company, employee_ids: Iterable[str] | None) -> list[Employee]:
    """The employees named (in that order, each once), or everyone scheduled for home office."""
    if employee_ids is None:
        return [e for e in company.employees if e.scheduled_for_home_office]
    seen, employees = set(), []
    for eid in employee_ids:
        if eid not in seen:
            seen.add(eid)
            employees.append(company.employee(eid))  # NotFoundError names the ID
    return employees


def render_agreements(
    company: Company,
    employee_ids: Iterable[str] | None = None,
    *,
    out_dir: str | Path,
    templates: TemplateSet | str | Path | None = None,
    lang: str | None = None,
    split: bool = False,
    page_numbers: PageNumbers = "document",
    force: bool = False,
    store: DocumentStore | None = None,
    progress: Callable[[RenderProgress], None] | None = None,
    batch_size: int = 24,
    today: dt.date | None = None,
    engine: Engine = "sheets",
) -> RenderReport:
    """Render the agreement packets of ``employee_ids`` (default: everyone scheduled for home
    office) into ``out_dir``.

    - ``lang``: ``de``/``en`` for everyone, default each employee's own language;
    - ``split``: one PDF per document (``OUT/E0001/E0001-home-office-de.pdf``) instead of
      one packet per employee (``OUT/E0001-de-packet.pdf``);
    - ``page_numbers``: "Seite X von Y" per document (default) or across the packet;
    - ``force``: render even if nothing changed;
    - ``store``: where the manifest lives (default: ``manifest.json`` in ``out_dir``);
    - ``progress``: called after each employee with a :class:`RenderProgress`;
    - ``engine``: ``sheets`` (shared sheets laid out once; the default) or ``naive`` (one
      WeasyPrint render per packet; for comparison).

    Employees whose data or templates fail are listed in ``report.failures``; the others
    are rendered. Raises :class:`TemplateError` if the templates themselves are unusable.
    """
    if page_numbers not in ("document", "packet"):
        raise UsageError(f"page_numbers must be 'document' or 'packet', not {page_numbers!r}")
    if engine not in ("sheets", "naive"):
        raise UsageError(f"engine must be 'sheets' or 'naive', not {engine!r}")
    if batch_size < 1:
        raise UsageError("batch_size must be at least 1")
    started_cpu, started_wall = time.process_time(), time.perf_counter()
    out = output_folder(Path(out_dir))
    if not isinstance(templates, TemplateSet):
        templates = load_templates(templates)
    employees = select_employees(company, employee_ids)
    store = store or ManifestFileStore(out)
    previous_all = store.current([e.employee_id for e in employees])
    previous: dict[str, list[DocumentRecord]] = {}
    for record in previous_all:
        previous.setdefault(record.employee_id, []).append(record)
    voided: dict[str, list[DocumentRecord]] = {}
    for record in store.voided([e.employee_id for e in employees]):
        voided.setdefault(record.employee_id, []).append(record)

    remove_stale_temp_files(out)
    regenerate_manifest(out, store)  # right from the start, whatever an earlier run left
    renderer = _Renderer(
        company,
        templates,
        out,
        lang=lang,
        split=split,
        page_numbers=page_numbers,
        force=force,
        today=today or dt.date.today(),
        engine=engine,
    )
    report = RenderReport(out_dir=out)
    total, done = len(employees), 0

    def tell(employee_id: str, outcome: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(RenderProgress(done, total, employee_id, outcome))

    try:
        for chunk in _chunks(employees, batch_size if engine == "sheets" else 1):
            jobs: list[_Job] = []
            for employee in chunk:
                eid = employee.employee_id
                try:
                    outcome = renderer.prepare(employee, previous.get(eid, []))
                except (TemplateFieldError, DocumentGuardError) as exc:
                    report.failures.append(_failure(eid, exc))
                    tell(eid, "failed")
                    continue
                except TemplateError:
                    raise
                except RemoteOpsError as exc:
                    report.failures.append(_failure(eid, exc))
                    tell(eid, "failed")
                    continue
                if isinstance(outcome, _Job):
                    outcome.voided = voided.get(eid, [])
                    jobs.append(outcome)
                else:
                    report.unchanged.extend(outcome)
                    tell(eid, "unchanged")
            if not jobs:
                continue
            failed = dict((id(job), exc) for job, exc in renderer.lay_out(jobs))
            for job in jobs:
                eid = job.employee_id
                if id(job) in failed:
                    report.failures.append(_failure(eid, failed[id(job)]))
                    tell(eid, "failed")
                    continue
                try:
                    written = renderer.write(job)
                except (TemplateError, OutputWriteError):
                    raise  # not this employee's problem: stop the run
                except RemoteOpsError as exc:
                    report.failures.append(_failure(eid, exc))
                    tell(eid, "failed")
                    continue
                # new and superseded entries in one transaction, then the old files go
                store.record(written.records, written.superseded, written.voided)
                discard(written.retire)
                regenerate_manifest(out, store)
                report.rendered.extend(written.records)
                report.superseded.extend(written.superseded)
                report.files_written += written.files
                report.pages_written += written.pages
                tell(eid, "rendered")
            renderer.layout.forget_personal()
    except BaseException:
        with contextlib.suppress(RemoteOpsError):  # in step with the store; first error wins
            regenerate_manifest(out, store)
        raise
    else:
        regenerate_manifest(out, store)  # every run, also when nothing changed
    finally:
        report.layout_renders = renderer.layout.stats.renders
        report.pages_laid_out = renderer.layout.stats.pages_laid_out
        report.cpu_seconds = time.process_time() - started_cpu
        report.wall_seconds = time.perf_counter() - started_wall
    return report
