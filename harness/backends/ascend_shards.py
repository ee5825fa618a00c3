"""Streamed preprocessing run by a file-reading Ascend runner, one shard of files at a time.

``ais_bench`` and the legacy ``benchmark`` read ``.bin`` files, so a stream
(``harness.preprocess.stream.SampleStream``) reaches them as files: each input set's
samples are cut into shards of ``size`` samples, a multiple of the batch size, taken in
the order the runner batches files (``runner.batch_order``: ais_bench lists a folder in
natural order of names, the legacy tool takes its info file's order). A sample's arrays
are written into its shard's folder as they arrive (the file names ``run_samples`` gives
them, modes that pass the ait/msit path checks); when a shard is complete the runner runs
over it once, its outputs are read back, and its inputs and outputs are deleted. So peak
disk is about one shard per input set being filled (TransPose fills its main and flipped
shards together), and every shard holds exactly the batches one run over the whole set
would: only a set's last shard ends in a padded batch.

Samples arriving out of the runner's order (ids that do not sort naturally in run order)
wait on disk in their own shard until it is complete, and a shard runs as soon as it is
complete; ``peak_input_files`` says how many files were present at once.

A runner failure names the shard and its samples and keeps that shard's folder for
inspection (as ``run_samples`` keeps its scratch folder); everything else is removed.
"""
from __future__ import annotations

import logging
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Optional, Sequence

import numpy as np

from harness.ascend import paths
from harness.ascend.errors import ToolError
from harness.errors import SuiteError
from harness.io import SampleOutputs, check_outputs

log = logging.getLogger(__name__)

DEFAULT_SHARD_SIZE = 1024  # samples per runner pass; --shard-size / SUITE_SHARD_SIZE


def runner_file_names(ids: Sequence[str]) -> dict[str, str]:
    """Sample id -> the file name it gets in a runner's input folder (its id, or a
    positional alias where the id has unsafe characters or a '.')."""
    return {sid: paths.safe_stem(sid, i) + ".bin" for i, sid in enumerate(ids)}


def rounded_shard_size(requested: int, batch_size: int) -> int:
    """``requested`` rounded up to a whole number of batches (at least one)."""
    return max(1, math.ceil(int(requested) / batch_size)) * batch_size


@dataclass(frozen=True)
class Shard:
    set_name: str
    index: int  # 0-based within its set
    count: int  # shards in its set
    start: int  # position of its first sample in the runner's order
    ids: tuple[str, ...]  # file ids, in the runner's order

    def describe(self) -> str:
        return (f"shard {self.index + 1} of {self.count} of set {self.set_name!r} (samples "
                f"{self.start}-{self.start + len(self.ids) - 1} in run order: {self.ids[0]} .. {self.ids[-1]})")


@dataclass
class _SetShards:
    """One input set cut into shards, and how far filling them has got."""

    names: dict[str, str]  # file id -> runner file name (as run_samples names it)
    shards: list[Shard]
    shard_of: dict[str, int]
    waiting: list[int]  # samples each shard still lacks

    @classmethod
    def cut(cls, set_name: str, ids: Sequence[str], size: int,
            batch_order: Callable[[Mapping[str, str]], list[str]]) -> "_SetShards":
        names = runner_file_names(ids)
        order = batch_order(names)
        count = math.ceil(len(order) / size)
        shards = [Shard(set_name, k, count, k * size, tuple(order[k * size:(k + 1) * size])) for k in range(count)]
        shard_of = {sid: s.index for s in shards for sid in s.ids}
        return cls(names, shards, shard_of, [len(s.ids) for s in shards])


