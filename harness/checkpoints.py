"""Loading upstream checkpoints safely and strictly.

* Never unpickle arbitrary objects: ``torch.load(..., weights_only=True)``; a file that
  needs anything beyond tensors and plain containers is refused with a message naming it.
* Verify the guide's checksum before use (md5 where the guide publishes md5).
* Load strictly: missing keys, unexpected keys and shape mismatches are all reported at
  once, by name, instead of the silent partial loads some upstream scripts do.
"""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Mapping, Optional

from harness.hashing import file_digest
from harness.errors import SuiteError


log = logging.getLogger(__name__)


class CheckpointError(SuiteError):
    """A checkpoint is missing, corrupt, unsafe, or does not fit the model."""


VERIFIED = "verified"
NOT_PUBLISHED = "not published"
UNVERIFIED = "unverified"  # a mismatch accepted explicitly (a rehearsal's own weights)


def verify_checksum(path: Path, md5: Optional[str] = None, sha256: Optional[str] = None,
                    accept_unverified: bool = False) -> str:
    """Check ``path`` against the guide's checksums; return how it stands: ``VERIFIED``,
    ``NOT_PUBLISHED`` (the guide gives none), or - only when ``accept_unverified`` - an
    ``UNVERIFIED`` line naming the mismatch, which the caller must record. Without
    ``accept_unverified`` a mismatch raises."""
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    status = NOT_PUBLISHED
    for algo, expected in (("md5", md5), ("sha256", sha256)):
        if expected:
            actual = file_digest(path, algo)
            if actual.lower() != expected.lower():
                mismatch = f"checkpoint {path} has {algo} {actual}, the guide publishes {expected}"
                if not accept_unverified:
                    raise CheckpointError(f"{mismatch}: wrong or corrupted file (re-download it)")
                log.warning("%s: used UNVERIFIED, as asked", mismatch)
                return f"{UNVERIFIED}: {algo} {actual}, the guide publishes {expected}"
            log.info("checkpoint %s: %s %s matches the guide", path, algo, actual)
            status = VERIFIED
    if status == NOT_PUBLISHED:
        log.info("checkpoint %s: the guide publishes no checksum, not verified", path)
    return status


def safe_torch_load(path: Path) -> Any:
    """``torch.load`` that only accepts tensors and plain containers."""
    import pickle

    import torch

    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    check_container(path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            f"refused to load {path}: it contains pickled objects that are not plain "
            f"tensors/containers (weights_only=True rejected it; nothing in it was run): "
            f"{_unpickling_reason(exc)}"
        ) from None
    except (EOFError, RuntimeError) as exc:
        # The legacy format ending inside its pickles (EOFError) or its tensor bytes
        # (RuntimeError "unexpected EOF ...").
        if isinstance(exc, EOFError) or "unexpected EOF" in str(exc):
            raise CheckpointError(f"checkpoint {path} is truncated (the file ends inside its "
                                  "data) - fetch it again") from None
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}") from None
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}") from None


# What ``torch.save`` writes: a zip archive (since torch 1.6), or the legacy format, which
# starts with the pickled magic number 0x1950a86a20f9469cfc6c (protocol 2, LONG1 of 10 bytes).
_ZIP_MAGIC = b"PK\x03\x04"
_LEGACY_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"


