"""The company logo in the letterhead of the agreements (``company.logo`` in company.yml).

The logo is a PNG or JPEG file in the inventory folder, named in ``company.yml`` by its plain
file name (``logo: logo.png``). It is found only through :func:`remoteops.files.safe_file`
(no folders, no ``..``, no symbolic link out of the inventory folder), read with a size
limit, and accepted only if its first bytes say PNG or JPEG, the name's ending says the
same, and Pillow can decode it within a pixel limit.

What reaches the PDF is not the file itself but a clean copy made here: RGB (a CMYK JPEG
would clash with the sRGB output intent of PDF/A), any transparency flattened onto white (no
soft mask in the PDF, so no transparency for a PDF/A validator to weigh), scaled down to at
most :data:`MAX_DRAWN_PIXELS` on its longer side (plenty for 35 mm in print), no metadata,
written as PNG. The templates get it as a ``data:`` URL, so WeasyPrint's guard, which serves
only the templates folder and ``data:`` URLs, stays as narrow as it is.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path

from remoteops.errors import InputFileError, RemoteOpsError
from remoteops.files import UnsafeFileNameError, read_input_bytes, safe_file

#: Largest logo file remoteops reads.
MAX_LOGO_BYTES = 1024 * 1024
#: Largest logo in pixels (width x height) remoteops decodes.
MAX_LOGO_PIXELS = 4096 * 4096
#: The copy in the PDF is scaled down to this many pixels on its longer side.
MAX_DRAWN_PIXELS = 800
#: File endings and first bytes of the accepted formats.
FORMATS = {
    "PNG": ((".png",), b"\x89PNG\r\n\x1a\n"),
    "JPEG": ((".jpg", ".jpeg"), b"\xff\xd8\xff"),
}
HINT = (
    "Put a PNG or JPEG file of at most 1 MB into the inventory folder (beside company.yml) "
    "and give its file name, e.g. 'logo: logo.png', or remove company.logo."
)


class LogoError(RemoteOpsError):
    """The logo named in company.yml cannot be used; the message says why."""


@dataclass(frozen=True)
class Logo:
    """The logo as company.yml names it, and the clean PNG copy that goes into the PDFs."""

    file: str
    png: bytes
    width: int  # pixels of the clean copy
    height: int

    def data_url(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def load_logo(folder: Path, name: str) -> Logo:
    """The logo file ``name`` in the inventory folder ``folder``, checked and cleaned.

    Raises :class:`LogoError` with a sentence for ``remoteops check`` (file name, what is
    wrong; the hint says what to do)."""
    try:
        path = safe_file(Path(folder), name)
    except UnsafeFileNameError:
        raise LogoError(
            f"{name!r} is not a plain file name in the inventory folder (no folders, no '..', "
            "no symbolic link out of the folder).",
            hint=HINT,
        ) from None
    kind = next((k for k, (endings, _) in FORMATS.items() if name.lower().endswith(endings)), None)
    if kind is None:
        raise LogoError(f"{name!r} is neither a .png nor a .jpg/.jpeg file.", hint=HINT)
    try:
        data = read_input_bytes(path, name, MAX_LOGO_BYTES)
    except InputFileError as exc:
        raise LogoError(f"the logo file {exc.message}", hint=HINT) from None
    if not data.startswith(FORMATS[kind][1]):
        raise LogoError(f"{name} is not a {kind} file (its first bytes say otherwise).", hint=HINT)
    return Logo(name, *_clean_png(data, name, kind))


def _clean_png(data: bytes, name: str, kind: str) -> tuple[bytes, int, int]:
    from PIL import Image, ImageFile, UnidentifiedImageError

    # WeasyPrint tells Pillow to accept truncated images (a process-wide switch); a damaged
    # logo must be refused here, so it is off while the logo is decoded.
    lenient = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as image:
            if image.width * image.height > MAX_LOGO_PIXELS:
                raise LogoError(
                    f"{name} is {image.width} x {image.height} pixels; a logo needs far fewer "
                    f"(at most {MAX_LOGO_PIXELS:,} pixels).",
                    hint=HINT,
                )
            image.load()
            image = _flattened(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise LogoError(f"{name} cannot be read as a {kind} image (damaged?).", hint=HINT) from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient
    image.thumbnail((MAX_DRAWN_PIXELS, MAX_DRAWN_PIXELS))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue(), image.width, image.height


def _flattened(image):
    """``image`` as RGB, any transparency laid onto white."""
    from PIL import Image

    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")
