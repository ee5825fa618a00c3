"""DG-Net conformance (shared/seeds/004_5dea9a68a8aaae28.txt).

The five shared stages run unchanged: the two inputs (image1 structure, image2 appearance)
flow through every backend as named inputs. DG-Net-specific checks added here: the
generated images of a backend against PyTorch's (PSNR / max error, per sample), the
contact sheet written next to the results file, and the FID Inception weights when given.
"""
from __future__ import annotations

import math
import os

import numpy as np
import pytest

from harness import checks
from tests.conformance.stages import GuideStages, stage


class TestDGNet(GuideStages):
    guide_name = "dgnet"
    per_sample_label = "generated image"
    _recipes: dict = {}

    # -- the guide's DGnet_preprocess.py, restated with its own library calls ------------------
    def _recipe(self, samples):
        """ImageFolder + transforms as the script builds them, and the seeded pairing that
        replaces its unseeded shuffle: {output name: (content index, structure index)}."""
        key = str(samples.folder)
        if key not in self._recipes:
            import torch
            from torchvision import datasets, transforms

            data_transforms = transforms.Compose([
                transforms.Resize((256, 128), interpolation=transforms.InterpolationMode.BICUBIC),  # = 3
                transforms.ToTensor(),
                transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
            ])
            dataset = datasets.ImageFolder(str(samples.folder), data_transforms)
            perm = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(10)).tolist()
            table = {}
            for i, (path, label) in enumerate(dataset.imgs):
                label2 = dataset.imgs[perm[i]][1]
                table["%03d_%03d_gan%s" % (label2, label, os.path.basename(path)[:-4])] = (i, perm[i])
            self._recipes[key] = (dataset, table)
        return self._recipes[key]

    def reference_preprocess(self, samples, sample_id):
        import torch

        dataset, table = self._recipe(samples)
        content_index, structure_index = table[sample_id]
        id_img = dataset[content_index][0].unsqueeze(0)
        bg_img = torch.mean(dataset[structure_index][0].unsqueeze(0), dim=1, keepdim=True)  # to_gray
        return {"main/image2": id_img.numpy(), "main/image1": bg_img.numpy()}

    def check_official_counts(self, samples) -> None:
        from harness.datasets.market1501 import OFFICIAL_CLASS_COUNT, OFFICIAL_TRAIN_ALL_COUNT

        assert (len(samples.images), len(samples.classes)) == (OFFICIAL_TRAIN_ALL_COUNT, OFFICIAL_CLASS_COUNT), (
            f"{samples.folder}: {len(samples.images)} images in {len(samples.classes)} folders; "
            f"Market-1501 train_all has {OFFICIAL_TRAIN_ALL_COUNT} in {OFFICIAL_CLASS_COUNT}")

    # -- DG-Net specific ----------------------------------------------------------------------
    @stage("accuracy")
    def test_generated_images_match_pytorch(self, gs, guide, record, backend_name, batch_size):
        """Synthetic tier: each generated uint8 image (post-processed as the guide does) of the
        backend is within the guide record's PSNR of PyTorch's; max error reported."""
        from harness.metrics.gan_images import max_abs_error, psnr, recover_image

        tier = gs.synthetic()
        ours = gs.outputs(backend_name, tier, batch_size)["main"]
        ref = gs.outputs("torch", tier, 1)["main"]
        assert ref, "PyTorch produced zero generated images"
        missing = sorted(set(ref) - set(ours))
        assert not missing, f"{backend_name} bs{batch_size}: no generated image for {missing[:5]}"
        floor = guide.extra["image_psnr_min_db"]
        per_sample = {}
        for sid in ref:
            a, b = recover_image(ours[sid][0]), recover_image(ref[sid][0])
            per_sample[sid] = (psnr(a, b), max_abs_error(a, b))
        worst_sid = min(per_sample, key=lambda s: per_sample[s][0])
        worst, max_err = per_sample[worst_sid][0], max(e for _, e in per_sample.values())
        v = checks.Verdict(
            "generated images vs pytorch", worst >= floor,
            f"{len(per_sample)} images: worst PSNR {worst:.2f} dB ({worst_sid}), max |error| {max_err} "
            f"grey levels; needs PSNR >= {floor} dB per image",
            worst if math.isfinite(worst) else 999.0, floor, None,
            details={"psnr_db": {s: (p if math.isfinite(p) else 999.0) for s, (p, _) in per_sample.items()},
                     "max_abs_error": {s: e for s, (_, e) in per_sample.items()}})
        record(v, "accuracy", batch_size=batch_size, backend=backend_name, chip=gs.chip(backend_name))
        assert v.passed, str(v)

    @stage("accuracy")
    def test_contact_sheet(self, gs, guide, record, backend_name):
        """A PNG of (structure, appearance, generated) rows next to the results file."""
        from PIL import Image

        from harness.metrics.gan_images import (
            contact_sheet, contact_sheet_size, recover_image, structure_for_display,
        )

        tier = gs.synthetic()
        prepared = gs.prepared(tier)
        bs = guide.fast_batch_sizes[0]
        outputs = gs.outputs(backend_name, tier, bs)["main"]
        ids = prepared.sample_ids[:guide.extra["contact_sheet_rows"]]
        dirs = prepared.input_sets["main"]
        rows = []
        for sid in ids:
            structure = np.fromfile(dirs["image1"] / f"{sid}.bin", dtype=np.float32).reshape(1, 256, 128)
            appearance = np.fromfile(dirs["image2"] / f"{sid}.bin", dtype=np.float32).reshape(3, 256, 128)
            rows.append((structure_for_display(structure), recover_image(appearance),
                         recover_image(outputs[sid][0])))
        path = contact_sheet(rows, gs.options.results.parent / f"dgnet_contact_sheet_{backend_name}.png")
        with Image.open(path) as im:
            size, mode = im.size, im.mode
        expected = contact_sheet_size(len(rows))
        v = checks.Verdict("contact sheet", path.is_file() and size == expected and mode == "RGB" and rows,
                           f"{path}: {size[0]}x{size[1]} {mode}, {len(rows)} rows (expected "
                           f"{expected[0]}x{expected[1]} RGB)", str(path), None, None)
        record(v, "accuracy", batch_size=bs, backend=backend_name, chip=gs.chip(backend_name))
        assert v.passed, str(v)

    @stage("accuracy", pytest.mark.weights)
    def test_fid_inception_weights(self, gs, guide, record):
        """The FID Inception weights, when given: checksum, strict load, finite features."""
        from harness.metrics import inception

        aux = guide.real_tier_files[0]
        root = gs.options.weights_root
        if root is None or not (root / aux.file_name).is_file():
            pytest.skip(f"FID Inception weights not given: put {aux.file_name} (sha256 {aux.sha256}, "
                        f"from {aux.url}) under --weights-root DIR (or SUITE_WEIGHTS_ROOT)")
        extractor = inception.load_fid_inception(root / aux.file_name)
        rng = np.random.default_rng(0)
        feats = extractor(rng.integers(0, 256, size=(2, 256, 128, 3), dtype=np.uint8))
        v = checks.Verdict("fid inception weights", feats.shape == (2, 2048) and bool(np.isfinite(feats).all()),
                           f"{root / aux.file_name}: sha256 verified, {inception.STATE_DICT_ENTRIES} entries "
                           f"loaded strictly, pool_3 features {feats.shape}", list(feats.shape), [2, 2048], None)
        record(v, "accuracy")
        assert v.passed, str(v)
