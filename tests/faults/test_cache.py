"""Cache faults with real processes: preprocessing killed half-way (SIGKILL) and re-run,
two processes building the same artifact at once, and a full disk while writing."""
from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from harness.cache import ArtifactCache, write_bytes_atomic
from harness.errors import StorageError, SuiteError
from harness.preprocess import store

CHILD = Path(__file__).with_name("cache_child.py")
N = 8


def child(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHILD), *args], capture_output=True, text=True,
                          timeout=timeout)


def expected(i: int) -> np.ndarray:
    return np.random.default_rng(i).standard_normal((64, 64, 4)).astype(np.float32)


def partial_dir(root: Path) -> Path:
    found = list((root / "bins").glob("*.partial"))
    assert len(found) == 1, found
    return found[0]


def assert_complete(result: subprocess.CompletedProcess) -> Path:
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout.strip().splitlines()[-1])
    final = Path(info["path"])
    files = sorted((final / "x").iterdir())
    assert [p.name for p in files] == sorted(f"{i}.bin" for i in range(N)), files
    for i in range(N):
        got = np.fromfile(final / "x" / f"{i}.bin", dtype=np.float32).reshape(64, 64, 4)
        assert np.array_equal(got, expected(i)), f"{i}.bin differs from a clean build"
    assert not list(final.rglob("*.tmp")), "a temporary file was published with the artifact"
    return final


def test_killed_mid_write_then_rerun_never_reuses_the_half_written_file(tmp_path):
    killed = child("preprocess", str(tmp_path), str(N), "0", "--kill-at", "4")
    assert killed.returncode == -signal.SIGKILL, (killed.returncode, killed.stderr)
    work = partial_dir(tmp_path)
    done = sorted(p.name for p in (work / "x").glob("*.bin"))
    half = list((work / "x").glob(".*.tmp"))
    assert done == ["0.bin", "1.bin", "2.bin"] and len(half) == 1  # the state a kill leaves
    assert half[0].stat().st_size == expected(3).nbytes // 2
    kept = {name: (work / "x" / name).stat().st_ino for name in done}
    final = assert_complete(child("preprocess", str(tmp_path), str(N), "0"))
    # the finished files were reused (same inodes), the rest were built
    assert {name: (final / "x" / name).stat().st_ino for name in done} == kept
    assert not list((tmp_path / "bins").glob("*.partial"))


