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

from merbench.contracts.dataset import Dataset
from merbench.corrupt.pipeline import corrupt_dataset, default_out
from merbench.corrupt.recipe import corruption_steps

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
        for value in axis["values"]:
            params = {**(axis.get("params") or {}), axis["param"]: value}
            steps = corruption_steps(dataset, [{"name": axis["corruption"], "params": params}], noise_bank)
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


def sweep_tracks(sweep_spec: list[dict] | None, *, base_track: str = "noise", split: str | None = None,
                 noise_bank: str | Path | None = None) -> list[dict]:
    """One inline track per level (the clean split first), each the ``base_track`` with its corruption
    replaced by that level's step: what ``merbench robustness`` hands to ``merbench run``."""
    axes = validate_sweep(DEFAULT_SWEEP if sweep_spec is None else sweep_spec)
    levels: list[tuple[str, list[dict] | None]] = [("clean", None)]
    for axis in axes:
        for value in axis["values"]:
            params = {**(axis.get("params") or {}), axis["param"]: value}
            if axis["corruption"] == "speech-noise" and noise_bank is not None and not params.get("bank"):
                params["bank"] = str(Path(noise_bank).expanduser().resolve())
            levels.append((f"{axis['corruption']} {axis['param']}={value}", [{"name": axis["corruption"], "params": params}]))
    tracks = []
    for i, (label, steps) in enumerate(levels):
        track = {"base": base_track, "name": f"{base_track}-level{i}", "title": label, "heading": label,
                 "corruption": steps, "strategies": ["supervised"], "unlabeled_split": None, "table": "robustness",
                 "description": f"robustness sweep level {i}: {label}"}
        if split is not None:
            track["test_split"] = split
        tracks.append(track)
    return tracks


def model_sweep(config: Mapping[str, Any] | None = None, sweep_spec: list[dict] | None = None, *,
                base_track: str = "noise", split: str | None = None, noise_bank: str | Path | None = None,
                config_path: str | Path | None = None, progress: bool = True,
                results: str | Path | None = None) -> tuple[Any, list[dict]]:
    """Train the run's model once per seed (every encoder, fused by modality) and score it on every
    sweep level of the base track's test split (or ``split``), through ``merbench run``.

    Each level is an inline track (:func:`sweep_tracks`), so each gets a result record like any run.
    Returns the run's result and one row per level: ``{"corruption", "param", "value", "track",
    "<metric>": mean, "<metric>_std": std}`` (std over seeds, ddof=1)."""
    from merbench.runner.config import defaults, merge, user_layers
    from merbench.runner.run import run
    from merbench.util.stats import summarize

    tracks = sweep_tracks(sweep_spec, base_track=base_track, split=split, noise_bank=noise_bank)
    layers = user_layers(config, config_path)
    encoders = merge(defaults(), {k: v for _, layer in layers for k, v in layer.items() if k == "encoders"})["encoders"]
    overrides = {**dict(config or {}), "tracks": tracks, "unimodal": False, "combinations": [sorted(encoders)]}
    result = run(overrides, config_path=config_path, progress=progress, results=results)
    row = result.rows[-1]
    axes = [({"corruption": "none", "param": None, "value": None})]
    for axis in validate_sweep(DEFAULT_SWEEP if sweep_spec is None else sweep_spec):
        axes += [{"corruption": axis["corruption"], "param": axis["param"], "value": v} for v in axis["values"]]
    rows = []
    for level, scored in zip(axes, result.scored):
        entry = {**level, "track": scored.label}
        for metric in scored.track.metrics:
            values = [s[metric] for s in row.scores[scored.label].values() if metric in s]
            if values:
                summary = summarize(values)
                entry[metric], entry[f"{metric}_std"] = summary["mean"], summary["std"]
        rows.append(entry)
    return result, rows
