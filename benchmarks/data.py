"""Benchmark datasets at realistic sizes, in the real layouts, generated (seeded) on disk."""
from __future__ import annotations

from pathlib import Path

import numpy as np

# ImageNet val: most images are 500 px on the long side (500x375, 375x500, 500x333, ...),
# a few are larger; the mix below averages about 500x390 like the real split.
IMAGENET_SIZES = [((500, 375), 40), ((375, 500), 15), ((500, 333), 15), ((333, 500), 5),
                  ((500, 500), 10), ((500, 400), 5), ((640, 480), 5), ((1024, 768), 5)]


def make_imagenet_val(root: Path, n: int, seed: int = 0) -> Path:
    """``<root>/val/ILSVRC2012_val_*.JPEG`` + ``val_label.txt``; returns ``root``."""
    from PIL import Image

    from harness.datasets.synthetic import smooth_image

    rng = np.random.default_rng(seed)
    sizes = [s for s, weight in IMAGENET_SIZES for _ in range(weight)]
    val = Path(root) / "val"
    val.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(1, n + 1):
        w, h = sizes[int(rng.integers(len(sizes)))]
        name = f"ILSVRC2012_val_{i:08d}.JPEG"
        path = val / name
        if not path.exists():
            Image.fromarray(smooth_image(rng, w, h)).save(path, format="JPEG", quality=92)
        lines.append(f"{name} {int(rng.integers(0, 1000))}")
    (Path(root) / "val_label.txt").write_text("\n".join(lines) + "\n")
    return Path(root)


def reid_structure(n_query: int, n_gallery: int, n_ids: int, n_distractor_ids: int,
                   n_cams: int, dim: int, seed: int = 0):
    """Features with identity structure (id centre + noise), ids and cameras like VeRi/Duke:
    every query id appears in the gallery, on other cameras too; distractor ids only in the
    gallery. Returns (qf, gf, q_pids, g_pids, q_camids, g_camids)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_ids + n_distractor_ids, dim)).astype(np.float32)
    q_pids = np.sort(rng.integers(0, n_ids, n_query))
    g_pids = np.concatenate([np.arange(n_ids),  # every query id has gallery images
                             rng.integers(0, n_ids + n_distractor_ids, n_gallery - n_ids)])
    q_cams = rng.integers(0, n_cams, n_query)
    g_cams = rng.integers(0, n_cams, n_gallery)
    # Identity signal small against per-image noise, so rankings are imperfect like a real
    # model's (rank-1 and mAP well below 100 %), not trivially separable.
    signal = (2.0 * (8.0 / dim) ** 0.5) ** 0.5  # id gap ~ 2 standard deviations of the noise
    qf = signal * centres[q_pids] + rng.standard_normal((n_query, dim)).astype(np.float32)
    gf = signal * centres[g_pids] + rng.standard_normal((n_gallery, dim)).astype(np.float32)
    return qf, gf, q_pids, g_pids, q_cams, g_cams


VERI = dict(n_query=1678, n_gallery=11579, n_ids=200, n_distractor_ids=0, n_cams=20, dim=1024)
DUKE = dict(n_query=2228, n_gallery=17661, n_ids=702, n_distractor_ids=408, n_cams=8, dim=2048)


# COCO val2017: images are 640 px on the long side (640x480, 640x427, 480x640, ...); the
# 6352 GT person samples the TransPose guide evaluates come from about 2350 images, 2.7
# boxes per image on average (1 to 10+; most images hold one or two people).
COCO_SIZES = [((640, 480), 40), ((640, 427), 25), ((480, 640), 12), ((427, 640), 8),
              ((640, 425), 5), ((640, 360), 5), ((500, 375), 5)]
COCO_PEOPLE = [(1, 38), (2, 22), (3, 13), (4, 9), (5, 6), (6, 4), (7, 3), (8, 2), (10, 2), (13, 1)]


def make_coco_val(root: Path, n: int, seed: int = 0) -> Path:
    """``n`` GT person samples over COCO-sized images, in the guide's layout::

        <root>/annotations/person_keypoints_val2017.json
        <root>/images/val2017/<12-digit id>.jpg

    Each image holds several person boxes of varied size (the guide decodes the image once
    per box); image ids are shuffled against the json order, as in the real file. Returns
    ``root`` (what ``coco_keypoints.open_val`` takes)."""
    import json
    import shutil

    from PIL import Image

    from harness.datasets.coco_keypoints import ANNOTATION_FILE, IMAGE_DIR, KEYPOINT_NAMES, SKELETON
    from harness.datasets.synthetic import smooth_image

    root = Path(root)
    stamp = root.parent / f"{root.name}.made"  # reused only when made with this n and seed
    if root.is_dir() and stamp.is_file() and stamp.read_text() == f"{n} {seed}":
        return root
    shutil.rmtree(root, ignore_errors=True)
    rng = np.random.default_rng(seed)
    sizes = [s for s, weight in COCO_SIZES for _ in range(weight)]
    people = [k for k, weight in COCO_PEOPLE for _ in range(weight)]
    (root / IMAGE_DIR).mkdir(parents=True, exist_ok=True)
    (root / ANNOTATION_FILE).parent.mkdir(parents=True, exist_ok=True)
    images, anns, left = [], [], n
    ids = rng.permutation(np.arange(1, 10 * n + 10))
    while left > 0:
        image_id = int(ids[len(images)])
        width, height = sizes[int(rng.integers(len(sizes)))]
        count = min(left, people[int(rng.integers(len(people)))])
        left -= count
        name = "%012d.jpg" % image_id
        images.append({"id": image_id, "file_name": name, "width": width, "height": height})
        Image.fromarray(smooth_image(rng, width, height)).save(root / IMAGE_DIR / name,
                                                              format="JPEG", quality=92)
        for _ in range(count):
            h = float(rng.uniform(0.15, 0.95) * height)
            w = float(min(width * 0.9, h * rng.uniform(0.25, 0.8)))
            x, y = float(rng.uniform(0, width - w)), float(rng.uniform(0, height - h))
            kp = []
            for _ in KEYPOINT_NAMES:
                v = int(rng.choice([0, 1, 2], p=[0.2, 0.2, 0.6]))
                kp += [round(x + float(rng.uniform(0, w)), 2), round(y + float(rng.uniform(0, h)), 2), v] \
                    if v else [0, 0, 0]
            kp[2] = kp[2] or 2
            kp[0], kp[1] = kp[0] or round(x + w / 2, 2), kp[1] or round(y + h / 4, 2)
            anns.append({"id": 100000 + len(anns), "image_id": image_id, "category_id": 1,
                         "iscrowd": 0, "bbox": [round(v, 2) for v in (x, y, w, h)],
                         "area": round(w * h * 0.6, 2), "num_keypoints": sum(1 for v in kp[2::3] if v),
                         "segmentation": [[x, y, x + w, y, x + w, y + h, x, y + h]], "keypoints": kp})
    data = {"info": {"description": "benchmark person keypoints (seeded)"}, "licenses": [],
            "images": images, "annotations": anns,
            "categories": [{"supercategory": "person", "id": 1, "name": "person",
                            "keypoints": list(KEYPOINT_NAMES), "skeleton": SKELETON}]}
    (root / ANNOTATION_FILE).write_text(json.dumps(data))
    stamp.write_text(f"{n} {seed}")
    return root
