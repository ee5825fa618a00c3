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


def reid_hard(n_query: int, n_gallery: int, n_ids: int, n_cams: int, dim: int,
              strength: float, camera_pull: float = 0.25, seed: int = 1):
    """A weak model's features, generated independently of ``reid_structure``: unit-length
    id directions scaled by ``strength`` (against unit-variance noise per dimension spread
    over ``dim``), plus a per-camera direction of length ``camera_pull`` shared by every
    image of that camera (same-camera images of other ids look alike, as under one
    camera's light and angle). A lower ``strength`` pushes each query's farthest match
    deeper into its row; ``share_before_last_match`` measures how deep. Every query id has
    gallery images. Returns (qf, gf, q_pids, g_pids, q_camids, g_camids), float32 features."""
    rng = np.random.default_rng(seed)

    def directions(n):
        v = rng.standard_normal((n, dim))
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    ids, cams = directions(n_ids) * strength, directions(n_cams) * camera_pull
    g_pids = rng.permutation(np.concatenate([np.arange(n_ids), rng.integers(0, n_ids, n_gallery - n_ids)]))
    q_pids = np.sort(rng.integers(0, n_ids, n_query))
    q_cams, g_cams = rng.integers(0, n_cams, n_query), rng.integers(0, n_cams, n_gallery)
    noise = 1.0 / np.sqrt(dim)  # unit expected norm of the noise vector
    qf = ids[q_pids] + cams[q_cams] + rng.standard_normal((n_query, dim)) * noise
    gf = ids[g_pids] + cams[g_cams] + rng.standard_normal((n_gallery, dim)) * noise
    return (qf.astype(np.float32), gf.astype(np.float32), q_pids, g_pids, q_cams, g_cams)


def share_before_last_match(distmat: np.ndarray, q_pids, g_pids, q_camids, g_camids) -> float:
    """Mean share of a row's gallery items at most as far as the query's farthest kept
    match (same id, other camera): the part of the row a ranking must order, not just
    count past. Queries without a kept match are left out."""
    q_pids, g_pids = np.asarray(q_pids), np.asarray(g_pids)
    q_camids, g_camids = np.asarray(q_camids), np.asarray(g_camids)
    shares = []
    for start in range(0, len(q_pids), 256):  # a few hundred rows at a time: bounded memory
        rows = slice(start, start + 256)
        match = (g_pids[None, :] == q_pids[rows, None]) & (g_camids[None, :] != q_camids[rows, None])
        last = np.where(match, distmat[rows], -np.inf).max(axis=1)
        ok = match.any(axis=1)
        shares.append((distmat[rows][ok] <= last[ok, None]).mean(axis=1))
    return float(np.concatenate(shares).mean())


def rows_with_tied_match(distmat: np.ndarray, q_pids, g_pids, q_camids, g_camids) -> int:
    """Queries where a kept match is at exactly the distance of a kept non-matching item:
    the rows whose CMC/AP depend on ``np.argsort``'s order within a tie."""
    q_pids, g_pids = np.asarray(q_pids), np.asarray(g_pids)
    q_camids, g_camids = np.asarray(q_camids), np.asarray(g_camids)
    count = 0
    for i in range(len(q_pids)):
        same = g_pids == q_pids[i]
        hits = np.sort(distmat[i, same & (g_camids != q_camids[i])])
        if not len(hits):
            continue
        others = distmat[i, ~same]
        at = np.minimum(np.searchsorted(hits, others), len(hits) - 1)
        count += bool((hits[at] == others).any())
    return count


# VeRi's query/gallery/id/camera counts with a weak model: "hard" puts ~21 % of each row
# before its farthest match, "harder" ~50 % (measured by share_before_last_match).
VERI_HARD = dict(n_query=1678, n_gallery=11579, n_ids=200, n_cams=20, dim=1024, strength=0.375)
VERI_HARDER = dict(VERI_HARD, strength=0.31)


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
