"""Writing preprocessed samples: one headerless float32 ``.bin`` per sample and input set,
each written atomically, so the folder can be fed to ``ais_bench`` as it is and a killed
run can resume without ever reusing a half-written file.

A preprocessing function turns one job into ``[(relative path, array), ...]``; jobs whose
files all exist already are skipped (a file only exists once it is complete).
"""
from __future__ import annotations

import contextlib
import contextvars
import os
import stat
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from harness.cpu import available_cores
from harness.errors import PreprocessError, StorageError, SuiteError, describe_os_error


@dataclass(frozen=True)
class Job:
    sample_id: str
    files: tuple[str, ...]  # relative paths this job writes
    payload: Any  # what the worker function needs (e.g. an image path and a box)


@dataclass(frozen=True)
class JobPlan:
    """What one ``run_jobs`` call would run: its jobs, folder, work function and the modules
    its workers preload (recorded under ``planning()``)."""

    jobs: tuple[Job, ...]
    out_root: Path
    work: Callable[[Any], Iterable[tuple[str, np.ndarray]]]
    preload: tuple[str, ...] = ()


_PLANNING: "contextvars.ContextVar[list | None]" = contextvars.ContextVar("preprocess_planning", default=None)


@contextlib.contextmanager
def planning():
    """Within it, ``run_jobs`` records its ``JobPlan`` into the yielded list instead of
    running: a pipeline's ``preprocess`` then returns its ``Prepared`` layout (sample order,
    sets, folders) with nothing written."""
    plans: list[JobPlan] = []
    token = _PLANNING.set(plans)
    try:
        yield plans
    finally:
        _PLANNING.reset(token)


@dataclass
class Prepared:
    """The result of a guide's preprocessing: sample order and where each input set lives.

    ``input_sets`` maps a set name ("main", "flip", ...) to {model input name: folder}.
    Most guides have one set; TransPose runs the model twice (original and flipped).
    """

    root: Path
    sample_ids: list[str]
    input_sets: dict[str, dict[str, Path]]
    meta: dict = field(default_factory=dict)
    # Sets holding different samples (re-id: query and gallery): {set: [file ids]}. Then
    # ``sample_ids`` are "<set>/<file id>" and each set's folder holds "<file id>.bin".
    # Empty (the default): every set holds every sample of ``sample_ids``.
    set_ids: dict[str, list[str]] = field(default_factory=dict)

    def set(self, name: str = "main") -> dict[str, Path]:
        return self.input_sets[name]

    def ids_of(self, set_name: str) -> list[str]:
        """File ids (``<id>.bin``) of one input set, in run order."""
        return self.set_ids.get(set_name, self.sample_ids) if self.set_ids else self.sample_ids

    def file_id(self, set_name: str, sample_id: str) -> str:
        """The file id of ``sample_id`` within ``set_name`` ("query/0005" -> "0005")."""
        prefix = f"{set_name}/"
        if self.set_ids and sample_id.startswith(prefix):
            return sample_id[len(prefix):]
        return sample_id


# Libraries whose versions decide the bytes of a preprocessed sample (decoders, resamplers,
# normalisation, DG-Net's seeded torch.randperm pairing): part of the cache key, so bins
# made under another Pillow or OpenCV are never reused (Pillow 13 changed resize's output).
BYTE_DECIDING_DISTRIBUTIONS = ("pillow", "opencv-python-headless", "opencv-python", "simplejpeg",
                               "numpy", "torch")


@lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    """{distribution: version} of the installed ``BYTE_DECIDING_DISTRIBUTIONS`` (read once
    per process: the metadata scan takes tens of milliseconds)."""
    from importlib import metadata

    found = {}
    for name in BYTE_DECIDING_DISTRIBUTIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def save_array_atomic(path: Path, array: np.ndarray) -> None:
    """Write the bytes ``tofile`` writes, under a temporary name renamed into place, so a
    file that exists is complete. The temporary name is unique per process and thread
    (two writers never share one; a leftover of a killed run is simply overwritten)."""
    tmp = path.parent / f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    data = np.ascontiguousarray(array).reshape(-1).view(np.uint8)
    try:
        try:
            fd = _create(tmp)
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = _create(tmp)
        try:
            view = memoryview(data)
            while view:  # os.write may write less than asked (a full disk raises ENOSPC)
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)  # never leave a partial file behind, not even under a temp name
        except OSError:
            pass
        if isinstance(exc, OSError) and not isinstance(exc, SuiteError):
            raise StorageError(exc.errno, describe_os_error(exc, path)) from None
        raise


def _create(tmp: Path) -> int:
    return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)


