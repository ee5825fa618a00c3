"""``TransPose_preprocess.py`` (TransPose guide), reproduced exactly.

Per ground-truth person box, in the guide's sample order
(shared/reference/models_pose_cls.md sections A.4-A.5):

1. box -> centre/scale: centre = (x + (w-1)/2, y + (h-1)/2); the box is widened or
   heightened to the 192:256 aspect ratio; scale = size / 200 (pixel std), times 1.25;
   float32 as upstream stores them;
2. ``cv2.imread(IMREAD_COLOR | IMREAD_IGNORE_ORIENTATION)`` (EXIF rotation not applied,
   grayscale becomes 3 channels), BGR -> RGB;
3. the "(size - 1)" affine of upstream's ``get_affine_transform`` (box centre -> (95.5,
   127.5), isotropic zoom (192-1)/(scale_w*200-1); only the width sets the zoom), solved by
   ``cv2.getAffineTransform`` on float32 points;
4. ``cv2.warpAffine`` to 192x256, ``INTER_LINEAR``, constant black border;
5. ToTensor (/255) and Normalize with the ImageNet mean/std, RGB, float32;
6. ``prep_data/{i:012d}.bin`` = that tensor ([1,3,256,192] float32, 589 824 bytes) and
   ``prep_data_flip/{i:012d}.bin`` = the same tensor flipped along the width (the guide
   flips the normalised tensor with ``torch.flip``).

Same bytes, less work (each step below is exact, and the parity test compares every file
with a restatement of the script):

* one decode per *image*, not per box: a job is an image and writes the files of all its
  boxes (COCO val2017 has 2.7 person boxes per image; decoding is most of the script's
  time). A job's sample id is its first box's, where the script would fail first;
* no BGR->RGB pass over the whole image: ``warpAffine`` treats each channel alike, so the
  BGR crop is the RGB crop with its channels reversed, and ``normalise_chw(bgr=True)``
  reads them in RGB order;
* ToTensor + Normalize by table lookup (``normalise_chw``: the same float32 results);
  the flip is a copy (``cv2.flip`` of the rows), as ``torch.flip`` is.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.preprocess.normalise import normalise_chw
from harness.preprocess.store import Job, Prepared, dirs_for, run_jobs

IMAGE_SIZE = (192, 256)  # (width, height), the model input
HEATMAP_SIZE = (48, 64)  # (width, height), the model output
ASPECT_RATIO = IMAGE_SIZE[0] * 1.0 / IMAGE_SIZE[1]
PIXEL_STD = 200
BOX_PADDING = 1.25
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
MAIN_DIR, FLIP_DIR = "prep_data", "prep_data_flip"
INPUT_NAME = "input"


def box_to_center_scale(x, y, w, h) -> tuple[np.ndarray, np.ndarray]:
    """Upstream ``_xywh2cs`` for the 192x256 input: float32 centre and padded scale."""
    center = np.zeros(2, dtype=np.float32)
    center[0] = x + (w - 1) * 0.5
    center[1] = y + (h - 1) * 0.5
    if w > ASPECT_RATIO * h:
        h = w * 1.0 / ASPECT_RATIO
    elif w < ASPECT_RATIO * h:
        w = h * ASPECT_RATIO
    scale = np.array([w * 1.0 / PIXEL_STD, h * 1.0 / PIXEL_STD], dtype=np.float32)
    if center[0] != -1:  # upstream's marker for "no box"; always true for GT boxes
        scale = scale * np.float32(BOX_PADDING)
    return center, scale


def affine_matrix(center: np.ndarray, scale: np.ndarray, output_size, inverse: bool = False) -> np.ndarray:
    """The 2x3 float64 matrix of upstream ``get_affine_transform`` (rotation 0, no shift).

    Three point pairs, all float32 like upstream: the box centre and the output centre
    ((size-1)/2); a point half the box width (minus one pixel) above each; and a third
    point at the first plus the second-to-first vector turned by 90 degrees.
    ``inverse`` maps output (heatmap or crop) coordinates back to the image.
    """
    import cv2

    center = np.asarray(center, dtype=np.float32)
    src_w = (np.asarray(scale, dtype=np.float32) * np.float32(200.0))[0]
    dst_w, dst_h = output_size
    src = np.zeros((3, 2), dtype=np.float32)
    dst = np.zeros((3, 2), dtype=np.float32)
    src[0] = center
    # float64 offset added to the float32 centre, rounded once to float32 (as upstream).
    src[1] = center.astype(np.float64) + np.array([0.0, (float(src_w) - 1) * -0.5])
    dst[0] = [(dst_w - 1) * 0.5, (dst_h - 1) * 0.5]
    dst[1] = np.array([(dst_w - 1) * 0.5, (dst_h - 1) * 0.5]) + np.array([0.0, (dst_w - 1) * -0.5])
    src[2] = _third_point(src[0], src[1])
    dst[2] = _third_point(dst[0], dst[1])
    if inverse:
        return cv2.getAffineTransform(dst, src)
    return cv2.getAffineTransform(src, dst)


def _third_point(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = a - b
    return b + np.array([-d[1], d[0]], dtype=np.float32)


def read_bgr(path: Path, sample_id: str | None = None) -> np.ndarray:
    """HxWx3 uint8 BGR exactly as the guide's ``cv2.imread`` returns it (EXIF orientation
    ignored, grayscale as 3 channels); a corrupt or truncated file is an ImageError naming
    it (plain cv2.imread returns None, or decodes a truncated JPEG without a word)."""
    import cv2

    from harness.datasets.images import imread_cv2

    return imread_cv2(path, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION, sample_id=sample_id)


def read_rgb(path: Path) -> np.ndarray:
    """HxWx3 uint8 RGB exactly as the guide reads it (imread, then BGR->RGB)."""
    import cv2

    return cv2.cvtColor(read_bgr(path), cv2.COLOR_BGR2RGB)


def crop(image: np.ndarray, center: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The 256x192 uint8 crop: affine warp, bilinear, black outside the image. Channels
    are warped independently, so a BGR image gives the RGB crop with channels reversed."""
    import cv2

    matrix = affine_matrix(center, scale, IMAGE_SIZE)
    return cv2.warpAffine(image, matrix, IMAGE_SIZE, flags=cv2.INTER_LINEAR)


