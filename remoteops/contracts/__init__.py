"""Agreements: per-employee home-office, data-protection and equipment-loan documents.

Public API (nothing heavy is imported here; WeasyPrint and pypdf load when rendering):

- :func:`load_templates`, :func:`check_templates`, :class:`TemplateSet`, :data:`DOCUMENTS`
- :func:`render_agreements` -> :class:`RenderReport` (with :class:`DocumentRecord`,
  :class:`AgreementFailure`; progress via :class:`RenderProgress`)
- the manifest: :func:`read_manifest`, :func:`write_manifest_files`, :class:`DocumentStore`,
  :class:`ManifestFileStore`, :class:`SqliteDocumentStore`
- signature status in SQLite: :data:`DOCUMENTS_SCHEMA`, :func:`record_rendered`,
  :func:`current_documents`, :func:`document_status`, :func:`set_document_status`
"""

from remoteops.contracts.errors import (
    DocumentGuardError,
    StatusError,
    TemplateError,
    TemplateFieldError,
)
from remoteops.contracts.manifest import (
    DOCUMENTS_SCHEMA,
    MARKABLE_STATUSES,
    PENDING_STATUSES,
    SIGNED_STATUSES,
    STATUSES,
    DocumentRecord,
    DocumentStatus,
    DocumentStore,
    ManifestFileStore,
    SqliteDocumentStore,
    current_documents,
    document_status,
    read_manifest,
    record_rendered,
    set_document_status,
    write_manifest_files,
)
from remoteops.contracts.render import (
    AgreementFailure,
    RenderProgress,
    RenderReport,
    document_path,
    packet_path,
    render_agreements,
    select_employees,
)
from remoteops.contracts.templates import (
    AGREEMENTS,
    DOCUMENT_CODES,
    DOCUMENTS,
    RenderedDocument,
    TemplateSet,
    check_templates,
    default_templates_dir,
    load_templates,
)

__all__ = [
    "AGREEMENTS",
    "DOCUMENTS",
    "DOCUMENTS_SCHEMA",
    "DOCUMENT_CODES",
    "MARKABLE_STATUSES",
    "PENDING_STATUSES",
    "SIGNED_STATUSES",
    "STATUSES",
    "AgreementFailure",
    "DocumentGuardError",
    "DocumentRecord",
    "DocumentStatus",
    "DocumentStore",
    "ManifestFileStore",
    "RenderProgress",
    "RenderReport",
    "RenderedDocument",
    "SqliteDocumentStore",
    "StatusError",
    "TemplateError",
    "TemplateFieldError",
    "TemplateSet",
    "check_templates",
    "current_documents",
    "default_templates_dir",
    "document_path",
    "document_status",
    "load_templates",
    "packet_path",
    "read_manifest",
    "record_rendered",
    "render_agreements",
    "select_employees",
    "set_document_status",
    "write_manifest_files",
]
