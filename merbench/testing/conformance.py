"""Conformance checks a component must pass, whoever wrote it.

Plugin authors call these from their own tests, with the fixtures of :mod:`merbench.testing.plugin`::

    from merbench.testing.conformance import check_encoder

    def test_my_encoder(pseudo_audio):
        check_encoder(MyEncoder(), [pseudo_audio, pseudo_audio[:8000]])

Each check raises ``AssertionError`` with a message saying which promise was broken.

The second half checks a *registered* component from its spec alone (no weights, no data), the way
scikit-learn's ``parametrize_with_checks`` checks estimators; merbench runs them over every
registered component (built-in and installed) in ``tests/test_conformance.py``, and a plugin can
run them over its own::

    from merbench.plugins import PluginManager
    from merbench.testing.conformance import parametrize_with_checks

    @parametrize_with_checks([s for s in PluginManager().load().all() if s.plugin == "myplugin"])
    def test_conformance(spec, check):
        check(spec)
"""

from __future__ import annotations

import inspect
import json
import typing
import unittest
from typing import Any, Callable, Iterable, Mapping, Sequence

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
        if model.input_level == "frame":  # (B, T, D) plus a (B, T) mask per input
            feats = {k: torch.randn(batch_size, 5, d) for k, d in input_dims.items()}
            feats.update({f"{k}__mask": torch.ones(batch_size, 5) for k in input_dims})
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
    unnamed = set(corruption.data_identity()) - set(corruption.params())
    assert not unnamed, f"data_identity() keys must be the parameters that locate the data; {sorted(unnamed)} are not parameters"
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
    m = dataset.media_hash()
    assert len(m) == 64 and m == dataset.media_hash(), "media_hash() must be a stable sha256"
    for split in dataset.splits():
        lh = dataset.labels_hash(split)
        assert len(lh) == 64 and lh == dataset.labels_hash(split), "labels_hash(split) must be a stable sha256"


# -- checks over a registered component --------------------------------------------------------
#: the search-space hyper-parameters the trainer keeps for itself (the optimiser's); every other
#: one goes to the fusion's ``__init__`` (``merbench.training.trainer.Trainer._fusion_params``)
TRAINER_PARAMS = ("lr",)
#: small inputs the fusion checks build with
FUSION_DIMS = {"audio": 6, "text": 5, "visual": 4}


def search_space_params() -> dict[str, Any]:
    """One value of every fusion hyper-parameter of :data:`merbench.training.search.SPACES`."""
    from merbench.training.search import SPACES

    params: dict[str, Any] = {}
    for space in SPACES.values():
        for key, values in space.items():
            if key not in TRAINER_PARAMS:
                params.setdefault(key, values[0])
    return params


def check_factory(spec: Any) -> None:
    """The factory imports, and builds its kind's contract class: a subclass of it, or a function whose
    return annotation names one; a command's factory is a click command."""
    from merbench.specs import contract_class

    factory = _load(spec)
    if spec.kind == "command":
        import click

        assert isinstance(factory, click.Command), f"{spec.factory} must be a click command, got {type(factory).__name__}"
        return
    contract = contract_class(spec.kind)
    if contract is None:
        assert callable(factory), f"{spec.factory} must be callable"
        return
    built = _built_class(factory)
    assert built is not None, (f"{spec.factory} is a function without a return annotation naming the class it builds; "
                               f"annotate it (-> MyClass) so it can be checked against {contract.__name__}")
    assert issubclass(built, contract), (f"{spec.factory} builds {built.__name__}, which does not subclass "
                                         f"{contract.__module__}.{contract.__qualname__}")


def check_card(spec: Any) -> None:
    """Every card field that mirrors a class attribute (``Card.MIRRORS``: an encoder's modality, a fusion's
    stackable, a metric's direction ...) equals it, after the spec's ``defaults`` and ``__init__``'s defaults."""
    from merbench.contracts.cards import mirror_mismatches

    built = _built_class(_load(spec))
    if built is None:
        return  # a factory without a class to compare with; check_factory reports it where it matters
    problems = mirror_mismatches(spec.card, _Declared(built, spec.defaults))
    assert not problems, f"{spec.kind} {spec.name!r}: the card contradicts {built.__name__}: " + "; ".join(problems)


def check_search_space(spec: Any) -> None:
    """A fusion's ``__init__`` takes every hyper-parameter name of the search spaces (the trainer passes them)."""
    cls = _built_class(_load(spec))
    params = inspect.signature(cls.__init__).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    missing = [name for name in search_space_params() if name not in params]
    assert not missing, (f"{cls.__name__}.__init__ does not take the search space's hyper-parameter(s) "
                         f"{', '.join(missing)} (merbench.training.search.SPACES; see merbench.contracts.fusion)")


