"""Reading PDFs back the way strict readers do (qpdf, PDFium, Poppler), for every test that
writes a PDF: agreements and run sheets (importable: ``from pdfcheck import ...``)."""

from __future__ import annotations

import hashlib
import re
import subprocess
import tempfile
import xml.etree.ElementTree as ET
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


XMP_NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
}


def xmp_properties(xmp: str) -> dict[str, str]:
    """The XMP packet parsed as XML: ``prefix:name`` -> text for every property of every
    rdf:Description (as element or attribute; lists joined by ' | '). Raises on XML that
    does not parse (a strict reader refuses it too)."""
    root = ET.fromstring(re.sub(r"<\?xpacket[^>]*\?>", "", xmp).strip())
    names = {uri: prefix for prefix, uri in XMP_NS.items()}

    def short(tag: str) -> str:
        uri, _, local = tag[1:].partition("}")
        return f"{names.get(uri, uri)}:{local}"

    found = {}
    for description in root.iter(f"{{{XMP_NS['rdf']}}}Description"):
        for key, value in description.attrib.items():
            if not key.startswith(f"{{{XMP_NS['rdf']}}}"):
                found[short(key)] = value
        for child in description:
            items = list(child.iter(f"{{{XMP_NS['rdf']}}}li"))
            texts = [i.text or "" for i in items] if items else [child.text or ""]
            found[short(child.tag)] = " | ".join(t.strip() for t in texts)
    return found


def _pdf_date_as_xmp(value: str) -> str:
    """D:20261203064935+00'00' -> 2026-12-03T06:49:35+00:00 (the same instant, XMP's way)."""
    m = re.fullmatch(r"D:(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(Z|[+-]\d\d'\d\d'?)", value)
    if not m:
        return f"<not a PDF date: {value!r}>"
    zone = m[7]
    zone = "+00:00" if zone == "Z" else f"{zone[:3]}:{zone[4:6]}"
    return f"{m[1]}-{m[2]}-{m[3]}T{m[4]}:{m[5]}:{m[6]}{zone}"


def icc_problems(data: bytes, components: int) -> list[str]:
    """An ICC profile's header read as ICC.1 defines it: declared size, signature, class,
    colour space matching the output intent's /N."""
    problems = []
    if len(data) < 128:
        return [f"the ICC profile has {len(data)} bytes, not even a header"]
    if int.from_bytes(data[0:4], "big") != len(data):
        problems.append("the ICC profile's declared size is not its length")
    if data[36:40] != b"acsp":
        problems.append("the ICC profile lacks the 'acsp' signature")
    if data[12:16] not in (b"mntr", b"prtr", b"scnr", b"spac"):
        problems.append(f"the ICC profile class {data[12:16]!r} cannot be an output intent")
    spaces = {b"RGB ": 3, b"GRAY": 1, b"CMYK": 4}
    if spaces.get(data[16:20]) != components:
        problems.append(f"the ICC colour space {data[16:20]!r} does not have /N {components}")
    return problems


