"""From sheets of HTML to PDF/A-3b files.

How a packet is made (and why it is fast):

1. Every sheet (``<section class="sheet">``) is laid out by WeasyPrint once per distinct HTML.
   The clauses, the information sheet and the set-up guide are the same for everyone with the
   same language and work model, so they are laid out once per run; only the sheets with the
   employee's own data (parties, key terms, device table, signatures, the letter) are laid out
   per employee, many employees in one WeasyPrint call so the fixed cost of a render is shared.
2. The fields of a sheet (``macros.field``) are laid out on their own, wrapped in the field's
   ancestors so they get the same text style, many employees per WeasyPrint call, and drawn
   over the shared page as a form XObject: the overlay page's content stream, given its own
   resources and copied with ``clone`` (never parsed, nothing renamed; pypdf's ``merge_page``
   parsed every overlay twice and was most of the assembly time). ``merge_page`` stays as
   the fallback for an overlay page that is not one plain content stream.
3. What differs per page although the page is shared - the document ID and "Seite X von Y" -
   is stamped on afterwards (``replace_contents``), in an embedded DejaVu Sans subset
   (Windows-1252) copied into each file from a one-page font PDF, so numbering is right per
   document or across the packet whatever the sheets are.

Public APIs only (WeasyPrint ``render``/``write_pdf``, pypdf ``add_page``, ``merge_page``,
``replace_contents``, ``clone``, ``xmp_metadata``, ``add_metadata``; ``fc-match``), and every
file must pass ``qpdf --check`` and read the same in PDFium and Poppler (tests/contracts).

The result keeps what PDF/A-3b needs: every font embedded, one subset tag per font program,
the sRGB output intent, XMP metadata with the PDF/A identification matching the document
information dictionary, and a file identifier.

Privacy: pages laid out in one WeasyPrint call share one resource dictionary. Fonts in it
carry glyphs only; if a render ever produces images, patterns or form XObjects, the sheets of
different employees are laid out separately instead, so no file can carry another employee's
content. Each page of a file gets its own copy of the resource dictionary before a field
overlay is merged onto it.

WeasyPrint, pypdf and fontTools are imported inside the functions that need them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import mimetypes
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape as xml_escape

from remoteops.contracts.errors import TemplateError
from remoteops.contracts.templates import inside_folder
from remoteops.errors import Problem, RemoteOpsError

MM = 72 / 25.4
#: Where the stamp goes; keep in line with the @page margins in style.css.
STAMP_LEFT_MM = 25.0
STAMP_RIGHT_MM = 20.0
STAMP_BASELINE_MM = 12.0
STAMP_FONT_SIZE = 7.5
STAMP_COLOUR = (0.333, 0.333, 0.333)
STAMP_FONT_FAMILY = "DejaVu Sans"
STAMP_FONT_NAME = "/RoStamp"
PRODUCER = "remoteops"

_WRAPPER_CSS = (
    "div.remoteops-sheet + div.remoteops-sheet { break-before: page; }"
    " div.remoteops-sheet { margin: 0; padding: 0; }"
)


class PdfRenderError(RemoteOpsError):
    """WeasyPrint or the PDF assembly failed for a reason the user can act on."""


# -- resources: only the templates folder ------------------------------------------------


def make_url_fetcher(root: Path) -> Any:
    """A WeasyPrint URL fetcher that serves files under ``root`` and ``data:`` URLs only.

    Everything else (other files, http, https, ftp) is refused, and the refusal stops the
    render with an error naming the URL. The rule for files is
    :func:`remoteops.contracts.templates.inside_folder`; ``contracts check`` lays out its
    sample documents through this same fetcher.
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    root = root.resolve()

    class TemplatesOnlyFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(fail_on_errors=True, allowed_protocols=("file", "data"))
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme == "data":
                return super().fetch(url, headers)
            if parts.scheme == "file" and parts.netloc in ("", "localhost"):
                path = inside_folder(root, unquote(parts.path))
                if path is not None:
                    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(
                        url, body=path.read_bytes(), headers={"Content-Type": mime}
                    )
            self.refused.append(url)
            raise ValueError(f"refused to load {url}: only files in the templates folder")

    return TemplatesOnlyFetcher()


# -- the stamp font ------------------------------------------------------------------------


