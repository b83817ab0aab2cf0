"""Benchmark suites: YAML grids of run configs (``suite.schema.json`` beside this module).

A suite's ``grid`` maps run-config fields to the values they take (datasets, encoder sets, fusions,
track lists, protocols, ...); every combination is one **cell**, a run config made of the suite's
``run`` fields (the budget: trials, epochs, seeds, ...) under the cell's grid values, then the
``--set`` overrides. Any run-config field passes through, and every cell is validated against the
run schema when the suite loads, so a typo fails before anything runs.

A cell's id (its folder in the result set) is made of its grid values only, so it stays the same
when the budget or an override changes: a weakened or re-budgeted run still pairs with the baseline.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

SCHEMA_PATH = Path(__file__).with_name("suite.schema.json")
#: the suites shipped with merbench (a checkout's benchmarks/suites)
BUILTIN_SUITES = Path(__file__).resolve().parent.parent.parent / "benchmarks" / "suites"
_ID_LENGTH = 80


class SuiteError(ValueError):
    """A suite that cannot be found, read or expanded; one line naming the file and the fix."""


@dataclass(frozen=True)
class Cell:
    """One grid point: its id (folder name) and the full run config handed to the runner."""

    id: str
    config: dict[str, Any]


@dataclass(frozen=True)
class Suite:
    name: str
    path: Path
    description: str
    grid: dict[str, list[Any]]
    run: dict[str, Any]
    gate: dict[str, float] = field(default_factory=dict)  # k and tolerance of merbench bench --against
    overrides: dict[str, Any] = field(default_factory=dict)
    cells: list[Cell] = field(default_factory=list)


def suite_dirs() -> list[Path]:
    """Where suite names are looked up: ``./benchmarks/suites`` (a project's own), then merbench's."""
    dirs = [Path.cwd() / "benchmarks" / "suites", BUILTIN_SUITES]
    return list(dict.fromkeys(d.resolve() for d in dirs))


def available() -> list[str]:
    return sorted({p.stem for d in suite_dirs() if d.is_dir() for p in d.glob("*.yaml")})


def find_suite(spec: str | Path) -> Path:
    """The suite file ``spec`` names: a path to a YAML file, or a name under :func:`suite_dirs`."""
    path = Path(spec).expanduser()
    if path.is_file():
        return path
    if path.suffix in (".yaml", ".yml") or len(path.parts) > 1:
        raise SuiteError(f"{path}: no such suite file")
    for folder in suite_dirs():
        for suffix in (".yaml", ".yml"):
            candidate = folder / f"{spec}{suffix}"
            if candidate.is_file():
                return candidate
    names = ", ".join(available()) or "none found"
    raise SuiteError(f"no suite named {spec!r} (known: {names}); pass a suite name or the path of a suite YAML file")


def load_suite(spec: str | Path, overrides: Mapping[str, Any] | None = None) -> Suite:
    """Read, validate and expand the suite ``spec`` names; ``overrides`` (dotted run-config keys,
    e.g. ``{"epochs": 1, "encoders.text": ["e5-small"]}``) apply to every cell."""
    import jsonschema

    from merbench.util.schema import first_error
    from merbench.util.yamlfile import read_yaml

    path = find_suite(spec)
    data = read_yaml(path, SuiteError, what="suite")
    if not isinstance(data, dict):
        raise SuiteError(f"{path}: a suite must be a mapping with a grid, got {type(data).__name__}")
    problem = first_error(jsonschema.Draft202012Validator(_schema()), data)
    if problem:
        raise SuiteError(f"{path}: suite {problem}")
    overrides = dict(overrides or {})
    if any(key == "out" or key.startswith("out.") for key in overrides):
        raise SuiteError("--set out=...: the bench places every cell's records itself; use --out for the result set")
    suite = Suite(name=data.get("name") or path.stem, path=path, description=data.get("description", ""),
                  grid=dict(data["grid"]), run=dict(data.get("run") or {}), gate=dict(data.get("gate") or {}),
                  overrides=overrides)
    return Suite(**{**suite.__dict__, "cells": expand(suite)})


def expand(suite: Suite) -> list[Cell]:
    """Every combination of the grid's values, in grid order, as validated run configs."""
    from merbench.runner.config import ConfigError, validate

    axes = list(suite.grid)
    cells, seen = [], {}
    for values in itertools.product(*(suite.grid[a] for a in axes)):
        point = dict(zip(axes, values))
        config = {**copy.deepcopy(suite.run), **copy.deepcopy(point)}
        for key, value in suite.overrides.items():
            set_field(config, key, copy.deepcopy(value))
        cid = cell_id(point)
        if cid in seen:
            raise SuiteError(f"{suite.path}: grid points {seen[cid]} and {point} get the same cell folder {cid!r}; "
                             "make their values differ in more than punctuation")
        seen[cid] = point
        try:
            validate(config, f"{suite.path} cell {cid}")
        except ConfigError as exc:
            raise SuiteError(str(exc)) from None
        cells.append(Cell(cid, config))
    return cells


def set_field(config: dict[str, Any], dotted: str, value: Any) -> None:
    """``config[a][b] = value`` for ``"a.b"`` (mappings created on the way)."""
    *parents, last = dotted.split(".")
    target = config
    for key in parents:
        if not isinstance(target.get(key), dict):
            if key in target:
                raise SuiteError(f"--set {dotted}: {key} is {json.dumps(target[key])}, not a mapping")
            target[key] = {}
        target = target[key]
    target[last] = value


def cell_id(point: Mapping[str, Any]) -> str:
    """A readable folder name of a grid point's values, one part per axis joined by ``_``
    (``demo-small_attention``); an id over 80 characters is cut and ends in a hash of the point."""
    parts = [re.sub(r"[^A-Za-z0-9.+=-]+", "-", _short(v)).strip("-.") or "x" for v in point.values()]
    joined = "_".join(parts)
    if len(joined) > _ID_LENGTH:
        digest = hashlib.sha1(json.dumps(point, sort_keys=True, default=str).encode()).hexdigest()[:8]
        joined = joined[: _ID_LENGTH - 9].rstrip("-_.") + "-" + digest
    return joined


def _short(value: Any) -> str:
    if isinstance(value, Mapping):
        return str(value["name"]) if "name" in value else "+".join(_short(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return "+".join(_short(v) for v in value)
    return value if isinstance(value, str) else json.dumps(value)


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
