"""The guide importer: a ModelZoo guide folder -> a draft guide record for review.

    python -m harness.guides.importer <guide folder> --output <module.py>
        [--readme <file>] [--name <guide name>] [--cite-as <ACL_PyTorch/... folder>]

Reads the folder's README (Markdown, Chinese and English) and scripts: the published
accuracy and throughput per chip and batch size, the ``atc`` flags, the export script's
opset, names, dynamic axes and dummy input, and the preprocessing table row. It writes a
member module of the ImageNet classification family (``harness.guides.imagenet_family``)
with every value annotated with the README section or script it came from; what it could
not read is written as ``Gap("...")``, which fails record validation until a reviewer
fills it. It never guesses.
"""
from harness.guides.importer.draft import Draft, read_folder  # noqa: F401
from harness.guides.importer.render import render  # noqa: F401
