"""Colour JPEG decoding straight through libjpeg-turbo, with PIL's exact pixels.

Why: ``Image.open(path).convert('RGB')`` spends a third of its time outside the decoder
(Python-level marker parsing, chunked reads, the RGB copy). ``simplejpeg`` calls the same
libjpeg-turbo decoder with the settings PIL uses (accurate integer IDCT, "fancy"
upsampling of the chroma planes), so it returns the same bytes in less time.

"The same bytes" is not taken on trust: the first use in a process decodes a set of
generated JPEGs (every chroma subsampling PIL writes, baseline and progressive, odd sizes)
both ways, and any difference switches the fast path off for the process (``status()``
says why). Only the verified kinds of file take the fast path: 3-component YCbCr JPEGs in
a verified subsampling, below PIL's decompression-bomb limit. Grayscale, CMYK, other
subsamplings and anything ``simplejpeg`` refuses go to PIL (``decode_rgb`` returns None).
"""
from __future__ import annotations

import io
import threading
from typing import Optional

import numpy as np

# PIL ``subsampling=`` value -> the name simplejpeg's header reader gives it.
_VERIFIED_KINDS = {0: "444", 1: "422", 2: "420"}

_lock = threading.Lock()
_state: Optional[dict] = None  # {"enabled": bool, "why": str}


def _sample_jpegs() -> list[bytes]:
    """Small colour JPEGs covering what the fast path accepts (PIL's encoder)."""
    from PIL import Image

    rng = np.random.default_rng(20261123)
    out = []
    for w, h in ((37, 29), (64, 48), (17, 64)):
        # Smooth gradients plus noise: both the DC and the AC paths of the IDCT matter.
        yy, xx = np.mgrid[0:h, 0:w]
        base = np.stack([xx * 255 // max(w - 1, 1), yy * 255 // max(h - 1, 1), (xx + yy) % 256], -1)
        pixels = np.clip(base + rng.integers(-40, 41, (h, w, 3)), 0, 255).astype(np.uint8)
        for subsampling in _VERIFIED_KINDS:
            for progressive in (False, True):
                buf = io.BytesIO()
                Image.fromarray(pixels).save(buf, format="JPEG", quality=87,
                                             subsampling=subsampling, progressive=progressive)
                out.append(buf.getvalue())
    return out


def _verify() -> dict:
    try:
        import simplejpeg
    except ImportError:
        return {"enabled": False, "why": "simplejpeg is not installed; PIL decodes every JPEG"}
    from PIL import Image

    for i, data in enumerate(_sample_jpegs()):
        with Image.open(io.BytesIO(data)) as im:
            want = np.asarray(im.convert("RGB"))
        got = simplejpeg.decode_jpeg(data, "RGB", fastdct=False, fastupsample=False)
        if got.shape != want.shape or not np.array_equal(got, want):
            return {"enabled": False,
                    "why": f"simplejpeg {simplejpeg.__version__} and PIL decode check image {i} "
                           "differently (different libjpeg-turbo builds?); PIL decodes every JPEG"}
    return {"enabled": True, "why": f"simplejpeg {simplejpeg.__version__} (libjpeg-turbo), "
                                    "identical to PIL on the check images"}


def status() -> dict:
    """{"enabled": bool, "why": str}; runs the check on first call (once per process)."""
    global _state
    if _state is None:
        with _lock:
            if _state is None:
                _state = _verify()
    return _state


def decode_rgb(data: bytes) -> Optional[np.ndarray]:
    """(H, W, 3) uint8 RGB as PIL's ``convert('RGB')`` gives it, or None: not a kind of
    file the fast path takes (the caller then uses PIL, which also reports bad files)."""
    if not status()["enabled"]:
        return None
    import simplejpeg
    from PIL import Image

    try:
        height, width, colorspace, subsampling = simplejpeg.decode_jpeg_header(data)
        if colorspace != "YCbCr" or subsampling not in _VERIFIED_KINDS.values():
            return None
        if Image.MAX_IMAGE_PIXELS is not None and height * width > Image.MAX_IMAGE_PIXELS:
            return None  # PIL warns or refuses (decompression bomb): let it
        # strict=False: libjpeg warnings do not stop PIL's decoder either.
        return simplejpeg.decode_jpeg(data, "RGB", fastdct=False, fastupsample=False, strict=False)
    except ValueError:
        return None  # corrupt or unsupported: PIL gives the error the guide's script would see
