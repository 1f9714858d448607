"""The company logo in the letterhead (company.logo): checked like every input, cleaned
before it reaches a PDF, and absent without the setting."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import pypdfium2
import pytest
from conftest import TODAY
from PIL import Image, ImageDraw, ImageStat
from pypdf import PdfReader

from remoteops.contracts import packet_path, render_agreements
from remoteops.inventory import load_company
from remoteops.logo import MAX_DRAWN_PIXELS


def _logo_png(mode: str = "RGBA", size=(600, 200)) -> bytes:
    """A made-up logo: a dark blue disc and bars, partly transparent."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, size[1] - 10, size[1] - 10), fill=(31, 78, 121, 255))
    draw.rectangle((size[1] + 20, 60, size[0] - 20, 90), fill=(31, 78, 121, 128))
    buffer = io.BytesIO()
    image.convert(mode).save(buffer, format="JPEG" if mode == "CMYK" else "PNG")
    return buffer.getvalue()


def _name_logo(root: Path, name: str) -> None:
    path = root / "company.yml"
    text = path.read_text(encoding="utf-8")
    assert text.count("company:\n") == 1
    path.write_text(text.replace("company:\n", f"company:\n  logo: {name}\n"), encoding="utf-8")


def _logo_problem(cli, root: Path) -> str:
    result = cli("-i", root, "check")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if "company.logo" in line]
    assert len(lines) == 1, result.output
    assert "company.yml: company.logo: " in lines[0]  # file and field
    assert "PNG or JPEG" in lines[0]  # what to do
    return lines[0]


@pytest.fixture(autouse=True)
def pillow_as_weasyprint_leaves_it():
    """WeasyPrint switches Pillow to accept truncated images for the whole process; the
    logo checks must hold in that state too (it is what a render run looks like)."""
    import weasyprint  # noqa: F401  (sets ImageFile.LOAD_TRUNCATED_IMAGES)
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES
    yield
    assert ImageFile.LOAD_TRUNCATED_IMAGES, "the logo check left Pillow's switch changed"


