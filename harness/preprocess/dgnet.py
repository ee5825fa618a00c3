"""``DGnet_preprocess.py`` (DG-Net guide), reproduced.

shared/reference/models_reid.md section 3.5. Every image of ``train_all`` in ImageFolder
order is a *content/appearance* image; it is paired with a *structure* image drawn by a
shuffled second loader over the same dataset. Per image: PIL ``convert('RGB')`` ->
``Resize((256, 128), interpolation=3)`` (PIL bicubic, 64x128 crops are upscaled x2) ->
``ToTensor`` -> ImageNet normalisation, float32. The structure input is ``to_gray``: the
mean over the three channels of the *normalised* tensor (not a luminance conversion).

Files, identical names in both folders so the two inputs pair up by name::

    bin_path1/<L2>_<L1>_gan<stem>.bin   appearance [1,3,256,128]  -> model input image2
    bin_path2/<L2>_<L1>_gan<stem>.bin   structure  [1,1,256,128]  -> model input image1

L2 = structure label, L1 = content label (``%03d``), stem = content file name minus its
last four characters (``name[:-4]``).

Departure (recorded in the guide): the guide's structure loader shuffles without a seed,
so its pairing changes on every run. The suite pairs content ``i`` with structure
``perm[i]``, ``perm = torch.randperm(n)`` from a generator seeded with ``PAIRING_SEED``
(10, the seed upstream's own ``test_folder.py`` uses), so runs are reproducible.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.datasets.images import open_rgb_pil
from harness.io import natural_key
from harness.preprocess.store import Job, Prepared, dirs_for, run_jobs

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
SIZE_HW = (256, 128)
PAIRING_SEED = 10
APPEARANCE_DIR, STRUCTURE_DIR = "bin_path1", "bin_path2"


def pairing(n: int, seed: int = PAIRING_SEED) -> list[int]:
    """Structure index for each content index (a seeded stand-in for the unseeded shuffle)."""
    import torch

    return torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()


def sample_name(structure_label: int, content_label: int, content_file: str) -> str:
    """The guide's file stem ``'%03d_%03d_gan%s' % (label2, label, name[:-4])``."""
    return "%03d_%03d_gan%s" % (structure_label, content_label, content_file[:-4])


def normalised_image(path: Path) -> np.ndarray:
    """One image -> float32 [3,256,128]: PIL bicubic resize, /255, ImageNet normalisation."""
    from PIL import Image

    img = open_rgb_pil(path).resize((SIZE_HW[1], SIZE_HW[0]), Image.BICUBIC)
    arr = np.asarray(img, dtype=np.uint8).transpose(2, 0, 1).astype(np.float32) / np.float32(255)
    mean = np.asarray(MEAN, dtype=np.float32)[:, None, None]
    std = np.asarray(STD, dtype=np.float32)[:, None, None]
    return (arr - mean) / std


def to_gray(normalised: np.ndarray) -> np.ndarray:
    """``torch.mean(x, dim=1, keepdim=True)`` of the normalised [3,H,W] tensor -> [1,H,W].

    Done with torch, as the guide does, so the float32 rounding is the same."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(normalised)).mean(dim=0, keepdim=True).numpy()


def preprocess(samples, out_root: Path, workers: int = 0, progress=None,
               seed: int = PAIRING_SEED) -> Prepared:
    """Write both folders for every content image; sample ids in ais_bench (natural) order."""
    images = samples.images
    perm = pairing(len(images), seed)
    jobs = []
    for i, (path, label) in enumerate(images):
        s_path, s_label = images[perm[i]]
        sid = sample_name(s_label, label, path.name)
        jobs.append(Job(sid, (f"{APPEARANCE_DIR}/{sid}.bin", f"{STRUCTURE_DIR}/{sid}.bin"),
                        (sid, path, s_path)))
    if len({j.sample_id for j in jobs}) != len(jobs):
        raise ValueError(f"{samples.folder}: two images give the same output name; the guide's "
                         "files would overwrite each other")
    ids = run_jobs(jobs, out_root, _work, workers=workers, progress=progress, threads=True)
    return Prepared(out_root, sorted(ids, key=natural_key),
                    dirs_for(out_root, {"main": {"image1": STRUCTURE_DIR, "image2": APPEARANCE_DIR}}),
                    meta={"pairing_seed": seed})


def _work(payload):
    sid, content_path, structure_path = payload
    return [(f"{APPEARANCE_DIR}/{sid}.bin", normalised_image(content_path)),
            (f"{STRUCTURE_DIR}/{sid}.bin", to_gray(normalised_image(structure_path)))]
