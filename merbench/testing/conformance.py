"""Conformance checks a component must pass, whoever wrote it.

Plugin authors call these from their own tests, with the fixtures of :mod:`merbench.testing.plugin`::

    from merbench.testing.conformance import check_encoder

    def test_my_encoder(pseudo_audio):
        check_encoder(MyEncoder(), [pseudo_audio, pseudo_audio[:8000]])

Each check raises ``AssertionError`` with a message saying which promise was broken.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

import numpy as np

from merbench import EMOTIONS


def _json_roundtrip(value: Any, what: str) -> None:
    try:
        json.dumps(value, sort_keys=True)
    except TypeError as exc:
        raise AssertionError(f"{what} must be JSON-serialisable: {exc}") from None


def check_encoder(encoder: Any, batch: Sequence[Any], device: str = "cpu") -> None:
    """Modality and input kind declared; all layers returned as (B, T, D) with valid lengths;
    deterministic; batching does not change an item's features; fingerprint is JSON and device-free."""
    from merbench.contracts.encoder import INPUT_KINDS, MODALITIES, Encoder

    assert isinstance(encoder, Encoder), f"{type(encoder).__name__} must subclass merbench.contracts.encoder.Encoder"
    assert encoder.modality in MODALITIES, f"modality {encoder.modality!r} not in {MODALITIES}"
    assert encoder.input_kind in INPUT_KINDS, f"input_kind {encoder.input_kind!r} not in {INPUT_KINDS}"
    assert len(batch) >= 2, "give at least two inputs so batching can be checked"
    encoder.load(device)
    out = encoder.encode(list(batch))
    assert len(out.hidden_states) >= 1, "encode() must return at least one layer"
    lengths = np.asarray(out.lengths)
    assert lengths.shape == (len(batch),), f"lengths must have shape ({len(batch)},), got {lengths.shape}"
    layers = [np.asarray(_to_numpy(h)) for h in out.hidden_states]
    for i, h in enumerate(layers):
        assert h.ndim == 3 and h.shape[0] == len(batch), f"layer {i} must be (B, T, D), got {h.shape}"
        assert h.shape[1] >= lengths.max(), f"layer {i} has {h.shape[1]} frames, fewer than the longest length"
        assert np.isfinite(h).all(), f"layer {i} has NaN or inf"
    again = [np.asarray(_to_numpy(h)) for h in encoder.encode(list(batch)).hidden_states]
    for a, b in zip(layers, again):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5, err_msg="encode() is not deterministic")
    single = encoder.encode([batch[0]])
    n = int(np.asarray(single.lengths)[0])
    np.testing.assert_allclose(
        np.asarray(_to_numpy(single.hidden_states[-1]))[0, :n], layers[-1][0, :n], rtol=1e-3, atol=1e-4,
        err_msg="an item's features change when it is batched with others (check padding masks)",
    )
    fp = encoder.fingerprint()
    _json_roundtrip(fp, "fingerprint()")
    flat = json.dumps(fp).lower()
    assert "batch_size" not in flat and '"device"' not in flat, "fingerprint() must not hold device or batch size"


def check_fusion(fusion_cls: Any, input_dims: Mapping[str, int], batch_size: int = 4, **hparams: Any) -> None:
    """Built from input sizes and class count; returns (B, C) logits (and (B,) valence when asked); trains."""
    import torch

    from merbench.contracts.fusion import Fusion, FusionOutput

    torch.manual_seed(0)
    for with_valence in (False, True):
        model = fusion_cls(input_dims=input_dims, num_classes=len(EMOTIONS), with_valence=with_valence, **hparams)
        assert isinstance(model, Fusion), f"{fusion_cls.__name__} must subclass merbench.contracts.fusion.Fusion"
        if model.input_level == "frame":
            feats = {k: torch.randn(batch_size, 5, d) for k, d in input_dims.items()}
        else:
            feats = {k: torch.randn(batch_size, d) for k, d in input_dims.items()}
        out = model(feats)
        assert isinstance(out, FusionOutput), "forward() must return a FusionOutput"
        assert out.logits.shape == (batch_size, len(EMOTIONS)), f"logits shape {tuple(out.logits.shape)}"
        if with_valence:
            assert out.valence is not None and out.valence.shape == (batch_size,), "valence must be (B,)"
        loss = out.logits.logsumexp(-1).mean() + (out.valence.pow(2).mean() if with_valence else 0)
        loss.backward()
        grads = [p.grad for p in model.parameters() if p.requires_grad]
        assert grads and all(g is not None for g in grads), "every parameter must receive a gradient"


