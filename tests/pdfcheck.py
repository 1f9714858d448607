"""Reading PDFs back the way strict readers do (qpdf, PDFium, Poppler), for every test that
writes a PDF: agreements and run sheets (importable: ``from pdfcheck import ...``)."""

from __future__ import annotations

import hashlib
import html
import re
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader
from pypdf.generic import IndirectObject


def flat(text: str) -> str:
    """Whitespace collapsed to single spaces (text extraction breaks lines)."""
    return re.sub(r"\s+", " ", text).strip()


def squeezed(text: str) -> str:
    """All whitespace removed (a very long name may be broken anywhere)."""
    return re.sub(r"\s+", "", text)


@dataclass
class ReadPdf:
    path: Path
    reader: PdfReader
    pages: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.pages)

    def xmp(self) -> str:
        metadata = self.reader.trailer["/Root"]["/Metadata"].get_object()
        return metadata.get_data().decode("utf-8")


def read_pdf(path: Path) -> ReadPdf:
    reader = PdfReader(str(path))
    return ReadPdf(path, reader, [page.extract_text() or "" for page in reader.pages])


def _fonts_of(resources, seen: set[int]) -> list:
    """Every font dictionary reachable from a resource dictionary (form XObjects included)."""
    found = []
    if resources is None:
        return found
    resources = resources.get_object()
    fonts = resources.get("/Font")
    if fonts is not None:
        found.extend(font.get_object() for font in fonts.get_object().values())
    xobjects = resources.get("/XObject")
    if xobjects is not None:
        for ref in xobjects.get_object().values():
            key = ref.idnum if isinstance(ref, IndirectObject) else id(ref)
            if key in seen:
                continue
            seen.add(key)
            xobject = ref.get_object()
            if xobject.get("/Subtype") == "/Form":
                found.extend(_fonts_of(xobject.get("/Resources"), seen))
    return found


def unembedded_fonts(pdf: ReadPdf) -> list[str]:
    """Names of fonts without an embedded font program (PDF/A requires none)."""
    missing, seen = [], set()
    for page in pdf.reader.pages:
        for font in _fonts_of(page.get("/Resources"), seen):
            descriptor = None
            if font.get("/Subtype") == "/Type0":
                descendant = font["/DescendantFonts"][0].get_object()
                descriptor = descendant.get("/FontDescriptor")
            else:
                descriptor = font.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            if not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                missing.append(str(font.get("/BaseFont")))
    return missing


# -- strict checks: every PDF remoteops writes ------------------------------------------------
#
# qpdf (structure), PDFium (Chrome/Edge's viewer, via pypdfium2) and Poppler (pdftotext,
# pdftoppm) read the file; what a lenient reader such as pypdf tolerates is not enough.

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def qpdf_problems(path: Path) -> list[str]:
    """qpdf --check's warnings and errors (empty if the file is clean)."""
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    lines = (result.stdout + result.stderr).splitlines()
    bad = [line for line in lines if "WARNING" in line]
    if result.returncode != 0:
        bad.append(f"qpdf exit status {result.returncode}: {' '.join(lines[-3:])}")
    return bad


