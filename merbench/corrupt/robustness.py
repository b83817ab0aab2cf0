"""Robustness sweeps: one scoring function over a split corrupted at increasing strengths.

A sweep is data, a list of axes (validated with :data:`SWEEP_SCHEMA`)::

    - {corruption: speech-noise, param: snr, values: [20, 15, 10, 5, 0]}
    - {corruption: blur, param: r, values: [1, 2, 4, 8]}

Each level is one :func:`~merbench.corrupt.corrupt_dataset` call (so levels are cached and
resumable under ``out_root``) followed by ``score_fn(corrupted_dataset) -> {metric: value}``.
The clean split is scored first as the reference row. :func:`model_sweep` does it for the
``merbench run`` model: trained once per seed on clean Train&Val, scored on every level.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from merbench.contracts.dataset import Dataset
from merbench.corrupt.pipeline import corrupt_dataset, default_out
from merbench.corrupt.recipe import noise_bank_of

SWEEP_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "properties": {
            "corruption": {"type": "string"},
            "param": {"type": "string"},
            "values": {"type": "array", "minItems": 1},
            "params": {"type": "object"},
        },
        "required": ["corruption", "param", "values"],
        "additionalProperties": False,
    },
}

#: The sweep of the issue: speech babble from clean-ish to 0 dB, blur up to twice the challenge's worst.
DEFAULT_SWEEP = [
    {"corruption": "speech-noise", "param": "snr", "values": [20, 15, 10, 5, 0]},
    {"corruption": "blur", "param": "r", "values": [1, 2, 4, 8]},
]

ScoreFn = Callable[[Dataset], Mapping[str, float]]


def load_sweep(path: str | Path) -> list[dict]:
    """A sweep from a YAML/JSON file, validated."""
    import yaml

    return validate_sweep(yaml.safe_load(Path(path).read_text(encoding="utf-8")), where=str(path))


def validate_sweep(spec: Any, where: str = "sweep") -> list[dict]:
    import jsonschema

    try:
        jsonschema.validate(spec, SWEEP_SCHEMA)
    except jsonschema.ValidationError as exc:
        raise ValueError(f"{where}: not a list of {{corruption, param, values[, params]}} axes: {exc.message}") from None
    return spec


def corrupt_levels(dataset: Dataset, split: str, sweep_spec: list[dict] | None, seed: int = 0, *,
                   noise_bank: str | Path | None = None, out_root: str | Path | None = None, workers: int = 2,
                   progress: bool = True) -> list[tuple[dict, Dataset]]:
    """Every level of the sweep as ``(row, corrupted dataset)``, the clean split first (row
    ``{"corruption": "none", "param": None, "value": None}``, the dataset itself). Levels already
    written under ``out_root`` (default ``$MERBENCH_CACHE/corrupted``) are reused."""
    axes = validate_sweep(DEFAULT_SWEEP if sweep_spec is None else sweep_spec)
    levels: list[tuple[dict, Dataset]] = [({"corruption": "none", "param": None, "value": None}, dataset)]
    for axis in axes:
        fixed = dict(axis.get("params") or {})
        if axis["corruption"] == "speech-noise" and not fixed.get("bank"):
            fixed["bank"] = str(noise_bank_of(dataset, noise_bank))
        for value in axis["values"]:
            steps = [(axis["corruption"], {**fixed, axis["param"]: value})]
            out = None if out_root is None else Path(out_root) / default_out(dataset, split, steps, seed).name
            corrupted = corrupt_dataset(dataset, split, steps, seed, out, workers=workers, progress=progress)
            levels.append(({"corruption": axis["corruption"], "param": axis["param"], "value": value}, corrupted))
    return levels


def sweep(dataset: Dataset, split: str, sweep_spec: list[dict] | None, score_fn: ScoreFn, seed: int = 0, *,
          noise_bank: str | Path | None = None, out_root: str | Path | None = None, workers: int = 2,
          progress: bool = True) -> list[dict]:
    """Score ``split`` clean, then corrupted at every level of every axis (:func:`corrupt_levels`).

    Returns one row per level: ``{"corruption", "param", "value", **score_fn(level_dataset)}``.
    ``speech-noise`` without a ``bank`` uses ``noise_bank`` or the dataset's.
    """
    levels = corrupt_levels(dataset, split, sweep_spec, seed, noise_bank=noise_bank, out_root=out_root,
                            workers=workers, progress=progress)
    return [{**row, **score_fn(level)} for row, level in levels]


def model_sweep(config: Mapping[str, Any] | None = None, sweep_spec: list[dict] | None = None, *, split: str = "noise",
                noise_bank: str | Path | None = None, out_root: str | Path | None = None, workers: int = 2,
                progress: bool = True, log: Callable[[str], None] | None = None) -> list[dict]:
    """Train the run's default model once and score it on every sweep level of ``split``.

    ``config`` is a ``merbench run`` config (:mod:`merbench.runner.config`, same defaults): its
    dataset, encoders (all fused, grouped by modality), fusion, search budget, ``seeds`` and
    ``noise_seed`` (the corruption seed). Per seed the CV protocol trains on the clean Train&Val
    split with every level as a test set, so all levels see the same fold models (logits averaged
    over folds). Rows: ``{"corruption", "param", "value", "<metric>": mean, "<metric>_std": std}``.
    """
    from merbench import EMOTIONS, plugins
    from merbench.datasets import open_dataset
    from merbench.runner.config import build_config
    from merbench.runner.features import build_table, load_split
    from merbench.training.protocol import TrainConfig, cross_validate
    from merbench.training.search import SPACES, sample_trials

    say = log or (lambda message: None)
    config = build_config(dict(config or {}))
    dataset = open_dataset(config["dataset"], reader=config["reader"])
    levels = corrupt_levels(dataset, split, sweep_spec, config["noise_seed"], noise_bank=noise_bank,
                            out_root=out_root, workers=workers, progress=progress)
    fusion_spec = plugins.get("fusion", config["fusion"])
    frames = fusion_spec.card.get("input_level") == "frame"
    by_modality = {m: list(names) for m, names in config["encoders"].items() if names}
    encoders = [e for names in by_modality.values() for e in names]
    inputs = ({e: [e] for e in encoders} if fusion_spec.card.get("branches") == "feature" else by_modality)
    has_valence = bool(getattr(dataset, "has_valence", False))
    table_options = dict(has_valence=has_valence, skip_missing=config["skip_missing"], frames=frames)

    say(f"features of the clean Train&Val split and {len(levels)} levels of {split!r}: {', '.join(encoders)}")
    load = dict(frames=frames, skip_missing=config["skip_missing"], device=config["device"])
    train = build_table(load_split(dataset, "trainval", encoders, **load), inputs, labeled=True, **table_options)
    tests = {f"level{i}": build_table(load_split(level, split, encoders, **load), inputs, labeled=True, **table_options)
             for i, (_, level) in enumerate(levels)}
    space = SPACES[config["search_space"]] if isinstance(config["search_space"], str) else config["search_space"]
    train_config = TrainConfig(epochs=config["epochs"], batch_size=config["batch_size"],
                               weight_decay=config["weight_decay"], folds=config["folds"],
                               stratified=config["stratified"], unbiased=False,
                               select="combined" if has_valence else "waf", device=config["device"])

    def build(params):
        return plugins.create("fusion", config["fusion"], input_dims=train.input_dims, num_classes=len(EMOTIONS),
                              with_valence=has_valence, **{**config["fusion_params"], **params})

    metrics = {name: plugins.create("metric", name) for name in ("waf", "acc")}
    per_seed: dict[str, list[dict[str, float]]] = {key: [] for key in tests}
    for seed in config["seeds"]:
        say(f"training {config['fusion']} on {'+'.join(by_modality)} (seed {seed}, {config['trials']} trials)")
        result = cross_validate(train, build, sample_trials(space, config["trials"], seed), config=train_config,
                                seed=seed, test_tables=tests)
        for key, table in tests.items():
            truth = [EMOTIONS[i] for i in table.labels]
            predicted = [EMOTIONS[i] for i in result.test_logits[key].argmax(1)]
            per_seed[key].append({name: float(metric(truth, predicted)) for name, metric in metrics.items()})
    rows = []
    for (row, _), key in zip(levels, tests):
        scores = {}
        for name in metrics:
            values = [s[name] for s in per_seed[key]]
            scores[name], scores[f"{name}_std"] = float(np.mean(values)), float(np.std(values))
        rows.append({**row, **scores})
    return rows
