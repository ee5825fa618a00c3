"""The real tier's accuracy path at real size, in each ``--prepared-data`` mode: wall time,
samples/s and the artifact cache's peak disk, with the metric outputs compared across modes.

One ImageNet family member that is cheap on a CPU (``spnasnet_100``; ``--guide``) runs through the suite's
own code: ``GuideSession`` with ``SuiteOptions`` built directly, ``gs.real()`` on a data root
holding a generated ImageNet val set in the real layout (ImageNet-size JPEGs, about
500x390 on average, ``benchmarks.data.make_imagenet_val``) and a weights root holding a
checkpoint in the upstream format with seeded random weights (``harness.rehearsal``), then
``gs.evaluate("onnxruntime", tier, batch size)``. The material is generated once under
``--work`` and reused.

Modes, each with preprocessing workers 1 and 2 (``--workers``; 0 and 1 both mean in-process):

* ``cache``: every float32 ``.bin`` written into the cache, then inference reads them;
* ``stream``: preprocessing streamed into inference in batches, nothing written;
* ``compact``: the 8-bit arrays cached, float32 made at feed time; its first run builds
  the compact cache, a second ``GuideSession`` (a new test run) reuses it.

Each run starts from a fresh cache holding only the ONNX model (exported once, copied in);
the model is loaded before the clock starts, so a run's time is preprocessing, inference and
the metric. Peak disk is the cache folder's size beyond that start, sampled in a background
thread. ``--ascend`` adds the Ascend test double (``tests/doubles/ascend``) streamed in
shards (``--shard-size``), where every shard's files are written, run and deleted.

    python -m benchmarks.bench_real_tier [--images 5000] [--workers 1,2] [--ascend]
"""
from __future__ import annotations

import argparse
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from benchmarks import data
from benchmarks.common import Row, conditions, cores, markdown, table, timed

# A fifth of ResNet-18's operations. mnasnet1_0 would be as cheap, but its real tier cannot
# load a torchvision checkpoint: the loader drops the state dict's ``_metadata``, whose
# version torchvision's MNASNet requires.
DEFAULT_GUIDE = "spnasnet_100"
MODES = ("cache", "stream", "compact")
FULL_SIZE = 50_000  # ImageNet val: what the real tier reads
GB = 1000 ** 3  # decimal, as the README's disk figures
DISK_TARGET = 5 * GB  # the default mode's peak cache growth on the full real tier


# -- material -----------------------------------------------------------------------------------
def material(work: Path, n: int, guide_name: str) -> tuple[Path, Path]:
    """(data root, weights root): ``n`` ImageNet-size JPEGs in the val layout the family reads
    and the member's checkpoint in its upstream format; made once for each ``n``."""
    from harness import guides
    from harness.rehearsal import write_checkpoint

    guide = guides.get(guide_name)
    data_root, weights_root = work / "data", work / "weights"
    folder = data_root / guide.dataset.subdir
    stamp = work / "data.made"
    if not (folder.is_dir() and stamp.is_file() and stamp.read_text() == f"{n} 0"):
        shutil.rmtree(folder, ignore_errors=True)
        print(f"generating {n} ImageNet-size JPEGs under {folder} (once)", flush=True)
        data.make_imagenet_val(folder, n, 0)
        stamp.write_text(f"{n} 0")
    if not (weights_root / guide.checkpoint.file_name).is_file():
        write_checkpoint(guide, weights_root)
    return data_root, weights_root


def suite_options(cache_dir: Path, data_root: Path, weights_root: Path, mode: str, workers: int,
                  threads: int, shard_size: int, backend: str = "onnxruntime"):
    """Options as a one-process real-tier run would parse them (``--prepared-data mode``)."""
    from fixtures.options import SuiteOptions

    return SuiteOptions(backends=(backend,), devices=(0,), soc_version="", data_root=data_root,
                        weights_root=weights_root, cache_dir=cache_dir, batch_sizes="16",
                        results=cache_dir / "results.jsonl", results_given=True,
                        runs_root=cache_dir / "runs", keep_runs=1, synthetic_size=None, perf_rounds=1,
                        perf_warmup=0, tool_timeout=3600.0, stage_timeout=10800.0, workers=workers,
                        threads=threads, prepared_data=mode, shard_size=shard_size,
                        # Random weights cannot have the published md5: accepted as unverified,
                        # as a rehearsal's --weights-checksum record (no published number is judged).
                        accept_unverified_weights=True)


