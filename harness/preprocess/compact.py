"""A compact cache of preprocessed inputs: the 8-bit pixels every float32 sample is a fixed
function of, kept once and expanded at feed time by the pipeline's own operations.

Each guide's float32 ``.bin`` files follow from uint8 arrays by a per-byte lookup and a few
exact copies (ImageNet and re-id crops: normalisation; TransPose: normalisation and a flip;
DG-Net: normalisation and a channel mean). A pipeline module that offers this *compact
form* defines, beside its work function ``_work(payload)``:

* ``compact(payload) -> {name: uint8 array}`` (decode, resize, crop: the costly part), and
* ``expand(payload, arrays) -> [(relative .bin path, float32 array)]``,

with ``_work(payload) = expand(payload, compact(payload))``. The files and this cache
therefore share the very same operations: the arrays expanded from the cache are the
files' bytes by construction (and ``tests/harness/test_compact.py`` compares them).

One ``.npz`` per job (uncompressed, written atomically), named after the job's first
file (``image/<id>.bin`` -> ``image/<id>.npz``): about a quarter of the float32 bytes or less.
Reading checks what a file promises: a truncated or damaged file fails zip's own checks
(its central directory, every member's CRC-32), every array must be uint8, and a key the
pipeline asks for must be there; each failure names the file and the sample.

``from_compact`` turns a pipeline's ``JobPlan`` (``harness.preprocess.stream.plan``) into
one whose jobs read their compact file and expand it, so a ``SampleStream`` feeds a model
from the cache unchanged, in worker processes too.
"""
from __future__ import annotations

import io
import logging
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Mapping, Optional, Sequence

import numpy as np

from harness.errors import PreprocessError
from harness.preprocess import store
from harness.preprocess.store import Job, JobPlan, run_jobs, save_array_atomic

log = logging.getLogger(__name__)

# Change when what a compact file holds changes (its container, or any pipeline's
# ``compact``): part of the cache key, so an older cache is never expanded.
FORMAT_VERSION = "1"
SUFFIX = ".npz"


@dataclass(frozen=True)
class CompactForm:
    compact: Callable[..., Mapping[str, np.ndarray]]
    expand: Callable[..., list]


def form_of(work) -> Optional[CompactForm]:
    """The compact form of the pipeline module whose work function is ``work``, or None
    when it has none (``work`` must be that module's own module-level function)."""
    module = sys.modules.get(getattr(work, "__module__", ""))
    if module is None or getattr(module, getattr(work, "__name__", ""), None) is not work:
        return None
    compact, expand = getattr(module, "compact", None), getattr(module, "expand", None)
    return CompactForm(compact, expand) if callable(compact) and callable(expand) else None


def has_compact_form(plans: Sequence[JobPlan]) -> bool:
    return bool(plans) and all(form_of(p.work) is not None for p in plans)


def compact_name(job: Job) -> str:
    """The job's compact file, relative to the cache folder: unique, because every file is
    written by exactly one job."""
    first = job.files[0]
    return (first[:-4] if first.endswith(".bin") else first) + SUFFIX


def job_count(plans: Sequence[JobPlan]) -> int:
    return sum(len(p.jobs) for p in plans)


# -- the cached folder --------------------------------------------------------------------------
def cached(cache, key: dict, plans: Sequence[JobPlan], name: str, workers: int = 0) -> Optional[Path]:
    """The compact folder of ``plans`` in the ``ArtifactCache`` (kind "compact"), keyed by
    ``key`` (what decides the preprocessed bytes) and ``FORMAT_VERSION``: built once under
    the cache's lock, resumable, its files checked on reuse. None, logged, when a plan's
    pipeline has no compact form."""
    if not has_compact_form(plans):
        log.info("%s: pipeline has no compact form; streaming from preprocessing", name)
        return None

    def fill(folder: Path) -> dict:
        from harness.progress import progress_bar

        with progress_bar(job_count(plans), f"{name}: compact preprocessing") as tick:
            build(plans, folder, workers=workers, progress=tick)
        return {"jobs": job_count(plans)}
    return cache.get_or_build("compact", {**key, "compact": FORMAT_VERSION}, fill, resumable=True,
                              validate=lambda path, _: check_complete(plans, path)).path


# -- writing ------------------------------------------------------------------------------------
def build(plans: Sequence[JobPlan], folder: Path, workers: int = 0, progress=None) -> None:
    """Write the compact file of every job not yet written (resumable: a file exists only
    once complete); ``progress`` counts jobs."""
    for p in plans:
        form = _form(p)
        jobs = [Job(j.sample_id, (compact_name(j),), (form.compact, j.payload)) for j in p.jobs]
        run_jobs(jobs, folder, _compact_work, workers=workers, progress=progress,
                 preload=(p.work.__module__, *p.preload), save=_save_compact)


