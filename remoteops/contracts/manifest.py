"""What was generated: manifest entries, the manifest files, and the ``documents`` table.

The renderer only needs two things from wherever the manifest is kept (see
:class:`DocumentStore`): the current entries, to skip what did not change, and a place to
record what it wrote and what that superseded. Two stores come with it:

- :class:`ManifestFileStore`: ``manifest.json`` in the output folder (no database needed);
- :class:`SqliteDocumentStore`: the ``documents`` table (:data:`DOCUMENTS_SCHEMA`) in the
  state database, written inside the caller's transactions, with an optional audit hook.

``manifest.csv``/``manifest.json`` are written into the output folder either way.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable, Collection, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from remoteops.contracts.errors import StatusError
from remoteops.csvio import write_csv_rows
from remoteops.errors import InputFileError, NotFoundError
from remoteops.state import DOCUMENTS_SCHEMA as DOCUMENTS_SCHEMA  # created by migration 3

if TYPE_CHECKING:
    from remoteops.state import Connection, Record

#: Signature status of a generated document, in the order it normally moves.
STATUSES = ("generated", "sent", "signed", "returned", "superseded", "void")
#: Statuses ``mark`` may set.
MARKABLE_STATUSES = ("sent", "signed", "returned", "void")
#: Still waiting for the employee.
PENDING_STATUSES = ("generated", "sent")
#: The employee has signed (and perhaps returned the signed copy).
SIGNED_STATUSES = ("signed", "returned")
_ORDER = {"generated": 0, "sent": 1, "signed": 2, "returned": 3}

MANIFEST_JSON = "manifest.json"
MANIFEST_CSV = "manifest.csv"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class DocumentRecord:
    """One generated document of one employee (a manifest row)."""

    employee_id: str
    document: str  # setup-letter, home-office, data-protection, equipment-loan
    language: str
    title: str
    document_id: str  # the short ID in the footer, e.g. HO-7K3F9QX2
    template_version: str
    input_hash: str  # SHA-256 of the employee's data + template version + options
    pdf_path: str  # relative to the output folder
    pages: str  # page range of this document in the file, e.g. "3-7"
    page_count: int
    sha256: str  # of the PDF file
    generated_at: dt.datetime
    status: str = "generated"

    def as_row(self) -> dict[str, object]:
        # Every field is a plain value: a shallow dict (asdict deep-copies, and the manifest
        # is rebuilt after each employee).
        row = {name: getattr(self, name) for name in _RECORD_FIELDS}
        row["generated_at"] = self.generated_at.isoformat(timespec="seconds")
        return row

    @classmethod
    def from_row(cls, row: dict) -> DocumentRecord:
        names = {f.name for f in fields(cls)}
        values = {key: row[key] for key in names if key in row and row[key] is not None}
        values["generated_at"] = dt.datetime.fromisoformat(str(values["generated_at"]))
        values["page_count"] = int(values["page_count"])
        return cls(**values)


_RECORD_FIELDS = tuple(f.name for f in fields(DocumentRecord))

# -- the manifest files in the output folder ---------------------------------------------


def read_manifest(out_dir: Path) -> list[DocumentRecord]:
    """The entries of ``manifest.json`` in ``out_dir`` (none if there is no manifest yet)."""
    path = Path(out_dir) / MANIFEST_JSON
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [DocumentRecord.from_row(row) for row in data["documents"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise InputFileError(
            str(path),
            f"is not a remoteops manifest ({exc})",
            hint="Move it away; the next run renders every document again.",
        ) from None


def manifest_bytes(records: Sequence[DocumentRecord]) -> tuple[bytes, bytes]:
    """(JSON, CSV) contents of the manifest files, sorted by employee and packet order."""
    from remoteops.contracts.templates import DOCUMENTS

    order = {name: i for i, name in enumerate(DOCUMENTS)}
    rows = [
        r.as_row()
        for r in sorted(
            records, key=lambda r: (r.employee_id, r.language, order.get(r.document, 99))
        )
    ]
    as_json = json.dumps({"format": 1, "documents": rows}, ensure_ascii=False, indent=1)
    buffer = io.StringIO()
    columns = [f.name for f in fields(DocumentRecord)]
    write_csv_rows(buffer, columns, rows, lineterminator="\n")
    return (as_json + "\n").encode("utf-8"), buffer.getvalue().encode("utf-8")


def write_manifest_files(out_dir: Path, records: Sequence[DocumentRecord]) -> None:
    """Write ``manifest.json`` and ``manifest.csv`` (atomically, owner-only); a full disk
    or a missing permission is an :class:`~remoteops.contracts.errors.OutputWriteError`."""
    from remoteops.contracts.output import write_file

    as_json, as_csv = manifest_bytes(records)
    write_file(Path(out_dir) / MANIFEST_JSON, as_json)
    write_file(Path(out_dir) / MANIFEST_CSV, as_csv)


def regenerate_manifest(out_dir: Path, store: DocumentStore) -> list[DocumentRecord]:
    """Rewrite the manifest files from ``store``: every document in force, nothing else.
    The renderer calls this after each employee and at the end of every run, so the files
    always match the store, also after a run that was killed. Returns the records."""
    records = store.current()
    write_manifest_files(out_dir, records)
    return records


# -- where the renderer keeps its manifest -------------------------------------------------


class DocumentStore(Protocol):
    """What the renderer needs from a manifest store."""

    def current(self, employee_ids: Collection[str] | None = None) -> list[DocumentRecord]:
        """The documents in force (not superseded, not void)."""
        ...

    def voided(self, employee_ids: Collection[str]) -> list[DocumentRecord]:
        """The void documents whose file is still the packet's (not yet kept aside)."""
        ...

    def record(
        self,
        rendered: Sequence[DocumentRecord],
        superseded: Sequence[DocumentRecord],
        voided: Sequence[DocumentRecord] = (),
    ) -> None:
        """Store newly generated documents and mark the ones they replace superseded;
        ``voided`` records point at the kept copy of their file."""
        ...