# -- disk ---------------------------------------------------------------------------------------
def folder_bytes(root: Path) -> int:
    """Bytes allocated to every file under ``root`` (files vanishing meanwhile are skipped)."""
    total, stack = 0, [str(root)]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_blocks * 512
            except OSError:
                continue
    return total


class DiskPeak:
    """The largest size of a folder while the ``with`` block runs, sampled in a thread every
    ``interval`` s or more: a scan of many files waits 20 times its own length before the
    next, so sampling takes at most about 5 % of one core."""

    def __init__(self, root: Path, interval: float = 0.2):
        self.root, self.interval = root, interval
        self.peak = self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="disk-peak", daemon=True)

    def _sample(self) -> float:
        t0 = time.perf_counter()
        self.peak = max(self.peak, folder_bytes(self.root))
        self.samples += 1
        return time.perf_counter() - t0

    def _watch(self) -> None:
        while not self._stop.wait(max(self.interval, 20 * self._sample())):
            pass

    def __enter__(self) -> "DiskPeak":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()  # what the run left behind counts too


def real_tier(gs):
    """``gs.real()`` on the generated material; its skip (something missing) ends the run."""
    import pytest

    try:
        return gs.real()
    except pytest.skip.Exception as skip:
        raise SystemExit(f"real tier material incomplete: {skip.msg}") from None


# -- one run ------------------------------------------------------------------------------------
@dataclass
class Run:
    """One timed ``evaluate`` of the real tier."""

    label: str
    mode: str
    workers: int
    seconds: float
    samples: int
    peak_bytes: int  # cache growth beyond the model at the run's start
    left_bytes: int  # cache growth still there after it (kept for reuse)
    values: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict, repr=False)
    backend: str = "onnxruntime"
    guide: str = DEFAULT_GUIDE

    @property
    def rate(self) -> float:
        return self.samples / self.seconds


class Bench:
    """The material, the ONNX model exported once, and fresh caches for each run."""

    def __init__(self, work: Path, n: int, threads: int, batch_size: int, shard_size: int,
                 guide_name: str = DEFAULT_GUIDE):
        from harness import cpu

        # Absolute: the Ascend double's tools are found by path from other working folders.
        self.work, self.n, self.threads, self.guide_name = work.resolve(), n, threads, guide_name
        self.batch_size, self.shard_size = batch_size, shard_size
        self.data_root, self.weights_root = material(self.work, n, guide_name)
        cpu.limit_threads(threads)  # as --threads: ONNX Runtime and PyTorch in this process
        self.model_cache = self.work / "model-cache"
        gs = self.session(self.model_cache, "stream", 0)
        gs.onnx(real_tier(gs), self.batch_size)

    def session(self, cache_dir: Path, mode: str, workers: int, backend: str = "onnxruntime"):
        from fixtures.artifacts import GuideSession
        from harness import guides
        from harness.cache import ArtifactCache

        options = suite_options(cache_dir, self.data_root, self.weights_root, mode, workers,
                                self.threads, self.shard_size, backend)
        return GuideSession(guides.get(self.guide_name), options, ArtifactCache(cache_dir))

    def fresh_cache(self, name: str) -> Path:
        """An empty cache holding only the exported ONNX model (content-addressed: found as is)."""
        folder = self.work / "caches" / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        shutil.copytree(self.model_cache / "onnx", folder / "onnx")
        return folder

    def run(self, label: str, cache_dir: Path, mode: str, workers: int, backend: str = "onnxruntime") -> Run:
        """One new ``GuideSession`` (a new test run) evaluating the real tier on ``cache_dir``."""
        gs = self.session(cache_dir, mode, workers, backend)
        tier = real_tier(gs)
        gs.compiled(backend, tier, self.batch_size)  # model loaded before the clock starts
        start = folder_bytes(cache_dir)
        os.sync()  # no dirty pages of the run before
        with DiskPeak(cache_dir) as disk:
            seconds, report = timed(lambda: gs.evaluate(backend, tier, self.batch_size))
        outputs = gs.outputs(backend, tier, self.batch_size)  # memoised: the run's own
        print(f"  {label}: {seconds:.1f} s, {report.count / seconds:.1f} img/s, peak disk "
              f"{(disk.peak - start) / GB:.3f} GB ({disk.samples} samples), top1 {report['top1']:.4f}",
              flush=True)
        return Run(label, mode, workers, seconds, report.count, max(0, disk.peak - start),
                   max(0, folder_bytes(cache_dir) - start), dict(report.values), outputs, backend,
                   self.guide_name)

    def mode_runs(self, mode: str, workers: int) -> list[Run]:
        cache_dir = self.fresh_cache(f"{mode}-w{workers}")
        try:
            runs = [self.run(f"{mode}, {_workers(workers)}", cache_dir, mode, workers)]
            if mode == "compact":
                runs.append(self.run(f"compact reused, {_workers(workers)}", cache_dir, mode, workers))
            return runs
        finally:
            shutil.rmtree(cache_dir, ignore_errors=True)

    def ascend_run(self, workers: int) -> Run:
        """The Ascend backend on its test double, streamed in shards (ORT in a subprocess per shard)."""
        from tests.doubles.ascend import fake_cann

        base = self.work / "ascend-double"
        fake = fake_cann.install(base)
        os.environ.update(fake.environ(dict(os.environ)))
        cache_dir = self.fresh_cache(f"ascend-stream-w{workers}")
        try:
            return self.run(f"ascend double, stream, shards of {self.shard_size}, {_workers(workers)}",
                            cache_dir, "stream", workers, backend="ascend")
        finally:
            shutil.rmtree(cache_dir, ignore_errors=True)


