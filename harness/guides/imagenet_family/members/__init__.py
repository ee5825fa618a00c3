"""Members of the ImageNet classification family: one module per ModelZoo guide, each
defining ``MEMBER``. The module name is the guide's name in the suite."""