def _fontconfig_file(family: str) -> Path | None:
    """The font file fontconfig picks for ``family`` (regular), if it really is that family.

    Asks the ``fc-match`` command (fontconfig's own tool); without it, None."""
    try:
        found = subprocess.run(
            ["fc-match", "--format=%{family}\\n%{file}\\n", f"{family}:style=Book"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = found.stdout.splitlines()
    if found.returncode != 0 or len(lines) < 2:
        return None
    families = {name.strip().lower() for name in lines[0].split(",")}
    if family.lower() not in families:
        return None
    return Path(lines[1])


_KNOWN_FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
)


def find_stamp_font(templates_dir: Path | None = None) -> Path:
    """``fonts/stamp.ttf`` in the templates folder, else DejaVu Sans from the system."""
    if templates_dir and (templates_dir / "fonts" / "stamp.ttf").is_file():
        return templates_dir / "fonts" / "stamp.ttf"
    found = _fontconfig_file(STAMP_FONT_FAMILY)
    if found and found.suffix.lower() == ".ttf" and found.is_file():
        return found
    for candidate in _KNOWN_FONT_PATHS:
        if Path(candidate).is_file():
            return Path(candidate)
    raise PdfRenderError(
        "The font DejaVu Sans is not installed.",
        hint="Install it (Debian: apt-get install fonts-dejavu-core).",
    )


@dataclass(frozen=True)
class StampFont:
    """A simple TrueType font (WinAnsiEncoding) for the footer stamp."""

    program: bytes
    base_name: str
    widths: tuple[int, ...]  # for codes 32..255, in 1/1000 em
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    cap_height: int

    def width(self, text: str, size: float) -> float:
        return sum(self.widths[b - 32] for b in text.encode("cp1252") if b >= 32) * size / 1000

    def supports(self, text: str) -> bool:
        try:
            data = text.encode("cp1252")
        except UnicodeEncodeError:
            return False
        return all(b >= 32 and self.widths[b - 32] > 0 for b in data)


@lru_cache(maxsize=4)
def load_stamp_font(path: Path) -> StampFont:
    """Subset ``path`` to Windows-1252 and measure it (once per process)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    codes = []
    for code in range(32, 256):
        try:
            codes.append((code, bytes([code]).decode("cp1252")))
        except UnicodeDecodeError:
            continue
    options = subset.Options()
    options.hinting = False
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "BASE", "JSTF", "DSIG"]
    options.notdef_outline = True
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(char) for _, char in codes])
    font = TTFont(str(path))
    quiet = logging.getLogger("fontTools.subset")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # "FFTM NOT subset" and the like are not for users
    try:
        subsetter.subset(font)
    finally:
        quiet.setLevel(level)
    buffer = io.BytesIO()
    font.save(buffer)
    program = buffer.getvalue()

    font = TTFont(io.BytesIO(program))
    scale = 1000 / font["head"].unitsPerEm
    cmap = font.getBestCmap()
    hmtx = font["hmtx"]
    widths = [0] * (256 - 32)
    for code, char in codes:
        glyph = cmap.get(ord(char))
        if glyph is not None:
            widths[code - 32] = round(hmtx[glyph][0] * scale)
    head, hhea = font["head"], font["hhea"]
    cap = getattr(font.get("OS/2"), "sCapHeight", 0) or 0
    tag = "".join(chr(65 + b % 26) for b in hashlib.sha256(program).digest()[:6])
    family = font["name"].getDebugName(6) or "Font"
    return StampFont(
        program=program,
        base_name=f"{tag}+{family}",
        widths=tuple(widths),
        bbox=tuple(round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)),
        ascent=round(hhea.ascent * scale),
        descent=round(hhea.descent * scale),
        cap_height=round(cap * scale) or round(hhea.ascent * scale),
    )


# -- laying out sheets ----------------------------------------------------------------------


_FIELD = re.compile(
    r'<div class="field" data-lines="(\d+)"><!--field-->(.*?)<!--/field--></div>', re.S
)


@dataclass
class Sheet:
    """One sheet to lay out; ``key`` identifies its exact HTML (and so its pages).

    A sheet with fields (``macros.field``) has two forms: ``html`` is the *form*, with an
    empty slot of fixed height where each field goes (the same for everyone whose fields
    are the same size), and ``fields`` holds this employee's contents; ``full_html`` is the
    sheet as written, laid out only if a field does not fit its slot."""

    key: str
    lang: str
    head: str
    html: str
    owners: set[str] = field(default_factory=set)
    fields: tuple[tuple[int, str], ...] = ()
    full_key: str = ""
    full_html: str = ""
    #: per field: its ancestors as (tag name, start tag), see :func:`field_ancestors`
    chains: tuple[tuple[tuple[str, str], ...], ...] = ()

    def full(self) -> Sheet:
        return Sheet(self.full_key, self.lang, self.head, self.full_html, set(self.owners))


def sheet_key(lang: str, head: str, html: str, version: str) -> str:
    digest = hashlib.sha256()
    for part in (lang, head, html, version):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def make_sheet(lang: str, head: str, html: str, version: str, owner: str) -> Sheet:
    """A :class:`Sheet`, split into form and fields if it has any.

    The ancestors of each field are kept (see :func:`field_ancestors`): the field's content
    is laid out on its own wrapped in them, so it gets the same text style as in the sheet."""
    fields: list[tuple[int, str]] = []

    def slot(match: re.Match) -> str:
        index = len(fields)
        content = match.group(2)
        if "<!--field-->" in content:
            raise TemplateError([Problem("macros.field", None, None, "fields cannot be nested")])
        fields.append((index, content))
        return (
            f'<div class="field field-slot" id="remoteops-field-{index}" '
            f'style="height: {int(match.group(1))}lh"></div>'
        )

    form = _FIELD.sub(slot, html)
    full_key = sheet_key(lang, head, html, version)
    if not fields:
        return Sheet(full_key, lang, head, html, {owner}, (), full_key, html)
    ancestors = field_ancestors(form)
    return Sheet(
        sheet_key(lang, head, form, version),
        lang,
        head,
        form,
        {owner},
        tuple(fields),
        full_key,
        html,
        tuple(ancestors.get(index, ()) for index, _ in fields),
    )


#: Style of the ancestors a field's content is wrapped in when it is laid out on its own
#: (class ``remoteops-chain``, a rule of the overlay's style sheet: a style attribute per
#: element would be parsed per element): they keep every inherited property (font, size,
#: weight, colour, line height, alignment) but draw nothing and take no room.
_NEUTRAL_BOX = (
    "display: block !important; position: static !important; float: none !important; "
    "margin: 0 !important; padding: 0 !important; border: 0 none !important; "
    "background: none !important; box-shadow: none !important; outline: none !important; "
    "width: auto !important; height: auto !important; min-width: 0 !important; "
    "min-height: 0 !important; max-width: none !important; max-height: none !important; "
    "page: auto !important; break-before: auto !important; break-after: auto !important; "
    "string-set: none !important; bookmark-level: none !important; "
    "transform: none !important; columns: auto !important;"
)
_CHAIN_CLASS = "remoteops-chain"
_VOID_ELEMENTS = frozenset(
    ("area", "base", "br", "col", "embed", "hr", "img", "input")
    + ("link", "meta", "param", "source", "track", "wbr")
)


class _AncestorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.found: dict[int, list[tuple[str, list[tuple[str, str | None]]]]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        ident = dict(attrs).get("id") or ""
        if tag == "div" and ident.startswith("remoteops-field-"):
            self.found[int(ident.rsplit("-", 1)[1])] = list(self.stack)
        if tag not in _VOID_ELEMENTS:
            self.stack.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass  # <br/> and the like: no children

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                return


def _start_tag(tag: str, attrs: list[tuple[str, str | None]]) -> str:
    parts = [tag]
    classes = _CHAIN_CLASS
    for name, value in attrs:
        if name == "id":
            continue  # IDs are unique: the sheet keeps them
        if name == "class":
            classes = f"{value or ''} {_CHAIN_CLASS}".strip()
        elif value is None:
            parts.append(name)
        else:
            parts.append(f'{name}="{xml_escape(value, {chr(34): "&quot;"})}"')
    parts.append(f'class="{xml_escape(classes, {chr(34): "&quot;"})}"')
    return "<" + " ".join(parts) + ">"


def field_ancestors(form_html: str) -> dict[int, tuple[tuple[str, str], ...]]:
    """For each field slot of a sheet form: its ancestors, outermost first, as (tag name,
    start tag). The start tags keep the elements' classes and attributes (so the same CSS
    rules apply) but not their IDs, and add the class that neutralises their boxes."""
    parser = _AncestorParser()
    parser.feed(form_html)
    parser.close()
    return {
        index: tuple((tag, _start_tag(tag, attrs)) for tag, attrs in stack)
        for index, stack in parser.found.items()
    }


@dataclass(frozen=True)
class Slot:
    """Where a field goes: page within the sheet and box in CSS px."""

    page: int
    x: float
    y: float
    width: float
    height: float
    chain: tuple[tuple[str, str], ...] = ()  # the field's ancestors (tag, start tag)


@dataclass
class SheetPages:
    reader: Any  # pypdf.PdfReader of the render the sheet was laid out in
    first: int
    count: int
    slots: dict[int, Slot] = field(default_factory=dict)
    page_size: tuple[float, float] = (0.0, 0.0)  # CSS px

    def pages(self) -> list[Any]:
        return [self.reader.pages[i] for i in range(self.first, self.first + self.count)]


@dataclass
class LayoutStats:
    renders: int = 0
    pages_laid_out: int = 0
    overlay_pages: int = 0
    fields_overflowed: int = 0


class SheetLayout:
    """Lays out sheets with WeasyPrint and remembers the pages of each distinct sheet."""

    def __init__(self, templates_dir: Path) -> None:
        self.templates_dir = templates_dir.resolve()
        self.base_url = self.templates_dir.as_uri() + "/"
        self.cache: dict[str, SheetPages] = {}
        self.uses: dict[str, int] = {}
        self.stats = LayoutStats()

    def count(self, sheets: Iterable[Sheet]) -> None:
        for sheet in sheets:
            self.uses[sheet.key] = self.uses.get(sheet.key, 0) + 1

    def ensure(self, sheets: Iterable[Sheet]) -> None:
        """Lay out every sheet not laid out yet. Sheets used by several employees go into a
        render of their own; the rest are laid out together, one render per language."""
        pending: dict[str, Sheet] = {}
        for sheet in sheets:
            if sheet.key in self.cache:
                continue
            if sheet.key in pending:
                pending[sheet.key].owners |= sheet.owners
            else:
                pending[sheet.key] = sheet
        groups: dict[tuple[str, str, bool], list[Sheet]] = {}
        for sheet in pending.values():
            shared = self.uses.get(sheet.key, 0) > 1 or len(sheet.owners) > 1
            groups.setdefault((sheet.lang, sheet.head, shared), []).append(sheet)
        for (lang, head, shared), group in groups.items():
            self._render_group(lang, head, group, isolate=not shared)

    def forget_personal(self) -> None:
        """Drop the pages of sheets used only once (an employee's own sheets)."""
        for key in [k for k in self.cache if self.uses.get(k, 0) <= 1]:
            del self.cache[key]
            self.uses.pop(key, None)

    def _render_group(self, lang: str, head: str, group: list[Sheet], *, isolate: bool) -> None:
        bodies = [
            f'<div class="remoteops-sheet" id="remoteops-sheet-{index}">'
            + sheet.html.replace('id="remoteops-field-', f'id="remoteops-field-{index}-')
            + "</div>"
            for index, sheet in enumerate(group)
        ]
        result = self._render(lang, head, "".join(bodies), f"<style>{_WRAPPER_CSS}</style>")
        owners = set().union(*(s.owners for s in group))
        if isolate and len(owners) > 1 and _has_drawn_resources(result.reader):
            # Shared resources would carry content across employees: lay out per employee.
            for owner in sorted(owners):
                self._render_group(
                    lang, head, [s for s in group if owner in s.owners], isolate=False
                )
            return
        self._store(result, group)

    def _render(self, lang: str, head: str, body: str, extra_head: str) -> _Render:
        import weasyprint
        from pypdf import PdfReader

        document = (
            f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">{head}'
            f"{extra_head}</head><body>{body}</body></html>"
        )
        fetcher = make_url_fetcher(self.templates_dir)
        try:
            rendered = weasyprint.HTML(
                string=document, base_url=self.base_url, url_fetcher=fetcher
            ).render()
            anchors = [page.anchors for page in rendered.pages]
            sizes = [(page.width, page.height) for page in rendered.pages]
            data = rendered.write_pdf(pdf_variant="pdf/a-3b")
        except BaseException as exc:  # FatalURLFetchingError derives from BaseException
            if isinstance(exc, KeyboardInterrupt | SystemExit | MemoryError):
                raise
            if fetcher.refused:
                raise TemplateError(
                    [
                        Problem(
                            fetcher.refused[0],
                            None,
                            None,
                            "a template links to a resource outside the templates folder (refused)",
                        )
                    ],
                    directory=str(self.templates_dir),
                ) from None
            raise PdfRenderError(f"WeasyPrint could not lay out the documents: {exc}") from exc
        if fetcher.refused:
            raise TemplateError(
                [Problem(fetcher.refused[0], None, None, "refused: outside the templates folder")],
                directory=str(self.templates_dir),
            )
        self.stats.renders += 1
        self.stats.pages_laid_out += len(anchors)
        reader = PdfReader(io.BytesIO(data))
        retag_fonts(reader)
        return _Render(reader, anchors, sizes)

    def _store(self, result: _Render, group: list[Sheet]) -> None:
        starts: dict[int, int] = {}
        slots: dict[int, dict[int, Slot]] = {}
        for number, anchors in enumerate(result.anchors):
            for name, box in anchors.items():
                if name.startswith("remoteops-sheet-"):
                    starts.setdefault(int(name.rsplit("-", 1)[1]), number)
                elif name.startswith("remoteops-field-"):
                    sheet_index, field_index = (int(v) for v in name.split("-")[2:4])
                    x1, y1, x2, y2 = box
                    chains = group[sheet_index].chains
                    slots.setdefault(sheet_index, {})[field_index] = Slot(
                        number,
                        x1,
                        y1,
                        x2 - x1,
                        y2 - y1,
                        chains[field_index] if field_index < len(chains) else (),
                    )
        total = len(result.anchors)
        if sorted(starts) != list(range(len(group))):
            raise PdfRenderError("Lost track of a sheet while laying out (no page starts it).")
        bounds = [starts[i] for i in range(len(group))] + [total]
        for index, sheet in enumerate(group):
            count = bounds[index + 1] - bounds[index]
            if count < 1:
                raise PdfRenderError("A sheet came out with no page; is it empty?")
            mine = {
                k: Slot(
                    slot.page - bounds[index], slot.x, slot.y, slot.width, slot.height, slot.chain
                )
                for k, slot in slots.get(index, {}).items()
            }
            if len(mine) != len(sheet.fields):
                raise PdfRenderError("A field slot of a sheet was not laid out.")
            self.cache[sheet.key] = SheetPages(
                result.reader, bounds[index], count, mine, result.sizes[bounds[index]]
            )

    def pages(self, key: str) -> SheetPages:
        return self.cache[key]

    # -- fields ---------------------------------------------------------------------------
    def overlays(self, requests: Sequence[OverlayRequest]) -> list[OverlayResult]:
        """Lay out the field contents of ``requests`` (one overlay page each), many in one
        WeasyPrint call per language; a result says whether every field fitted its slot."""
        results: list[OverlayResult | None] = [None] * len(requests)
        groups: dict[tuple[str, str, tuple[float, float]], list[int]] = {}
        for index, request in enumerate(requests):
            groups.setdefault((request.lang, request.head, request.page_size), []).append(index)
        for (lang, head, size), indexes in groups.items():
            self._overlay_group(lang, head, size, indexes, requests, results)
        return [r for r in results if r is not None]

    def _overlay_group(self, lang, head, size, indexes, requests, results) -> None:
        width, height = size
        parts = []
        classes: dict[str, str] = {}  # CSS of a slot (its position) -> class name
        for index in indexes:
            request = requests[index]
            parts.append(f'<div class="remoteops-overlay" id="remoteops-overlay-{index}">')
            # Each value sits in its field's ancestors (so it inherits the same text style);
            # ancestors that consecutive fields share are opened once.
            opened: list[tuple[str, str]] = []
            for field_index, slot, content in request.values:
                chain = list(slot.chain)
                keep = 0
                while keep < min(len(opened), len(chain)) and opened[keep] == chain[keep]:
                    keep += 1
                parts.extend(f"</{tag}>" for tag, _ in reversed(opened[keep:]))
                parts.extend(start for _, start in chain[keep:])
                opened = chain
                rule = f"left: {slot.x:.3f}px; top: {slot.y:.3f}px; width: {slot.width:.3f}px;"
                name = classes.setdefault(rule, f"rv{len(classes)}")
                parts.append(
                    f'<div class="remoteops-value field {name}" '
                    f'id="remoteops-value-{index}-{field_index}">{content}</div>'
                )
            parts.extend(f"</{tag}>" for tag, _ in reversed(opened))
            parts.append("</div>")
        rules = " ".join(f"div.{name} {{ {rule} }}" for rule, name in classes.items())
        css = (
            f"<style>@page {{ size: {width:.3f}px {height:.3f}px; margin: 0; "
            "@top-left { content: none; } @bottom-left { content: none; } }"
            f" div.remoteops-overlay {{ position: relative; height: {height - 0.5:.3f}px; "
            "margin: 0; padding: 0; overflow: hidden; }"
            " div.remoteops-overlay + div.remoteops-overlay { break-before: page; }"
            " div.remoteops-value { position: absolute; margin: 0; padding: 0; border: 0;"
            " overflow-wrap: break-word; hyphens: manual; }"
            f" .{_CHAIN_CLASS} {{ {_NEUTRAL_BOX} }}"
            f" .{_CHAIN_CLASS}::before, .{_CHAIN_CLASS}::after, .{_CHAIN_CLASS}::marker"
            " { content: none !important; } " + rules.replace("<", "").replace(">", "") + "</style>"
        )
        result = self._render(lang, head, "".join(parts), css)
        owners = {requests[i].owner for i in indexes}
        if len(owners) > 1 and _has_drawn_resources(result.reader):
            for owner in sorted(owners):
                self._overlay_group(
                    lang,
                    head,
                    size,
                    [i for i in indexes if requests[i].owner == owner],
                    requests,
                    results,
                )
            return
        self.stats.overlay_pages += len(result.anchors)
        where: dict[int, int] = {}
        for number, anchors in enumerate(result.anchors):
            for name in anchors:
                if name.startswith("remoteops-overlay-"):
                    where.setdefault(int(name.rsplit("-", 1)[1]), number)
        boxes = {name: box for anchors in result.anchors for name, box in anchors.items()}
        for index in indexes:
            request = requests[index]
            fits = index in where and len(result.anchors) == len(indexes)
            for field_index, slot, _ in request.values:
                box = boxes.get(f"remoteops-value-{index}-{field_index}")
                if box is None or box[3] - box[1] > slot.height + 0.5:
                    fits = False
            if not fits:
                self.stats.fields_overflowed += 1
            results[index] = OverlayResult(result.reader, where.get(index, 0), fits)


@dataclass(frozen=True)
class _Render:
    reader: Any
    anchors: list[dict[str, tuple[float, float, float, float]]]
    sizes: list[tuple[float, float]]


@dataclass(frozen=True)
class OverlayRequest:
    """The fields of one employee on one page of a sheet."""

    owner: str
    lang: str
    head: str
    page_size: tuple[float, float]
    values: tuple[tuple[int, Slot, str], ...]  # (field index, slot, content HTML)


@dataclass(frozen=True)
class OverlayResult:
    reader: Any
    page: int
    fits: bool

    def page_object(self) -> Any:
        return self.reader.pages[self.page]


def _has_drawn_resources(reader: Any) -> bool:
    """True if the render's shared resources hold anything that draws (images, forms,
    patterns, shadings) rather than only fonts, colour spaces and graphics states."""
    seen: set[int] = set()
    for page in reader.pages:
        resources = page.get("/Resources")
        if resources is None:
            continue
        ref = getattr(resources, "idnum", None)
        if ref in seen:
            continue
        if ref is not None:
            seen.add(ref)
        resources = resources.get_object()
        for key in ("/XObject", "/Pattern", "/Shading"):
            entry = resources.get(key)
            if entry is not None and len(entry.get_object()) > 0:
                return True
    return False


# -- assembling a file ---------------------------------------------------------------------


@dataclass(frozen=True)
class StampedPage:
    page: Any  # pypdf PageObject from a layout render
    left: str
    right: str
    overlay: Any = None  # pypdf PageObject with this page's field contents, if any


@dataclass(frozen=True)
class FileMeta:
    """What a file says about itself, in the document information dictionary and, the same,
    in the XMP metadata (PDF/A wants both to agree)."""

    title: str
    author: str
    subject: str
    lang: str
    created: dt.datetime
    #: ``/Keywords`` and ``pdf:Keywords``: where the template version and the input hash
    #: go (see :func:`agreement_keywords`), so they need no room on the page.
    keywords: str = ""


def agreement_keywords(template_version: str, input_hash: str) -> str:
    """The keywords of an agreement file: the template version (the hash of the template
    files) and the hash of the employee's inputs, as the manifest records them."""
    return f"remoteops template-version={template_version} input-hash={input_hash}"


def keyword_values(keywords: str) -> dict[str, str]:
    """The ``name=value`` pairs of :func:`agreement_keywords` (for readers of a file)."""
    return dict(part.split("=", 1) for part in keywords.split() if "=" in part)


def _pdf_string(text: str) -> bytes:
    data = text.encode("cp1252")
    out = bytearray(b"(")
    for byte in data:
        if byte in (0x28, 0x29, 0x5C):
            out += b"\\" + bytes([byte])
        elif byte < 32 or byte > 126:
            out += b"\\%03o" % byte
        else:
            out.append(byte)
    return bytes(out + b")")


def _stamp_stream(font: StampFont, width: float, left: str, right: str) -> bytes:
    y = STAMP_BASELINE_MM * MM
    r, g, b = STAMP_COLOUR
    parts = [b"q %.3f %.3f %.3f rg" % (r, g, b)]
    if left:
        x = STAMP_LEFT_MM * MM
        parts.append(
            b"BT %s %.1f Tf 1 0 0 1 %.2f %.2f Tm %s Tj ET"
            % (STAMP_FONT_NAME.encode(), STAMP_FONT_SIZE, x, y, _pdf_string(left))
        )
    if right:
        x = width - STAMP_RIGHT_MM * MM - font.width(right, STAMP_FONT_SIZE)
        parts.append(
            b"BT %s %.1f Tf 1 0 0 1 %.2f %.2f Tm %s Tj ET"
            % (STAMP_FONT_NAME.encode(), STAMP_FONT_SIZE, x, y, _pdf_string(right))
        )
    parts.append(b"Q")
    return b"\n".join(parts) + b"\n"


def _pdf_date(moment: dt.datetime) -> str:
    moment = moment.astimezone(dt.UTC)
    return moment.strftime("D:%Y%m%d%H%M%S+00'00'")


def _xmp_date(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def xmp_metadata(meta: FileMeta, producer: str) -> bytes:
    """PDF/A-3b identification plus the same title, author, subject, keywords, dates and
    producer as the document information dictionary (PDF/A requires both to agree)."""
    created = _xmp_date(meta.created)
    title, subject = xml_escape(meta.title), xml_escape(meta.subject)
    keywords = (
        f"<pdf:Keywords>{xml_escape(meta.keywords)}</pdf:Keywords>\n" if meta.keywords else ""
    )
    text = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about=""
 xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
 xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:xmp="http://ns.adobe.com/xap/1.0/"
 xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
<pdfaid:part>3</pdfaid:part>
<pdfaid:conformance>B</pdfaid:conformance>
<dc:format>application/pdf</dc:format>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>{xml_escape(meta.author)}</rdf:li></rdf:Seq></dc:creator>
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{subject}</rdf:li></rdf:Alt>
</dc:description>
<dc:language><rdf:Bag><rdf:li>{xml_escape(meta.lang)}</rdf:li></rdf:Bag></dc:language>
<xmp:CreatorTool>{xml_escape(PRODUCER)}</xmp:CreatorTool>
<xmp:CreateDate>{created}</xmp:CreateDate>
<xmp:ModifyDate>{created}</xmp:ModifyDate>
<pdf:Producer>{xml_escape(producer)}</pdf:Producer>
{keywords}</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="r"?>"""
    return text.encode("utf-8")


@lru_cache(maxsize=1)
def producer_name() -> str:
    import pypdf
    import weasyprint

    return f"{PRODUCER} (WeasyPrint {weasyprint.__version__}, pypdf {pypdf.__version__})"


def retag_fonts(reader: Any) -> None:
    """Give every embedded font of a render a subset tag made from its font program.

    WeasyPrint names a subset after the font description only, so the same font laid out in
    two renders (a shared sheet and a field overlay) gets one tag for two different programs;
    ISO 32000 (9.6.4) wants a tag per subset. Called on each render once, before its pages
    are copied anywhere."""
    from pypdf.generic import DictionaryObject, NameObject

    seen: set[int] = set()
    for page in reader.pages:
        resources = page.get("/Resources")
        fonts = resources.get_object().get("/Font") if resources is not None else None
        if fonts is None:
            continue
        for ref in fonts.get_object().values():
            font = ref.get_object()
            if id(font) in seen or not isinstance(font, DictionaryObject):
                continue
            seen.add(id(font))
            named = [font]
            if font.get("/Subtype") == "/Type0":
                descendant = font["/DescendantFonts"][0].get_object()
                named.append(descendant)
                descriptor = descendant.get("/FontDescriptor")
            else:
                descriptor = font.get("/FontDescriptor")
            if descriptor is None:
                continue
            descriptor = descriptor.get_object()
            program = next(
                (
                    descriptor[k]
                    for k in ("/FontFile2", "/FontFile3", "/FontFile")
                    if k in descriptor
                ),
                None,
            )
            if program is None:
                continue
            base = str(font.get("/BaseFont", "/Font"))[1:]
            if len(base) > 7 and base[6] == "+" and base[:6].isupper():
                base = base[7:]
            digest = hashlib.sha256(program.get_object().get_data()).digest()
            tag = "".join(chr(65 + b % 26) for b in digest[:6])
            name = NameObject(f"/{tag}+{base}")
            for item in named:
                item[NameObject("/BaseFont")] = name
            descriptor[NameObject("/FontName")] = name


def _stamp_font_pdf(font: StampFont) -> bytes:
    """A one-page PDF whose page has the stamp font as resource ``/RoStamp``: the source the
    font objects are copied from into every file (PDF syntax written here, no library)."""
    widths = " ".join(str(w) for w in font.widths)
    bbox = " ".join(str(v) for v in font.bbox)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10]"
        b" /Resources << /Font << " + STAMP_FONT_NAME.encode() + b" 4 0 R >> >> >>",
        (
            f"<< /Type /Font /Subtype /TrueType /BaseFont /{font.base_name} /FirstChar 32"
            f" /LastChar 255 /Widths [{widths}] /Encoding /WinAnsiEncoding"
            " /FontDescriptor 5 0 R >>"
        ).encode("ascii"),
        (
            f"<< /Type /FontDescriptor /FontName /{font.base_name} /Flags 32"
            f" /FontBBox [{bbox}] /ItalicAngle 0 /Ascent {font.ascent}"
            f" /Descent {font.descent} /CapHeight {font.cap_height} /StemV 80"
            " /FontFile2 6 0 R >>"
        ).encode("ascii"),
        b"<< /Length %d /Length1 %d >>\nstream\n" % (len(font.program), len(font.program))
        + font.program
        + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@lru_cache(maxsize=4)
def _stamp_font_source(font: StampFont) -> Any:
    """The stamp font dictionary (an indirect object of a pypdf reader) to copy into files."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(_stamp_font_pdf(font)), strict=True)
    return reader.pages[0]["/Resources"]["/Font"].raw_get(STAMP_FONT_NAME)


def _own_resources(page: Any) -> Any:
    """Give a page of the writer its own resource dictionary (and sub-dictionaries), so what
    is added to this page is not added to every page that shared them."""
    from pypdf.generic import DictionaryObject, NameObject

    shared = page.get("/Resources")
    own = DictionaryObject()
    if shared is not None:
        for key, value in shared.get_object().items():
            target = value.get_object()
            own[NameObject(key)] = (
                DictionaryObject(target) if isinstance(target, DictionaryObject) else value
            )
    page[NameObject("/Resources")] = own
    return own


FIELDS_FORM_NAME = "/RoFields"


def _fields_form(overlay: Any, writer: Any) -> Any:
    """The field contents of an overlay page as a Form XObject of ``writer`` (a reference),
    or None if the page is not one plain content stream (then ``merge_page`` is used).

    The overlay page's content stream becomes the form: it gets the form keys, the page's
    own resource dictionary and the page box as its bounding box (which clips as
    ``merge_page`` does), and is copied into the file with ``clone``. Nothing is parsed or
    renamed: the form has its own resources, so its names cannot clash with the page's."""
    from pypdf.generic import ArrayObject, FloatObject, NameObject, StreamObject

    if overlay.get("/Annots"):
        return None
    contents = overlay.raw_get("/Contents") if "/Contents" in overlay else None
    resources = overlay.raw_get("/Resources") if "/Resources" in overlay else None
    if contents is None or resources is None or getattr(contents, "idnum", None) is None:
        return None
    stream = contents.get_object()
    if not isinstance(stream, StreamObject):
        return None
    box = overlay.mediabox
    stream[NameObject("/Type")] = NameObject("/XObject")
    stream[NameObject("/Subtype")] = NameObject("/Form")
    stream[NameObject("/BBox")] = ArrayObject(
        FloatObject(v) for v in (box.left, box.bottom, box.right, box.top)
    )
    stream[NameObject("/Resources")] = resources
    return stream.clone(writer).indirect_reference


def assemble_pdf(pages: Sequence[StampedPage], meta: FileMeta, font: StampFont) -> bytes:
    """One PDF/A-3b file from laid-out pages, each with its footer stamp.

    Public pypdf only: pages are copied with ``add_page``, a field overlay is drawn over its
    page with ``merge_page``, the stamp is appended with ``replace_contents``, the stamp font
    is copied from a one-page font PDF with ``clone``; a field overlay becomes a form
    XObject (:func:`_fields_form`), ``merge_page`` is the fallback."""
    from pypdf import PdfWriter
    from pypdf.generic import ContentStream, DictionaryObject, NameObject, TextStringObject

    if not pages:
        raise PdfRenderError("Nothing to write: no pages.")
    writer = PdfWriter()
    writer.pdf_header = b"%PDF-1.7"
    stamp_font = _stamp_font_source(font).clone(writer)
    output_intents = None

    for item in pages:
        source = item.page
        if output_intents is None:
            output_intents = source.pdf.trailer["/Root"].get("/OutputIntents")
        page = writer.add_page(source, excluded_keys=("/Annots",))
        resources = _own_resources(page)
        fields = b""
        if item.overlay is not None:
            form = _fields_form(item.overlay, writer)
            if form is None:
                page.merge_page(item.overlay)
                resources = page["/Resources"].get_object()
            else:
                forms = resources.get("/XObject")
                if forms is None:
                    forms = resources[NameObject("/XObject")] = DictionaryObject()
                forms = forms.get_object()
                name = FIELDS_FORM_NAME
                while name in forms:
                    name += "x"
                forms[NameObject(name)] = form
                fields = b"q 1 0 0 1 0 0 cm %s Do Q\n" % name.encode()
        fonts = resources.get("/Font")
        if fonts is None:
            fonts = resources[NameObject("/Font")] = DictionaryObject()
        fonts.get_object()[NameObject(STAMP_FONT_NAME)] = stamp_font
        contents = page.get_contents()
        drawn = contents.get_data() if contents is not None else b""
        width = float(page.mediabox.width)
        content = ContentStream(None, writer)
        content.set_data(
            b"q\n" + drawn + b"\nQ\n" + fields + _stamp_stream(font, width, item.left, item.right)
        )
        page.replace_contents(content)
        page.compress_content_streams()

    root = writer.root_object
    if output_intents is not None:
        root[NameObject("/OutputIntents")] = output_intents.clone(writer)
    producer = producer_name()
    writer.xmp_metadata = xmp_metadata(meta, producer)
    metadata = root["/Metadata"].get_object()
    metadata[NameObject("/Type")] = NameObject("/Metadata")
    metadata[NameObject("/Subtype")] = NameObject("/XML")
    root[NameObject("/Lang")] = TextStringObject(meta.lang)
    date = _pdf_date(meta.created)
    info = {
        "/Title": meta.title,
        "/Author": meta.author,
        "/Subject": meta.subject,
        "/Creator": PRODUCER,
        "/Producer": producer,
        "/CreationDate": date,
        "/ModDate": date,
    }
    if meta.keywords:
        info["/Keywords"] = meta.keywords
    writer.add_metadata(info)
    writer.generate_file_identifiers()
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# -- files -----------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