def test_sigkill_from_outside_then_rerun_finishes_the_rest(tmp_path):
    proc = subprocess.Popen([sys.executable, str(CHILD), "preprocess", str(tmp_path), str(N), "0.15"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            parts = list((tmp_path / "bins").glob("*.partial/x/*.bin"))
            if len(parts) >= 3:
                break
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert ArtifactCache(tmp_path).lookup("bins", {"fault-test": "preprocess", "n": str(N)}) is None, \
        "a killed build was published"
    assert 3 <= len(list((tmp_path / "bins").glob("*.partial/x/*.bin"))) < N
    assert_complete(child("preprocess", str(tmp_path), str(N), "0"))


def test_two_processes_build_the_same_artifact_once(tmp_path):
    go, log = tmp_path / "go", tmp_path / "builds.log"
    racers = [subprocess.Popen([sys.executable, str(CHILD), "build", str(tmp_path / "cache"), str(go),
                                str(log), "1.0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for _ in range(2)]
    deadline = time.monotonic() + 30
    while len(list(tmp_path.glob("go.ready.*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)  # both interpreters up and waiting
    go.touch()
    results = [r.communicate(timeout=60) for r in racers]
    assert all(r.returncode == 0 for r in racers), [e for _, e in results]
    infos = [json.loads(out.strip().splitlines()[-1]) for out, _ in results]
    assert len(log.read_text().split()) == 1, "the artifact was built more than once"
    assert infos[0]["path"] == infos[1]["path"]
    assert sorted(i["built"] for i in infos) == [False, True]
    assert infos[0]["content"] == infos[1]["content"] == f"artifact built by {log.read_text().strip()}"


def _dev_full_mkstemp(real_mkstemp):
    """``tempfile.mkstemp`` whose file descriptor writes to /dev/full: every write fails
    with a real ENOSPC from the kernel, as on a full disk."""
    def mkstemp(*args, **kwargs):
        fd, path = real_mkstemp(*args, **kwargs)
        os.close(fd)
        return os.open("/dev/full", os.O_WRONLY), path
    return mkstemp


needs_dev_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")


@needs_dev_full
def test_full_disk_while_preprocessing_names_the_file_and_leaves_nothing(tmp_path, monkeypatch):
    jobs = [store.Job(str(i), (f"x/{i}.bin",), i) for i in range(3)]
    real_create = store._create

    def create_on_full_disk(tmp):  # the temporary file exists; its writes hit /dev/full
        os.close(real_create(tmp))
        return os.open("/dev/full", os.O_WRONLY)
    monkeypatch.setattr(store, "_create", create_on_full_disk)
    with pytest.raises(StorageError) as err:
        store.run_jobs(jobs, tmp_path, lambda i: [(f"x/{i}.bin", np.ones(1000, np.float32))])
    monkeypatch.undo()
    msg = str(err.value)
    assert err.value.errno == errno.ENOSPC and isinstance(err.value, OSError)
    assert f"cannot write {tmp_path / 'x' / '0.bin'}" in msg and "disk is full" in msg and "--cache-dir" in msg
    assert list((tmp_path / "x").iterdir()) == []  # no final file, no temporary file


@needs_dev_full
def test_full_disk_while_building_an_artifact_publishes_nothing(tmp_path, monkeypatch):
    cache = ArtifactCache(tmp_path)

    def build(folder: Path):
        with open("/dev/full", "wb") as full:  # the exporter writing model.onnx
            full.write(b"x" * 100_000)

    with pytest.raises(StorageError) as err:
        cache.get_or_build("onnx", {"guide": "g"}, build)
    assert "building onnx artifact" in str(err.value) and "No space left on device" in str(err.value)
    assert [p.name for p in (tmp_path / "onnx").iterdir()] == [f"{cache.key({'guide': 'g'})}.lock"]
    # the metadata write failing (disk filled up at the very end) publishes nothing either
    monkeypatch.setattr(tempfile, "mkstemp", _dev_full_mkstemp(tempfile.mkstemp))
    with pytest.raises(SuiteError, match=r"cannot write .*\.complete\.json: No space left on device"):
        cache.get_or_build("onnx", {"guide": "h"}, lambda folder: (folder / "m.onnx").touch())
    monkeypatch.undo()
    assert cache.lookup("onnx", {"guide": "h"}) is None
    assert not [p for p in (tmp_path / "onnx").iterdir() if not p.name.endswith(".lock")]


@needs_dev_full
def test_write_bytes_atomic_on_a_full_disk(tmp_path, monkeypatch):
    target = tmp_path / "result.json"
    target.write_text("old, complete content")
    monkeypatch.setattr(tempfile, "mkstemp", _dev_full_mkstemp(tempfile.mkstemp))
    with pytest.raises(StorageError, match=rf"cannot write {target}: No space left on device"):
        write_bytes_atomic(target, b"x" * 100_000)
    monkeypatch.undo()
    assert target.read_text() == "old, complete content"  # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_truncated_file_under_the_final_name_is_caught_not_used(tmp_path):
    """Only a non-atomic writer (or a disk error) leaves this; the completeness check
    names the file rather than feeding it to a model."""
    from harness.guides.base import TensorSpec

    spec = TensorSpec("image", ("B", 3, 4, 4))
    folder = tmp_path / "image"
    folder.mkdir()
    np.zeros((3, 4, 4), np.float32).tofile(folder / "a.bin")
    (folder / "b.bin").write_bytes(b"\0" * 100)
    prepared = store.Prepared(tmp_path, ["a", "b"], {"main": {"image": folder}})
    with pytest.raises(SuiteError, match=rf"{folder / 'b.bin'}: 100 bytes, expected 192 \(sample b\)"):
        store.check_complete(prepared, [spec])
