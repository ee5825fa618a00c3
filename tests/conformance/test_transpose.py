"""TransPose-R-A3 conformance (shared/seeds/002_43dd2f104c1e7352.txt): `pytest -k transpose`.

The five shared stages run unchanged; both input sets (the crops and their mirror images,
the guide's flip test) flow through every backend. TransPose-specific checks added here:
the flip set is the main set mirrored bit for bit, the backend's outputs on the flip set
equal PyTorch's, and per-sample decoded keypoints agree within a pixel tolerance.
"""
from __future__ import annotations

import numpy as np

from harness import checks
from tests.conformance.stages import GuideStages, stage


class TestTransPose(GuideStages):
    guide_name = "transpose"
    per_sample_label = "heatmap peaks"

    def reference_preprocess(self, samples, sample_id):
        """TransPose_preprocess.py restated with the library calls the guide makes: upstream
        _xywh2cs (aspect 0.75, pixel std 200, x1.25), get_affine_transform's three float32
        point pairs, cv2.imread(COLOR | IGNORE_ORIENTATION), BGR->RGB, warpAffine bilinear,
        torchvision ToTensor + Normalize, torch.flip along the width."""
        import cv2
        import torch
        from torchvision import transforms

        x, y, w, h = samples.samples[sample_id].clean_box
        center = np.array([x + (w - 1) * 0.5, y + (h - 1) * 0.5], dtype=np.float32)
        if w > 0.75 * h:
            h = w * 1.0 / 0.75
        elif w < 0.75 * h:
            w = h * 0.75
        scale = np.array([w * 1.0 / 200, h * 1.0 / 200], dtype=np.float32) * 1.25
        src_w = (scale * 200.0)[0]
        src = np.zeros((3, 2), dtype=np.float32)
        dst = np.zeros((3, 2), dtype=np.float32)
        src[0, :] = center
        src[1, :] = center + np.array([0, (float(src_w) - 1) * -0.5])
        dst[0, :] = [(192 - 1) * 0.5, (256 - 1) * 0.5]
        dst[1, :] = np.array([(192 - 1) * 0.5, (256 - 1) * 0.5]) + np.array([0, (192 - 1) * -0.5])
        for pts in (src, dst):
            d = pts[0, :] - pts[1, :]
            pts[2, :] = pts[1, :] + np.array([-d[1], d[0]], dtype=np.float32)
        trans = cv2.getAffineTransform(np.float32(src), np.float32(dst))
        img = cv2.imread(str(samples.samples[sample_id].image_path),
                         cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        crop = cv2.warpAffine(img, trans, (192, 256), flags=cv2.INTER_LINEAR)
        to_input = transforms.Compose([
            transforms.ToTensor(),
            transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
        ])
        image = to_input(crop).unsqueeze(0)
        return {"main/input": image.numpy(), "flip/input": torch.flip(image, [3]).numpy()}

    def check_official_counts(self, samples) -> None:
        from harness.datasets.coco_keypoints import OFFICIAL_IMAGES, OFFICIAL_SAMPLES

        got = (len(samples.sample_ids), samples.num_images)
        assert got == (OFFICIAL_SAMPLES, OFFICIAL_IMAGES), (
            f"{samples.annotation_file}: {got[0]} GT person samples from {got[1]} images; "
            f"COCO val2017 gives {OFFICIAL_SAMPLES} from {OFFICIAL_IMAGES}")

    def per_sample_verdict(self, backend_name, actual, expected, allowance):
        """Decoded keypoints within the guide's pixel/score tolerance for this backend; a
        heatmap peak may move only at a near tie of PyTorch's heatmap (``allowance``)."""
        from harness import guides
        from harness.metrics.coco_keypoints import keypoint_agreement

        tolerances = guides.get(self.guide_name).extra["keypoint_agreement"]
        return keypoint_agreement(actual, expected, **tolerances.get(backend_name, tolerances["default"]),
                                  ambiguous_joints=allowance.parts)

    # -- TransPose specific ---------------------------------------------------------------
    @stage("preprocess")
    def test_flip_set_mirrors_main_set(self, gs, record):
        """prep_data_flip/<id>.bin is prep_data/<id>.bin reversed along the width, bit-exact."""
        prepared = gs.prepared(gs.synthetic())
        main_dir, flip_dir = prepared.input_sets["main"]["input"], prepared.input_sets["flip"]["input"]
        bad, compared = [], 0
        for sid in prepared.sample_ids:
            main = np.fromfile(main_dir / f"{sid}.bin", dtype=np.float32).reshape(1, 3, 256, 192)
            flip = np.fromfile(flip_dir / f"{sid}.bin", dtype=np.float32).reshape(1, 3, 256, 192)
            compared += 1
            if not np.array_equal(flip, main[..., ::-1]):
                bad.append(sid)
            elif np.array_equal(flip, main):
                bad.append(f"{sid} (identical to the unflipped crop)")
        v = checks.Verdict("flip set parity", compared > 0 and not bad,
                           f"{compared} samples: flip bins equal the width-reversed main bins"
                           + (f"; differing: {bad[:10]}" if bad else ""), compared - len(bad), compared, 0)
        record(v, "preprocess")
        assert v.passed, str(v)

    @stage("compile")
    def test_both_input_sets_through_backend(self, gs, guide, record, backend_name, batch_size):
        """The backend runs both input sets; each set's heatmaps equal PyTorch's (bs1)."""
        tier = gs.synthetic()
        ours = gs.outputs(backend_name, tier, batch_size)
        ref = gs.outputs("torch", tier, 1)
        ids = gs.prepared(tier).sample_ids
        atol, rtol = guide.backend_tolerance(backend_name)
        failed = []
        for set_name in ("main", "flip"):
            assert set(ours.get(set_name, {})) == set(ids), (
                f"{backend_name} bs{batch_size}: {set_name} set has outputs for "
                f"{len(ours.get(set_name, {}))} of {len(ids)} samples")
            got = [np.stack([ours[set_name][s][0] for s in ids])]
            want = [np.stack([ref[set_name][s][0] for s in ids])]
            v = record(checks.arrays_close(f"{set_name} set: {backend_name} vs pytorch", got, want,
                                           atol, rtol, ["output"]),
                       "compile", batch_size=batch_size, backend=backend_name, chip=gs.chip(backend_name))
            if not v.passed:
                failed.append(str(v))
        assert not failed, "\n".join(failed)
