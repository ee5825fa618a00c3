"""The five stages of a guide, written once. A guide's test module subclasses
``GuideStages``, names its guide, and supplies the guide's preprocessing recipe written
independently (``reference_preprocess``); guide-specific checks are extra test methods.

Stages (shared/DESIGN.md): export, compile, preprocess parity, accuracy, throughput.
Parametrisation (backends, batch sizes) comes from tests/conformance/conftest.py.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from fixtures.coverage import NOT_APPLICABLE
from harness import checks, divergence
from harness.chips import card_throughput
from harness.perf import floor_verdict
from harness.export import read_interface, torch_outputs


def stage(name: str, *marks):
    """Tag a test with its stage (for the summary table and the records)."""
    def wrap(fn):
        fn.stage = name
        for m in marks:
            fn = m(fn)
        return fn
    return wrap


def parity_tolerance(guide, backend_name: str) -> tuple[float, float]:
    """(atol, rtol) of a backend's outputs against PyTorch's (``Guide.backend_tolerance``)."""
    return guide.backend_tolerance(backend_name)


def seeded_feeds(guide, batch_size: int, seed: int = 1234) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {s.name: rng.standard_normal(s.concrete(batch_size)).astype(s.dtype) for s in guide.inputs}


class GuideStages:
    guide_name: str = ""
    # Preprocessing parity: maximum |difference| allowed (0.0 = bit-exact).
    preprocess_atol: float = 0.0

    # -- hooks a guide's test class implements ------------------------------------
    def reference_preprocess(self, samples, sample_id: str) -> dict[str, np.ndarray]:
        """The guide's recipe, written independently: {"<set>/<input>": array}."""
        raise NotImplementedError

    # -- fixtures ------------------------------------------------------------------
    @pytest.fixture
    def gs(self, guide_sessions):
        return guide_sessions(self.guide_name)

    @pytest.fixture
    def guide(self, gs):
        return gs.guide

    @pytest.fixture
    def record(self, record_verdict, gs):
        def rec(verdict, stage_name, **kw):
            # Checkpoint and dataset checksums used so far go into the record's environment.
            kw["env_extra"] = {**gs.provenance(), **(kw.get("env_extra") or {})}
            return record_verdict(verdict, guide=self.guide_name, stage=stage_name, **kw)
        return rec

    # -- 1. export -------------------------------------------------------------------
    @stage("export")
    def test_export(self, gs, guide, record):
        """ONNX is valid, has the guide's interface, and ORT reproduces PyTorch."""
        import onnxruntime as ort

        tier = gs.synthetic()
        bs = 1 if guide.export.dynamic_batch else guide.fast_batch_sizes[0]
        path = gs.onnx(tier, bs)
        iface = read_interface(path)
        expected_in = tuple((t.name, _dims(t, guide, bs)) for t in guide.inputs)
        expected_out = tuple((t.name, _dims(t, guide, bs)) for t in guide.outputs)
        v = checks.Verdict("onnx interface", iface.inputs == expected_in and iface.outputs == expected_out
                           and iface.opset == guide.export.opset,
                           f"inputs {iface.inputs}, outputs {iface.outputs}, opset {iface.opset}; "
                           f"guide: {expected_in}, {expected_out}, opset {guide.export.opset}",
                           value={"inputs": iface.inputs, "outputs": iface.outputs, "opset": iface.opset},
                           reference={"inputs": expected_in, "outputs": expected_out, "opset": guide.export.opset})
        record(v, "export")
        assert v.passed, str(v)
        run_bs = 2 if guide.export.dynamic_batch else bs
        feeds = seeded_feeds(guide, run_bs)
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        got = session.run(guide.output_names(), feeds)
        want = torch_outputs(gs.model(tier), feeds, guide.input_names())
        v = checks.arrays_close(f"onnxruntime vs pytorch (bs{run_bs})", got, want,
                                guide.export.atol, guide.export.rtol, guide.output_names())
        record(v, "export", batch_size=run_bs, backend="onnxruntime")
        assert v.passed, str(v)

    # -- 2. compile ------------------------------------------------------------------
    @stage("compile")
    def test_compile(self, gs, guide, record, backend_name, batch_size, ascend_compare):
        """The backend's artifact for this batch size matches the reference on one batch.

        Reference: ONNX Runtime (CPU) for other backends, PyTorch for ONNX Runtime itself.
        On a mismatch the verdict names where the model diverges (harness/divergence.py).
        """
        tier = gs.synthetic()
        model = gs.compiled(backend_name, tier, batch_size)
        feeds = seeded_feeds(guide, batch_size, seed=batch_size)
        got = model.run(feeds)
        if backend_name == "onnxruntime":
            want, ref_name = torch_outputs(gs.model(tier), feeds, guide.input_names()), "pytorch"
        else:
            want, ref_name = gs.compiled("onnxruntime", tier, batch_size).run(feeds), "onnxruntime"
        atol, rtol = guide.backend_tolerance(backend_name)
        v = checks.arrays_close(f"{backend_name} vs {ref_name} (bs{batch_size})", got, want,
                                atol, rtol, guide.output_names())
        if not v.passed:  # only then: locating the diverging node runs the whole graph twice
            v = divergence.explain(v, backend_name=backend_name, model=model, onnx_path=gs.onnx(tier, batch_size),
                                   feeds=feeds, input_names=guide.input_names(), atol=atol, rtol=rtol,
                                   ascend_install=gs.backend("ascend").install() if backend_name == "ascend" else None,
                                   run_msit=ascend_compare)
        record(v, "compile", batch_size=batch_size, backend=backend_name, chip=gs.chip(backend_name))
        assert v.passed, str(v)

    # -- 3. preprocessing parity ------------------------------------------------------
    @stage("preprocess")
    def test_preprocess_parity(self, gs, guide, record):
        """The suite's .bin files equal the guide's recipe, written independently here."""
        tier = gs.synthetic()
        samples = gs.dataset(tier)
        prepared = gs.prepared(tier)
        assert prepared.sample_ids, "preprocessing produced zero samples"
        worst, compared, failures = 0.0, 0, []
        for sid in prepared.sample_ids:
            expected = self.reference_preprocess(samples, sid)
            for key, want in expected.items():
                set_name, input_name = key.split("/")
                spec = next(s for s in guide.inputs if s.name == input_name)
                path = prepared.input_sets[set_name][input_name] / f"{prepared.file_id(set_name, sid)}.bin"
                got = np.fromfile(path, dtype=spec.dtype)
                want = np.asarray(want, dtype=spec.dtype).reshape(-1)
                if got.size != want.size:
                    failures.append(f"{path}: {got.size} values, recipe gives {want.size}")
                    continue
                diff = float(np.max(np.abs(got.astype(np.float64) - want))) if got.size else 0.0
                worst = max(worst, diff)
                compared += 1
                if diff > self.preprocess_atol:
                    failures.append(f"{path}: max |diff| {diff:.3g}")
        v = checks.Verdict("preprocess parity", not failures and compared > 0,
                           f"{compared} files compared with the guide's recipe, max |diff| {worst:.3g} "
                           f"(allowed {self.preprocess_atol:g})" + (f"; {failures[:5]}" if failures else ""),
                           worst, 0.0, self.preprocess_atol)
        record(v, "preprocess")
        assert v.passed, str(v)

    # -- 4. accuracy ------------------------------------------------------------------
    @stage("accuracy")
    def test_accuracy_synthetic(self, gs, guide, record, backend_name, batch_size):
        """Synthetic tier: the backend's metric equals PyTorch's on the same data, except
        where PyTorch's own decisions are near ties within the outputs' measured difference
        (``guide.synthetic_allowance``): those samples may change, nothing else may."""
        tier = gs.synthetic()
        n = len(gs.prepared(tier).sample_ids)
        ours = gs.evaluate(backend_name, tier, batch_size)
        ref = gs.evaluate("torch", tier, 1)
        chip = gs.chip(backend_name)
        where = {"batch_size": batch_size, "backend": backend_name, "chip": chip}
        count = record(checks.sample_count("samples evaluated", ours.count, n), "accuracy", **where)
        assert count.passed, str(count)
        outs, ref_outs = gs.outputs(backend_name, tier, batch_size), gs.outputs("torch", tier, 1)
        # The allowance is derived from the measured output difference, so that difference
        # must itself be within the backend's parity tolerance.
        parity = record(checks.output_sets_close(f"all outputs: {backend_name} vs pytorch", outs, ref_outs,
                                                 *parity_tolerance(guide, backend_name)), "accuracy", **where)
        assert parity.passed, str(parity)
        allowance = guide.synthetic_allowance(gs.dataset(tier), outs, ref_outs)
        metric = guide.synthetic_metric
        v = record(checks.metric_within_allowance(f"{metric} vs pytorch", metric, ours[metric], ref[metric],
                                                  allowance),
                   "accuracy", **where,
                   details={"backend_metrics": ours.values, "pytorch_metrics": ref.values,
                            "metric": metric, "samples": ours.count, "tier": "synthetic",
                            "allowance": allowance.details(), "notes": ours.notes},
                   per_sample=ours.per_sample, per_sample_kind=self.per_sample_label)
        assert v.passed, str(v)
        if ref.per_sample:
            agree = record(self.per_sample_verdict(backend_name, ours.per_sample, ref.per_sample, allowance),
                           "accuracy", **where)
            assert agree.passed, str(agree)

    per_sample_label = "per-sample result"

    def per_sample_verdict(self, backend_name: str, actual: dict, expected: dict, allowance) -> checks.Verdict:
        """Backend vs PyTorch per sample: equal except for the samples ``allowance`` finds
        ambiguous, unless a guide compares numbers within a tolerance (decoded keypoints)."""
        return checks.per_sample_within_allowance("per-sample agreement", actual, expected,
                                                  self.per_sample_label, allowance)

    @stage("accuracy", pytest.mark.dataset, pytest.mark.weights, pytest.mark.slow)
    def test_accuracy_real(self, gs, guide, record, backend_name, batch_size):
        """Real tier: the guide's metric on the full dataset meets the published numbers.

        With ``--subset N`` the same chain runs on the first N samples of the official split
        (harness.datasets.subset): the split's size is not checked, and each published
        number gets a "subset" record (finite metric required), never a pass."""
        tier = gs.real()
        samples = gs.dataset(tier)
        subset = gs.subset_note(tier)
        chip = gs.chip(backend_name)
        where = {"batch_size": batch_size, "backend": backend_name, "chip": chip}
        if subset:
            record(self.subset_declared(gs.options.subset, subset), "accuracy", **where)
        else:
            self.check_official_counts(samples)
        report = gs.evaluate(backend_name, tier, batch_size)
        count = record(checks.sample_count("samples evaluated", report.count, len(samples.sample_ids)),
                       "accuracy", **where)
        assert count.passed, str(count)
        failed = []
        for i, ref in enumerate(guide.references):
            judged = checks.meets_reference(ref.metric, report[ref.metric], ref)
            # Per-sample results ride on the first metric's record (the gate's flip check).
            v = record(not_judged(judged, ref, subset) if subset else judged, "accuracy",
                       batch_size=batch_size, backend=backend_name, chip=chip,
                       details={"all_metrics": report.values, "metric": ref.metric,
                                "samples": report.count, "tier": "real", "subset": subset,
                                "inputs": gs.feed(tier)},
                       per_sample=report.per_sample if i == 0 else None,
                       per_sample_kind=self.per_sample_label)
            if not v.passed:
                failed.append(str(v))
        assert not failed, "\n".join(failed)

    def subset_declared(self, n: int, kept: str) -> checks.Verdict:
        """The record saying this real-tier run is a declared subset, not the official split."""
        official = sum(self.guide_expected_counts().values())
        return checks.Verdict("official split", True,
                              f"--subset {n}: {kept}, of the official split's {official} samples; "
                              "split size not checked, published numbers not judged",
                              n, official, None, outcome="subset")

    def check_official_counts(self, samples) -> None:
        """Real data must be the official split (a guide may override)."""
        expected = sum(self.guide_expected_counts().values())
        assert len(samples.sample_ids) == expected, (
            f"{samples.root}: {len(samples.sample_ids)} samples, the official split has {expected}")

    def guide_expected_counts(self):
        from harness import guides

        return guides.get(self.guide_name).dataset.expected_counts

    # -- 5. throughput ------------------------------------------------------------------
    @stage("throughput", pytest.mark.perf)
    def test_throughput(self, gs, guide, record, backend_name, batch_size, perf_lock):
        """Median throughput after warm-up; judged against the guide's floor for the chip."""
        stats = gs.throughput(backend_name, gs.synthetic(), batch_size, perf_lock)
        chip = gs.chip(backend_name)
        card = card_throughput(chip, stats.median_fps)
        measured = checks.Verdict("throughput measured", math.isfinite(card), str(stats),
                                  card, None, None, outcome="recorded", details=stats.summary())
        record(measured, "throughput", batch_size=batch_size, backend=backend_name, chip=chip)
        audit = record(throughput_audit(gs, backend_name, batch_size), "throughput",
                       batch_size=batch_size, backend=backend_name, chip=chip)
        assert audit.passed, str(audit)
        floors = guide.floors_for(chip, batch_size)
        if not floors:  # measured, with nothing published to judge it by: "measured", not a skip
            record(checks.Verdict(f"throughput floor {chip}", True,
                                  f"{stats}; measured and recorded. No published floor for chip {chip!r} "
                                  f"at bs{batch_size} in guide {guide.name} (floors exist for: "
                                  f"{sorted({f.chip for f in guide.floors}) or 'none'}), so not judged",
                                  card, None, None, outcome="measured", details=stats.summary()),
                   "throughput", batch_size=batch_size, backend=backend_name, chip=chip)
            return
        failed = []
        for floor in floors:
            # Judged with the statistic the floor was published with (harness.perf.floor_verdict).
            v = record(floor_verdict(floor, stats, chip),
                       "throughput", batch_size=batch_size, backend=backend_name, chip=chip)
            if not v.passed:
                failed.append(str(v))
        assert not failed, "\n".join(failed)

    @stage("throughput", pytest.mark.perf)
    def test_throughput_acceptance(self, gs, guide, record, backend_name, perf_lock):
        """The guide's own cross-chip rules (e.g. 310P >= 1.2 x 310 at the best batch size),
        over this run's batch sizes; only where the chip measured is the rule's chip."""
        from harness import acceptance

        chip = gs.chip(backend_name)
        if not acceptance.applicable(guide, chip):  # nothing to measure here, even when required
            pytest.skip(f"{NOT_APPLICABLE}guide {guide.name} states no acceptance rule for chip {chip!r} (rules: "
                        f"{[r.name for r in guide.acceptance] or 'none'}), so none is judged")
        sizes = gs.options.batch_sizes_for(guide)
        card = {bs: card_throughput(chip, gs.throughput(backend_name, gs.synthetic(), bs, perf_lock).judged_fps)
                for bs in sizes}
        verdicts = [record(v, "throughput", backend=backend_name, chip=chip)
                    for v in acceptance.evaluate(guide, chip, card)]
        failed = [str(v) for v in verdicts if v.outcome == "fail"]
        assert not failed, "\n".join(failed)
        if any(v.outcome == "inconclusive" for v in verdicts):
            pytest.skip("INCONCLUSIVE: " + "; ".join(f"{v.name}: {v.message}" for v in verdicts
                                                     if v.outcome == "inconclusive"))


