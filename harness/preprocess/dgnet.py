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

Same bytes, less work: the script's two loaders decode and resize every image twice (once
as content, once as someone's structure). Here a job is one *image*: it is decoded,
resized and normalised once, and written as the appearance input of its own sample and as
the grey structure input of the sample it is paired into (``perm`` is a permutation, so
every file is written by exactly one job). A job's sample id is its content sample's.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.datasets.images import open_rgb_pil
from harness.io import natural_key
from harness.preprocess import pil_resize
from harness.preprocess.normalise import normalise_chw
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


def normalised_image(path: Path, sample_id: str | None = None) -> np.ndarray:
    """One image -> float32 [3,256,128]: PIL bicubic resize, ToTensor, ImageNet
    normalisation (table lookup, bit-identical to torchvision: harness.preprocess.normalise)."""
    return normalise_chw(resized_image(path, sample_id), MEAN, STD)


def resized_image(path: Path, sample_id: str | None = None) -> np.ndarray:
    """The uint8 RGB image resized to 256x128 (PIL bicubic), before ToTensor."""
    from PIL import Image

    img = pil_resize.resize(open_rgb_pil(path, sample_id), (SIZE_HW[1], SIZE_HW[0]), Image.BICUBIC)
    return np.asarray(img)


def to_gray(normalised: np.ndarray) -> np.ndarray:
    """``torch.mean(x, dim=1, keepdim=True)`` of the normalised [3,H,W] tensor -> [1,H,W].

    torch sums the three channels in order, ``(c0 + c1) + c2``, then divides by 3, each a
    correctly rounded float32 operation; the same here. Checked against torch for all
    2**24 (c0, c1, c2) values a normalised pixel can take (test_dgnet_pipeline)."""
    x = np.asarray(normalised, dtype=np.float32)
    gray = np.add(x[0], x[1])
    gray += x[2]
    gray /= np.float32(3)
    return gray[None]


def preprocess(samples, out_root: Path, workers: int = 0, progress=None,
               seed: int = PAIRING_SEED) -> Prepared:
    """Write both folders for every content image; sample ids in ais_bench (natural) order."""
    images = samples.images
    perm = pairing(len(images), seed)
    names = [sample_name(images[perm[i]][1], label, path.name) for i, (path, label) in enumerate(images)]
    if len(set(names)) != len(names):
        raise ValueError(f"{samples.folder}: two images give the same output name; the guide's "
                         "files would overwrite each other")
    paired_into = [0] * len(images)  # image j is the structure of sample paired_into[j]
    for i, j in enumerate(perm):
        paired_into[j] = i
    jobs = []
    for j, (path, _) in enumerate(images):
        content, structure = names[j], names[paired_into[j]]
        jobs.append(Job(content, (f"{APPEARANCE_DIR}/{content}.bin", f"{STRUCTURE_DIR}/{structure}.bin"),
                        (content, path, structure)))
    run_jobs(jobs, out_root, _work, workers=workers, progress=progress,
             preload=("PIL.Image", "simplejpeg", "cv2"))
    return Prepared(out_root, sorted(names, key=natural_key),
                    dirs_for(out_root, {"main": {"image1": STRUCTURE_DIR, "image2": APPEARANCE_DIR}}),
                    meta={"pairing_seed": seed})


def compact(payload) -> dict[str, np.ndarray]:
    """A job's 8-bit form (``harness.preprocess.compact``): the resized image, from which
    both its appearance and its structure file follow."""
    content, path, _ = payload
    return {"image": resized_image(path, content)}


def expand(payload, arrays) -> list[tuple[str, np.ndarray]]:
    content, _, structure = payload
    image = normalise_chw(arrays["image"], MEAN, STD)
    return [(f"{APPEARANCE_DIR}/{content}.bin", image[None]),
            (f"{STRUCTURE_DIR}/{structure}.bin", to_gray(image)[None])]


def _work(payload):
    return expand(payload, compact(payload))
