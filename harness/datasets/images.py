"""Opening dataset images so that a bad file is a clear error naming it, never a crash
deep inside PIL/OpenCV and never a silently wrong picture.

What the guides' scripts do with odd files, and what the suite does:

* corrupt or truncated file — PIL raises (``UnidentifiedImageError``, "image file is
  truncated"), so the guide's script would crash: the suite raises ``ImageError`` naming
  the file and the sample. ``cv2.imread`` returns ``None`` on a corrupt file and, worse,
  *decodes a truncated JPEG without error* (grey bottom rows, one libjpeg warning): the
  suite checks the file's structure first (JPEG: an end-of-image marker after the last
  start-of-scan; PNG: an ``IEND`` chunk) so a truncated file is refused on both paths.
* grayscale, CMYK, palette images — the guides' scripts convert to RGB (PIL
  ``convert('RGB')``) or let OpenCV decode to BGR; the suite does exactly the same, so
  these are accepted and give the values the guide's script gives.
* a PNG (or other format) saved under a ``.jpg`` name — PIL and OpenCV both decode by
  content, so the guide's script accepts it and so does the suite.

Readers of other guides use ``open_rgb_pil`` / ``imread_cv2`` instead of calling PIL or
OpenCV directly.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from harness.datasets.errors import DatasetError

_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class ImageError(DatasetError):
    """An image cannot be decoded; the message names the file and the sample id."""


def _where(path: Path, sample_id: Optional[str]) -> str:
    return f"{path}" + (f" (sample {sample_id})" if sample_id is not None else "")


def read_complete(path: Path, sample_id: Optional[str] = None) -> bytes:
    """The file's bytes, refusing a missing, empty or truncated JPEG/PNG file before any
    decoder sees it (decoders then work on these bytes: the file is read once)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImageError(f"image not found: {_where(path, sample_id)}") from None
    except OSError as exc:
        raise ImageError(f"cannot read image {_where(path, sample_id)}: {exc.strerror or exc}") from None
    if not data:
        raise ImageError(f"image {_where(path, sample_id)} is empty (0 bytes)")
    if data.startswith(_JPEG_MAGIC):
        # 0xFFDA (start of scan) and 0xFFD9 (end of image) never occur inside entropy-coded
        # data (0xFF is stuffed there), so the last SOS is the main image's and a complete
        # file has an EOI after it. An EXIF thumbnail's own SOS/EOI come earlier.
        sos = data.rfind(b"\xff\xda")
        eoi = data.rfind(b"\xff\xd9")
        if sos < 0 or eoi < sos:
            raise ImageError(f"image {_where(path, sample_id)} is a truncated JPEG "
                             f"({len(data)} bytes, no end-of-image marker after the scan data)")
    elif data.startswith(_PNG_MAGIC):
        if b"IEND" not in data:  # lenient on trailing bytes; the decoders catch the rest
            raise ImageError(f"image {_where(path, sample_id)} is a truncated PNG "
                             f"({len(data)} bytes, no IEND chunk)")
    return data


def open_rgb_pil(path: Path, sample_id: Optional[str] = None):
    """``Image.open(path).convert('RGB')`` as the guides do, fully decoded, or ``ImageError``."""
    from PIL import Image

    return Image.fromarray(decode_rgb(path, sample_id))


def decode_rgb(path: Path, sample_id: Optional[str] = None) -> np.ndarray:
    """(H, W, 3) uint8 RGB, the pixels of ``Image.open(path).convert('RGB')``, or ``ImageError``.

    Colour JPEGs go through libjpeg-turbo directly (``harness.datasets.fast_jpeg``, the
    library and settings PIL uses, checked against PIL once per process); everything else
    (grayscale, CMYK, PNG, ...) through PIL itself.
    """
    from harness.datasets import fast_jpeg

    path = Path(path)
    data = read_complete(path, sample_id)
    if data.startswith(_JPEG_MAGIC):
        try:
            pixels = fast_jpeg.decode_rgb(data)
        except ValueError as exc:  # libjpeg refused the data: the same error PIL would hit
            raise ImageError(f"cannot decode image {_where(path, sample_id)}: {exc}") from None
        if pixels is not None:
            return pixels
    return _decode_rgb_pil(data, path, sample_id)


def _decode_rgb_pil(data: bytes, path: Path, sample_id: Optional[str]) -> np.ndarray:
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            # convert() loads every pixel: truncation raises here. An RGB image is only
            # loaded: convert('RGB') would copy the same pixels.
            im.load()
            rgb = im if im.mode == "RGB" else im.convert("RGB")
            return np.asarray(rgb)
    except UnidentifiedImageError:
        raise ImageError(f"image {_where(path, sample_id)} is not an image PIL can identify "
                         "(corrupt file or unknown format)") from None
    except (OSError, ValueError, SyntaxError) as exc:
        # PIL reports decoder failures as OSError ("image file is truncated",
        # "broken data stream"), and malformed headers as ValueError/SyntaxError.
        raise ImageError(f"cannot decode image {_where(path, sample_id)}: {exc}") from None
    except Image.DecompressionBombError as exc:
        raise ImageError(f"image {_where(path, sample_id)} refused: {exc}") from None


def imread_cv2(path: Path, flags: Optional[int] = None, sample_id: Optional[str] = None) -> np.ndarray:
    """``cv2.imread(path, flags)`` as the guides do, or ``ImageError`` (never ``None``)."""
    import cv2

    path = Path(path)
    # imdecode on the bytes already read is cv2.imread without the second read (same
    # codec, same flags).
    buf = np.frombuffer(read_complete(path, sample_id), dtype=np.uint8)
    image = cv2.imdecode(buf, cv2.IMREAD_COLOR if flags is None else flags)
    if image is None or image.size == 0:
        raise ImageError(f"cv2.imread could not decode image {_where(path, sample_id)} "
                         "(corrupt file or unsupported format)")
    return image