def check_stackable_dropout(spec: Any) -> None:
    """A stackable fusion drops out only through ``BufferDropout``: an ``nn.Dropout`` module, or a call to
    ``torch.nn.functional``'s dropouts in ``forward``, draws from torch's global generator, so the
    trainer's stacked (vectorised) runs would silently stop being reproducible."""
    import torch
    from torch import nn
    from torch.nn import functional

    model = _build_fusion(spec)
    if not (getattr(model, "stackable", False) or getattr(spec.card, "stackable", False)):
        return
    modules = [name or type(model).__name__ for name, m in model.named_modules()
               if isinstance(m, nn.modules.dropout._DropoutNd)]
    assert not modules, (f"stackable {type(model).__name__} uses torch.nn dropout in {', '.join(modules)}; "
                         "use merbench.contracts.fusion.BufferDropout (nn.Dropout breaks reproducible stacked runs)")
    calls: list[str] = []
    names = ("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout")
    originals = {n: getattr(functional, n) for n in names if hasattr(functional, n)}

    def spy(n: str) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls.append(n)
            return originals[n](*args, **kwargs)
        return wrapper

    try:
        for n in originals:
            setattr(functional, n, spy(n))
        model.train()
        with torch.no_grad():
            model(_fusion_inputs(model))
    finally:
        for n, fn in originals.items():
            setattr(functional, n, fn)
    assert not calls, (f"stackable {type(model).__name__} calls torch.nn.functional.{calls[0]} in forward(); "
                       "use merbench.contracts.fusion.BufferDropout (it breaks reproducible stacked runs)")


def check_fusion_forward(spec: Any) -> None:
    """:func:`check_fusion` with small inputs and the search space's hyper-parameters."""
    check_fusion(_built_class(_load(spec)), FUSION_DIMS, **{**_thawed(spec.defaults), **search_space_params()})


def check_metric_score(spec: Any) -> None:
    """:func:`check_metric` on a small prediction set of the card's ``label_type``."""
    emotions = list(EMOTIONS)
    y_true = [emotions[i % len(emotions)] for i in range(12)]
    y_pred = [emotions[(i * 5) % len(emotions)] for i in range(12)]
    context: dict[str, Any] = {}
    label_type = spec.card.label_type
    if label_type == "valence":
        y_true, y_pred = [float(i % 5 - 2) for i in range(12)], [float(i % 3 - 1) for i in range(12)]
    elif label_type == "discrete+valence":
        context = {"valence_true": [float(i % 5 - 2) for i in range(12)], "valence_pred": [0.0] * 12}
    elif label_type == "openset":
        y_true = [[t, "calm"] for t in y_true]
        y_pred = [[p] for p in y_pred]
    check_metric(spec.create(), y_true, y_pred, **context)


def check_track(spec: Any) -> None:
    """A track builds (its YAML file is found, e.g. shipped as package data, and validates), is named
    as registered, and names only registered metrics it can be scored by
    (``merbench.contracts.track.check_metrics``) and registered strategies, a known corruption recipe
    or registered corruption steps, and an importable ``evaluate`` hook: what a run would otherwise
    stop on."""
    from merbench import plugins
    from merbench.contracts.track import TrackError, check_metrics
    from merbench.corrupt.recipe import RECIPES

    registry = plugins.get_registry()
    try:
        track = spec.create()
        check_metrics(track, registry.names("metric"))
    except TrackError as exc:
        raise AssertionError(str(exc)) from None
    assert track.name == spec.name, f"track registered as {spec.name!r} is named {track.name!r} in {track.source}"
    unknown = [s for s in track.strategies if s not in registry.names("strategy")]
    assert not unknown, f"track {track.name!r} names unknown strategy {unknown[0]!r}"
    if isinstance(track.corruption, str):
        assert track.corruption in RECIPES, f"track {track.name!r}: unknown corruption recipe {track.corruption!r}"
    for step in track.corruption or () if not isinstance(track.corruption, str) else ():
        assert step["name"] in registry.names("corruption"), f"track {track.name!r}: unknown corruption {step['name']!r}"
    if track.evaluate:
        assert callable(track.load_evaluate()), f"track {track.name!r}: evaluate {track.evaluate!r} is not callable"
    assert len(track.strategies) == 1 or track.unlabeled_split or track.test_split, (
        f"track {track.name!r}: a further strategy needs a test split")