# -- comparing ------------------------------------------------------------------------------------
def differences(reference: Run, other: Run) -> list[str]:
    """How ``other``'s metric and per-sample outputs differ from ``reference``'s (empty: none)."""
    out = []
    if other.values != reference.values:
        out.append(f"metric {other.values} != {reference.values}")
    for set_name, ref_outputs in reference.outputs.items():
        mine = other.outputs.get(set_name, {})
        if set(mine) != set(ref_outputs):
            out.append(f"set {set_name}: {len(set(mine) ^ set(ref_outputs))} sample ids differ")
            continue
        differ = [sid for sid in ref_outputs
                  if len(mine[sid]) != len(ref_outputs[sid])
                  or not all(np.array_equal(a, b) for a, b in zip(mine[sid], ref_outputs[sid]))]
        if differ:
            out.append(f"set {set_name}: {len(differ)} samples' outputs differ (e.g. {differ[:3]})")
    return out


def _gb(value: float) -> str:
    return f"{value / GB:.2f} GB"


def _workers(count: int) -> str:
    return f"{count} worker" + ("s" if count != 1 else "")


def speed_rows(by: dict, n: int, guide: str) -> list[Row]:
    """Stream against cache, and compact (first and reused run) against cache, per worker count."""
    out = []
    for workers in sorted({w for _, w, _ in by}):
        cache, stream = by.get(("cache", workers, False)), by.get(("stream", workers, False))
        if cache and stream:
            ratio = stream.rate / cache.rate
            out.append(Row(f"real tier {guide} {n} images, cache vs stream ({_workers(workers)})",
                           f"{cache.rate:.1f} img/s", f"{stream.rate:.1f} img/s", ratio, ">= 0.95x",
                           ratio >= 0.95, f"measured at {n} images: cache {cache.seconds:.0f} s "
                           f"(preprocess to files, then infer), stream {stream.seconds:.0f} s"))
        build, reuse = by.get(("compact", workers, False)), by.get(("compact", workers, True))
        if cache and build and reuse:
            out.append(Row(f"real tier {guide} {n} images, cache vs compact ({_workers(workers)})",
                           f"{cache.rate:.1f} img/s", f"{build.rate:.1f} / {reuse.rate:.1f} img/s",
                           reuse.rate / cache.rate, "-", None,
                           f"measured at {n} images: first run {build.seconds:.0f} s (builds the "
                           f"8-bit cache, then streams from it), reused {reuse.seconds:.0f} s (a new "
                           "session finds it); ratio = reused / cache"))
    return out


def disk_rows(by: dict, n: int, guide: str) -> list[Row]:
    """Peak cache growth per mode, measured at ``n`` and extrapolated to the full split: the
    files of ``cache`` and ``compact`` grow with the samples; a stream writes nothing per
    sample. The 5 GB target is the default mode's (``auto``: the real tier streams)."""
    out = []
    for mode in MODES:
        measured = [r for key, r in by.items() if key[0] == mode and not key[2]]
        if not measured:
            continue
        peak = max(r.peak_bytes for r in measured)
        full = peak if mode == "stream" else peak * FULL_SIZE / n
        default = mode == "stream"
        out.append(Row(f"peak disk, {mode} ({guide})", "-", f"{_gb(peak)} at {n} (measured)",
                       float("nan"), "<= 5 GB at 50 000" if default else "- (opt-in mode)",
                       full <= DISK_TARGET if default else None,
                       f"{_gb(full)} at {FULL_SIZE} images ("
                       + ("not scaled: nothing is written per sample" if default
                          else f"extrapolated x{FULL_SIZE / n:g} from the measured {n}") + "); "
                       + f"left in the cache after the run: {_gb(max(r.left_bytes for r in measured))}"))
    return out


