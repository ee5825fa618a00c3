"""PAMTRI conformance (shared/seeds/000_34571e0484cf2e6d.txt): the shared stages plus the
guide's recipe restated independently."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from harness.datasets import veri
from tests.conformance.stages import GuideStages


class TestPAMTRI(GuideStages):
    guide_name = "pamtri"
    per_sample_label = "top-ranked gallery row per query"

    def reference_preprocess(self, samples, sample_id):
        """PAMTRI_preprocess.py: cv2.imread (BGR) -> R,G,B -> cv2.resize 256x256 bilinear ->
        /255 -> ImageNet mean/std, float32 CHW, one bin per CSV row."""
        set_name, _, row = sample_id.partition("/")
        split = samples.query if set_name == "query" else samples.gallery
        img = cv2.imread(str(split.paths[int(row)]), cv2.IMREAD_COLOR)
        img = cv2.resize(img[:, :, ::-1].copy(), (256, 256), interpolation=cv2.INTER_LINEAR)
        arr = img.astype(np.float32).transpose(2, 0, 1) / np.float32(255)
        mean = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]
        std = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]
        return {f"{set_name}/input": (arr - mean) / std}

    def check_official_counts(self, samples) -> None:
        veri.check_official_counts(samples)  # raises DatasetError naming the split

    def test_output4_is_the_retrieval_feature(self, gs):
        """The metric ranks with f_vid = leaky_relu(fc_vid(pooled)), the 4th output."""
        import torch

        model = gs.model(gs.synthetic())
        x = torch.randn(2, 3, 256, 256, generator=torch.Generator().manual_seed(3))
        with torch.no_grad():
            pooled = model.base(x).mean(dim=(2, 3))
            outs = model(x)
            expected = torch.nn.functional.leaky_relu(model.fc_vid(pooled))
        assert [tuple(o.shape) for o in outs] == [(2, 575), (2, 10), (2, 9), (2, 1024)]
        assert torch.allclose(outs[3], expected, atol=1e-5)

    def test_synthetic_layout_is_read_in_csv_order(self, gs):
        samples = gs.dataset(gs.synthetic())
        names = [line.split(",")[0] for line in
                 (samples.root / "label_query.csv").read_text().splitlines()]
        assert [p.name for p in samples.query.paths] == names
        assert samples.query.file_ids == [str(i) for i in range(len(names))]
        assert all(c == veri.camid_of(n) for c, n in zip(samples.query.camids, names))
        with pytest.raises(Exception, match="official VeRi-776"):
            veri.check_official_counts(samples)
