"""Robustness sweeps: one scoring function over a split corrupted at increasing strengths.

A sweep is data, a list of axes (validated with :data:`SWEEP_SCHEMA`)::

    - {corruption: speech-noise, param: snr, values: [20, 15, 10, 5, 0]}
    - {corruption: blur, param: r, values: [1, 2, 4, 8]}

Each level is one :func:`~merbench.corrupt.corrupt_dataset` call (so levels are cached and
resumable under ``out_root``) followed by ``score_fn(corrupted_dataset) -> {metric: value}``.
The clean split is scored first as the reference row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

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