def check_protocol(spec: Any) -> None:
    """A protocol's settings are valid run-config fields naming a known search space, registered
    fusions and tracks."""
    from merbench import plugins
    from merbench.runner.config import validate
    from merbench.training.search import SPACES

    protocol = spec.create()
    validate(dict(protocol.settings), f"protocol {protocol.name!r} settings")
    registry = plugins.get_registry()
    space = protocol.settings.get("search_space")
    assert not isinstance(space, str) or space in SPACES, f"protocol {protocol.name!r}: unknown search space {space!r}"
    for fusion in protocol.settings.get("fusion_defaults", {}):
        assert fusion in registry.names("fusion"), f"protocol {protocol.name!r}: unknown fusion {fusion!r}"
    for track in protocol.tracks or ():
        assert track in registry.names("track"), f"protocol {protocol.name!r}: unknown track {track!r}"


def spec_checks(spec: Any) -> list[Callable[[Any], None]]:
    """The checks that apply to ``spec``'s kind, in order."""
    from merbench.contracts.cards import Card

    checks: list[Callable[[Any], None]] = [check_factory]
    if isinstance(spec.card, Card) and spec.card.MIRRORS:
        checks.append(check_card)
    if spec.kind == "fusion":
        checks += [check_search_space, check_stackable_dropout, check_fusion_forward]
    if spec.kind == "metric":
        checks.append(check_metric_score)
    if spec.kind == "track":
        checks.append(check_track)
    if spec.kind == "protocol":
        checks.append(check_protocol)
    return checks


def check_id(spec: Any, check: Callable[[Any], None]) -> str:
    """``kind-name-check``, e.g. ``fusion-attention-stackable_dropout``."""
    return f"{spec.kind}-{spec.name}-{check.__name__.removeprefix('check_')}"


def parametrize_with_checks(specs: Iterable[Any]) -> Any:
    """A ``pytest.mark.parametrize("spec, check", ...)`` over every applicable check of every spec, with
    ids ``kind-name-check``; the test body is ``check(spec)``."""
    import pytest

    params = [pytest.param(spec, check, id=check_id(spec, check)) for spec in specs for check in spec_checks(spec)]
    return pytest.mark.parametrize("spec, check", params)


class _Declared:
    """The attributes a component of ``cls`` gets without building it: the spec's ``defaults`` first, then
    the defaults of ``__init__``'s parameters of the same name, then the class attributes."""

    def __init__(self, cls: type, defaults: Mapping[str, Any]) -> None:
        self._cls, self._defaults = cls, _thawed(defaults)
        try:
            self._init = inspect.signature(cls.__init__).parameters
        except (TypeError, ValueError):
            self._init = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._defaults:
            return self._defaults[name]
        param = self._init.get(name)
        if param is not None and param.default is not inspect.Parameter.empty:
            return param.default
        return getattr(self._cls, name)


def _load(spec: Any) -> Any:
    from merbench.specs import FactoryError

    try:
        return spec.load()
    except FactoryError as exc:
        if getattr(spec.card, "optional", False) and isinstance(exc.__cause__, ImportError):
            raise unittest.SkipTest(f"{spec.kind} {spec.name!r} needs an optional extra: {exc.__cause__}") from None
        raise AssertionError(str(exc)) from None


def _built_class(factory: Any) -> type | None:
    """The class ``factory`` builds: itself when it is a class, else its return annotation's class."""
    if isinstance(factory, type):
        return factory
    try:
        returned = typing.get_type_hints(factory).get("return")
    except Exception:
        return None
    return returned if isinstance(returned, type) else None


def _thawed(defaults: Mapping[str, Any]) -> dict[str, Any]:
    from merbench.specs import thaw

    return thaw(defaults)


def _build_fusion(spec: Any) -> Any:
    import torch

    torch.manual_seed(0)
    cls = _built_class(_load(spec))
    return cls(input_dims=FUSION_DIMS, num_classes=len(EMOTIONS), **{**_thawed(spec.defaults), **search_space_params()})


def _fusion_inputs(model: Any, batch_size: int = 3) -> dict[str, Any]:
    import torch

    if model.input_level == "frame":
        feats = {k: torch.randn(batch_size, 5, d) for k, d in FUSION_DIMS.items()}
        feats.update({f"{k}__mask": torch.ones(batch_size, 5) for k in FUSION_DIMS})
        return feats
    return {k: torch.randn(batch_size, d) for k, d in FUSION_DIMS.items()}


def _to_numpy(value: Any) -> Any:
    if hasattr(value, "detach"):
        return value.detach().float().cpu().numpy()
    return value
