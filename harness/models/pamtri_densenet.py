"""PAMTRI's multi-task DenseNet-121 (NVlabs/PAMTRI ``MultiTaskNet``), as the ModelZoo guide
exports it (shared/reference/models_reid.md section 1.1-1.4).

Module names equal the upstream state_dict keys, so ``model_best.pth.tar`` loads unchanged
(737 entries with 575 ids): ``base.*`` is torchvision's ``densenet121().features``
(conv0 ... norm5), then ``fc_vid``/``fc_vcolor``/``fc_vtype`` and the three classifiers.

What the guide's flags select (``--multitask``; no keypoint, heatmap or segment input):

* no ReLU after ``norm5``: upstream uses only ``.features``, whose last module is the BN;
  torchvision's full ``DenseNet.forward`` would add a ReLU, which PAMTRI does not have;
* average pooling over the whole 8x8 map with a constant kernel (the guide's
  ``densenet.patch``: a shape-derived kernel cannot be exported);
* ``f_vid = leaky_relu(fc_vid(f))`` (slope 0.01) is the retrieval feature;
* outputs in forward order ``(y_id, y_color, y_type, f_vid)`` = ONNX output1..output4.

The number of ids is a training-set count (``label_train.csv``); the newest guide's table
says 575. ``fit_to_checkpoint`` resizes the id classifier to a checkpoint's own count.
"""
from __future__ import annotations

from typing import Any, Mapping

import torch
import torch.nn.functional as F
from torch import nn

DEFAULT_NUM_VIDS = 575  # newest ModelZoo README, output table (1 x 575)
NUM_VCOLORS = 10
NUM_VTYPES = 9


class PAMTRIDenseNet121(nn.Module):
    def __init__(self, num_vids: int = DEFAULT_NUM_VIDS, num_vcolors: int = NUM_VCOLORS,
                 num_vtypes: int = NUM_VTYPES):
        super().__init__()
        import torchvision

        # weights=None: nothing is downloaded; the checkpoint overwrites every tensor.
        self.base = torchvision.models.densenet121(weights=None).features
        self.fc_vid = nn.Linear(1024, 1024)
        self.fc_vcolor = nn.Linear(1024, 512)
        self.fc_vtype = nn.Linear(1024, 512)
        self.classifier_vid = nn.Linear(1024, num_vids)
        self.classifier_vcolor = nn.Linear(512, num_vcolors)
        self.classifier_vtype = nn.Linear(512, num_vtypes)
        self.feat_dim = 1024

    def forward(self, x):
        x = self.base(x)
        # Constant kernel from the static shape (the guide's densenet.patch), no ReLU first.
        x = F.avg_pool2d(x, [int(s) for s in x.shape[2:]])
        f = x.flatten(1)
        f_vid = F.leaky_relu(self.fc_vid(f))
        f_vcolor = F.leaky_relu(self.fc_vcolor(f))
        f_vtype = F.leaky_relu(self.fc_vtype(f))
        y_id = self.classifier_vid(f_vid)
        y_color = self.classifier_vcolor(f_vcolor)
        y_type = self.classifier_vtype(f_vtype)
        return y_id, y_color, y_type, f_vid


def pamtri_densenet121(num_vids: int = DEFAULT_NUM_VIDS) -> PAMTRIDenseNet121:
    return PAMTRIDenseNet121(num_vids=num_vids)


def fit_to_checkpoint(model: PAMTRIDenseNet121, state: Mapping[str, Any]) -> None:
    """Give ``classifier_vid`` the checkpoint's number of ids (``weight.shape[0]``).

    Only that head's size depends on the training labels; every other shape is fixed, and
    strict loading afterwards still reports any other mismatch by name.
    """
    weight = state.get("classifier_vid.weight")
    if weight is None or not hasattr(weight, "shape") or len(weight.shape) != 2:
        return  # strict loading names the missing/odd key
    num_vids = int(weight.shape[0])
    if num_vids != model.classifier_vid.out_features:
        model.classifier_vid = nn.Linear(model.classifier_vid.in_features, num_vids)


def load_checkpoint_state(path) -> dict:
    """``model_best.pth.tar``: {'state_dict', 'rank1', 'epoch'}; weights only, no prefix."""
    from harness.checkpoints import plain_state_dict

    return dict(plain_state_dict(path))


@torch.no_grad()
def retrieval_feature(model: PAMTRIDenseNet121, images: torch.Tensor) -> torch.Tensor:
    """f_vid, the feature the guide's post-processing ranks with (output4)."""
    return model(images)[3]
