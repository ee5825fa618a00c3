"""Preprocessing streamed into inference: the arrays a guide's pipeline would write as
``.bin`` files, fed to a model in batches instead, with nothing written to disk.

``plan(pipeline, samples)`` runs the pipeline's ``preprocess`` under
``store.planning()``: it returns the same ``Prepared`` layout (sample order, input sets,
folders) and the jobs it would have run. ``SampleStream`` runs those jobs (in this
process or in worker processes), validates each array exactly as before writing a file,
and yields every sample of every input set in that set's run order. ``stream_batches``
groups them like ``harness.io.batches`` (B consecutive samples, the last batch padded with
copies of its first sample), so a model sees the same batches as from the files, and its
outputs are the same.

Memory stays bounded: a producer thread keeps at most ``prefetch`` jobs ahead of the
consumer (the next batch is prepared while the model runs the current one), and a
sample's arrays are dropped once it has been handed out. Arrays that arrive before their
sample's turn wait in a buffer; for most guides a job makes exactly the next sample, so
the buffer holds at most a job's worth. DG-Net pairs each image's structure with another
sample, so structure arrays can wait longer; ``peak_buffered`` reports the most samples
held at once.
"""
from __future__ import annotations

import queue
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from harness.errors import PreprocessError
from harness.io import Batch, SampleIOError, padded_batch
from harness.preprocess import store
from harness.preprocess.store import JobPlan, Prepared

DEFAULT_PREFETCH = 16  # jobs prepared ahead of the model: enough to cover one batch of 16


def plan(preprocess, samples, root: Path) -> tuple[Prepared, list[JobPlan]]:
    """The layout ``preprocess(samples, root)`` would write and the jobs that write it."""
    with store.planning() as plans:
        prepared = preprocess(samples, Path(root), workers=0, progress=None)
    if not plans:
        raise PreprocessError(f"{getattr(preprocess, '__qualname__', preprocess)} ran no preprocessing "
                              "jobs, so there is nothing to stream")
    return prepared, plans


@dataclass(frozen=True)
class _Slot:
    set_name: str
    input_name: str
    file_id: str


