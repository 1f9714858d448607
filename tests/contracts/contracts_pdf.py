"""Reading generated agreement packets back: what each employee's packet must show.
The strict checks every PDF gets are in ``tests/pdfcheck.py``."""

from __future__ import annotations

from pathlib import Path

from pdfcheck import pdfium_pages, poppler_pages, squeezed


def check_packet_content(path: Path, company, employee_id: str, rendered_ids) -> None:
    """The packet of ``employee_id`` shows, in PDFium and in Poppler, the employee's name,
    address, asset tags and serials (on the pages of the document that lists them), and no
    name or address of any other employee in ``rendered_ids``."""
    employee = company.employee(employee_id)
    engines = {"PDFium": pdfium_pages(path), "Poppler": poppler_pages(path)}
    expected = [
        employee.full_name,
        employee.address.street,
        f"{employee.address.postcode} {employee.address.city}",
    ]
    assets = company.assets_of(employee_id)
    problems = []
    for engine, pages in engines.items():
        text = squeezed("".join(pages))
        for value in expected:
            if squeezed(value) not in text:
                problems.append(f"{engine}: {value!r} missing")
        for asset in assets:
            on = [
                i for i, page in enumerate(pages) if squeezed(asset.serial_number) in squeezed(page)
            ]
            if not on:
                problems.append(f"{engine}: serial {asset.serial_number} missing")
            elif not any(squeezed(asset.asset_tag) in squeezed(pages[i]) for i in on):
                problems.append(f"{engine}: asset tag {asset.asset_tag} not with its serial")
        for other_id in rendered_ids:
            if other_id == employee_id:
                continue
            other = company.employee(other_id)
            for value in (other.full_name, other.address.street):
                if value not in (employee.full_name, employee.address.street) and (
                    squeezed(value) in text
                ):
                    problems.append(f"{engine}: carries {other_id}'s {value!r}")
    assert not problems, f"{path}:\n  " + "\n  ".join(problems)


#: The text area of an agreement page (style.css: @page margin 24mm 20mm 26mm 25mm, A4).
BODY_TOP_MM, BODY_BOTTOM_MM, PAGE_HEIGHT_MM = 24.0, 297.0 - 26.0, 297.0


def page_fill(path: Path) -> list[float]:
    """How far down its text area each page is filled (0 = empty, 1 = to the bottom
    margin): the lowest row with ink between the top and bottom margins, as PDFium draws
    the page (the running header and the footer lie outside and do not count)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    fills = []
    try:
        for index in range(len(document)):
            image = document[index].render(scale=40 / 72).to_pil().convert("L")
            per_mm = image.height / PAGE_HEIGHT_MM
            top, bottom = round(BODY_TOP_MM * per_mm), round(BODY_BOTTOM_MM * per_mm)
            lowest = top
            for y in range(top, bottom):
                row = image.crop((0, y, image.width, y + 1))
                if row.getextrema()[0] < 160:  # some ink on this row
                    lowest = y
            fills.append((lowest - top) / (bottom - top))
    finally:
        document.close()
    return fills
