"""Preprocessing throughput: each guide's pipeline (workers = ``auto``) against its script
restated as a one-process loop (benchmarks/baselines.py), on the same generated images at
realistic sizes; outputs compared byte for byte; then a cached re-run through
``GuideSession.prepared`` (dataset fingerprint, cache lookup, completeness check).

    python -m benchmarks.bench_preprocess [--n 2000]
"""
from __future__ import annotations

import argparse
import os
import shutil
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from benchmarks import baselines, data
from benchmarks.common import Row, cores, table, timed


@dataclass(frozen=True)
class Case:
    guide: str
    make: Callable[[Path, int], Path]  # (root, n) -> the folder guide.dataset.open takes
    baseline: Callable[[object, Path], None]  # (samples, out dir) -> the script's bins
    unit: str = "img"
    # Compare files by path under the output folder (two sets holding the same names),
    # not by file name alone.
    by_path: bool = False
    # The image files the guide reads (for the warm-up), when ``_warm`` cannot find them.
    paths: Optional[Callable[[object], list]] = None


def _dpn131_baseline(samples, out: Path) -> None:
    baselines.dpn131_script([samples.images[s] for s in samples.sample_ids], out)


def _splits(samples) -> dict:
    return {s: (list(samples.split(s).file_ids), list(samples.split(s).paths))
            for s in ("query", "gallery")}


def _guide_synthetic(name: str):
    """The guide's own generator (its crop sizes are the real datasets' range)."""
    def make(root: Path, n: int) -> Path:
        from harness import guides

        # Made for this n: a folder left by a run with another --n is made again.
        stamp = root.parent / f"{root.name}.made"
        if not (root.is_dir() and stamp.is_file() and stamp.read_text() == f"{n} 0"):
            shutil.rmtree(root, ignore_errors=True)
            guides.get(name).dataset.make_synthetic(root, n, 0)
            stamp.write_text(f"{n} 0")
        return root
    return make


def _transpose_baseline(samples, out: Path) -> None:
    baselines.transpose_script([(samples.samples[s].image_path, samples.samples[s].clean_box)
                                for s in samples.sample_ids], out)


def _dgnet_baseline(samples, out: Path) -> None:
    from harness.preprocess.dgnet import pairing

    baselines.dgnet_script(samples.folder, pairing(len(samples.images)), out)


CASES = [
    Case("dpn131", data.make_imagenet_val, _dpn131_baseline),
    Case("pamtri", _guide_synthetic("pamtri"),
         lambda samples, out: baselines.pamtri_script(_splits(samples), out), by_path=True),
    Case("centroids_reid", _guide_synthetic("centroids_reid"),
         lambda samples, out: baselines.centroids_script(_splits(samples), out), by_path=True),
    # COCO val2017-like: 640x480-class JPEGs, 2.7 person boxes per image (benchmarks/data.py;
    # the guide's own generator makes four small images). n = person samples.
    Case("transpose", data.make_coco_val, _transpose_baseline, unit="box", by_path=True,
         paths=lambda samples: sorted({s.image_path for s in samples.samples.values()})),
    # Market-1501 train_all: the guide's generator writes real-size 64x128 JPEG crops.
    Case("dgnet", _guide_synthetic("dgnet"), _dgnet_baseline, by_path=True,
         paths=lambda samples: [p for p, _ in samples.images]),
]


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _bins(folder: Path, by_path: bool = False) -> dict[str, Path]:
    if by_path:
        return {p.relative_to(folder).as_posix(): p for p in folder.rglob("*.bin")}
    return {p.name: p for p in folder.rglob("*.bin")}


def _same_bytes(a: dict[str, Path], b: dict[str, Path]) -> tuple[int, list[str]]:
    differ = [n for n in sorted(a) if n not in b or a[n].read_bytes() != b[n].read_bytes()]
    return len(a), differ + sorted(set(b) - set(a))


def _warm(samples, paths=None) -> None:
    """Read every image once so both runs start with the same (warm) page cache."""
    if paths is not None:
        paths = list(paths(samples))
    elif hasattr(samples, "split"):
        paths = [p for ids, ps in _splits(samples).values() for p in ps]
    else:
        paths = list(getattr(samples, "images", {}).values())
    for p in paths:
        Path(p).read_bytes()


