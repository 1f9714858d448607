"""The documents table: recording renders, superseding, signature status, pending lists."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from remoteops.contracts import (
    DOCUMENTS,
    DocumentRecord,
    SqliteDocumentStore,
    StatusError,
    current_documents,
    document_status,
    record_rendered,
    render_agreements,
    set_document_status,
)
from remoteops.errors import NotFoundError
from remoteops.state import StateStore

T0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def _record(employee_id: str, document: str, sha: str, at: dt.datetime = T0, **kw):
    return DocumentRecord(
        employee_id=employee_id,
        document=document,
        language=kw.get("language", "de"),
        title=f"Title of {document}",
        document_id=f"XX-{sha[:8].upper()}",
        template_version="abc123",
        input_hash=sha * 2,
        pdf_path=f"{employee_id}-de-packet.pdf",
        pages="1-2",
        page_count=2,
        sha256=sha,
        generated_at=at,
    )


@pytest.fixture
def conn(tmp_path: Path):
    with StateStore(tmp_path / "state.db") as store, store.transaction() as connection:
        yield connection


def test_record_and_read_back(conn):
    records = [_record("E1", doc, f"{i:064x}") for i, doc in enumerate(DOCUMENTS)]
    ids = record_rendered(conn, records, at=T0)
    assert len(ids) == len(DOCUMENTS)
    assert current_documents(conn) == records
    assert current_documents(conn, ["E2"]) == []


def test_new_version_supersedes_the_old_one(conn):
    record_rendered(conn, [_record("E1", "home-office", "a" * 64)], at=T0)
    later = T0 + dt.timedelta(days=1)
    old_archived = _record("E1", "home-office", "a" * 64)
    old_archived = DocumentRecord(**{**old_archived.__dict__, "pdf_path": "superseded/x.pdf"})
    record_rendered(conn, [_record("E1", "home-office", "b" * 64, later)], [old_archived], at=later)
    current = current_documents(conn)
    assert [r.sha256 for r in current] == ["b" * 64]
    history = document_status(conn, include_history=True)
    old = next(r for r in history if r.sha256 == "a" * 64)
    assert old.status == "superseded"
    assert old.superseded_at == later
    assert old.pdf_path == "superseded/x.pdf"
    new_id = next(r.id for r in history if r.sha256 == "b" * 64)
    assert (
        conn.execute("SELECT superseded_by FROM documents WHERE id = :id", {"id": old.id}).scalar()
        == new_id
    )


def test_only_one_document_in_force_per_employee_document_language(conn):
    record_rendered(conn, [_record("E1", "home-office", "a" * 64)])
    with pytest.raises(IntegrityError, match="UNIQUE|unique"):
        conn.execute(
            "INSERT INTO documents (employee_id, document, language, title, document_id, "
            "template_version, input_hash, pdf_path, pages, page_count, sha256, generated_at) "
            "VALUES ('E1', 'home-office', 'de', 't', 'x', 'v', 'h', 'p', '1-1', 1, 's', 'now')"
        )


def test_status_moves_forward_and_records_dates(conn):
    record_rendered(conn, [_record("E1", "home-office", "a" * 64)])
    sent_at = T0 + dt.timedelta(hours=2)
    before, after = set_document_status(conn, "E1", "home-office", "sent", at=sent_at)
    assert (before.status, after.status, after.sent_at) == ("generated", "sent", sent_at)
    _, signed = set_document_status(
        conn, "E1", "home-office", "signed", at=sent_at + dt.timedelta(days=2), note="by post"
    )
    assert signed.status == "signed" and signed.note == "by post"
    with pytest.raises(StatusError, match="cannot go back"):
        set_document_status(conn, "E1", "home-office", "sent")
    _, returned = set_document_status(
        conn, "E1", "home-office", "returned", at=sent_at + dt.timedelta(days=3)
    )
    assert returned.returned_at == sent_at + dt.timedelta(days=3)


def test_mark_by_document_id_void_and_unknown(conn):
    record = _record("E1", "data-protection", "c" * 64)
    record_rendered(conn, [record])
    _, voided = set_document_status(conn, "E1", record.document_id, "void", at=T0)
    assert voided.status == "void" and voided.voided_at == T0
    # void again: nothing changes, the first date stays
    before, after = set_document_status(conn, "E1", "data-protection", "void")
    assert before is after and after.voided_at == T0
    with pytest.raises(StatusError, match="E1 data-protection is void; it cannot change"):
        set_document_status(conn, "E1", "data-protection", "signed")
    with pytest.raises(StatusError):
        set_document_status(conn, "E1", "data-protection", "superseded")
    with pytest.raises(NotFoundError):
        set_document_status(conn, "E9", "home-office", "sent")


def test_date_before_generation_is_refused(conn):
    record_rendered(conn, [_record("E1", "home-office", "a" * 64)])
    with pytest.raises(StatusError, match="before"):
        set_document_status(conn, "E1", "home-office", "signed", at=T0 - dt.timedelta(days=1))


def test_pending_and_older_than(conn):
    record_rendered(conn, [_record("E1", "home-office", "a" * 64, T0)])
    record_rendered(conn, [_record("E2", "home-office", "b" * 64, T0 + dt.timedelta(days=6))])
    record_rendered(conn, [_record("E3", "home-office", "c" * 64, T0)])
    record_rendered(conn, [_record("E3", "setup-letter", "d" * 64, T0)])
    set_document_status(conn, "E3", "home-office", "signed", at=T0 + dt.timedelta(days=1))
    now = T0 + dt.timedelta(days=8)
    pending = document_status(conn, pending=True, now=now)
    assert [r.employee_id for r in pending] == ["E1", "E2"]  # the setup letter is never signed
    assert [r.document for r in document_status(conn, employee_ids=["E3"])] == [
        "setup-letter",
        "home-office",
    ]
    old = document_status(conn, pending=True, older_than=dt.timedelta(days=7), now=now)
    assert [r.employee_id for r in old] == ["E1"]
    # sent later counts from the sending date
    set_document_status(conn, "E1", "home-office", "sent", at=T0 + dt.timedelta(days=5))
    old = document_status(conn, pending=True, older_than=dt.timedelta(days=7), now=now)
    assert old == []
    assert [r.status for r in document_status(conn, employee_ids=["E3"])] == ["generated", "signed"]


@pytest.mark.slow
def test_renderer_records_into_the_state_store_with_audit(tmp_path, synthetic_company, templates):
    store = StateStore(tmp_path / "state.db")
    documents = SqliteDocumentStore(store.transaction, audit=store.audit)
    eid = synthetic_company.employees[0].employee_id
    first = render_agreements(
        synthetic_company, [eid], out_dir=tmp_path / "out", templates=templates, store=documents
    )
    assert first.employees_rendered == [eid]
    with store.transaction() as conn:
        rows = document_status(conn)
    assert {(r.employee_id, r.document, r.status) for r in rows} == {
        (eid, doc, "generated") for doc in DOCUMENTS
    }
    log = store.read_log(action_prefix="contracts.generated")
    assert {entry.subject for entry in log} == {r.document_id for r in first.rendered}

    again = render_agreements(
        synthetic_company, [eid], out_dir=tmp_path / "out", templates=templates, store=documents
    )
    assert again.rendered == [] and again.employees_unchanged == [eid]

    forced = render_agreements(
        synthetic_company,
        [eid],
        out_dir=tmp_path / "out",
        templates=templates,
        store=documents,
        force=True,
    )
    assert forced.employees_rendered == [eid]
    with store.transaction() as conn:
        history = document_status(conn, include_history=True)
    assert sorted(r.status for r in history) == ["generated"] * 4 + ["superseded"] * 4
    store.close()


def test_repeating_a_step_changes_nothing(conn):
    record_rendered(conn, [_record("E1", "home-office", "a" * 64)])
    signed_at = T0 + dt.timedelta(days=1)
    _, signed = set_document_status(conn, "E1", "home-office", "signed", at=signed_at)
    before, after = set_document_status(
        conn, "E1", "home-office", "signed", at=T0 + dt.timedelta(days=4), note="again"
    )
    assert after is before and after.signed_at == signed_at and after.note is None
    assert document_status(conn)[0] == signed
