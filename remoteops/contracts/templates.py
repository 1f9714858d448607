"""The agreement templates: a sandboxed Jinja2 environment over one templates folder.

Layout of a templates folder (the bundled one is ``contracts/templates/``)::

    base.html, macros.html, style.css      shared layout (any other shared files may sit here)
    de/<document>.html, de/stamp.txt       one file per document, per language
    en/<document>.html, en/stamp.txt

A document template renders a complete HTML page whose body holds only *sheets*:
``<section class="sheet" ...>`` elements (see ``macros.sheet``). Each sheet starts on a new
page. remoteops renders a sheet whose HTML is identical for many employees only once and
re-uses its pages, so the employee's own data should sit in as few sheets as possible.

Safety: Jinja2 runs in an immutable sandbox with strict undefined and HTML autoescape. Every
printed value goes through :func:`_finalize`, which refuses ``None`` and blank values (the
template names the line, the context names the field) and writes ``{`` and ``}`` from the
data as character references, so that data like ``{{ 7*7 }}`` prints literally and the
guard can still refuse any ``{{``/``{%`` a template leaves behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from jinja2 import (
    FileSystemLoader,
    TemplateNotFound,
    TemplateSyntaxError,
    pass_context,
    pass_eval_context,
    select_autoescape,
)
from jinja2 import (
    TemplateError as JinjaTemplateError,
)
from jinja2.runtime import Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup, escape

from remoteops.contracts.context import FieldUndefined, MissingFieldError, Record
from remoteops.contracts.errors import DocumentGuardError, TemplateError, TemplateFieldError
from remoteops.errors import Problem
from remoteops.models import LANGUAGES

#: The documents of a packet, in packet order: the letter first, then the three agreements.
DOCUMENTS: tuple[str, ...] = ("setup-letter", "home-office", "data-protection", "equipment-loan")
#: The agreements the employee signs (the setup letter is only information): each must be
#: signed in the current version of its template before the employee works from home.
AGREEMENTS: tuple[str, ...] = ("home-office", "data-protection", "equipment-loan")

#: Short codes used in document IDs (``HO-7K3F9QX2``).
DOCUMENT_CODES: dict[str, str] = {
    "setup-letter": "SL",
    "home-office": "HO",
    "data-protection": "DP",
    "equipment-loan": "EL",
}

STAMP_TEMPLATE = "stamp.txt"
SHEET_START = '<section class="sheet'

#: Files that never influence a rendered document (documentation next to the templates).
_IGNORED_SUFFIXES = (".md", ".txt~", ".bak", ".orig", ".swp")

_MONTHS = {
    "de": (
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}

_LANGUAGE = re.compile(r"[a-z]{2}(-[A-Z]{2})?")  # a language folder: de, en, de-AT
_HTML_LANG = re.compile(r"<html\b[^>]*\blang=\"([^\"]*)\"", re.I)
_HEAD = re.compile(r"<head\b[^>]*>(.*?)</head>", re.S | re.I)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title>", re.S | re.I)
_BODY = re.compile(r"<body\b[^>]*>(.*)</body>", re.S | re.I)
_LEFTOVER_SYNTAX = re.compile(r"\{\{|\{%|\{#|%\}|\}\}|#\}")
_NONE_WORD = re.compile(r"(?<![\w-])None(?![\w-])")


def inside_folder(root: Path, path: str | Path) -> Path | None:
    """The real path of ``path`` if it is a file inside ``root`` once every symbolic link is
    resolved, else None.

    The one rule for what the templates may use: the Jinja2 loader applies it to every
    template and the PDF renderer's URL fetcher to every stylesheet, image and font (http,
    ``file:///etc/...`` and links out of the folder are refused), when rendering and when
    checking alike."""
    real = Path(path).resolve()
    return real if real.is_relative_to(Path(root).resolve()) and real.is_file() else None


class _FolderLoader(FileSystemLoader):
    """A :class:`FileSystemLoader` that refuses templates whose real file is outside the
    folder (a symbolic link out of it)."""

    def __init__(self, root: Path) -> None:
        super().__init__(str(root))
        self.root = Path(root)

    def get_source(self, environment: Any, template: str) -> Any:
        source, filename, uptodate = super().get_source(environment, template)
        if inside_folder(self.root, filename) is None:
            raise TemplateError(
                [Problem(template, None, None, "refused: a link to a file outside the folder")],
                directory=str(self.root),
            )
        return source, filename, uptodate


def default_templates_dir() -> Path:
    """The bundled templates (``contracts/templates`` in the source tree)."""
    return Path(__file__).resolve().parents[2] / "contracts" / "templates"


@dataclass(frozen=True)
class RenderedDocument:
    """One document of one employee as HTML, split into sheets."""

    document: str
    lang: str
    title: str
    head: str  # the <head> content without <title>
    sheets: tuple[str, ...]  # each a complete <section class="sheet ...">...</section>
    html: str  # the whole document (for the naive renderer and for debugging)


# -- filters ------------------------------------------------------------------------------


def _fail_if_undefined(value: Any) -> None:
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()


@pass_context
def _date_filter(context: Any, value: Any) -> str:
    """``1. Dezember 2026`` / ``1 December 2026`` in the document's language."""
    _fail_if_undefined(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        raise MissingFieldError(None, f"the date filter needs a date, not {value!r}")
    lang = context.get("lang", "de")
    months = _MONTHS.get(lang, _MONTHS["en"])
    if lang == "de":
        return f"{value.day}. {months[value.month - 1]} {value.year}"
    return f"{value.day} {months[value.month - 1]} {value.year}"


@pass_context
def _number_filter(context: Any, value: Any, digits: int = 2) -> str:
    """``40`` / ``37,5`` (de) / ``37.5`` (en): no trailing zeros."""
    _fail_if_undefined(value)
    number = round(float(value), digits)
    text = f"{number:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{number:.0f}"
    if context.get("lang", "de") == "de":
        text = text.replace(".", ",")
    return text


@pass_eval_context
def _finalize(eval_ctx: Any, value: Any) -> Any:
    """Every ``{{ ... }}`` passes here before it is written."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    if value is None:
        raise MissingFieldError(None, "a value printed here is None")
    if isinstance(value, Markup):
        return value  # output of macros, caller() and |safe: already HTML
    text = str(value)
    if not text.strip() or text.strip() == "None":
        raise MissingFieldError(None, f"a value printed here is empty ({text!r})")
    if not eval_ctx.autoescape:
        return text
    # Escape, and write braces (and the word None) from the data as character references:
    # the PDF shows them as they are, and the guard never mistakes them for template output.
    return Markup(
        _NONE_WORD.sub("N&#111;ne", str(escape(text)).replace("{", "&#123;").replace("}", "&#125;"))
    )


class TemplateSet:
    """One templates folder, checked and ready to render."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory) if directory else default_templates_dir()
        if not self.directory.is_dir():
            raise TemplateError(
                [Problem(str(self.directory), None, None, "is not a folder")],
                directory=str(self.directory),
            )
        self.directory = self.directory.resolve()
        self.env = ImmutableSandboxedEnvironment(
            loader=_FolderLoader(self.directory),
            autoescape=select_autoescape(
                enabled_extensions=("html", "htm", "xml"), default_for_string=True, default=False
            ),
            undefined=FieldUndefined,
            finalize=_finalize,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            auto_reload=False,
        )
        self.env.filters["date"] = _date_filter
        self.env.filters["number"] = _number_filter

    # -- what is there ----------------------------------------------------------------
    @cached_property
    def languages(self) -> tuple[str, ...]:
        """Languages with a folder of their own, in the order of ``LANGUAGES`` first."""
        found = sorted(
            p.name for p in self.directory.iterdir() if p.is_dir() and _LANGUAGE.fullmatch(p.name)
        )
        return tuple(
            [lang for lang in LANGUAGES if lang in found]
            + [lang for lang in found if lang not in LANGUAGES]
        )

    def _files_for(self, lang: str) -> list[Path]:
        files = [
            p
            for p in self.directory.iterdir()
            if p.is_file() and not p.name.startswith(".") and not p.name.endswith(_IGNORED_SUFFIXES)
        ]
        lang_dir = self.directory / lang
        if lang_dir.is_dir():
            files += [
                p
                for p in lang_dir.rglob("*")
                if p.is_file()
                and not p.name.startswith(".")
                and not p.name.endswith(_IGNORED_SUFFIXES)
            ]
        # Shared sub-folders other than language folders (images, fonts) count for all.
        for sub in self.directory.iterdir():
            if sub.is_dir() and sub.name not in self.languages and not sub.name.startswith("."):
                files += [p for p in sub.rglob("*") if p.is_file() and not p.name.startswith(".")]
        return sorted(set(files))

    def version(self, lang: str) -> str:
        """The template version: a hash of every file that shapes ``lang`` documents."""
        cache = self.__dict__.setdefault("_versions", {})
        if lang not in cache:
            digest = hashlib.sha256()
            for path in self._files_for(lang):
                digest.update(path.relative_to(self.directory).as_posix().encode("utf-8"))
                digest.update(b"\0")
                digest.update(path.read_bytes())
                digest.update(b"\0")
            cache[lang] = digest.hexdigest()[:12]
        return cache[lang]

    # -- rendering --------------------------------------------------------------------
    def _template_name(self, filename: str | None) -> str | None:
        if not filename:
            return None
        try:
            return Path(filename).resolve().relative_to(self.directory).as_posix()
        except ValueError:
            return None

    def _locate(self, exc: BaseException, default: str) -> tuple[str, int | None]:
        """The template and line an exception was raised at (innermost template frame)."""
        template, line = default, getattr(exc, "lineno", None)
        frames = [
            (self._template_name(frame.filename), frame.lineno)
            for frame in traceback.extract_tb(exc.__traceback__)
        ]
        frames = [(name, lineno) for name, lineno in frames if name]
        if frames:
            template, line = frames[-1]
        elif isinstance(exc, TemplateSyntaxError):
            template = self._template_name(exc.filename) or exc.name or default
        return template, line

    def _render(self, name: str, context: dict[str, Any], employee_id: str | None) -> str:
        try:
            return self.env.get_template(name).render(context)
        except MissingFieldError as exc:
            template, line = self._locate(exc, name)
            raise TemplateFieldError(
                template=template,
                line=line,
                field=exc.field,
                employee_id=employee_id,
                detail=str(exc),
            ) from None
        except TemplateNotFound as exc:
            raise TemplateError(
                [Problem(f"{exc.name}", None, None, "template not found (needed by " + name + ")")],
                directory=str(self.directory),
            ) from None
        except TemplateSyntaxError as exc:
            template, line = self._locate(exc, name)
            raise TemplateError(
                [Problem(template, line, None, f"syntax error: {exc.message}")],
                directory=str(self.directory),
            ) from None
        except (JinjaTemplateError, SecurityError, TypeError, ValueError, KeyError) as exc:
            template, line = self._locate(exc, name)
            raise TemplateFieldError(
                template=template,
                line=line,
                field=None,
                employee_id=employee_id,
                detail=f"failed: {exc}",
            ) from None

    def render_document(
        self, document: str, context: dict[str, Any], *, employee_id: str | None = None
    ) -> RenderedDocument:
        """Render one document to HTML, check it with the guard and split it into sheets."""
        lang = context["lang"]
        name = f"{lang}/{document}.html"
        text = self._render(name, context, employee_id)
        guard_rendered(text, template=name, employee_id=employee_id)
        return split_document(text, document=document, lang=lang, template=name)

    def render_stamp(
        self, lang: str, context: dict[str, Any], *, employee_id: str | None = None
    ) -> tuple[str, str]:
        """The footer line stamped on a page: (left text, right text)."""
        name = f"{lang}/{STAMP_TEMPLATE}"
        text = self._render(name, context, employee_id)
        guard_rendered(text, template=name, employee_id=employee_id)
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
        if len(lines) > 2:
            raise TemplateError(
                [Problem(name, None, None, "must render to at most two lines (left, right)")],
                directory=str(self.directory),
            )
        left = html.unescape(lines[0]) if lines else ""
        right = html.unescape(lines[1]) if len(lines) > 1 else ""
        for part in (left, right):
            try:
                part.encode("cp1252")
            except UnicodeEncodeError:
                raise TemplateError(
                    [Problem(name, None, None, f"{part!r} has characters outside Windows-1252")],
                    directory=str(self.directory),
                ) from None
        return left, right

    # -- checking ---------------------------------------------------------------------
    def check(
        self, languages: Iterable[str] | None = None, *, sample=None, resources: bool = False
    ) -> list[Problem]:
        """Every problem found: missing documents, syntax errors, a failed test render.

        ``sample`` is an optional ``(company, employee)`` pair for the test render; by default
        an invented sample company is used. With ``resources`` the sample documents are also
        laid out as PDF pages, through the renderer's own layout and URL fetcher, so a
        stylesheet, image or font the renderer would refuse (outside the folder, http) is
        found here too.
        """
        from remoteops.contracts.samples import sample_company

        problems: list[Problem] = []
        langs = tuple(languages) if languages else self.languages
        if not langs:
            problems.append(
                Problem(str(self.directory), None, None, "has no language folders (de/, en/)")
            )
        for name in self.env.list_templates():
            if not name.endswith((".html", ".htm", ".xml", ".txt")):
                continue
            try:
                self.env.get_template(name)
            except TemplateSyntaxError as exc:
                problems.append(Problem(name, exc.lineno, None, f"syntax error: {exc.message}"))
            except TemplateError as exc:
                problems.extend(exc.problems)
        if problems:
            return problems
        if sample:
            samples = [sample]
        else:  # both work models, with and without a works agreement
            company, employee = sample_company()
            other, mobile = sample_company(works_agreement=None)
            samples = [(company, employee), (other, replace(mobile, work_model="mobile"))]
        for lang in langs:
            for document in DOCUMENTS:
                if not (self.directory / lang / f"{document}.html").is_file():
                    problems.append(
                        Problem(f"{lang}/{document}.html", None, None, "required document missing")
                    )
            if not (self.directory / lang / STAMP_TEMPLATE).is_file():
                problems.append(
                    Problem(f"{lang}/{STAMP_TEMPLATE}", None, None, "required footer stamp missing")
                )
        if problems:
            return problems
        seen: set[str] = set()
        for lang in langs:
            for company, employee in samples:
                self._check_render(lang, company, employee, problems, seen)
        if resources and not problems:
            for lang in langs:
                self._check_layout(lang, samples, problems, seen)
        return problems

    def _check_layout(self, lang, samples, problems, seen) -> None:
        """Lay out the sample documents of ``lang`` as the renderer does (the same
        :class:`~remoteops.contracts.pdf.SheetLayout` and URL fetcher); add new problems."""
        from remoteops.contracts.pdf import PdfRenderError, SheetLayout, make_sheet
        from remoteops.contracts.render import document_context

        sheets = []
        for company, employee in samples:
            base = self.base_context(company, employee, lang=lang)
            for document in DOCUMENTS:
                rendered = self.render_document(
                    document, document_context(base, document, "0" * 64)
                )
                sheets += [
                    make_sheet(lang, rendered.head, html, self.version(lang), "sample").full()
                    for html in rendered.sheets
                ]
        found: list[Problem] = []
        try:
            SheetLayout(self.directory).ensure(sheets)
        except TemplateError as exc:
            found.extend(exc.problems)
        except PdfRenderError as exc:
            found.append(Problem(f"{lang}/", None, None, exc.message))
        for problem in found:
            if str(problem) not in seen:
                seen.add(str(problem))
                problems.append(problem)

    def _check_render(self, lang, company, employee, problems, seen) -> None:
        """Test-render every document of ``lang`` for one sample employee; add new problems."""
        from remoteops.contracts.render import document_context

        found: list[Problem] = []
        base = self.base_context(company, employee, lang=lang)
        for document in DOCUMENTS:
            try:
                context = document_context(base, document, "0" * 64)
                rendered = self.render_document(document, context)
                self.render_stamp(lang, {**context, "page": 1, "pages": 1})
                if not rendered.title.strip():
                    found.append(
                        Problem(f"{lang}/{document}.html", None, None, "has an empty <title>")
                    )
            except TemplateFieldError as exc:
                found.append(Problem(exc.template, exc.line, exc.field, exc.message))
            except TemplateError as exc:
                found.extend(exc.problems)
            except DocumentGuardError as exc:
                found.append(Problem(exc.template, None, None, exc.message))
        for problem in found:
            if str(problem) not in seen:
                seen.add(str(problem))
                problems.append(problem)

    def base_context(self, company, employee, *, lang: str, today: dt.date | None = None):
        """The context shared by all documents of one employee."""
        from remoteops.contracts.context import employee_context

        context = employee_context(
            company, employee, lang=lang, template_version=self.version(lang)
        )
        context["today"] = today or dt.date.today()
        return context


def guard_rendered(text: str, *, template: str, employee_id: str | None) -> None:
    """Refuse a rendered document that still contains template syntax or the word None."""
    for pattern in (_LEFTOVER_SYNTAX, _NONE_WORD):
        match = pattern.search(text)
        if match:
            start = max(0, match.start() - 40)
            raise DocumentGuardError(
                template=template,
                employee_id=employee_id,
                found=match.group(0),
                excerpt=text[start : match.end() + 40].replace("\n", " "),
            )


def split_document(text: str, *, document: str, lang: str, template: str) -> RenderedDocument:
    """Split a rendered document into its head and its sheets."""
    head_match = _HEAD.search(text)
    body_match = _BODY.search(text)
    if not head_match or not body_match:
        raise TemplateError([Problem(template, None, None, "must render <head> and <body>")])
    head = head_match.group(1)
    title_match = _TITLE.search(head)
    title = html.unescape(title_match.group(1)).strip() if title_match else document
    head = _TITLE.sub("", head).strip()
    lang_match = _HTML_LANG.search(text)
    if lang_match and lang_match.group(1) != lang:
        raise TemplateError(
            [Problem(template, None, None, f'<html lang="{lang_match.group(1)}"> is not {lang}')]
        )
    body = body_match.group(1)
    parts = body.split(SHEET_START)
    if parts[0].strip():
        raise TemplateError(
            [Problem(template, None, None, 'has content outside a <section class="sheet">')]
        )
    sheets = tuple((SHEET_START + part).strip() for part in parts[1:])
    if not sheets:
        raise TemplateError([Problem(template, None, None, 'has no <section class="sheet">')])
    return RenderedDocument(
        document=document, lang=lang, title=title, head=head, sheets=sheets, html=text
    )


def load_templates(directory: str | Path | None = None, *, check: bool = True) -> TemplateSet:
    """Open a templates folder; with ``check`` (default) refuse it if :meth:`TemplateSet.check`
    finds any problem."""
    templates = TemplateSet(directory)
    if check:
        problems = templates.check()
        if problems:
            raise TemplateError(problems, directory=str(templates.directory))
    return templates


def check_templates(directory: str | Path | None = None) -> list[Problem]:
    """All problems of a templates folder (empty list: ready to use), including the
    resources the renderer would refuse (see :meth:`TemplateSet.check`)."""
    try:
        return TemplateSet(directory).check(resources=True)
    except TemplateError as exc:
        return exc.problems


__all__ = [
    "DOCUMENTS",
    "DOCUMENT_CODES",
    "RenderedDocument",
    "Record",
    "TemplateSet",
    "check_templates",
    "default_templates_dir",
    "load_templates",
]