def _form(p: JobPlan) -> CompactForm:
    form = form_of(p.work)
    if form is None:
        raise PreprocessError(f"{p.work.__module__}.{p.work.__name__} has no compact form "
                              "(compact/expand beside it)")
    return form


def _compact_work(payload) -> list[tuple[str, np.ndarray]]:
    compact, inner = payload
    return list(compact(inner).items())


def _save_compact(out_root: Path, job: Job, result: list[tuple[str, np.ndarray]]) -> None:
    """One job's named uint8 arrays as one ``.npz``, written atomically."""
    if not result:
        raise PreprocessError(f"compact form of sample {job.sample_id} produced no arrays")
    for name, array in result:
        if not isinstance(array, np.ndarray) or array.dtype != np.uint8 or not array.size:
            raise PreprocessError(f"sample {job.sample_id}: compact array {name!r} is "
                                  f"{getattr(array, 'dtype', type(array).__name__)} "
                                  f"{getattr(array, 'shape', '')}, expected non-empty uint8")
    buffer = io.BytesIO()
    np.savez(buffer, **dict(result))
    save_array_atomic(out_root / job.files[0], np.frombuffer(buffer.getbuffer(), dtype=np.uint8))


# -- reading ------------------------------------------------------------------------------------
class CompactArrays(Mapping):
    """A job's arrays as read from its file; asking for a key the file lacks is an error
    naming the file and the sample (the cache predates the pipeline's compact form)."""

    def __init__(self, path: Path, sample_id: str, arrays: dict[str, np.ndarray]):
        self.path, self.sample_id, self._arrays = path, sample_id, arrays

    def __getitem__(self, key: str) -> np.ndarray:
        try:
            return self._arrays[key]
        except KeyError:
            raise PreprocessError(f"{self.path}: compact file of sample {self.sample_id} holds "
                                  f"{sorted(self._arrays)}, not {key!r} (built by another suite "
                                  "version? delete it to rebuild)") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)


def read_compact(path: Path, sample_id: str) -> CompactArrays:
    """A job's uint8 arrays; a missing, truncated or damaged file, or one holding anything
    but uint8 arrays, is a ``PreprocessError`` naming it and the sample."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise PreprocessError(f"compact file missing: {path} (sample {sample_id})") from None
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise PreprocessError(f"{path}: compact file of sample {sample_id} is truncated or damaged "
                              f"({type(exc).__name__}: {exc}); delete it to rebuild") from None
    if not arrays:
        raise PreprocessError(f"{path}: compact file of sample {sample_id} holds no arrays")
    for name, array in arrays.items():
        if array.dtype != np.uint8:
            raise PreprocessError(f"{path}: compact array {name!r} of sample {sample_id} is "
                                  f"{array.dtype}, expected uint8")
    return CompactArrays(path, sample_id, arrays)


def from_compact(plans: Sequence[JobPlan], folder: Path) -> list[JobPlan]:
    """The same jobs (same files, same layout), each reading its compact file from
    ``folder`` and expanding it with its pipeline's ``expand``."""
    folder = Path(folder)
    out = []
    for p in plans:
        expand = _form(p).expand
        jobs = tuple(Job(j.sample_id, j.files,
                         (str(folder / compact_name(j)), j.sample_id, expand, j.payload)) for j in p.jobs)
        out.append(JobPlan(jobs, p.out_root, expand_compact, (p.work.__module__, *p.preload)))
    return out


def expand_compact(payload) -> list[tuple[str, np.ndarray]]:
    """A transformed job's work (module-level, so worker processes can run it)."""
    path, sample_id, expand, inner = payload
    return expand(inner, read_compact(Path(path), sample_id))


def check_complete(plans: Sequence[JobPlan], folder: Path) -> None:
    """Every job's compact file exists in ``folder`` (their sizes are the cache manifest's
    to check, their contents the reader's)."""
    compact_jobs = [Job(j.sample_id, (compact_name(j),), None) for p in plans for j in p.jobs]
    if not compact_jobs:
        raise PreprocessError(f"no compact files expected in {folder}: zero samples")
    missing = store._pending(compact_jobs, Path(folder))
    if missing:
        raise PreprocessError(f"compact file missing: {Path(folder) / missing[0].files[0]} "
                              f"(sample {missing[0].sample_id}; {len(missing)} missing in all)")
