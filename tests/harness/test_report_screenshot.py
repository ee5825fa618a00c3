"""The HTML report rendered by a real browser (headless Chromium), checked as pixels.

Not a golden-image diff (fonts differ between machines): the screenshot must exist, have
the window's size, not be blank, and show the report's colour coding - the red gate badge
and failed cells, the amber inconclusive cells, the green passes - which only appear when
the inline CSS and the table rendered. CI installs Debian's ``chromium`` (.ci/run).
"""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from harness.ascend.errors import ToolError
from harness.ascend.proc import run_tool
from harness.report import build, html
from tests.harness.report_fixtures import planted_runs

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
WIDTH, HEIGHT = 1280, 2000


def _browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no headless browser: install Debian's chromium (apt-get install -y chromium; "
                ".ci/run does this) to render the HTML report")


def screenshot(browser: str, page, png, profile, timeout: float = 120.0) -> None:
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", f"--screenshot={png}", f"--window-size={WIDTH},{HEIGHT}",
           page.as_uri()]
    try:  # the suite's own runner: its own process group, killed whole on a timeout
        result = run_tool(cmd, timeout_s=timeout, check=False)
    except ToolError as exc:
        pytest.fail(str(exc))
    if result.returncode != 0 or not png.exists():
        errors = [l for l in result.output.splitlines() if "ERROR" in l and "dbus" not in l][-10:]
        pytest.fail(f"{' '.join(cmd)} exited {result.returncode}, no screenshot; {errors}")


def _share(pixels: np.ndarray, rgb, tol: int = 12) -> float:
    return float(np.all(np.abs(pixels.astype(int) - np.array(rgb)) <= tol, axis=-1).mean())


def test_report_renders_in_headless_chromium(tmp_path):
    from PIL import Image

    browser = _browser()
    current, baseline = planted_runs()
    page = html.write(build(current, baseline), tmp_path / "report.html")
    png = tmp_path / "report.png"
    screenshot(browser, page, png, tmp_path / "profile")
    image = np.asarray(Image.open(png).convert("RGB"))
    assert image.shape == (HEIGHT, WIDTH, 3)
    assert image.std() > 20, "screenshot is blank"
    assert _share(image, (198, 40, 40)) > 1e-4, "red gate badge not rendered"  # .badge.fail
    assert _share(image, (246, 201, 201)) > 1e-3, "failed cells not rendered"  # td.fail
    assert _share(image, (251, 231, 176)) > 5e-4, "inconclusive cells not rendered"  # td.inconclusive
    assert _share(image, (216, 240, 216)) > 1e-3, "passed cells not rendered"  # td.pass
    top = image[:HEIGHT // 2]
    assert top.std() > image[-200:].std(), "content should sit at the top of the page"