def bench_case(case: Case, n: int, work: Path, repeat: int = 2) -> list[Row]:
    from harness import guides
    from harness.cache import ArtifactCache
    from harness.preprocess.store import WORKERS_AUTO
    from fixtures.artifacts import GuideSession, Tier

    guide = guides.get(case.guide)
    root = case.make(work / case.guide / "data", n)
    samples = guide.dataset.open(root)
    _warm(samples, case.paths)
    count = len(samples.sample_ids)

    # Imports (torch/torchvision take seconds) and first-call set-up are paid before timing.
    import cv2, torch, torchvision.transforms  # noqa: F401,E401
    # One image at a time: torch's intra-op threads only add contention (same for both).
    torch.set_num_threads(1)
    # Each timed run starts with no dirty page cache left by the one before (os.sync): the
    # runs write gigabytes (TransPose: 1.2 MB per box), and once dirty pages pass the
    # kernel's background threshold, writeback slows whichever run comes later.
    # Script and suite alternate, ``repeat`` times each, and each keeps its fastest run: on a
    # shared machine a burst of other load then hits one run, not the verdict.
    t_base = t_suite = t_one = float("inf")
    compared, differ = 0, []
    for attempt in range(max(1, repeat)):
        base_out = _fresh(work / case.guide / "baseline")
        os.sync()
        t_base = min(t_base, timed(lambda: case.baseline(samples, base_out))[0])
        suite_out = _fresh(work / case.guide / "suite")
        os.sync()
        t_suite = min(t_suite, timed(lambda: guide.pipeline.preprocess(samples, suite_out,
                                                                        workers=WORKERS_AUTO))[0])
        if attempt == 0:
            compared, differ = _same_bytes(_bins(base_out, case.by_path), _bins(suite_out, case.by_path))
        for sub in ("baseline", "suite"):  # deleted before writeback: frees the page cache
            shutil.rmtree(work / case.guide / sub, ignore_errors=True)
        inproc_out = _fresh(work / case.guide / "suite-1proc")
        os.sync()
        t_one = min(t_one, timed(lambda: guide.pipeline.preprocess(samples, inproc_out, workers=0))[0])
        shutil.rmtree(inproc_out, ignore_errors=True)
    rows = [Row(f"preprocess {case.guide} ({count} {case.unit})",
                f"{count / t_base:.0f} {case.unit}/s", f"{count / t_suite:.0f} {case.unit}/s",
                t_base / t_suite, ">= 4x", t_base / t_suite >= 4.0,
                f"{compared} files compared with the script's: "
                + ("all byte-identical" if not differ else f"{len(differ)} DIFFER, e.g. {differ[:3]}")
                + f"; suite in one process {count / t_one:.0f} {case.unit}/s "
                  f"({t_base / t_one:.2f}x), workers auto = {cores()} on this machine; "
                  f"fastest of {max(1, repeat)} alternating runs each",
                extra={"baseline_s": t_base, "suite_s": t_suite, "suite_one_process_s": t_one,
                       "identical": not differ})]

    # Cached re-run: a first GuideSession builds the bins into an empty cache; a second one
    # (a new test session) finds them by the dataset fingerprint.
    cache = ArtifactCache(_fresh(work / case.guide / "cache"))
    options = types.SimpleNamespace(workers=WORKERS_AUTO, synthetic_size=None)
    tier = Tier("real", None, root)
    shutil.rmtree(work / case.guide / "suite-1proc", ignore_errors=True)
    os.sync()
    t_first, _ = timed(lambda: GuideSession(guide, options, cache).prepared(tier))
    t_cached = min(timed(lambda: GuideSession(guide, options, cache).prepared(tier))[0] for _ in range(3))
    rows.append(Row(f"cached re-run {case.guide} ({count} {case.unit})",
                    f"{t_first:.2f} s (first run)", f"{t_cached * 1000:.0f} ms",
                    t_first / t_cached, ">= 50x", t_first / t_cached >= 50.0,
                    "new GuideSession: dataset open + fingerprint + cache lookup + completeness "
                    f"check; against running the script again: {t_base / t_cached:.0f}x",
                    extra={"first_s": t_first, "cached_s": t_cached,
                           "vs_script": t_base / t_cached}))
    for sub in ("baseline", "suite", "suite-1proc", "cache"):
        shutil.rmtree(work / case.guide / sub, ignore_errors=True)
    return rows


def dpn131_floor(n: int = 200, seed: int = 1) -> str:
    """Where the suite's time goes in one process: the decode and resize that bit-exactness
    requires (libjpeg-turbo, PIL's resampling) against everything else; and whether
    reduced-size JPEG decoding (``draft``) would keep the bins identical."""
    import tempfile

    from PIL import Image

    from harness.datasets.images import decode_rgb
    from harness.preprocess.imagenet import (DPN131, preprocess_image, resize_and_crop,
                                             resize_shorter, resized_shorter_size)

    with tempfile.TemporaryDirectory() as tmp:
        root = data.make_imagenet_val(Path(tmp), n, seed)
        paths = sorted((root / "val").iterdir())

        def floor():
            for p in paths:
                img = Image.fromarray(decode_rgb(p))
                resize_and_crop(img, resized_shorter_size(*img.size, DPN131.resize), DPN131.crop)
        t_floor = min(timed(floor)[0] for _ in range(2))
        t_all = min(timed(lambda: [preprocess_image(p) for p in paths])[0] for _ in range(2))
        big = [p for p in paths if min(Image.open(p).size) >= 2 * DPN131.resize]
        changed = 0
        for p in big:
            with Image.open(p) as im:
                im.draft("RGB", (im.size[0] // 2, im.size[1] // 2))
                fast = resize_shorter(im.convert("RGB"), 256)
            with Image.open(p) as im:
                full = resize_shorter(im.convert("RGB"), 256)
            changed += not np.array_equal(np.asarray(fast), np.asarray(full))
    return (f"decode + resize are {t_floor / t_all:.0%} of the suite's per-image time in one "
            f"process ({1000 * t_floor / n:.2f} of {1000 * t_all / n:.2f} ms); draft "
            f"(reduced-size) decoding changed the pixels of {changed}/{len(big)} images large "
            "enough for it, so it is not used (the guide's parity is bit-exact)")


def run(n: int, work: Path, only: Optional[set] = None, repeat: int = 2) -> list[Row]:
    from harness import guides

    known = set(guides.names()) if hasattr(guides, "names") else None
    rows: list[Row] = []
    for case in CASES:
        if known is not None and case.guide not in known:
            continue
        if only and case.guide not in only:
            continue
        rows += bench_case(case, n, work, repeat)
        if case.guide == "dpn131":
            rows[-2].notes += "; " + dpn131_floor()
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000, help="images per dataset")
    ap.add_argument("--work", type=Path, default=Path(".cache/bench"), help="scratch folder")
    ap.add_argument("--guides", default="", help="comma-separated subset of the cases' guides")
    ap.add_argument("--repeat", type=int, default=2, help="alternating runs of script and suite")
    args = ap.parse_args(argv)
    only = {g.strip() for g in args.guides.split(",") if g.strip()}
    print(table(run(args.n, args.work, only, args.repeat)))


if __name__ == "__main__":
    main()
