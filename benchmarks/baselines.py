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


# -- TransPose: TransPose_preprocess.py (models_pose_cls.md A.4-A.5), batch 1 ---------------
def transpose_script(boxes: list, out_dir: Path) -> None:
    """``boxes``: [(image path, clean box (x, y, w, h))] in the guide's sample order (json
    image order x json annotation order, sanitised GT person boxes). Per sample, as the
    script's dataset + DataLoader (batch 1, no shuffle, 0 workers) do it: ``_xywh2cs``
    (aspect 0.75, pixel std 200, x1.25, float32), ``get_affine_transform`` (three float32
    point pairs, ``cv2.getAffineTransform``), ``cv2.imread(COLOR | IGNORE_ORIENTATION)``
    once per sample, BGR->RGB, ``cv2.warpAffine`` to 192x256 bilinear, torchvision
    ToTensor + Normalize, ``tofile`` to ``prep_data/{i:012d}.bin`` and ``torch.flip(.., [3])``
    to ``prep_data_flip/{i:012d}.bin``. Left out: the DataLoader itself (its batch-1
    collation only adds time) and the joints/meta the dataset also returns."""
    import cv2
    import torch
    import torchvision.transforms as T

    to_input = T.Compose([T.ToTensor(),
                          T.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])])
    main_dir, flip_dir = os.path.join(out_dir, "prep_data"), os.path.join(out_dir, "prep_data_flip")
    os.makedirs(main_dir)
    os.makedirs(flip_dir)
    for i, (path, (x, y, w, h)) in enumerate(boxes):
        # _xywh2cs
        center = np.zeros((2), dtype=np.float32)
        center[0] = x + (w - 1) * 0.5
        center[1] = y + (h - 1) * 0.5
        if w > 0.75 * h:
            h = w * 1.0 / 0.75
        elif w < 0.75 * h:
            w = h * 0.75
        scale = np.array([w * 1.0 / 200, h * 1.0 / 200], dtype=np.float32)
        if center[0] != -1:
            scale = scale * 1.25
        # get_affine_transform(center, scale, 0, (192, 256))
        src_w = (scale * 200.0)[0]
        sn, cs = np.sin(0.0), np.cos(0.0)  # get_dir([0, (src_w - 1) * -0.5], rot_rad=0)
        src_dir = [0 * cs - (src_w - 1) * -0.5 * sn, 0 * sn + (src_w - 1) * -0.5 * cs]
        dst_dir = np.array([0, (192 - 1) * -0.5], np.float32)
        src = np.zeros((3, 2), dtype=np.float32)
        dst = np.zeros((3, 2), dtype=np.float32)
        src[0, :] = center
        src[1, :] = center + src_dir
        dst[0, :] = [(192 - 1) * 0.5, (256 - 1) * 0.5]
        dst[1, :] = np.array([(192 - 1) * 0.5, (256 - 1) * 0.5]) + dst_dir
        for pts in (src, dst):
            direct = pts[0, :] - pts[1, :]
            pts[2, :] = pts[1, :] + np.array([-direct[1], direct[0]], dtype=np.float32)
        trans = cv2.getAffineTransform(np.float32(src), np.float32(dst))
        # __getitem__
        data_numpy = cv2.imread(str(path), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
        data_numpy = cv2.cvtColor(data_numpy, cv2.COLOR_BGR2RGB)
        inp = cv2.warpAffine(data_numpy, trans, (192, 256), flags=cv2.INTER_LINEAR)
        image = to_input(inp).unsqueeze(0)
        image.numpy().tofile(os.path.join(main_dir, "{:012d}.bin".format(i)))
        torch.flip(image, [3]).numpy().tofile(os.path.join(flip_dir, "{:012d}.bin".format(i)))


# -- DG-Net: DGnet_preprocess.py (models_reid.md 3.5), batch 1 -------------------------------
def dgnet_script(train_all: Path, perm: list[int], out_dir: Path) -> None:
    """``train_all``: the ImageFolder root; ``perm[i]``: the structure index paired with
    content index ``i`` (the script draws it from an unseeded shuffled second loader; the
    suite's seeded ``torch.randperm`` is passed in so the files compare byte for byte).

    Per content image, in ImageFolder order: ``dataset[i]`` and ``dataset[perm[i]]`` (each
    a PIL open + ``convert('RGB')`` + ``Resize((256, 128), interpolation=3)`` + ToTensor +
    Normalize, so every image is decoded and resized twice, as the script's two loaders
    do), ``to_gray`` (channel mean of the normalised structure tensor, keepdim), ``tofile``
    to ``bin_path1/%03d_%03d_gan%s.bin`` (content) and ``bin_path2/<same>.bin`` (grey
    structure). Left out: the two DataLoaders (their batch-1 collation and the structure
    loader's shuffle only add time) and the model the script also builds before the loop."""
    import torch
    import torchvision.transforms as T
    from torchvision import datasets

    transform = T.Compose([T.Resize((256, 128), interpolation=3), T.ToTensor(),
                           T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    dataset = datasets.ImageFolder(str(train_all), transform)
    bin_path1, bin_path2 = os.path.join(out_dir, "bin_path1"), os.path.join(out_dir, "bin_path2")
    os.makedirs(bin_path1, exist_ok=True)
    os.makedirs(bin_path2, exist_ok=True)
    for i, (path, label) in enumerate(dataset.imgs):
        id_img = dataset[i][0].unsqueeze(0)
        bg_img, label2 = dataset[perm[i]]
        bg_img = torch.mean(bg_img.unsqueeze(0), dim=1, keepdim=True)  # to_gray
        name = "%03d_%03d_gan%s" % (label2, label, os.path.basename(path)[:-4])
        id_img.numpy().tofile(os.path.join(bin_path1, name + ".bin"))
        bg_img.numpy().tofile(os.path.join(bin_path2, name + ".bin"))
