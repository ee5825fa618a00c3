"""Logs where CI can see them: tool command lines, cache hits and misses, checkpoint and
dataset checksums go through ``logging`` (pytest's --log-level / --log-file apply)."""
from __future__ import annotations

import logging
import sys

from harness.ascend.proc import run_tool
from harness.cache import ArtifactCache
from harness.checkpoints import verify_checksum


def test_tool_command_line_and_exit_logged(caplog):
    with caplog.at_level(logging.INFO, logger="harness"):
        run_tool([sys.executable, "-c", "print('hi')"], timeout_s=30)
    text = caplog.text
    assert "run: " in text and "print(" in text and "exit 0 after" in text


def test_cache_miss_then_hit_logged(tmp_path, caplog):
    cache = ArtifactCache(tmp_path / "cache")
    with caplog.at_level(logging.INFO, logger="harness"):
        cache.get_or_build("demo", {"n": 1}, lambda d: (d / "x").write_text("1") and None)
        cache.get_or_build("demo", {"n": 1}, lambda d: (d / "x").write_text("1") and None)
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("cache miss: demo") for m in messages), messages
    assert any(m.startswith("built demo") for m in messages), messages
    assert any(m.startswith("cache hit: demo") for m in messages), messages


def test_checkpoint_checksum_logged(tmp_path, caplog):
    import hashlib

    ckpt = tmp_path / "w.pth"
    ckpt.write_bytes(b"weights")
    with caplog.at_level(logging.INFO, logger="harness"):
        verify_checksum(ckpt, md5=hashlib.md5(b"weights").hexdigest())
        verify_checksum(ckpt)
    assert "md5 " + hashlib.md5(b"weights").hexdigest() + " matches the guide" in caplog.text
    assert "publishes no checksum, not verified" in caplog.text
