"""The double's ``.om`` format (shared by the atc and ais_bench doubles): a magic line and
one JSON object describing the compile, referring to the ONNX by absolute path, size and
mtime (a copy of a 300 MB ONNX per batch size would only waste disk)."""
from __future__ import annotations

import json
import os

MAGIC = b"ATC-DOUBLE-OM/1\n"


class OmError(ValueError):
    pass


def write_om(path: str, meta: dict) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(MAGIC + json.dumps(meta, sort_keys=True).encode() + b"\n")
    os.replace(tmp, path)


def read_om(path: str) -> dict:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise OmError(f"cannot read {path}: {exc.strerror}") from None
    if not data.startswith(MAGIC):
        raise OmError(f"{path} is not an om written by the atc double")
    try:
        meta = json.loads(data[len(MAGIC):])
    except ValueError:
        raise OmError(f"{path}: corrupt om header") from None
    onnx = meta.get("onnx", "")
    try:
        st = os.stat(onnx)
    except OSError:
        raise OmError(f"{path}: its model {onnx} is gone") from None
    if st.st_size != meta.get("onnx_size") or st.st_mtime_ns != meta.get("onnx_mtime_ns"):
        raise OmError(f"{path}: its model {onnx} changed after compilation")
    return meta
