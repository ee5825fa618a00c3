"""FID's image loader (TTUR semantics, no colour conversion) fails naming the file."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from harness.errors import SuiteError
from harness.metrics.fid import load_image


def test_garbage_file_is_named(tmp_path):
    p = tmp_path / "gen_0001.jpg"
    p.write_bytes(b"not an image at all")
    with pytest.raises(SuiteError, match="gen_0001.jpg"):
        load_image(p)


def test_truncated_jpeg_is_named(tmp_path):
    p = tmp_path / "cut.jpg"
    Image.fromarray(np.full((256, 128, 3), 90, np.uint8)).save(p, quality=75)
    p.write_bytes(p.read_bytes()[:-200])
    with pytest.raises(SuiteError, match="cut.jpg"):
        load_image(p)


def test_grayscale_is_refused_like_the_script_would_crash(tmp_path):
    p = tmp_path / "gray.jpg"
    Image.new("L", (64, 128), 100).save(p)
    with pytest.raises(SuiteError, match="gray.jpg.*RGB"):
        load_image(p)