def pdfium_pages(path: Path) -> list[str]:
    """The text PDFium (Chrome/Edge) reads on each page."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        pages = []
        for index in range(len(document)):
            page = document[index]
            left, bottom, right, top = page.get_cropbox()
            # what is on the page, as Poppler reads it (not text running off its edge)
            pages.append(page.get_textpage().get_text_bounded(left, bottom, right, top))
        return pages
    finally:
        document.close()


def poppler_pages(path: Path) -> list[str]:
    result = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    pages = result.stdout.decode("utf-8").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def _characters_differ(a: str, b: str) -> int:
    """How many characters (whitespace ignored) the two texts do not have in common."""
    first, second = Counter(squeezed(a)), Counter(squeezed(b))
    return sum(((first - second) + (second - first)).values())


def font_problems(reader: PdfReader) -> list[str]:
    """Fonts not embedded, and subset tags used for two different font programs."""
    problems, programs, seen = [], {}, set()
    for page in reader.pages:
        for font in _fonts_of(page.get("/Resources"), seen):
            name = str(font.get("/BaseFont"))
            if font.get("/Subtype") == "/Type0":
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            else:
                descriptor = font.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            kinds = [k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor]
            if not kinds:
                problems.append(f"font {name} is not embedded")
                continue
            digest = hashlib.sha256(descriptor[kinds[0]].get_object().get_data()).hexdigest()
            tag = name[1:7] if len(name) > 7 and name[7] == "+" else None
            if tag is None:
                problems.append(f"font {name} has no subset tag")
                continue
            programs.setdefault(tag, set()).add(digest)
    problems += [
        f"subset tag {tag} names {len(d)} different font programs"
        for tag, d in programs.items()
        if len(d) > 1
    ]
    return problems


def pdfa_problems(reader: PdfReader) -> list[str]:
    """What can be checked of PDF/A-3b without a validator."""
    problems = []
    root = reader.trailer["/Root"]
    metadata = root.get("/Metadata")
    if metadata is None:
        return ["no XMP metadata"]
    metadata = metadata.get_object()
    if metadata.get("/Type") != "/Metadata" or metadata.get("/Subtype") != "/XML":
        problems.append("the metadata stream is not /Type /Metadata /Subtype /XML")
    if "/Filter" in metadata:
        problems.append("the metadata stream is compressed")
    xmp = metadata.get_data().decode("utf-8")
    for marker in ("<pdfaid:part>3</pdfaid:part>", "<pdfaid:conformance>B</pdfaid:conformance>"):
        if marker not in xmp:
            problems.append(f"XMP lacks {marker}")
    info = reader.metadata or {}
    for key, element in (
        ("/Title", "dc:title"),
        ("/Author", "dc:creator"),
        ("/Producer", "pdf:Producer"),
        ("/Creator", "xmp:CreatorTool"),
    ):
        value = info.get(key)
        found = re.search(rf"<{element}>(.*?)</{element}>", xmp, re.S)
        text = re.sub(r"<[^>]+>", "", found.group(1)).strip() if found else None
        if value is None or text != html.escape(str(value), quote=False):
            problems.append(f"document info {key}={value!r} but XMP {element}={text!r}")
    for key, element in (("/Subject", "dc:description"), ("/Keywords", "pdf:Keywords")):
        value = info.get(key)
        found = re.search(rf"<{element}>(.*?)</{element}>", xmp, re.S)
        text = re.sub(r"<[^>]+>", "", found.group(1)).strip() if found else None
        if (value is not None or text is not None) and (
            value is None or text != html.escape(str(value), quote=False)
        ):
            problems.append(f"document info {key}={value!r} but XMP {element}={text!r}")
    intents = root.get("/OutputIntents")
    intent = intents[0].get_object() if intents else {}
    profile = intent.get("/DestOutputProfile")
    if intent.get("/S") != "/GTS_PDFA1" or profile is None:
        problems.append("no PDF/A output intent")
    elif profile.get_object().get_data()[16:20] != b"RGB ":
        problems.append("the output intent's profile is not an RGB profile")
    if "/ID" not in reader.trailer:
        problems.append("no file identifier")
    return problems


def check_pdf(path: Path) -> ReadPdf:
    """Every strict check on one PDF; fails the test naming the file and what is wrong.
    Returns the file read back (pages: PDFium's text)."""
    path = Path(path)
    problems = [f"qpdf: {p}" for p in qpdf_problems(path)]
    reader = PdfReader(str(path))
    problems += font_problems(reader) + pdfa_problems(reader)
    pdfium, poppler = pdfium_pages(path), poppler_pages(path)
    if len(pdfium) != len(reader.pages) or len(poppler) != len(reader.pages):
        problems.append(
            f"{len(reader.pages)} pages, PDFium reads {len(pdfium)}, Poppler {len(poppler)}"
        )
    for number, (a, b) in enumerate(zip(pdfium, poppler, strict=False), start=1):
        if not squeezed(a):
            problems.append(f"page {number}: PDFium reads no text")
        differ = _characters_differ(a, b)
        if differ > max(6, len(squeezed(b)) // 200):
            problems.append(f"page {number}: PDFium and Poppler differ in {differ} characters")
    assert not problems, f"{path}:\n  " + "\n  ".join(problems)
    return ReadPdf(path, reader, pdfium)


def check_pdfs_under(folder: Path) -> list[Path]:
    """check_pdf on every PDF under ``folder`` (superseded copies included)."""
    paths = sorted(Path(folder).rglob("*.pdf"))
    for path in paths:
        check_pdf(path)
    return paths


def compare_renderings(path: Path, artifacts: Path, page: int = 1, limit: float = 0.35) -> float:
    """Page ``page`` as PDFium and as Poppler draw it (50 dpi, grey), compared coarsely (8x8
    pixel blocks, so their different anti-aliasing does not count): the mean absolute
    difference per block, relative to the page's mean ink. About 0.15 for a sound page, 0.6
    when PDFium drops the fields. Above ``limit`` the test fails and both PNGs and their
    difference are kept in ``artifacts``."""
    import pypdfium2
    from PIL import Image, ImageChops, ImageStat

    with tempfile.TemporaryDirectory() as tmp:
        prefix = Path(tmp) / "poppler"
        subprocess.run(
            ["pdftoppm", "-r", "50", "-png", "-f", str(page), "-l", str(page), "-singlefile"]
            + [str(path), str(prefix)],
            check=True,
        )
        poppler = Image.open(f"{prefix}.png").convert("L")
        poppler.load()
    document = pypdfium2.PdfDocument(str(path))
    try:
        pdfium = document[page - 1].render(scale=50 / 72).to_pil().convert("L")
    finally:
        document.close()
    if pdfium.size != poppler.size:
        pdfium = pdfium.resize(poppler.size)
    diff = ImageChops.difference(pdfium.reduce(8), poppler.reduce(8))
    ink = max(1.0, 255 - ImageStat.Stat(poppler).mean[0])
    mean = ImageStat.Stat(diff).mean[0] / ink
    if mean > limit:
        artifacts.mkdir(parents=True, exist_ok=True)
        stem = f"{Path(path).stem}-p{page}"
        pdfium.save(artifacts / f"{stem}-pdfium.png")
        poppler.save(artifacts / f"{stem}-poppler.png")
        diff.save(artifacts / f"{stem}-diff.png")
    assert mean <= limit, (
        f"{path} page {page}: PDFium and Poppler draw it differently (mean difference "
        f"{mean:.3f} > {limit}); see the PNGs in {artifacts}"
    )
    return mean