class SampleStream:
    """Every sample of a ``Prepared`` layout, produced by its jobs on demand.

    Iterating yields ``(set name, file id, {input name: array})`` with each set's samples
    in ``prepared.ids_of(set)`` order (the ids ``run_samples`` keys its outputs by); sets interleave as their jobs complete them
    (TransPose's main and flipped inputs come from one job and arrive together).
    """

    def __init__(self, prepared: Prepared, plans: Sequence[JobPlan], inputs, workers: int = 0,
                 prefetch: int = DEFAULT_PREFETCH):
        self.prepared = prepared
        self.plans = list(plans)
        self.inputs = list(inputs)
        self.workers = workers
        self.prefetch = max(1, prefetch)
        self.peak_buffered = 0
        self._slots = self._slot_map()

    # -- layout -------------------------------------------------------------------------------
    def _slot_map(self) -> dict[str, list[_Slot]]:
        """Relative file path -> the (set, input, file id) it feeds (one folder may feed
        several sets; TransPose's sets share none)."""
        by_folder: dict[str, list[tuple[str, str]]] = defaultdict(list)
        root = self.prepared.root
        for set_name, dirs in self.prepared.input_sets.items():
            for input_name, folder in dirs.items():
                by_folder[Path(folder).relative_to(root).as_posix()].append((set_name, input_name))
        slots: dict[str, list[_Slot]] = {}
        for p in self.plans:
            if Path(p.out_root) != Path(root):
                raise PreprocessError(f"preprocessing writes into {p.out_root}, outside its layout's {root}")
            for job in p.jobs:
                for rel in job.files:
                    folder, _, name = rel.rpartition("/")
                    if folder not in by_folder or not name.endswith(".bin"):
                        raise PreprocessError(f"job {job.sample_id} writes {rel}, which no input set reads")
                    slots[rel] = [_Slot(s, i, name[:-4]) for s, i in by_folder[folder]]
        return slots

    @property
    def set_ids(self) -> dict[str, list[str]]:
        return {s: list(self.prepared.ids_of(s)) for s in self.prepared.input_sets}

    def sample_count(self) -> int:
        return sum(len(ids) for ids in self.set_ids.values())

    def _job_order(self) -> list[tuple[JobPlan, store.Job]]:
        """Jobs sorted by the earliest run position they feed, so that samples complete in
        the order the model takes them and the buffer stays small."""
        position = {s: {fid: k for k, fid in enumerate(ids)} for s, ids in self.set_ids.items()}

        def first_use(item) -> int:
            _, job = item
            return min((position[sl.set_name].get(sl.file_id, 1 << 62)
                        for rel in job.files for sl in self._slots[rel]), default=1 << 62)
        return sorted(((p, j) for p in self.plans for j in p.jobs), key=first_use)

    # -- producing ------------------------------------------------------------------------------
    def _results(self) -> Iterator[list[tuple[str, np.ndarray]]]:
        """Each job's validated arrays, in ``_job_order``; in worker processes when asked."""
        ordered = self._job_order()
        n = store.resolve_workers(self.workers, len(ordered))
        if n == 0:
            for p, job in ordered:
                yield store.run_job(p.work, job)
            return
        yield from self._pooled(ordered, n)

    def _pooled(self, ordered, n: int):
        """``n`` worker processes (``store.process_pool``) on chunks of jobs, at most
        ``window`` chunks in flight, results yielded in job order; arrays come back pickled
        (the files path has each worker write its own instead)."""
        modules = sorted({p.work.__module__ for p, _ in ordered} | {m for p, _ in ordered for m in p.preload})
        size = max(1, min(8, self.prefetch // (2 * n)))
        chunks = [ordered[i:i + size] for i in range(0, len(ordered), size)]
        window = max(2 * n, self.prefetch // size)
        with store.process_pool(n, modules) as pool:
            futures: list = []
            submitted = 0
            try:
                for k in range(len(chunks)):
                    while submitted < len(chunks) and submitted < k + window:
                        futures.append(_submit_chunk(pool, chunks[submitted]))
                        submitted += 1
                    for future in futures[k]:
                        yield from future.result()
                    futures[k] = None
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise

    def __iter__(self) -> Iterator[tuple[str, str, dict[str, np.ndarray]]]:
        want = {s: ids for s, ids in self.set_ids.items()}
        next_at = {s: 0 for s in want}
        names = [spec.name for spec in self.inputs]
        shapes = {spec.name: (spec.sample_shape, spec.dtype) for spec in self.inputs}
        buffered: dict[tuple[str, str], dict[str, np.ndarray]] = {}
        for result in _prefetched(self._results(), self.prefetch):
            for rel, array in result:
                for slot in self._slots[rel]:
                    shape, dtype = shapes[slot.input_name]
                    if array.size != int(np.prod(shape)):
                        raise SampleIOError(f"{rel}: {array.size} values, input {slot.input_name!r} takes "
                                            f"{int(np.prod(shape))} ({dtype} {shape})")
                    buffered.setdefault((slot.set_name, slot.file_id), {})[slot.input_name] = \
                        np.asarray(array, dtype=dtype).reshape(shape)
            self.peak_buffered = max(self.peak_buffered, len(buffered))
            for set_name, ids in want.items():
                while next_at[set_name] < len(ids):
                    key = (set_name, ids[next_at[set_name]])
                    arrays = buffered.get(key)
                    if arrays is None or len(arrays) < len(names):
                        break
                    del buffered[key]
                    next_at[set_name] += 1
                    yield set_name, key[1], arrays
        missing = [(s, ids[next_at[s]]) for s, ids in want.items() if next_at[s] < len(ids)]
        if missing:
            s, fid = missing[0]
            have = sorted(buffered.get((s, fid), {}))
            raise SampleIOError(f"stream ended before sample {fid} of set {s!r} was complete (inputs "
                                f"produced: {have or 'none'} of {names}); {len(missing)} set(s) unfinished")


def _submit_chunk(pool, chunk) -> list:
    """Submit a run of jobs, one task per stretch that shares a work function."""
    groups: list[tuple] = []
    for p, job in chunk:
        if groups and groups[-1][0] is p.work:
            groups[-1][1].append(job)
        else:
            groups.append((p.work, [job]))
    return [pool.submit(store.run_job_chunk, work, jobs) for work, jobs in groups]


_DONE = object()


def _prefetched(items: Iterator, depth: int) -> Iterator:
    """Iterate ``items`` in a background thread, at most ``depth`` ahead of the consumer.

    The producer's exception is raised in the consumer; a consumer that stops early (a
    model error) stops the producer at its next item."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce():
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    break
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            _put_final(q, stop, (None, exc))
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None and stop.is_set():
                close()
        _put_final(q, stop, (_DONE, None))

    thread = threading.Thread(target=produce, name="preprocess-stream", daemon=True)
    thread.start()
    try:
        while True:
            item, exc = q.get()
            if exc is not None:
                raise exc
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        thread.join(timeout=30)


def _put_final(q: queue.Queue, stop: threading.Event, entry) -> None:
    while not stop.is_set():
        try:
            q.put(entry, timeout=0.1)
            return
        except queue.Full:
            continue


def stream_batches(stream: SampleStream, batch_size: int) -> Iterator[tuple[str, Batch]]:
    """``(set name, Batch)`` in each set's run order, grouped and padded like
    ``harness.io.batches`` (``harness.io.padded_batch``: the last batch of a set padded
    with copies of its first sample)."""
    totals = {s: len(ids) for s, ids in stream.set_ids.items()}
    pending: dict[str, dict[str, dict]] = {s: {} for s in totals}  # insertion order = run order
    done = {s: 0 for s in totals}
    for set_name, sid, arrays in stream:
        pending[set_name][sid] = arrays
        done[set_name] += 1
        if len(pending[set_name]) == batch_size or done[set_name] == totals[set_name]:
            chunk = pending[set_name]
            yield set_name, padded_batch(list(chunk), batch_size, stream.inputs,
                                         lambda s, spec, chunk=chunk: chunk[s][spec.name])
            pending[set_name] = {}