def not_judged(judged: checks.Verdict, ref, kept: str) -> checks.Verdict:
    """A published number met by a subset run: recorded as "subset" when the metric is
    finite (the chain worked), a failure when it is not; never a pass."""
    value = judged.value
    if not (isinstance(value, (int, float)) and math.isfinite(value)):
        return judged  # meets_reference already fails a NaN/Inf metric, naming it
    return checks.Verdict(judged.name, True,
                          f"{ref.metric} = {value:.4f} on a subset ({kept}): not judged against the "
                          f"published {ref.value} [{ref.source}]",
                          value, ref.value, ref.tolerance, outcome="subset")


def throughput_audit(gs, backend_name: str, batch_size: int) -> checks.Verdict:
    """MLPerf-style audit (TEST01): the model measured for throughput, fed the first batch
    of real (prepared) samples after its timed rounds, reproduces the accuracy run's outputs
    for those samples (``GuideSession.outputs``, memoised). Same artifact, same batch
    composition, so only a tiny numerical tolerance is allowed."""
    from harness.io import batches, split_outputs

    tier, guide = gs.synthetic(), gs.guide
    model = gs.compiled(backend_name, tier, batch_size)
    prepared = gs.prepared(tier)
    set_name = next(iter(prepared.input_sets))
    ids = list(prepared.ids_of(set_name))[:batch_size]
    batch = next(batches(prepared.input_sets[set_name], guide.inputs, batch_size, ids))
    got = split_outputs(batch, model.run(batch.feeds), guide.outputs)
    want = gs.outputs(backend_name, tier, batch_size)[set_name]
    flat_got = [a for sid in ids for a in got[sid]]
    flat_want = [a for sid in ids for a in want[sid]]
    labels = [f"{sid}:{name}" for sid in ids for name in guide.output_names()]
    v = checks.arrays_close(f"throughput audit ({len(ids)} samples)", flat_got, flat_want,
                            1e-6, 1e-5, labels)
    v.message = f"samples {ids} run after the timed rounds vs the accuracy run: {v.message}"
    return v


def _dims(spec, guide, bs):
    if guide.export.dynamic_batch:
        return tuple(guide.export.batch_axis_name if d == "B" else int(d) for d in spec.shape)
    return spec.concrete(bs)
