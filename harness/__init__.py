"""Conformance harness for Ascend model guides: a plain library (never imports pytest).

Layers: ``guides`` (typed guide records) -> ``models``, ``datasets``, ``preprocess``,
``metrics`` (the guide's maths) -> ``export``, ``backends`` (ONNX Runtime, Ascend, ...)
-> ``checks``, ``perf``, ``results`` (verdicts and their records).
"""
__version__ = "0.1.0"
