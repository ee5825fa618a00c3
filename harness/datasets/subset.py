"""A declared subset of a real dataset: its first N samples in the guide's own order.

A subset run (``--subset N``) carries the real tier end to end - checkpoint, the real
layout, preprocessing, inference, the guide's metric - in minutes, without claiming the
published numbers. What "the first N" means per dataset, chosen so that the guide's metric
stays computable over the subset:

* ImageNet val: the first N images in sample order (file name order).
* Re-id (DukeMTMC-reID, VeRi): the first N queries, searched against the **whole gallery**:
  cutting the gallery would remove most queries' true matches and change every ranking.
* COCO person keypoints: the first N ground-truth person samples (json image x annotation
  order). AP is still computed against every image's ground truth, so people the subset
  leaves out count as missed: the number is a smoke figure, not comparable to AP.
* Market-1501 ``train_all`` (DG-Net): the first N images in ImageFolder order; FID still
  compares against the whole real folder.

``first_n`` returns the subset and a sentence describing it, for the records.
"""
from __future__ import annotations

from dataclasses import replace

from harness.datasets.coco_keypoints import CocoKeypoints
from harness.datasets.errors import DatasetError
from harness.datasets.imagenet import ImageNetVal
from harness.datasets.market1501 import MarketTrainAll
from harness.datasets.reid import ReidDataset, ReidSplit


def first_n(samples, n: int):
    """(the first ``n`` samples of ``samples``, what was kept); fewer than ``n`` available
    is an error naming the dataset, since the subset would not be the one asked for."""
    for kind, cut in _CUTTERS:
        if isinstance(samples, kind):
            return cut(samples, n)
    raise DatasetError(f"{getattr(samples, 'root', samples)}: no subset rule for {type(samples).__name__}")


def _need(root, what: str, available: int, n: int) -> None:
    if available < n:
        raise DatasetError(f"{root}: --subset {n} asks for the first {n} {what}, the dataset has {available}")


def _imagenet(samples: ImageNetVal, n: int):
    _need(samples.root, "images", len(samples.sample_ids), n)
    ids = list(samples.sample_ids[:n])
    kept = replace(samples, images={i: samples.images[i] for i in ids},
                   labels={i: samples.labels[i] for i in ids}, _ids=ids)
    return kept, f"first {n} of {len(samples.sample_ids)} images"


def _split_head(split: ReidSplit, n: int) -> ReidSplit:
    """The first ``n`` rows of a split; per-image lists/arrays in ``extra`` are cut alike."""
    size = len(split)
    extra = {k: (v[:n] if hasattr(v, "__len__") and not isinstance(v, (str, dict)) and len(v) == size else v)
             for k, v in split.extra.items()}
    return ReidSplit(split.name, split.file_ids[:n], split.paths[:n], split.pids[:n], split.camids[:n], extra)


def _reid(samples: ReidDataset, n: int):
    _need(samples.root, "queries", len(samples.query), n)
    kept = replace(samples, query=_split_head(samples.query, n))
    return kept, f"first {n} of {len(samples.query)} queries against all {len(samples.gallery)} gallery images"


def _coco(samples: CocoKeypoints, n: int):
    _need(samples.root, "person samples", len(samples.sample_ids), n)
    ids = list(samples.sample_ids[:n])
    chosen = {i: samples.samples[i] for i in ids}
    kept = replace(samples, samples=chosen, _ids=ids, num_images=len({s.image_id for s in chosen.values()}))
    return kept, (f"first {n} of {len(samples.sample_ids)} person samples ({kept.num_images} images; "
                  "AP counts the other images' people as missed)")


def _market(samples: MarketTrainAll, n: int):
    _need(samples.folder, "images", len(samples.images), n)
    kept = replace(samples, images=list(samples.images[:n]))
    return kept, f"first {n} of {len(samples.images)} images (FID against the whole real folder)"


_CUTTERS = ((ImageNetVal, _imagenet), (ReidDataset, _reid), (CocoKeypoints, _coco), (MarketTrainAll, _market))
