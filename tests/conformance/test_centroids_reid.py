"""Centroids-reid conformance (shared/seeds/001_4aa9ea9fda89386c.txt): the shared stages,
the guide's recipe restated independently, and the checkpoint's evaluation settings."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from harness.datasets import dukemtmc
from tests.conformance.stages import GuideStages, stage


class TestCentroidsReid(GuideStages):
    guide_name = "centroids_reid"
    per_sample_label = "top-ranked centroid and gallery image per query"

    def reference_preprocess(self, samples, sample_id):
        """centroid-reid_preprocess.py: PIL RGB -> Resize([256, 128]) (PIL bilinear) ->
        ToTensor -> Normalize(ImageNet), float32 CHW as <stem>.bin."""
        set_name, _, stem = sample_id.partition("/")
        split = samples.query if set_name == "query" else samples.gallery
        path = split.paths[split.file_ids.index(stem)]
        img = Image.open(path).convert("RGB").resize((128, 256), Image.BILINEAR)
        arr = np.asarray(img, dtype=np.uint8).astype(np.float32).transpose(2, 0, 1) / np.float32(255)
        mean = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]
        std = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]
        return {f"{set_name}/input": (arr - mean) / std}

    def check_official_counts(self, samples) -> None:
        dukemtmc.check_official_counts(samples)

    def test_labels_parsed_from_names(self, gs):
        samples = gs.dataset(gs.synthetic())
        for split in (samples.query, samples.gallery):
            for path, pid, camid in zip(split.paths, split.pids, split.camids):
                head, cam = path.name.split("_")[:2]
                assert (pid, camid) == (int(head), int(cam[1:]) - 1)

    @stage("accuracy", pytest.mark.weights)
    def test_checkpoint_eval_settings(self, gs, guide):
        """The post-processing reads its settings from hyper_parameters: the record's
        CENTROID_SETTINGS must be what the real checkpoint stores."""
        from harness.models.centroids_resnet import read_lightning_checkpoint, stored_hyper_parameters

        o = gs.options
        if o.weights_root is None or not (o.weights_root / guide.checkpoint.file_name).is_file():
            pytest.skip(f"needs --weights-root DIR with DIR/{guide.checkpoint.file_name}")
        hp = stored_hyper_parameters(read_lightning_checkpoint(o.weights_root / guide.checkpoint.file_name))
        s = guide.extra["centroid_settings"]
        expected = {"MODEL.USE_CENTROIDS": s.use_centroids,
                    "MODEL.KEEP_CAMID_CENTROIDS": s.keep_camid_centroids,
                    "TEST.FEAT_NORM": s.feat_norm, "SOLVER.DISTANCE_FUNC": s.distance,
                    "num_query": dukemtmc.OFFICIAL_COUNTS["query"]}
        wrong = {k: (hp[k], v) for k, v in expected.items() if hp[k] != v}
        assert not wrong, (f"checkpoint hyper_parameters differ from the guide record "
                           f"(stored, record): {wrong}; update CENTROID_SETTINGS")
