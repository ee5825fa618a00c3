"""The straightforward way: each guide's script restated as a plain loop in one process,
with the same library calls the script makes (written from the reference, independently
of the suite's code). Only what the timing needs: no error handling, no validation.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np


# -- DPN131: imagenet_torch_preprocess.py (shared/reference/models_pose_cls.md B.6) ---------
def dpn131_script(image_paths: list[Path], out_dir: Path) -> None:
    """``imagenet_torch_preprocess.py dpn131 <val> <out>``, one process."""
    from PIL import Image

    mean, std = [0.486, 0.459, 0.408], [0.235, 0.235, 0.235]
    os.makedirs(out_dir, exist_ok=True)
    for path in image_paths:
        img = Image.open(path).convert("RGB")
        w, h = img.size
        if not ((w <= h and w == 256) or (h <= w and h == 256)):
            if w < h:
                img = img.resize((256, int(256 * h / w)), Image.BILINEAR)
            else:
                img = img.resize((int(256 * w / h), 256), Image.BILINEAR)
        w, h = img.size
        top, left = int(round((h - 224) / 2.)), int(round((w - 224) / 2.))
        img = img.crop((left, top, left + 224, top + 224))
        img = np.array(img, dtype=np.float32)
        img = img.transpose(2, 0, 1) / 255.
        for c in range(3):
            img[c] = (img[c] - mean[c]) / std[c]
        img.tofile(os.path.join(out_dir, Path(path).name.split(".")[0] + ".bin"))


# -- re-id evaluation: the standard protocol, one query at a time --------------------------
def squared_euclidean(qf: np.ndarray, gf: np.ndarray) -> np.ndarray:
    """||q||^2 + ||g||^2 - 2 q.g in float32, as the scripts' ``addmm_``."""
    qf, gf = qf.astype(np.float32), gf.astype(np.float32)
    d = (qf * qf).sum(1, keepdims=True) + (gf * gf).sum(1)[None, :]
    d -= 2.0 * (qf @ gf.T)
    return d


def reid_per_query(distmat: np.ndarray, q_pids, g_pids, q_camids, g_camids,
                   max_rank: int = 50) -> tuple[np.ndarray, float]:
    """CMC (first ``max_rank``) and mAP, looping over queries as eval_market1501 does:
    sort the row, drop same-id-and-same-camera gallery items, skip a query without a
    remaining match, CMC = cumulative hits clipped to 1, AP = mean precision at the hits."""
    q_pids, g_pids = np.asarray(q_pids), np.asarray(g_pids)
    q_camids, g_camids = np.asarray(q_camids), np.asarray(g_camids)
    max_rank = min(max_rank, distmat.shape[1])
    all_cmc, all_ap = [], []
    for q in range(distmat.shape[0]):
        order = np.argsort(distmat[q])
        keep = ~((g_pids[order] == q_pids[q]) & (g_camids[order] == q_camids[q]))
        hits = (g_pids[order] == q_pids[q])[keep].astype(np.int32)
        if not hits.any():
            continue
        cmc = hits.cumsum()
        cmc[cmc > 1] = 1
        all_cmc.append(cmc[:max_rank])
        precision = hits.cumsum() / np.arange(1, len(hits) + 1)
        all_ap.append((precision * hits).sum() / hits.sum())
    if not all_cmc:
        raise ValueError("no query has a match in the gallery")
    cmc = np.asarray(all_cmc, dtype=np.float32).sum(0) / len(all_cmc)
    return cmc, float(np.mean(all_ap))


def reid_script_loop(distmat: np.ndarray, q_pids, g_pids, q_camids, g_camids,
                     max_rank: int = 50) -> tuple[np.ndarray, float]:
    """The scripts' own ``eval_market1501`` / ``eval_func`` loop as written upstream: one
    argsort of the whole matrix, then per query the same steps as ``reid_per_query`` but
    with AP's precisions built by a Python comprehension over every kept gallery item."""
    q_pids, g_pids = np.asarray(q_pids), np.asarray(g_pids)
    q_camids, g_camids = np.asarray(q_camids), np.asarray(g_camids)
    max_rank = min(max_rank, distmat.shape[1])
    indices = np.argsort(distmat, axis=1)
    matches = (g_pids[indices] == q_pids[:, np.newaxis]).astype(np.int32)
    all_cmc, all_ap = [], []
    for q in range(distmat.shape[0]):
        order = indices[q]
        keep = np.invert((g_pids[order] == q_pids[q]) & (g_camids[order] == q_camids[q]))
        orig_cmc = matches[q][keep]
        if not np.any(orig_cmc):
            continue
        cmc = orig_cmc.cumsum()
        cmc[cmc > 1] = 1
        all_cmc.append(cmc[:max_rank])
        tmp = orig_cmc.cumsum()
        tmp = [x / (i + 1.) for i, x in enumerate(tmp)]
        tmp = np.asarray(tmp) * orig_cmc
        all_ap.append(tmp.sum() / orig_cmc.sum())
    cmc = np.asarray(all_cmc).astype(np.float32).sum(0) / len(all_cmc)
    return cmc, float(np.mean(all_ap))


# -- PAMTRI: PAMTRI_preprocess.py (models_reid.md 1.5), batch 1 -----------------------------
def pamtri_script(splits: dict, out_dir: Path) -> None:
    """``splits``: {set name: (file ids, paths)}; cv2 read, RGB restack, cv2.resize 256x256,
    to_tensor + normalize (torchvision), ``tofile`` per image."""
    import cv2
    import torchvision.transforms.functional as TF

    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    for set_name, (ids, paths) in splits.items():
        os.makedirs(out_dir / set_name, exist_ok=True)
        for fid, path in zip(ids, paths):
            img = cv2.imread(str(path), cv2.IMREAD_COLOR)
            b, g, r = cv2.split(img)
            img = np.stack([r, g, b], axis=2)
            img = cv2.resize(img, dsize=(256, 256), interpolation=cv2.INTER_LINEAR)
            t = TF.normalize(TF.to_tensor(img), mean, std)
            t.numpy().tofile(os.path.join(out_dir, set_name, f"{fid}.bin"))


# -- Centroids-reid: centroid-reid_preprocess.py (models_reid.md 2.5) ------------------------
def centroids_script(splits: dict, out_dir: Path) -> None:
    """PIL open + convert('RGB'), Resize([256, 128]), ToTensor, Normalize, ``tofile``."""
    import torchvision.transforms as T
    from PIL import Image

    transform = T.Compose([T.Resize([256, 128]), T.ToTensor(),
                           T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    for set_name, (ids, paths) in splits.items():
        os.makedirs(out_dir / set_name, exist_ok=True)
        for fid, path in zip(ids, paths):
            img = Image.open(path).convert("RGB")
            transform(img).numpy().tofile(os.path.join(out_dir, set_name, f"{fid}.bin"))