def ascend_rows(runs: list[Run], n: int, shard_size: int) -> list[Row]:
    """The Ascend double streamed in shards: at most about one shard's files on disk, so its
    peak scales with the shard, not the dataset (up to the shard size)."""
    out = []
    for r in runs:
        full = r.peak_bytes * min(shard_size, FULL_SIZE) / min(shard_size, n)
        out.append(Row(f"real tier {r.guide} {n} images, {r.label}", "-", f"{r.rate:.1f} img/s",
                       float("nan"), "<= 5 GB at 50 000", full <= DISK_TARGET,
                       f"peak disk {_gb(r.peak_bytes)} measured at {n}, {_gb(full)} at {FULL_SIZE} "
                       + ("(one full shard at a time: not scaled)" if n >= shard_size
                          else f"(extrapolated to a full shard of {shard_size})")))
    return out


def identity_row(runs: list[Run]) -> Row:
    """Every run's metric and per-sample outputs against the first run's."""
    reference = runs[0]
    bad = {r.label: d for r in runs[1:] for d in [differences(reference, r)] if d}
    return Row(f"metric outputs identical across {len(runs)} runs", "-",
               f"top1 {reference.values.get('top1', float('nan')):.4f}, "
               f"top5 {reference.values.get('top5', float('nan')):.4f}", float("nan"), "identical",
               not bad, "all runs equal the first (same top-1..top-5, every sample's outputs bit for "
               "bit)" if not bad else "DIFFER: " + "; ".join(f"{k}: {v}" for k, v in bad.items()))


def rows(runs: list[Run], n: int, shard_size: int) -> list[Row]:
    by = {(r.mode, r.workers, "reused" in r.label): r for r in runs if r.backend == "onnxruntime"}
    return (speed_rows(by, n, runs[0].guide) + disk_rows(by, n, runs[0].guide)
            + ascend_rows([r for r in runs if r.backend != "onnxruntime"], n, shard_size)
            + [identity_row(runs)])


def run(n: int, work: Path, workers=(1, 2), batch_size: int = 16, threads: Optional[int] = None,
        ascend: bool = False, shard_size: int = 1024, guide_name: str = DEFAULT_GUIDE) -> list[Row]:
    bench = Bench(work / "realtier", n, threads or cores(), batch_size, shard_size, guide_name)
    runs: list[Run] = []
    for w in workers:
        for mode in MODES:
            runs += bench.mode_runs(mode, w)
    if ascend:
        try:
            runs.append(bench.ascend_run(workers[0]))
        except Exception as exc:  # noqa: BLE001 - the table of the runs done still prints
            print(f"FAILURE: the Ascend double's run failed: {type(exc).__name__}: {exc}", flush=True)
            raise SystemExit(f"{table(rows(runs, n, shard_size))}\n\nAscend double run failed: {exc}") from None
    result = rows(runs, n, shard_size)
    if not result[-1].met:
        print(f"FAILURE: {result[-1].notes}", flush=True)
    return result


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=5000, help="ImageNet-size JPEGs in the generated set")
    ap.add_argument("--workers", default="1,2", help="preprocessing worker counts, comma-separated")
    ap.add_argument("--guide", default=DEFAULT_GUIDE, help="an ImageNet family member (or dpn131)")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--threads", type=int, default=None, help="ONNX Runtime threads (default: every core)")
    ap.add_argument("--ascend", action="store_true", help="add the Ascend double streamed in shards")
    ap.add_argument("--shard-size", type=int, default=1024)
    ap.add_argument("--work", type=Path, default=Path(".cache/bench"), help="scratch folder")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown too")
    args = ap.parse_args(argv)
    print(f"conditions: {conditions()}", flush=True)
    result = run(args.images, args.work, tuple(int(w) for w in args.workers.split(",") if w.strip()),
                 args.batch_size, args.threads, args.ascend, args.shard_size, args.guide)
    print(table(result))
    if args.markdown:
        print("\n" + markdown(result))
    if not result[-1].met:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