def check_corruption(corruption: Any, media: Any, **params: Any) -> None:
    """Deterministic for a seed, different for another seed (when random), shapes kept, log JSON-able."""
    from merbench.contracts.corruption import Corruption, Media

    assert isinstance(corruption, Corruption), "must subclass merbench.contracts.corruption.Corruption"
    assert isinstance(media, Media)
    a, log_a = corruption.apply(media, np.random.default_rng(7), **params)
    b, log_b = corruption.apply(media, np.random.default_rng(7), **params)
    _json_roundtrip(log_a, "the corruption log")
    _json_roundtrip(corruption.params(), "params()")
    _json_roundtrip(corruption.data_identity(), "data_identity()")
    assert log_a == log_b, "same seed must give the same log"
    for part in ("audio", "frames", "faces"):
        x, y = getattr(a, part), getattr(b, part)
        if x is None or y is None:
            assert x is y, f"{part}: same seed must give the same result"
            continue
        np.testing.assert_array_equal(x, y, err_msg=f"{part}: same seed must give identical output")
        original = getattr(media, part)
        if original is not None and part == "audio":
            assert x.dtype == np.float32, "audio must stay float32"
        if original is not None and part != "audio":
            assert x.dtype == np.uint8 and x.shape[1:] == original.shape[1:], f"{part} must keep uint8 and frame size"


def check_describer(describer: Any, requests: Sequence[Any]) -> None:
    """One string per request, in order; deterministic under its default (greedy) decoding."""
    from merbench.contracts.describer import Describer

    assert isinstance(describer, Describer), "must subclass merbench.contracts.describer.Describer"
    first = describer.describe(list(requests))
    assert isinstance(first, list) and len(first) == len(requests), "describe() returns one text per request"
    assert all(isinstance(t, str) for t in first), "describe() returns strings"
    assert describer.describe(list(requests)) == first, "default decoding must be deterministic"
    _json_roundtrip(describer.fingerprint(), "fingerprint()")


def check_grouper(grouper: Any, labels: Mapping[str, list[str]]) -> None:
    """Every sample gets groups; every input label appears in exactly one group of its sample."""
    from merbench.contracts.grouper import Grouper

    assert isinstance(grouper, Grouper), "must subclass merbench.contracts.grouper.Grouper"
    groups = grouper.group(dict(labels))
    assert set(groups) == set(labels), "group() must return groups for every sample it was given"
    for name, sample_labels in labels.items():
        members = [m.lower() for g in groups[name] for m in g]
        for label in {lab.lower() for lab in sample_labels}:
            assert members.count(label) == 1, f"{name}: label {label!r} must be in exactly one group"
    assert grouper.group(dict(labels)) == groups, "grouping must be deterministic"


def check_metric(metric: Any, y_true: Sequence[Any], y_pred: Sequence[Any], **context: Any) -> None:
    """Declares its direction and label type; returns a finite float; a perfect prediction is not beaten."""
    from merbench.contracts.metric import Metric

    assert isinstance(metric, Metric), "must subclass merbench.contracts.metric.Metric"
    assert isinstance(metric.higher_is_better, bool)
    value = metric(y_true, y_pred, **context)
    assert isinstance(value, float) and np.isfinite(value), f"metric must return a finite float, got {value!r}"
    perfect = metric(y_true, y_true, **{k: v for k, v in context.items()})
    assert (perfect >= value) if metric.higher_is_better else (perfect <= value), "a perfect prediction must score best"


def check_dataset(dataset: Any) -> None:
    """Splits name existing samples; sample names are unique per split; labels are the six classes."""
    from merbench.contracts.dataset import Dataset

    assert isinstance(dataset, Dataset), "must subclass merbench.contracts.dataset.Dataset"
    for split, names in dataset.splits().items():
        assert len(names) == len(set(names)), f"split {split!r} lists a sample twice"
        for n in names[:50]:
            s = dataset.sample(n)
            assert s.name == n
            assert s.label is None or s.label in EMOTIONS, f"{n}: label {s.label!r} is not one of {EMOTIONS}"
    h = dataset.manifest_hash()
    assert len(h) == 64 and h == dataset.manifest_hash(), "manifest_hash() must be a stable sha256"


def _to_numpy(value: Any) -> Any:
    if hasattr(value, "detach"):
        return value.detach().float().cpu().numpy()
    return value