class ManifestFileStore:
    """The manifest files in the output folder, as a store (no database)."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)

    def current(self, employee_ids: Collection[str] | None = None) -> list[DocumentRecord]:
        records = read_manifest(self.out_dir)
        if employee_ids is not None:
            wanted = set(employee_ids)
            records = [r for r in records if r.employee_id in wanted]
        return records

    def voided(self, employee_ids: Collection[str]) -> list[DocumentRecord]:
        return []  # the manifest files list only the documents in force

    def record(
        self,
        rendered: Sequence[DocumentRecord],
        superseded: Sequence[DocumentRecord],
        voided: Sequence[DocumentRecord] = (),
    ) -> None:
        """The manifest files are the store: replace the entries of what was rendered."""
        documents = {(r.employee_id, r.document, r.language): r for r in self.current()}
        for record in superseded:
            documents.pop((record.employee_id, record.document, record.language), None)
        for record in rendered:
            documents[(record.employee_id, record.document, record.language)] = record
        write_manifest_files(self.out_dir, list(documents.values()))


# -- the documents table -------------------------------------------------------------------

# The table itself is created by the "agreements" migration in remoteops.state.

_DATE_COLUMN = {
    "sent": "sent_at",
    "signed": "signed_at",
    "returned": "returned_at",
    "void": "voided_at",
    "superseded": "superseded_at",
}


@dataclass(frozen=True)
class DocumentStatus:
    """A row of ``remoteops contracts status``: one document of one employee."""

    id: int
    employee_id: str
    document: str
    language: str
    document_id: str
    title: str
    status: str
    generated_at: dt.datetime
    sent_at: dt.datetime | None
    signed_at: dt.datetime | None
    returned_at: dt.datetime | None
    superseded_at: dt.datetime | None
    voided_at: dt.datetime | None
    pdf_path: str
    sha256: str
    template_version: str
    note: str | None

    @property
    def last_change(self) -> dt.datetime:
        dates = [
            d
            for d in (
                self.generated_at,
                self.sent_at,
                self.signed_at,
                self.returned_at,
                self.superseded_at,
                self.voided_at,
            )
            if d
        ]
        return max(dates)

    def status_on(self, moment: dt.datetime) -> str | None:
        """The document's status as it was at ``moment`` (None: not generated yet), read
        from the dates of its steps."""
        if moment < self.generated_at:
            return None
        status = "generated"
        for step, at in (
            ("sent", self.sent_at),
            ("signed", self.signed_at),
            ("returned", self.returned_at),
            ("superseded", self.superseded_at),
            ("void", self.voided_at),
        ):
            if at is not None and at <= moment:
                status = step
        return status

    def as_row(self) -> dict[str, object]:
        row = asdict(self)
        for key, value in row.items():
            if isinstance(value, dt.datetime):
                row[key] = value.isoformat(timespec="seconds")
        return row


def _when(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _status_from_row(row: Record | tuple, names: Sequence[str]) -> DocumentStatus:
    data = dict(zip(names, row, strict=True))
    return DocumentStatus(
        id=data["id"],
        employee_id=data["employee_id"],
        document=data["document"],
        language=data["language"],
        document_id=data["document_id"],
        title=data["title"],
        status=data["status"],
        generated_at=dt.datetime.fromisoformat(data["generated_at"]),
        sent_at=_when(data["sent_at"]),
        signed_at=_when(data["signed_at"]),
        returned_at=_when(data["returned_at"]),
        superseded_at=_when(data["superseded_at"]),
        voided_at=_when(data["voided_at"]),
        pdf_path=data["pdf_path"],
        sha256=data["sha256"],
        template_version=data["template_version"],
        note=data["note"],
    )


def record_rendered(
    conn: Connection,
    rendered: Iterable[DocumentRecord],
    superseded: Iterable[DocumentRecord] = (),
    voided: Iterable[DocumentRecord] = (),
    *,
    at: dt.datetime | None = None,
) -> list[int]:
    """Insert newly generated documents; the document each one replaces (same employee,
    document and language, still in force) becomes ``superseded``, pointing at the new row.
    ``superseded`` records carry the archived path of the old file, ``voided`` ones the
    archived path of a void document's file (its packet is being replaced). Returns the new
    row ids. Call inside a transaction."""
    moment = (at or utcnow()).isoformat()
    for record in voided:
        conn.execute(
            "UPDATE documents SET pdf_path = :path WHERE status = 'void' "
            "AND employee_id = :employee_id AND document = :document "
            "AND language = :language AND sha256 = :sha256",
            {
                "path": record.pdf_path,
                "employee_id": record.employee_id,
                "document": record.document,
                "language": record.language,
                "sha256": record.sha256,
            },
        )
    moved = {(r.employee_id, r.document, r.language, r.sha256): r.pdf_path for r in superseded}
    new_ids = []
    for record in rendered:
        old = conn.execute(
            "SELECT id, sha256 FROM documents WHERE employee_id = :employee_id "
            "AND document = :document AND language = :language "
            "AND status NOT IN ('superseded', 'void')",
            {
                "employee_id": record.employee_id,
                "document": record.document,
                "language": record.language,
            },
        ).fetchall()
        for old_id, old_sha in old:
            path = moved.get((record.employee_id, record.document, record.language, old_sha))
            conn.execute(
                "UPDATE documents SET status = 'superseded', superseded_at = :moment, "
                "pdf_path = COALESCE(:path, pdf_path) WHERE id = :id",
                {"moment": moment, "path": path, "id": old_id},
            )
        new_id = conn.execute(
            "INSERT INTO documents (employee_id, document, language, title, document_id, "
            "template_version, input_hash, pdf_path, pages, page_count, sha256, status, "
            "generated_at) VALUES (:employee_id, :document, :language, :title, :document_id, "
            ":template_version, :input_hash, :pdf_path, :pages, :page_count, :sha256, "
            "'generated', :generated_at) RETURNING id",
            {
                "employee_id": record.employee_id,
                "document": record.document,
                "language": record.language,
                "title": record.title,
                "document_id": record.document_id,
                "template_version": record.template_version,
                "input_hash": record.input_hash,
                "pdf_path": record.pdf_path,
                "pages": record.pages,
                "page_count": record.page_count,
                "sha256": record.sha256,
                "generated_at": record.generated_at.isoformat(),
            },
        ).scalar()
        new_ids.append(new_id)
        for old_id, _ in old:
            conn.execute(
                "UPDATE documents SET superseded_by = :new WHERE id = :old",
                {"new": new_id, "old": old_id},
            )
    return new_ids


def current_documents(
    conn: Connection, employee_ids: Collection[str] | None = None
) -> list[DocumentRecord]:
    """The documents in force (for the renderer's incremental check)."""
    sql = (
        "SELECT employee_id, document, language, title, document_id, template_version, "
        "input_hash, pdf_path, pages, page_count, sha256, generated_at, status "
        "FROM documents WHERE status NOT IN ('superseded', 'void')"
    )
    params: dict[str, object] = {}
    if employee_ids is not None:
        ids = list(employee_ids)
        if not ids:
            return []
        sql += " AND employee_id IN :ids"
        params["ids"] = ids
    cursor = conn.execute(sql + " ORDER BY employee_id, id", params, expanding=list(params))
    names = cursor.keys()
    return [DocumentRecord.from_row(dict(zip(names, row, strict=True))) for row in cursor]


def voided_in_place(conn: Connection, employee_ids: Collection[str]) -> list[DocumentRecord]:
    """The void documents of these employees whose file is a packet in the output folder,
    not yet kept under ``superseded/``: rendering the packet again must keep it first."""
    ids = list(employee_ids)
    if not ids:
        return []
    cursor = conn.execute(
        "SELECT * FROM documents WHERE status = 'void' AND employee_id IN :ids "
        "AND pdf_path <> '' AND pdf_path NOT LIKE 'superseded/%' ORDER BY employee_id, id",
        {"ids": ids},
        expanding=["ids"],
    )
    names = cursor.keys()
    return [DocumentRecord.from_row(dict(zip(names, row, strict=True))) for row in cursor]


def document_status(
    conn: Connection,
    *,
    employee_ids: Collection[str] | None = None,
    pending: bool = False,
    older_than: dt.timedelta | None = None,
    include_history: bool = False,
    now: dt.datetime | None = None,
) -> list[DocumentStatus]:
    """Rows for ``contracts status``: documents in force (plus superseded/void ones with
    ``include_history``); ``pending`` keeps the agreements still to be signed (generated or
    sent; the setup letter is information and never pending), ``older_than`` those whose
    last step (generated or sent) is at least that old."""
    from remoteops.contracts.templates import AGREEMENTS, DOCUMENTS

    where = []
    params: dict[str, object] = {}
    if not include_history:
        where.append("status NOT IN ('superseded', 'void')")
    if pending:
        where.append("status IN ('generated', 'sent') AND document IN :agreements")
        params["agreements"] = list(AGREEMENTS)
    if older_than is not None:
        cutoff = ((now or utcnow()) - older_than).isoformat()
        where.append("COALESCE(sent_at, generated_at) <= :cutoff")
        params["cutoff"] = cutoff
    if employee_ids is not None:
        ids = list(employee_ids)
        if not ids:
            return []
        where.append("employee_id IN :ids")
        params["ids"] = ids
    sql = "SELECT * FROM documents"
    if where:
        sql += " WHERE " + " AND ".join(where)
    cursor = conn.execute(
        sql + " ORDER BY employee_id, language, id",
        params,
        expanding=[k for k in ("ids", "agreements") if k in params],
    )
    names = cursor.keys()
    rows = [_status_from_row(row, names) for row in cursor]
    order = {name: i for i, name in enumerate(DOCUMENTS)}
    return sorted(rows, key=lambda r: (r.employee_id, r.language, order.get(r.document, 99), r.id))


def set_document_status(
    conn: Connection,
    employee_id: str,
    document: str,
    status: str,
    *,
    language: str | None = None,
    at: dt.datetime | None = None,
    note: str | None = None,
) -> tuple[DocumentStatus, DocumentStatus]:
    """Mark the document in force ``sent``, ``signed``, ``returned`` or ``void``.

    Steps may be skipped (generated -> signed) but not undone (signed -> sent); a void
    document cannot change any more. Repeating the step a document is at (signed twice)
    changes nothing: the first date stays, and ``after`` is ``before``. Returns
    (before, after) so the caller can write the audit entry in the same transaction."""
    if status not in MARKABLE_STATUSES:
        raise StatusError(
            f"Cannot mark a document {status!r}.",
            hint=f"Use one of: {', '.join(MARKABLE_STATUSES)}.",
        )
    sql = (
        "SELECT * FROM documents WHERE employee_id = :employee_id "
        "AND (document = :document OR document_id = :document) "
        "AND status NOT IN ('superseded', 'void')"
    )
    params: dict[str, object] = {"employee_id": employee_id, "document": document}
    if language:
        sql += " AND language = :language"
        params["language"] = language
    cursor = conn.execute(sql, params)
    names = cursor.keys()
    rows = [_status_from_row(row, names) for row in cursor]
    voided = _latest_void(conn, employee_id, document, language) if not rows else None
    if voided is not None and status == "void":
        return voided, voided  # voided before and nothing new since: keep its date
    if voided is not None:
        raise StatusError(
            f"{employee_id} {voided.document} is void; it cannot change any more.",
            hint=f"Generate a new one with 'remoteops contracts render {employee_id}'.",
        )
    if not rows:
        raise NotFoundError(
            f"Employee {employee_id} has no {document} document in force.",
            hint="Generate it with 'remoteops contracts render', or check the name "
            "(setup-letter, home-office, data-protection, equipment-loan).",
        )
    if len(rows) > 1:
        raise StatusError(
            f"Employee {employee_id} has {document} in {len(rows)} languages.",
            hint="Say which one with --lang.",
        )
    before = rows[0]
    if status == before.status:
        return before, before  # already there: keep the first date
    if status != "void" and _ORDER[status] < _ORDER.get(before.status, 0):
        raise StatusError(
            f"{employee_id} {before.document} is already {before.status}; it cannot go back "
            f"to {status}.",
            hint="Void it and generate a new one if it must start again.",
        )
    moment = (at or utcnow()).astimezone(dt.UTC)
    if moment < before.generated_at:
        raise StatusError(
            f"The date {moment.date()} is before the document was generated "
            f"({before.generated_at.date()})."
        )
    column = _DATE_COLUMN[status]
    conn.execute(
        f"UPDATE documents SET status = :status, {column} = :moment, "
        "note = COALESCE(:note, note) WHERE id = :id",
        {"status": status, "moment": moment.isoformat(), "note": note, "id": before.id},
    )
    cursor = conn.execute("SELECT * FROM documents WHERE id = :id", {"id": before.id})
    names = cursor.keys()
    after = _status_from_row(cursor.fetchone(), names)
    return before, after


def _latest_void(
    conn: Connection, employee_id: str, document: str, language: str | None
) -> DocumentStatus | None:
    """The newest version of a document if it is void (no version is in force)."""
    sql = (
        "SELECT * FROM documents WHERE employee_id = :employee_id "
        "AND (document = :document OR document_id = :document)"
    )
    params: dict[str, object] = {"employee_id": employee_id, "document": document}
    if language:
        sql += " AND language = :language"
        params["language"] = language
    cursor = conn.execute(sql + " ORDER BY id DESC LIMIT 1", params)
    names = cursor.keys()
    row = cursor.fetchone()
    latest = _status_from_row(row, names) if row is not None else None
    return latest if latest is not None and latest.status == "void" else None


AuditHook = Callable[..., object]


class SqliteDocumentStore:
    """The ``documents`` table as the renderer's store.

    ``transaction`` is a callable returning a context manager that yields a connection and
    commits on success (``StateStore.transaction``); ``audit`` is called as
    ``audit(conn, "contracts.generated", employee_id=..., subject=..., details=...)``
    (``StateStore.audit``) for each generated document, in the same transaction.
    """

    def __init__(
        self,
        transaction: Callable[[], AbstractContextManager[Connection]],
        *,
        audit: AuditHook | None = None,
    ) -> None:
        self.transaction = transaction
        self.audit = audit

    def current(self, employee_ids: Collection[str] | None = None) -> list[DocumentRecord]:
        with self.transaction() as conn:
            return current_documents(conn, employee_ids)

    def voided(self, employee_ids: Collection[str]) -> list[DocumentRecord]:
        with self.transaction() as conn:
            return voided_in_place(conn, employee_ids)

    def record(
        self,
        rendered: Sequence[DocumentRecord],
        superseded: Sequence[DocumentRecord],
        voided: Sequence[DocumentRecord] = (),
    ) -> None:
        with self.transaction() as conn:
            record_rendered(conn, rendered, superseded, voided)
            if self.audit is not None:
                for record in rendered:
                    self.audit(
                        conn,
                        "contracts.generated",
                        employee_id=record.employee_id,
                        subject=record.document_id,
                        details={
                            "document": record.document,
                            "language": record.language,
                            "template_version": record.template_version,
                            "sha256": record.sha256,
                            "pdf_path": record.pdf_path,
                        },
                    )


def with_status(record: DocumentRecord, status: str, **changes: object) -> DocumentRecord:
    return replace(record, status=status, **changes)
