"""Track definitions are data: one YAML file per track beside this module, validated by ``track.schema.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


class TrackError(ValueError):
    """A track file does not match the schema."""


def load_track(name: str, path: str | Path | None = None) -> dict[str, Any]:
    """The track config called ``name`` (``<name>.yaml`` here, or ``path``), validated."""
    import jsonschema
    import yaml

    file = Path(path) if path else HERE / f"{name}.yaml"
    if not file.exists():
        raise TrackError(f"{file}: no such track file; built-in tracks are {sorted(p.stem for p in HERE.glob('*.yaml'))}")
    config = yaml.safe_load(file.read_text(encoding="utf-8"))
    schema = json.loads((HERE / "track.schema.json").read_text(encoding="utf-8"))
    error = next(iter(jsonschema.Draft202012Validator(schema).iter_errors(config)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.path) or "(root)"
        raise TrackError(f"{file}: field {where}: {error.message}")
    if config["main_metric"] not in config["metrics"]:
        raise TrackError(f"{file}: main_metric {config['main_metric']!r} is not in metrics {config['metrics']}")
    return config
