"""Reading generated agreement PDFs back, for the contracts tests."""

from __future__ import annotations

import re
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
