"""DPN131 conformance (shared/seeds/003_f6177c3e20142061.txt)."""
from __future__ import annotations

import numpy as np
from PIL import Image

from tests.conformance.stages import GuideStages


class TestDPN131(GuideStages):
    guide_name = "dpn131"
    per_sample_label = "top-5 classes"

    def reference_preprocess(self, samples, sample_id):
        """imagenet_torch_preprocess.py for 'dpn131', restated from the guide's script:
        resize 256 (shorter side, PIL bilinear), centre crop 224, mean (0.486, 0.459,
        0.408), std 0.235, float32 CHW."""
        mean, std = [0.486, 0.459, 0.408], [0.235, 0.235, 0.235]
        img = Image.open(samples.images[sample_id]).convert("RGB")
        w, h = img.size
        if not ((w <= h and w == 256) or (h <= w and h == 256)):
            if w < h:
                img = img.resize((256, int(256 * h / w)), Image.BILINEAR)
            else:
                img = img.resize((int(256 * w / h), 256), Image.BILINEAR)
        w, h = img.size
        top, left = int(round((h - 224) / 2.)), int(round((w - 224) / 2.))
        img = img.crop((left, top, left + 224, top + 224))
        arr = np.array(img, dtype=np.float32)
        arr = arr.transpose(2, 0, 1) / 255.
        for c in range(3):
            arr[c] = (arr[c] - mean[c]) / std[c]
        return {"main/image": arr}