WORKERS_AUTO = -1  # ``--workers auto``: every available core, when there is enough work
AUTO_MIN_PENDING = 64  # below this many pending samples, pool start-up costs more than it saves


def resolve_workers(workers: int | None, pending: int) -> int:
    """How many workers to start (0 = in-process) for ``pending`` samples.

    ``WORKERS_AUTO`` (negative) means one worker per available core, but only for at least
    ``AUTO_MIN_PENDING`` samples: the suite's small synthetic sets run faster in-process.
    One worker is the same as in-process.
    """
    if not workers:
        return 0
    if workers < 0:
        cores = available_cores()
        return cores if cores > 1 and pending >= AUTO_MIN_PENDING else 0
    return workers if workers > 1 and pending > 1 else 0


def run_jobs(jobs: Sequence[Job], out_root: Path,
             work: Callable[[Any], Iterable[tuple[str, np.ndarray]]],
             workers: int = 0, progress: Callable[[int], None] | None = None,
             threads: bool = False, preload: Sequence[str] = (), save=None) -> list[str]:
    """Run every job not yet done; return all sample ids in job order.

    ``work(payload)`` returns (relative path, array) pairs; it must be a module-level
    function when ``workers`` > 0 (it runs in worker processes). Each worker validates and
    writes its own files (atomically), so arrays are never pickled back to this process.
    Processes are the default: decoding, resizing and writing a small image is only a
    millisecond or two, and the Python between those calls holds the GIL long enough that
    threads scale poorly (measured on two cores: threads 1.1x, processes up to 2.0x). ``preload`` names
    modules each worker imports before its first job (e.g. "PIL.Image", "cv2"), once in
    the fork server instead of once per worker. ``threads=True`` uses threads instead.
    ``save(out_root, job, result)`` writes a job's result (default: validated float32
    ``.bin`` files; ``harness.preprocess.compact`` writes 8-bit arrays); module-level too.
    The first failing sample stops the run with an error naming it.

    Under ``planning()`` nothing runs: the jobs and the work function are recorded for a
    stream (``harness.preprocess.stream``), which feeds the arrays to a model instead of
    writing them.
    """
    plan = _PLANNING.get()
    if plan is not None:
        plan.append(JobPlan(tuple(jobs), Path(out_root), work, tuple(preload)))
        return [j.sample_id for j in jobs]
    out_root = Path(out_root)
    pending = _pending(jobs, out_root)
    if progress is not None and len(jobs) > len(pending):
        progress(len(jobs) - len(pending))
    tick = progress if progress is not None else (lambda n=1: None)
    save = save or _store
    n = resolve_workers(workers, len(pending))
    if n == 0:
        for job in pending:
            _run_one(work, out_root, job, save)
            tick(1)
    elif threads:
        from concurrent.futures import ThreadPoolExecutor

        _drain(ThreadPoolExecutor(max_workers=n),
               [(_run_chunk, (work, out_root, [job], save)) for job in pending], tick)
    else:
        size = max(1, min(32, len(pending) // (n * 8)))
        chunks = [pending[i:i + size] for i in range(0, len(pending), size)]
        _drain(process_pool(n, [work.__module__, *preload]),
               [(_run_chunk, (work, out_root, chunk, save)) for chunk in chunks], tick)
    return [j.sample_id for j in jobs]


def process_pool(workers: int, preload: Sequence[str]):
    """A pool of ``workers`` preprocessing processes. forkserver: safe although this process
    runs threads (ONNX Runtime, torch); ``preload`` (the work function's module and the
    decoders) is imported once in the fork server, so each worker starts in milliseconds.
    Each worker uses one OpenCV thread and exits with this process (``_start_worker``)."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(list(dict.fromkeys(preload)))
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_start_worker,
                               initargs=(os.getpid(),))


def _start_worker(owner_pid: int) -> None:
    """Worker start-up: one OpenCV thread, and a watch on the process that owns the pool."""
    _one_thread_each()
    _exit_with_owner(owner_pid)


def _one_thread_each() -> None:
    """The pool already runs one process per core, so OpenCV's own thread pool (it splits
    even small images across threads) would only oversubscribe the cores."""
    cv2 = sys.modules.get("cv2")
    if cv2 is not None:
        cv2.setNumThreads(1)


OWNER_POLL_S = 0.5


def _exit_with_owner(owner_pid: int) -> None:
    """End this worker within ``OWNER_POLL_S`` of the pool's owner dying (``kill -9`` of
    pytest). Nothing else would: a pool worker waits on a queue whose write end it holds
    itself, so it never sees end-of-file. Workers are children of the fork server, which
    exits when the owner does, so a changed parent is the first sign; the owner's pid
    disappearing is the second (should the fork server outlive it)."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(OWNER_POLL_S)
            if os.getppid() != parent or not _alive(owner_pid):
                os._exit(1)  # mid-write files are temporaries the next run removes

    threading.Thread(target=watch, name="owner-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else (the pid was reused)
        return False
    return True


def _pending(jobs: Sequence[Job], out_root: Path) -> list[Job]:
    """Jobs with a file not yet written: one directory listing per folder, not a stat per
    file (a file exists only once complete, so its name is enough; ``check_complete``
    checks the sizes afterwards)."""
    listed: dict[str, set[str]] = {}
    root = os.fspath(out_root)

    def exists(rel: str) -> bool:
        folder, _, name = rel.rpartition("/")
        names = listed.get(folder)
        if names is None:
            try:
                names = listed[folder] = set(os.listdir(os.path.join(root, folder)))
            except (FileNotFoundError, NotADirectoryError):
                names = listed[folder] = set()
        return name in names
    return [j for j in jobs if not all(exists(f) for f in j.files)]


def _drain(pool, tasks, tick) -> None:
    """Submit every task, tick as each finishes in order; stop everything on a failure."""
    with pool:
        futures = [pool.submit(fn, *args) for fn, args in tasks]
        try:
            for future in futures:
                tick(future.result())
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _run_chunk(work, out_root: Path, jobs: Sequence[Job], save=None) -> int:
    for job in jobs:
        _run_one(work, out_root, job, save)
    return len(jobs)


def _run_one(work, out_root: Path, job: Job, save=None) -> None:
    (save or _store)(out_root, job, _call((work, job)))


def _call(args):
    """Run one job; any failure becomes a ``PreprocessError`` naming the sample."""
    work, job = args
    try:
        return list(work(job.payload))
    except SuiteError as exc:  # already names its file; add the sample
        raise PreprocessError(f"preprocessing sample {job.sample_id} failed: {exc}") from None
    except Exception as exc:
        raise PreprocessError(f"preprocessing sample {job.sample_id} failed: "
                              f"{type(exc).__name__}: {exc}") from exc


def _store(out_root: Path, job: Job, result: list[tuple[str, np.ndarray]]) -> None:
    for rel, array in validated(job, result):
        save_array_atomic(out_root / rel, array)


def validated(job: Job, result: list[tuple[str, np.ndarray]]) -> list[tuple[str, np.ndarray]]:
    """A job's arrays, checked as a file would be before it is written (or streamed): exactly
    the job's files, float32, finite."""
    produced = {rel for rel, _ in result}
    if produced != set(job.files):
        raise PreprocessError(f"preprocessing of sample {job.sample_id} produced {sorted(produced)}, "
                           f"expected {sorted(job.files)}")
    for rel, array in result:
        if array.dtype != np.float32:
            raise PreprocessError(f"sample {job.sample_id}: {rel} is {array.dtype}, expected float32")
        # One NaN makes the minimum NaN, an Inf the maximum or minimum infinite: two SIMD
        # reductions instead of a boolean array the size of the sample.
        if array.size and not (np.isfinite(array.min()) and np.isfinite(array.max())):
            raise PreprocessError(f"sample {job.sample_id}: {rel} contains NaN/Inf")
    return result


def run_job(work, job: Job) -> list[tuple[str, np.ndarray]]:
    """One job's validated arrays, in this process (what a stream's producer calls)."""
    return validated(job, _call((work, job)))


def run_job_chunk(work, jobs: Sequence[Job]) -> list[list[tuple[str, np.ndarray]]]:
    """Several jobs' validated arrays, in a worker process (returned by pickling)."""
    return [run_job(work, job) for job in jobs]


def check_complete(prepared: Prepared, inputs) -> None:
    """Every set has every sample's file, of exactly the input's byte size."""
    if not prepared.sample_ids:
        raise PreprocessError(f"preprocessing produced zero samples in {prepared.root}")
    for set_name, dirs in prepared.input_sets.items():
        for spec in inputs:
            folder, expected = os.fspath(dirs[spec.name]), spec.sample_bytes
            for sid in prepared.ids_of(set_name):
                p = os.path.join(folder, f"{sid}.bin")
                try:
                    st = os.stat(p)  # one system call per file (50 000 on ImageNet)
                except FileNotFoundError:
                    st = None
                if st is None or not stat.S_ISREG(st.st_mode):
                    raise PreprocessError(f"preprocessed file missing: {p} (sample {sid})")
                if st.st_size != expected:
                    raise PreprocessError(f"{p}: {st.st_size} bytes, expected {expected} "
                                          f"(sample {sid})")


def dirs_for(out_root: Path, sets: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, Path]]:
    return {s: {inp: out_root / sub for inp, sub in m.items()} for s, m in sets.items()}