@dataclass
class ShardedFeed:
    """Runs a stream through ``run_shard(input folders, {id: file name}, scratch)`` shard by shard."""

    inputs: Sequence  # the guide's TensorSpecs, in model input order
    size: int  # samples per shard (a multiple of the batch size)
    root: Path  # a 0750 scratch folder of this run alone
    batch_order: Callable[[Mapping[str, str]], list[str]]
    run_shard: Callable[[list[Path], dict[str, str], Path], SampleOutputs]
    progress: Optional[Callable[[int], None]] = None
    what: str = "ascend"
    peak_input_files: int = 0
    shards_run: int = 0
    kept: Optional[Path] = None  # a failed shard's folder, left for inspection
    _on_disk: int = field(default=0, repr=False)

    def run(self, stream) -> dict[str, SampleOutputs]:
        """{set name: outputs keyed by file id}, each set checked like ``run_samples``."""
        sets = {s: _SetShards.cut(s, ids, self.size, self.batch_order) for s, ids in stream.set_ids.items()}
        folders = {s: f"set{j}" for j, s in enumerate(sets)}
        results: dict[str, SampleOutputs] = {s: {} for s in sets}
        samples = iter(stream)
        try:
            for set_name, fid, arrays in samples:
                state = sets[set_name]
                k = state.shard_of[fid]
                folder = self._folder(folders[set_name], k)
                self._write(folder, state.names[fid], arrays)
                state.waiting[k] -= 1
                if state.waiting[k] == 0:  # complete: run it now (shards are independent runs)
                    results[set_name].update(self._run(state.shards[k], folder, state.names))
        finally:
            getattr(samples, "close", lambda: None)()
            self._clean_up()
        for set_name, ids in stream.set_ids.items():
            check_outputs(results[set_name], ids, what=f"{self.what} {set_name}")
        return results

    def _folder(self, set_folder: str, index: int) -> Path:
        return self.root / f"{set_folder}.shard{index}"

    def _write(self, folder: Path, name: str, arrays: Mapping[str, np.ndarray]) -> None:
        for k, spec in enumerate(self.inputs):
            target = folder / "in" / f"input{k}"
            if not target.is_dir():
                paths.make_dir(folder)
                paths.make_dir(folder / "in")
                paths.make_dir(target)
            paths.write_array(target / name, np.ascontiguousarray(arrays[spec.name], dtype=spec.dtype))
            self._on_disk += 1
        self.peak_input_files = max(self.peak_input_files, self._on_disk)

    def _run(self, shard: Shard, folder: Path, names: Mapping[str, str]) -> SampleOutputs:
        dirs = [folder / "in" / f"input{k}" for k in range(len(self.inputs))]
        chosen = {sid: names[sid] for sid in shard.ids}  # in the runner's order
        try:
            outputs = self.run_shard(dirs, chosen, paths.make_dir(folder / "run"))
            check_outputs(outputs, list(shard.ids), what=f"{self.what} {shard.describe()}")
        except SuiteError as exc:
            self.kept = folder
            raise _naming_the_shard(exc, shard, folder) from exc
        shutil.rmtree(folder)
        self._on_disk -= len(shard.ids) * len(self.inputs)
        self.shards_run += 1
        if self.progress is not None:
            self.progress(len(shard.ids))
        return outputs

    def _clean_up(self) -> None:
        """Nothing of a finished run remains; after a failed shard, that shard's folder and
        the staged om its command names do."""
        if self.kept is None:
            shutil.rmtree(self.root, ignore_errors=True)
            return
        for child in self.root.glob("*.shard*"):
            if child != self.kept:
                shutil.rmtree(child, ignore_errors=True)


def _naming_the_shard(exc: SuiteError, shard: Shard, folder: Path) -> SuiteError:
    """The same kind of error, saying which shard failed and where its files are kept."""
    where = f"{shard.describe()} failed; its input and output files are kept in {folder}"
    if isinstance(exc, ToolError):
        return type(exc)(exc.command, f"{where}: {exc.cause}", exc.returncode, exc.error_lines, exc.timed_out)
    try:
        return type(exc)(f"{where}: {exc}")
    except TypeError:  # an error class with another signature: a plain SuiteError carries the text
        return SuiteError(f"{where}: {exc}")