def check_container(path: Path) -> None:
    """Say what is wrong with a file that is not a readable ``torch.save`` file before
    torch does (its messages for these are an empty string, "Unsupported operand 60" or a
    miniz internal error): empty, not a PyTorch checkpoint at all, or a truncated/corrupt
    zip archive. The zip's CRCs are checked too: torch reads stored tensors unchecked, so
    a flipped byte would otherwise become a wrong weight."""
    import zipfile

    size = path.stat().st_size
    if size == 0:
        raise CheckpointError(f"checkpoint {path} is empty (0 bytes): the download or copy did "
                              "not complete - fetch it again")
    with open(path, "rb") as f:
        head = f.read(len(_LEGACY_MAGIC))
    if head.startswith(_ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise CheckpointError(f"checkpoint {path} is truncated or corrupt ({size} bytes, a zip "
                                  f"archive that cannot be read: {exc}) - fetch it again") from None
        if bad is not None:
            raise CheckpointError(f"checkpoint {path} is corrupt: entry {bad} fails its CRC check "
                                  "- fetch it again")
    elif len(head) < len(_LEGACY_MAGIC) and _LEGACY_MAGIC.startswith(head):
        raise CheckpointError(f"checkpoint {path} is truncated ({size} bytes, inside the legacy "
                              "format's header) - fetch it again")
    elif not head.startswith(_LEGACY_MAGIC) and not _is_tar(path):  # tar: torch < 0.4's format
        raise CheckpointError(f"{path} is not a PyTorch checkpoint (it starts with {head[:8]!r}; "
                              "torch.save writes a zip archive or a pickle with torch's magic "
                              "number) - is it an error page or another file saved under this name?")


def _is_tar(path: Path) -> bool:
    import tarfile

    try:
        return tarfile.is_tarfile(path)
    except OSError:
        return False


def _unpickling_reason(exc: Exception) -> str:
    """The part of torch's message that names the refused global (not its advice to
    re-run with weights_only=False, which is exactly what must not be done)."""
    import re

    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for line in lines:
        if "GLOBAL" in line or "nsupported" in line:
            line = re.sub(r"^.*?(WeightsUnpickler error: )", "", line)
            return re.split(r" was not an allowed| Please use|\. Please", line)[0].strip()
    return "the weights-only unpickler refused it"


def plain_state_dict(path: Path) -> Mapping[str, Any]:
    """A file that is a state_dict, or a dict holding one under ``state_dict``."""
    obj = safe_torch_load(path)
    if isinstance(obj, Mapping) and "state_dict" in obj and isinstance(obj["state_dict"], Mapping):
        obj = obj["state_dict"]
    if not isinstance(obj, Mapping):
        raise CheckpointError(f"{path}: expected a state_dict mapping, got {type(obj).__name__}")
    return strip_prefix(obj, "module.")


def strip_prefix(state: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """``state`` without ``prefix`` on every key (a DataParallel save), keeping the state
    dict's ``_metadata`` (per-module versions, which some modules' loading reads:
    torchvision's MNASNet refuses a state dict without them)."""
    if state and all(k.startswith(prefix) for k in state):
        return with_metadata({k[len(prefix):]: v for k, v in state.items()}, state, prefix)
    return with_metadata(dict(state), state)


def with_metadata(new: Mapping[str, Any], old: Mapping[str, Any], prefix: str = ""):
    """``new`` as an OrderedDict carrying ``old``'s ``_metadata`` (module names without
    ``prefix``), as ``Module.state_dict`` returns it and ``load_state_dict`` reads it."""
    from collections import OrderedDict

    def unprefixed(module: str) -> str:  # "module" -> "", "module.layers" -> "layers"
        if not prefix:
            return module
        if module == prefix.rstrip("."):
            return ""
        return module[len(prefix):] if module.startswith(prefix) else module

    result = OrderedDict(new)
    meta = getattr(old, "_metadata", None)
    if meta is not None:
        result._metadata = OrderedDict((unprefixed(k), v) for k, v in meta.items())
    return result


def load_strict(model, state: Mapping[str, Any], origin: str,
                optional_keys: tuple[str, ...] = ("num_batches_tracked",)) -> None:
    """Load ``state`` into ``model``; report every missing/unexpected/mis-shaped key.

    Keys ending in one of ``optional_keys`` may be absent (old BatchNorm state dicts).
    """
    import torch

    own = model.state_dict()
    missing = [k for k in own if k not in state and not k.endswith(optional_keys)]
    unexpected = [k for k in state if k not in own]
    shapes = [
        f"{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}"
        for k, v in state.items()
        if k in own and isinstance(v, torch.Tensor) and tuple(v.shape) != tuple(own[k].shape)
    ]
    not_tensors = [k for k, v in state.items() if k in own and not isinstance(v, torch.Tensor)]
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing keys (e.g. {', '.join(missing[:5])})")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected keys (e.g. {', '.join(unexpected[:5])})")
    if shapes:
        problems.append(f"{len(shapes)} shape mismatches ({'; '.join(shapes[:3])})")
    if not_tensors:
        problems.append(f"non-tensor values for {', '.join(not_tensors[:5])}")
    if problems:
        raise CheckpointError(f"{origin} does not fit {type(model).__name__}: " + "; ".join(problems))
    model.load_state_dict(with_metadata(state, state), strict=False)


def load_into(model, path: Path, spec, accept_unverified: bool = False) -> str:
    """Verify ``path`` against the guide's checkpoint spec, then load it strictly; return
    the checksum status (``verify_checksum``)."""
    status = verify_checksum(path, spec.md5, spec.sha256, accept_unverified)
    loader = spec.loader or plain_state_dict
    state = loader(path)
    fit = getattr(spec, "fit_model", None)
    if fit is not None:
        fit(model, state)
    load_strict(model, state, origin=str(path))
    return status


def state_dict_digest(model) -> str:
    """A content hash of a model's weights (keys, shapes, dtypes and bytes)."""
    import torch

    h = hashlib.blake2b(digest_size=16)
    for k, v in sorted(model.state_dict().items()):
        t = v.detach().cpu().contiguous()
        h.update(f"{k}:{tuple(t.shape)}:{t.dtype};".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()
