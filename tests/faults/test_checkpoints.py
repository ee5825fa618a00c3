"""Checkpoint faults: missing, empty, not a checkpoint at all, wrong checksum, truncated or
corrupt, wrong keys/shapes, and a file whose pickle would run code (refused; the code
never runs)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import torch

from harness import guides
from harness.checkpoints import CheckpointError, load_into, load_strict, plain_state_dict, safe_torch_load
from harness.guides.base import CheckpointSpec


def small_model():
    return torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(),
                               torch.nn.Linear(4, 2))


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_missing_checkpoint_names_the_path(tmp_path):
    path = tmp_path / "dpn131-7af84be88.pth"
    with pytest.raises(CheckpointError, match=f"checkpoint not found: {path}"):
        guides.get("dpn131").build_model(path)


def test_wrong_checksum_names_file_and_both_digests(tmp_path):
    path = tmp_path / "w.pth"
    torch.save(small_model().state_dict(), path)
    spec = CheckpointSpec("w.pth", md5="0" * 32)
    with pytest.raises(CheckpointError) as err:
        load_into(small_model(), path, spec)
    msg = str(err.value)
    assert str(path) in msg and md5(path) in msg and "0" * 32 in msg


def test_truncated_checkpoint_is_a_clear_error(tmp_path):
    path = tmp_path / "cut.pth"
    torch.save(small_model().state_dict(), path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(CheckpointError, match=f"checkpoint {path} is truncated or corrupt"):
        safe_torch_load(path)
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"<html>404 Not Found</html>")
    with pytest.raises(CheckpointError, match=f"{junk}"):
        plain_state_dict(junk)


def test_empty_file_says_it_is_empty(tmp_path):
    path = tmp_path / "empty.pth"
    path.touch()
    with pytest.raises(CheckpointError, match=rf"checkpoint {path} is empty \(0 bytes\)"):
        plain_state_dict(path)


@pytest.mark.parametrize("content", [bytes(range(256)) * 8, b"<html>404 Not Found</html>", b"\x80\x04K\x01.",
                                     b"version https://git-lfs.github.com/spec/v1\noid sha256:00\n"])
def test_random_bytes_are_not_a_pytorch_checkpoint(tmp_path, content):
    """Random bytes, an HTML error page, a plain pickle, a Git LFS pointer: none is what
    torch.save writes, and the message says so instead of torch's "Unsupported operand"."""
    path = tmp_path / "w.pth"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=rf"{path} is not a PyTorch checkpoint \(it starts with ") as err:
        safe_torch_load(path)
    assert "Unsupported operand" not in str(err.value) and "refused to load" not in str(err.value)


@pytest.mark.parametrize("keep", [0.5, 300, 3])
def test_truncated_zip_checkpoint_says_truncated(tmp_path, keep):
    path = tmp_path / "cut.pth"
    torch.save(small_model().state_dict(), path)
    data = path.read_bytes()
    path.write_bytes(data[:keep if isinstance(keep, int) else int(len(data) * keep)])
    with pytest.raises(CheckpointError, match=rf"checkpoint {path} is truncated or corrupt|{path} is not a PyTorch"):
        safe_torch_load(path)


def test_corrupt_bytes_inside_a_zip_checkpoint_fail_its_crc(tmp_path):
    """torch reads stored tensors without checking them: a flipped byte would load as a
    wrong weight. The archive's CRC catches it."""
    path = tmp_path / "flipped.pth"
    torch.save({"w": torch.zeros(4096)}, path)
    data = bytearray(path.read_bytes())
    data[data.index(b"\0" * 64) + 10] ^= 0xFF  # inside the tensor's bytes
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=rf"checkpoint {path} is corrupt: entry .*data/0 fails its CRC"):
        safe_torch_load(path)


def test_legacy_format_loads_and_truncated_legacy_says_truncated(tmp_path):
    import io

    buf = io.BytesIO()
    torch.save({"w": torch.arange(3.0)}, buf, _use_new_zipfile_serialization=False)
    path = tmp_path / "legacy.pth"
    path.write_bytes(buf.getvalue())
    assert torch.equal(safe_torch_load(path)["w"], torch.arange(3.0))
    for keep in (len(buf.getvalue()) - 20, 100, 6):
        path.write_bytes(buf.getvalue()[:keep])
        with pytest.raises(CheckpointError, match=rf"checkpoint {path} is truncated"):
            safe_torch_load(path)


def test_missing_unexpected_and_misshaped_keys_are_all_named(tmp_path):
    state = small_model().state_dict()
    del state["3.bias"]
    state["head.extra"] = torch.zeros(1)
    state["0.weight"] = torch.zeros(4, 3, 5, 5)
    path = tmp_path / "mismatch.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in state.items()}}, path)
    model = small_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointError) as err:
        load_into(model, path, CheckpointSpec("mismatch.pth", md5=md5(path)))
    msg = str(err.value)
    assert str(path) in msg
    assert "1 missing keys (e.g. 3.bias)" in msg and "1 unexpected keys (e.g. head.extra)" in msg
    assert "0.weight: checkpoint (4, 3, 5, 5) vs model (4, 3, 3, 3)" in msg
    # nothing was half-loaded
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_non_tensor_values_and_non_mapping_files(tmp_path):
    state = small_model().state_dict()
    state["3.weight"] = [[0.0] * 4] * 2
    with pytest.raises(CheckpointError, match=r"origin\.pth does not fit Sequential: non-tensor values for 3\.weight"):
        load_strict(small_model(), state, origin="origin.pth")
    path = tmp_path / "list.pth"
    torch.save([torch.zeros(1)], path)
    with pytest.raises(CheckpointError, match=f"{path}: expected a state_dict mapping, got list"):
        plain_state_dict(path)


class _RunsCode:
    """A pickle that would create a marker file when unpickled without weights_only."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.mkdir, (str(self.marker),))


def test_pickled_object_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "code-was-run"
    path = tmp_path / "evil.pth"
    torch.save({"fc.weight": torch.zeros(2, 2), "hook": _RunsCode(marker)}, path)
    assert not marker.exists()
    with pytest.raises(CheckpointError) as err:
        load_into(small_model(), path, CheckpointSpec("evil.pth", md5=md5(path)))
    msg = str(err.value)
    assert f"refused to load {path}" in msg and "GLOBAL posix.mkdir" in msg
    assert "weights_only=False" not in msg  # never advise the unsafe load
    assert not marker.exists(), "unpickling ran code from the checkpoint"
