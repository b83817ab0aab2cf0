"""Corruption steps as data: parse them (CLI text, YAML file, Python pairs), build them, apply them.

A step is a registered corruption name plus parameters. On the command line a step is
``NAME`` or ``NAME:key=value,key=value`` where each value is read as YAML, so
``speech-noise:snr=[0,5],bank=/data/musan/speech`` and ``blur:r=2`` both work. A steps file is
YAML: a list of ``{name: ..., params: {...}}``.

Randomness: step ``i`` of clip ``name`` draws from ``np.random.default_rng([seed, crc32(name), i])``,
so a clip's corruption depends on neither the order of clips, nor the number of processes, nor
the steps after it.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from merbench.contracts.corruption import Corruption, Media

STEPS_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "params": {"type": "object"}},
        "required": ["name"],
        "additionalProperties": False,
    },
}


def normalize_steps(steps: Iterable[Any]) -> list[tuple[str, dict]]:
    """Accept ``[("blur", {...})]``, ``[{"name": "blur", "params": {...}}]`` or ``["blur"]``."""
    out = []
    for step in steps:
        if isinstance(step, str):
            out.append((step, {}))
        elif isinstance(step, dict):
            unknown = set(step) - {"name", "params"}
            if "name" not in step or unknown:
                raise ValueError(f"a corruption step must be {{name, params}}, got {step!r}")
            out.append((step["name"], dict(step.get("params") or {})))
        else:
            name, params = step
            out.append((name, dict(params or {})))
    if not out:
        raise ValueError("no corruption steps given; pass at least one (e.g. --corruption blur)")
    return out


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside brackets and quotes."""
    parts, depth, quote, current = [], 0, None, []
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def parse_step(text: str) -> tuple[str, dict]:
    """``"blur:r=[1,2]"`` -> ``("blur", {"r": [1, 2]})`` (values as :func:`merbench.util.params.parse_value`)."""
    from merbench.util.params import parse_pairs

    name, _, rest = text.partition(":")
    try:
        params = parse_pairs(_split_top_level(rest), example="blur:r=2")
    except ValueError as exc:
        raise ValueError(f"corruption {text!r}: expected NAME:key=value[,key=value]; {exc}") from None
    return name.strip(), params


def load_steps_file(path: str | Path) -> list[tuple[str, dict]]:
    """Steps from a YAML/JSON file (a list of ``{name, params}``), validated."""
    import jsonschema
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    try:
        jsonschema.validate(data, STEPS_SCHEMA)
    except jsonschema.ValidationError as exc:
        raise ValueError(f"{path}: not a list of corruption steps {{name, params}}: {exc.message}") from None
    return normalize_steps(data)


def build_steps(steps: Iterable[Any]) -> list[Corruption]:
    """Corruption objects from the plugin registry (parameters validated, defaults filled)."""
    from merbench import plugins

    return [plugins.create("corruption", name, **params) for name, params in normalize_steps(steps)]


def describe_steps(corruptions: Sequence[Corruption]) -> list[dict]:
    """The steps as they go in ``Dataset.corruption`` and the cache keys; a step whose corruption
    reads outside data also carries that data's identity (:meth:`Corruption.data_identity`)."""
    described = []
    for c in corruptions:
        step = {"name": c.name, "version": c.version, "params": c.params()}
        data = c.data_identity()
        if data:
            step["data"] = data
        described.append(step)
    return described


def corruption_identity(corruption: dict) -> dict:
    """``corruption`` (``{"steps": describe_steps(...), "seed": ...}``) as the keys see it: a step's
    parameters that locate outside data (those named in its ``data``) are left out, because ``data``
    identifies that data itself. A noise bank read from another folder, mount or cache root then
    keys the same corrupted clips and features; where it was read from stays in the corrupted
    set's header (``corruption.json``)."""
    steps = []
    for step in corruption["steps"]:
        located = step.get("data") or {}
        steps.append({**step, "params": {k: v for k, v in step["params"].items() if k not in located}})
    return {**corruption, "steps": steps}


def clip_rng(seed: int, name: str, step: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), zlib.crc32(name.encode("utf-8")), step])


def apply_steps(media: Media, corruptions: Sequence[Corruption], seed: int) -> tuple[Media, list[dict]]:
    """Apply corruptions in order to one clip; the same (media, steps, seed) always gives the same
    output. Also the entry point for train-time augmentation (vary ``seed`` per epoch)."""
    log = []
    for index, corruption in enumerate(corruptions):
        media, choices = corruption.apply(media, clip_rng(seed, media.name, index))
        log.append({"name": corruption.name, **choices})
    return media, log