@pytest.mark.parametrize(
    ("name", "setup", "says"),
    [
        ("logo.png", None, "is missing"),
        ("../logo.png", None, "not a plain file name"),
        ("sub/logo.png", None, "not a plain file name"),
        ("link.png", "symlink-out", "not a plain file name"),
        ("logo.gif", "gif", "neither a .png nor a .jpg"),
        ("logo.svg", "svg", "neither a .png nor a .jpg"),
        ("logo.png", "jpeg-bytes", "is not a PNG file"),
        ("logo.jpg", "text", "is not a JPEG file"),
        ("logo.png", "damaged", "cannot be read as a PNG image"),
        ("logo.png", "huge-file", "larger than 1 MB"),
        ("logo.png", "folder", "is a folder"),
    ],
)
def test_check_names_a_bad_logo_and_what_to_do(cli, small_company, tmp_path, name, setup, says):
    root = small_company
    target = root / "logo.png"
    if setup == "symlink-out":
        outside = tmp_path / "outside.png"
        outside.write_bytes(_logo_png())
        os.symlink(outside, root / "link.png")
    elif setup == "gif":
        Image.new("RGB", (10, 10)).save(root / "logo.gif", format="GIF")
    elif setup == "svg":
        (root / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    elif setup == "jpeg-bytes":
        target.write_bytes(_logo_png("CMYK"))
    elif setup == "text":
        (root / "logo.jpg").write_text("not a picture")
    elif setup == "damaged":
        target.write_bytes(_logo_png()[:60])
    elif setup == "huge-file":
        target.write_bytes(_logo_png() + b"\0" * (1024 * 1024))
    elif setup == "folder":
        target.mkdir()
    _name_logo(root, name)
    problem = _logo_problem(cli, root)
    assert says in problem, problem


def test_too_many_pixels_are_refused(cli, small_company):
    Image.new("1", (5000, 5000)).save(small_company / "logo.png", format="PNG", optimize=True)
    assert (small_company / "logo.png").stat().st_size < 1024 * 1024
    _name_logo(small_company, "logo.png")
    assert "5000 x 5000 pixels" in _logo_problem(cli, small_company)


def _images(reader: PdfReader, page_number: int) -> list:
    xobjects = reader.pages[page_number]["/Resources"].get("/XObject", {})
    found = []
    for ref in xobjects.values():
        xobject = ref.get_object()
        if xobject.get("/Subtype") == "/Image":
            found.append(xobject)
        elif xobject.get("/Subtype") == "/Form":
            inner = xobject.get("/Resources", {}).get("/XObject", {})
            found += [r.get_object() for r in inner.values() if r.get("/Subtype") == "/Image"]
    return found


def _top_right_ink(path: Path, page_number: int) -> float:
    """Mean darkness (0-255) of the letterhead's right end, as PDFium draws the page."""
    document = pypdfium2.PdfDocument(str(path))
    try:
        image = document[page_number].render(scale=50 / 72).to_pil().convert("L")
    finally:
        document.close()
    mm = image.width / 210
    box = (round(140 * mm), round(24 * mm), round(190 * mm), round(40 * mm))
    return 255 - ImageStat.Stat(image.crop(box)).mean[0]


@pytest.mark.parametrize("mode", ["RGBA", "CMYK"])
@pytest.mark.slow
def test_logo_in_every_letterhead_without_transparency(small_company, tmp_path, templates, mode):
    """A transparent PNG or a CMYK JPEG: the PDFs carry a clean RGB copy (no soft mask, no
    CMYK under the sRGB output intent), drawn at the top right of each document's first
    page; without company.logo, no image at all."""
    root = small_company
    name = "logo.jpg" if mode == "CMYK" else "logo.png"
    (root / name).write_bytes(_logo_png(mode))
    _name_logo(root, name)
    company = load_company(root)
    assert company.details.logo is not None
    assert max(company.details.logo.width, company.details.logo.height) <= MAX_DRAWN_PIXELS
    employee = next(e for e in company.employees if e.scheduled_for_home_office)
    out = tmp_path / "out"
    report = render_agreements(
        company, [employee.employee_id], out_dir=out, templates=templates, today=TODAY
    )
    assert report.ok, report.failures
    path = packet_path(out, employee.employee_id, employee.language)
    reader = PdfReader(str(path))
    firsts = sorted(int(r.pages.split("-")[0]) - 1 for r in report.rendered)
    assert len(firsts) == 4  # the letter and the three agreements, each with a letterhead
    for number in range(len(reader.pages)):
        images = _images(reader, number)
        assert images or number not in firsts, f"no image on page {number + 1}"
        for image in images:
            assert "/SMask" not in image and "/Mask" not in image
            assert image["/ColorSpace"] == "/DeviceRGB"
    for number in firsts:
        assert _top_right_ink(path, number) > 20, f"no logo drawn on page {number + 1}"

    # The same company without the setting: the letterhead as before, no image anywhere.
    (root / "company.yml").write_text(
        (root / "company.yml").read_text(encoding="utf-8").replace(f"  logo: {name}\n", ""),
        encoding="utf-8",
    )
    plain = load_company(root)
    assert plain.details.logo is None
    out = tmp_path / "plain"
    render_agreements(plain, [employee.employee_id], out_dir=out, templates=templates, today=TODAY)
    path = packet_path(out, employee.employee_id, employee.language)
    reader = PdfReader(str(path))
    assert all(not _images(reader, n) for n in range(len(reader.pages)))
    for number in firsts:
        assert _top_right_ink(path, number) < 5


def test_logo_changes_the_inputs(small_company):
    """A new logo re-renders the packets (it is part of the input hash via the context)."""
    from remoteops.contracts import load_templates
    from remoteops.contracts.context import input_hash

    templates = load_templates()
    (small_company / "logo.png").write_bytes(_logo_png())
    _name_logo(small_company, "logo.png")
    first = load_company(small_company)
    employee = first.employees[0]
    (small_company / "logo.png").write_bytes(_logo_png(size=(500, 200)))
    second = load_company(small_company)
    hashes = [
        input_hash(templates.base_context(c, employee, lang="de", today=dt.date(2026, 11, 20)))
        for c in (first, second)
    ]
    assert hashes[0] != hashes[1]
