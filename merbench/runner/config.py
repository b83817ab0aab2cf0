"""The run config: data (YAML/JSON) validated by ``run.schema.json``, merged over :data:`DEFAULTS`.

The defaults are the no-argument ``merbench run``: the demo corpus, the offline encoder of each
modality, every track, and a search budget sized to finish in minutes on 2 CPU cores. The papers'
budget is one option away (``trials: 50``, ``seeds: [0, 1, 2]``, ``epochs: 100``).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Mapping

SCHEMA_PATH = Path(__file__).with_name("run.schema.json")

DEFAULTS: dict[str, Any] = {
    "dataset": "demo",
    "reader": None,
    # never unpickle a dataset's label files unless the run asks (unpickling can run code)
    "allow_pickle": False,
    "encoders": {"audio": ["egemaps"], "text": ["minilm-l6-v2"], "visual": ["fer-mini-xception"]},
    "fusion": "attention",
    "fusion_params": {},
    "tracks": ["trainval", "semi", "noise", "ov"],
    "trials": 2,
    "seeds": [0, 1],
    "search_space": "mer2024",
    "epochs": 20,
    "batch_size": 32,
    "weight_decay": 1e-5,
    "folds": 5,
    "stratified": False,
    "unbiased": True,
    "topn": None,
    "combinations": [["audio", "text"], ["audio", "visual"], ["text", "visual"], ["audio", "text", "visual"]],
    "pseudo_label": {"quantile": 0.5, "rounds": 1, "rows": "combinations"},
    "noise_seed": 0,
    # false for a release whose NOISE clips are already corrupted (the real MER2024 pool); the demo's are clean
    "corrupt_noise": True,
    "ov": {"describer": "smollm2", "limit": 16},
    "skip_missing": False,
    "device": "auto",
    "out": None,
}

#: The papers' search budget (MER2024: 50 trials, 100 epochs; 3 repeats).
PAPER_BUDGET = {"trials": 50, "epochs": 100, "seeds": [0, 1, 2]}


class ConfigError(ValueError):
    """A run config that does not match the schema; the message names the field."""


def validate(config: Mapping[str, Any], where: str = "run config") -> None:
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    error = next(iter(sorted(jsonschema.Draft202012Validator(schema).iter_errors(config), key=lambda e: list(e.path))), None)
    if error is not None:
        field = "/".join(str(p) for p in error.path) or "(root)"
        raise ConfigError(f"{where}: field {field}: {error.message}")


def build_config(overrides: Mapping[str, Any] | None = None, path: str | Path | None = None) -> dict[str, Any]:
    """DEFAULTS, then the file at ``path`` (YAML or JSON), then ``overrides``; validated at each layer."""
    config = copy.deepcopy(DEFAULTS)
    layers: list[tuple[str, Mapping[str, Any]]] = []
    if path is not None:
        import yaml

        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: a run config must be a mapping, got {type(data).__name__}")
        layers.append((str(path), data))
    if overrides:
        layers.append(("command line", {k: v for k, v in overrides.items() if v is not None}))
    for where, layer in layers:
        validate(layer, where)
        for key, value in layer.items():
            if isinstance(value, dict) and isinstance(config.get(key), dict) and key != "encoders":
                config[key] = {**config[key], **value}
            else:
                config[key] = copy.deepcopy(value)
    validate(config)
    return config
