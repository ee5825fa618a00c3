"""``python -m harness.guides.imagenet_family``: the family's members as a Markdown table
(guide name, ModelZoo folder, model, checkpoint file for --weights-root, preprocessing,
published accuracy), so what a real-tier run needs can be read without opening 20 modules."""
from __future__ import annotations

from harness.guides import imagenet_family


def rows() -> list[str]:
    out = ["| guide | ModelZoo folder | model | checkpoint under `--weights-root` | resize / crop | published |",
           "|---|---|---|---|---|---|"]
    for name in imagenet_family.member_names():
        m = imagenet_family.member(name)
        p = m.preprocess
        resize = f"{p.resize[0]}x{p.resize[1]}" if isinstance(p.resize, tuple) else str(p.resize)
        extra = "".join(f", {x}" for x in (p.interpolation if p.interpolation != "bilinear" else "",
                                          "floor offsets" if p.crop_offsets == "floor" else "") if x)
        refs = ", ".join(f"{r.metric} {r.value:g}" for r in m.references)
        out.append(f"| {name} | `{m.folder.split('/', 1)[1]}` | {m.model.describe()} | "
                   f"`{m.checkpoint.file_name}` | {resize} / {p.crop}{extra} | {refs} |")
    return out


if __name__ == "__main__":
    print("\n".join(rows()))