def pdfa_problems(reader: PdfReader, raw: bytes | None = None) -> list[str]:
    """What can be checked of PDF/A-3b without a validator (ISO 19005-3 clauses in brackets):
    the header [6.1.2], no encryption [6.1.3], the file identifier [6.1.3], the XMP packet
    parsed as XML with the PDF/A identification [6.6.4], document info and XMP agreeing
    [6.6.3], the metadata stream uncompressed [6.6.2.1 via PDF/A-1 practice], one PDF/A
    output intent with a sound ICC profile [6.2.3], no JavaScript or launch actions
    [6.5.1, 6.6.1], printable annotations [6.3.2]. Fonts are checked by font_problems."""
    problems = []
    if raw is not None:
        header = re.match(rb"%PDF-1\.[0-7]\r?\n%(.{4})", raw, re.S)
        if header is None or min(header[1]) < 128:
            problems.append("the header is not %PDF-1.n followed by a binary comment line")
    if "/Encrypt" in reader.trailer:
        problems.append("the file is encrypted")
    identifier = reader.trailer.get("/ID")
    if identifier is None or len(identifier) != 2:
        problems.append("no file identifier")
    root = reader.trailer["/Root"]
    metadata = root.get("/Metadata")
    if metadata is None:
        return [*problems, "no XMP metadata"]
    metadata = metadata.get_object()
    if metadata.get("/Type") != "/Metadata" or metadata.get("/Subtype") != "/XML":
        problems.append("the metadata stream is not /Type /Metadata /Subtype /XML")
    if "/Filter" in metadata:
        problems.append("the metadata stream is compressed")
    xmp = metadata.get_data().decode("utf-8")
    if not xmp.startswith("<?xpacket begin=") or not xmp.rstrip().endswith("?>"):
        problems.append("the XMP is not wrapped in an xpacket")
    try:
        props = xmp_properties(xmp)
    except ET.ParseError as exc:
        return [*problems, f"the XMP does not parse as XML: {exc}"]
    if (props.get("pdfaid:part"), props.get("pdfaid:conformance")) != ("3", "B"):
        problems.append(
            f"XMP says PDF/A part {props.get('pdfaid:part')!r} conformance "
            f"{props.get('pdfaid:conformance')!r}, not 3 B"
        )
    info = reader.metadata or {}
    pairs = (
        ("/Title", "dc:title", True),
        ("/Author", "dc:creator", True),
        ("/Producer", "pdf:Producer", True),
        ("/Creator", "xmp:CreatorTool", True),
        ("/Subject", "dc:description", False),
        ("/Keywords", "pdf:Keywords", False),
    )
    for key, element, required in pairs:
        value, text = info.get(key), props.get(element)
        if (required or value is not None or text is not None) and (
            value is None or text != str(value)
        ):
            problems.append(f"document info {key}={value!r} but XMP {element}={text!r}")
    for key, element in (("/CreationDate", "xmp:CreateDate"), ("/ModDate", "xmp:ModifyDate")):
        value, text = info.get(key), props.get(element)
        if value is not None and _pdf_date_as_xmp(str(value)) != text:
            problems.append(f"document info {key}={value!r} but XMP {element}={text!r}")
    intents = [i.get_object() for i in root.get("/OutputIntents") or []]
    pdfa_intents = [i for i in intents if i.get("/S") == "/GTS_PDFA1"]
    if len(pdfa_intents) != 1:
        problems.append(f"{len(pdfa_intents)} PDF/A output intents, not 1")
    else:
        intent = pdfa_intents[0]
        profile = intent.get("/DestOutputProfile")
        if "/OutputConditionIdentifier" not in intent:
            problems.append("the output intent has no /OutputConditionIdentifier")
        if profile is None:
            problems.append("the output intent has no ICC profile")
        else:
            profile = profile.get_object()
            problems += icc_problems(profile.get_data(), int(profile.get("/N", 0)))
    names = root.get("/Names")
    if names is not None and "/JavaScript" in names.get_object():
        problems.append("the document carries JavaScript")
    if "/AA" in root or "/JavaScript" in str(root.get("/OpenAction", "")):
        problems.append("the document runs actions when opened")
    for number, page in enumerate(reader.pages, start=1):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            action = annotation.get("/A")
            kind = action.get_object().get("/S") if action is not None else None
            if kind in ("/JavaScript", "/Launch"):
                problems.append(f"page {number}: an annotation runs {kind}")
            if annotation.get("/Subtype") != "/Popup" and not int(annotation.get("/F", 0)) & 4:
                problems.append(f"page {number}: an annotation is not printable")
    return problems


def pdfium_lines(path: Path) -> list[list[str]]:
    """Per page, the lines PDFium shows, top to bottom, each read left to right (whitespace
    dropped): what a reader sees, whatever order the content stream draws it in."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    pages = []
    try:
        for index in range(len(document)):
            textpage = document[index].get_textpage()
            chars = []
            for k in range(textpage.count_chars()):
                char = textpage.get_text_range(k, 1)
                if char.strip():
                    left, bottom, _, top = textpage.get_charbox(k)
                    chars.append(((bottom + top) / 2, left, char))
            rows: list[tuple[float, list]] = []
            for middle, left, char in sorted(chars, key=lambda c: -c[0]):
                if rows and rows[-1][0] - middle < 3:  # the same line (within 3 pt)
                    rows[-1][1].append((left, char))
                else:
                    rows.append((middle, [(left, char)]))
            pages.append(["".join(c for _, c in sorted(row)) for _, row in rows])
    finally:
        document.close()
    return pages


def pdfium_images(path: Path, dpi: int = 50) -> list:
    """Every page as PDFium draws it (greyscale PIL images)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        return [
            document[i].render(scale=dpi / 72).to_pil().convert("L") for i in range(len(document))
        ]
    finally:
        document.close()


def image_difference(a, b) -> float:
    """Mean grey-level difference per pixel (0-255) of two page images, slightly blurred so
    that sub-pixel shifts of anti-aliased glyphs do not count."""
    from PIL import ImageChops, ImageFilter

    if a.size != b.size:
        return 255.0
    blur = ImageFilter.GaussianBlur(1)
    diff = ImageChops.difference(a.filter(blur), b.filter(blur))
    return sum(v * c for v, c in enumerate(diff.histogram())) / (a.size[0] * a.size[1])


def check_pdf(path: Path, *, pdfa: bool = True) -> ReadPdf:
    """Every strict check on one PDF; fails the test naming the file and what is wrong.
    ``pdfa=False`` for PDFs that do not claim PDF/A (run sheets). Returns the file read
    back (pages: PDFium's text)."""
    path = Path(path)
    problems = [f"qpdf: {p}" for p in qpdf_problems(path)]
    reader = PdfReader(str(path))
    problems += font_problems(reader)
    if pdfa:
        problems += pdfa_problems(reader, path.read_bytes())
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
