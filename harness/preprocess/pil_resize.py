"""PIL resizing in the pass order of the Pillow releases the guides pinned.

The guides' requirement files pin Pillow 7.2.0 and 8.4.0; every Pillow up to 12.x resamples
an image in two 1-D passes, always the width first (into an 8-bit intermediate, rounded and
clipped), then the height. Pillow 13.0 runs the height first when the height shrinks by more
than twice as many pixels as the width; the intermediate rounding then differs and so do
some output bytes (tall crops resized to 256x128, portrait images more than twice as high as
wide). ``resize`` runs the two passes as two one-axis calls: a one-axis resize has no order
to choose, so the result is the old order's under any Pillow. The suite pins Pillow 12.3,
where the one-call resize is identical (``tests/harness/test_pil_resize.py`` checks both
against a NumPy restatement of the 7.2-12.x resampling).

It also lets a caller crop between the passes: columns are independent in the height pass,
so resizing the width, keeping some columns, then resizing the height gives exactly those
columns of the full resize (``harness.preprocess.imagenet.resize_and_crop``).
"""
from __future__ import annotations


def resize_width(img, width: int, resample):
    return img if img.size[0] == width else img.resize((width, img.size[1]), resample)


def resize_height(img, height: int, resample):
    return img if img.size[1] == height else img.resize((img.size[0], height), resample)


def resize(img, size: tuple[int, int], resample):
    """``img.resize(size, resample)`` as Pillow 7.2-12.x computes it: width pass, then height."""
    return resize_height(resize_width(img, size[0], resample), size[1], resample)
