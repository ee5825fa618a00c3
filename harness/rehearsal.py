"""Material for a rehearsal of the real tier: a generated dataset in the guide's real layout
under a data root, and a checkpoint in the upstream file format (seeded random weights)
under a weights root, each where ``--data-root`` / ``--weights-root`` expect them.

Each checkpoint is written the way its upstream saves it, so that the guide's own loader
reads it unchanged (``CheckpointSpec.loader``). Its checksum cannot match the published one:
a rehearsal runs with ``--subset N --weights-checksum record``, which records the weights
as unverified and judges no published number.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable


def write_dataset(guide, data_root: Path, n: int, seed: int = 0) -> Path:
    """The guide's synthetic generator, writing the real layout under ``data_root``."""
    folder = Path(data_root) / guide.dataset.subdir
    guide.dataset.make_synthetic(folder, n, seed)
    return folder


def write_checkpoint(guide, weights_root: Path, seed: int = 0) -> list[Path]:
    """The seeded model's weights in the guide's upstream format; returns the files written."""
    path = Path(weights_root) / guide.checkpoint.file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    state = guide.build_model(seed=seed).state_dict()
    writer = _WRITERS.get(guide.name, _plain_state_dict)
    return writer(path, state)


def write_auxiliary_files(guide, weights_root: Path, seed: int = 0) -> list[Path]:
    """The files a guide's metric needs beside the checkpoint (``Guide.real_tier_files``),
    with seeded random weights in their published format: DG-Net's FID Inception weights."""
    import torch

    from harness.metrics import inception

    writers = {inception.WEIGHTS_FILE: inception.build_network}
    written = []
    for aux in guide.real_tier_files:
        torch.manual_seed(seed)
        written.append(_save(dict(writers[aux.file_name]().state_dict()), Path(weights_root) / aux.file_name))
    return written


def _save(obj, path: Path) -> Path:
    import torch

    torch.save(obj, path)
    return path


def _plain_state_dict(path: Path, state) -> list[Path]:
    """torchvision / Cadene / TransPose releases: the state_dict itself, as
    ``torch.save(model.state_dict())`` writes it (an OrderedDict carrying each module's
    version in ``_metadata``, which some modules' loading reads)."""
    return [_save(state, path)]


def _wrapped(key: str) -> Callable:
    """Releases holding the state_dict under ``key`` (DeiT's ``{'model': ...}``)."""
    def write(path: Path, state) -> list[Path]:
        return [_save({key: state}, path)]
    return write


def _lightning(path: Path, state) -> list[Path]:
    """Centroids-reid's Lightning file: ``state_dict`` plus the ``hyper_parameters`` its
    post-processing reads (plain dicts here; upstream pickles yacs/Lightning classes)."""
    hparams = {"MODEL": {"USE_CENTROIDS": False, "KEEP_CAMID_CENTROIDS": True, "LAST_STRIDE": 1,
                         "NAME": "resnet50"},
               "TEST": {"FEAT_NORM": True}, "SOLVER": {"DISTANCE_FUNC": "euclidean"},
               "num_query": 2228, "num_classes": 702}
    return [_save({"epoch": 119, "global_step": 0, "pytorch-lightning_version": "1.1.4",
                   "state_dict": dict(state), "hyper_parameters": hparams}, path)]


def _pamtri(path: Path, state) -> list[Path]:
    """PAMTRI's ``model_best.pth.tar``: {'state_dict', 'rank1', 'epoch'}."""
    return [_save({"state_dict": dict(state), "rank1": 0.0, "epoch": 0}, path)]


def _dgnet(path: Path, state) -> list[Path]:
    """DG-Net's trainer bundle: ``gen_*.pt`` and ``id_*.pt`` beside it, each {'a': state_dict}."""
    from harness.models.dgnet import ID_FILE

    parts = {"gen_a.": path, "id_a.": path.parent / ID_FILE}
    return [_save({"a": {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}}, target)
            for prefix, target in parts.items()]


_WRITERS: dict[str, Callable] = {"centroids_reid": _lightning, "pamtri": _pamtri, "dgnet": _dgnet,
                                 "deit_small": _wrapped("model")}