def normalize(crop_rgb: np.ndarray, bgr: bool = False) -> np.ndarray:
    """ToTensor + Normalize -> [1, 3, 256, 192] float32 in RGB order (``bgr``: the crop is
    BGR); bit-identical to torchvision (harness.preprocess.normalise)."""
    return normalise_chw(crop_rgb, MEAN, STD, bgr=bgr)[None]


def flip_width(tensor: np.ndarray) -> np.ndarray:
    """``torch.flip(t, [3])``: reverse the last (width) axis (a copy; values unchanged)."""
    import cv2

    rows = np.ascontiguousarray(tensor).reshape(-1, tensor.shape[-1])
    return cv2.flip(rows, 1).reshape(tensor.shape)


def tensors(bgr: np.ndarray, clean_box) -> tuple[np.ndarray, np.ndarray]:
    """(main, flipped) float32 [1,3,256,192] tensors for one person box of a BGR image."""
    return crop_tensors(box_crop(bgr, clean_box))


def box_crop(bgr: np.ndarray, clean_box) -> np.ndarray:
    """The 256x192 uint8 BGR crop of one person box."""
    center, scale = box_to_center_scale(*clean_box)
    return crop(bgr, center, scale)


def crop_tensors(crop_bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(main, flipped) float32 tensors of one BGR crop: both come from the one crop."""
    main = normalize(crop_bgr, bgr=True)
    return main, flip_width(main)


def preprocess_sample(image_path: Path, clean_box) -> tuple[np.ndarray, np.ndarray]:
    """(main, flipped) float32 [1,3,256,192] tensors for one person box."""
    return tensors(read_bgr(image_path), clean_box)


def preprocess(samples, out_root: Path, workers: int = 0, progress=None) -> Prepared:
    """Write both input sets: ``prep_data/<id>.bin`` and ``prep_data_flip/<id>.bin``.

    One job per image (every box of it, in sample order), so each image is decoded once."""
    by_image: dict[Path, list] = {}
    for sid in samples.sample_ids:
        s = samples.samples[sid]
        by_image.setdefault(s.image_path, []).append((sid, s.clean_box))
    jobs = [Job(boxes[0][0], tuple(f for sid, _ in boxes for f in (f"{MAIN_DIR}/{sid}.bin",
                                                                  f"{FLIP_DIR}/{sid}.bin")),
                (path, tuple(boxes)))
            for path, boxes in by_image.items()]
    run_jobs(jobs, out_root, _work, workers=workers,
             progress=per_sample_progress(progress, [len(j.payload[1]) for j in jobs]),
             preload=("cv2",))
    sets = {"main": {INPUT_NAME: MAIN_DIR}, "flip": {INPUT_NAME: FLIP_DIR}}
    return Prepared(out_root, list(samples.sample_ids), dirs_for(out_root, sets))


def per_sample_progress(progress, counts: list[int]):
    """``progress`` counts samples; ``run_jobs`` ticks jobs (``counts[k]`` samples each).
    Reports done jobs scaled to samples: approximate while running, exact at the end."""
    if progress is None:
        return None
    n_jobs, total, state = len(counts), sum(counts), {"jobs": 0, "told": 0}

    def tick(n: int = 1) -> None:
        state["jobs"] += n
        now = total if state["jobs"] >= n_jobs else state["jobs"] * total // max(1, n_jobs)
        if now > state["told"]:
            progress(now - state["told"])
            state["told"] = now
    return tick


def compact(payload) -> dict[str, np.ndarray]:
    """A job's 8-bit form (``harness.preprocess.compact``): one BGR crop per box (the
    flipped input is derived from the same crop, so it is not kept)."""
    path, boxes = payload
    bgr = read_bgr(path, sample_id=boxes[0][0])
    return {f"crop{k}": box_crop(bgr, box) for k, (_, box) in enumerate(boxes)}


def expand(payload, arrays) -> list[tuple[str, np.ndarray]]:
    """Both files of every box from its crop."""
    _, boxes = payload
    out = []
    for k, (sid, _) in enumerate(boxes):
        main, flipped = crop_tensors(arrays[f"crop{k}"])
        out += [(f"{MAIN_DIR}/{sid}.bin", main), (f"{FLIP_DIR}/{sid}.bin", flipped)]
    return out


def _work(payload):
    return expand(payload, compact(payload))
