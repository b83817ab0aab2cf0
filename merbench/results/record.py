"""The result record: one JSON file per scored (track, components) combination.

A record holds everything needed to trust and reproduce a number: merbench version and git sha,
the dataset manifest hash (and corruption), every component with its version, fingerprint and cache
key, the full config and seeds, per-seed scores and their mean/std/stderr, sample counts, timings,
the environment, and a hash of the predictions (written beside it, always with sample names).
The schema is ``record.schema.json`` beside this module; bump :data:`RECORD_VERSION` when it changes.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Sequence

RECORD_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("record.schema.json")


class RecordError(ValueError):
    """A record does not match the schema (the message names the field), or a record file cannot be read
    (the message names the file)."""


class NotARecordError(RecordError):
    """A JSON file that does not even claim to be a result record (see :func:`claims_record`)."""


def summarize(values: Sequence[float]) -> dict[str, float]:
    """Mean, sample standard deviation (ddof=1), standard error, count (:func:`merbench.util.stats.summarize`)."""
    from merbench.util.stats import summarize as _summarize

    try:
        return _summarize(values)
    except ValueError as exc:
        raise RecordError(str(exc)) from None


def write_predictions(path: Path, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Write predictions as JSON lines (each row has a ``name``) and return their reference."""
    for i, row in enumerate(rows):
        if "name" not in row:
            raise RecordError(f"prediction row {i} has no sample name; every prediction must carry one")
    blob = "".join(json.dumps(dict(r), sort_keys=True, ensure_ascii=False, default=_jsonable) + "\n" for r in rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(blob, encoding="utf-8")
    return {"path": path.name, "sha256": hashlib.sha256(blob.encode()).hexdigest(), "count": len(rows)}


def build_record(
    *,
    track: str,
    dataset: Any,
    components: Sequence[Mapping[str, Any]],
    config: Mapping[str, Any],
    seeds: Sequence[int],
    per_seed: Sequence[Mapping[str, Any]],
    main_metric: str,
    higher_is_better: Mapping[str, bool] | None = None,
    name: str | None = None,
    split: str | None = None,
    samples: Mapping[str, Any] | None = None,
    timings: Mapping[str, float] | None = None,
    protocol: Mapping[str, Any] | None = None,
    identity: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble a record. ``per_seed`` is ``[{"seed": s, "scores": {metric: value}, "folds": [...]}, ...]``;
    the summaries in ``scores`` are computed here so they always agree with the per-seed values.
    ``dataset`` is a :class:`merbench.contracts.dataset.Dataset` (or a mapping with name and manifest_hash)."""
    if isinstance(dataset, Mapping):
        ds = dict(dataset)
    else:
        ds = {"name": getattr(dataset, "name", type(dataset).__name__), "root": str(getattr(dataset, "root", "")),
              "manifest_hash": dataset.manifest_hash(), "corruption": getattr(dataset, "corruption", None)}
    ds.setdefault("split", split)
    metrics = sorted({m for run in per_seed for m in run["scores"]})
    scores = {}
    for m in metrics:
        summary = summarize([run["scores"][m] for run in per_seed if m in run["scores"]])
        if higher_is_better and m in higher_is_better:
            summary["higher_is_better"] = bool(higher_is_better[m])
        scores[m] = summary
    if main_metric not in scores:
        raise RecordError(f"main metric {main_metric!r} is not among the scored metrics {metrics}")
    from merbench import __version__
    from merbench.util.env import environment

    env = environment()
    record = {
        "version": RECORD_VERSION,
        "merbench": {"version": __version__, "git_sha": env.pop("git_sha")},
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "track": track,
        "name": name or track,
        "dataset": ds,
        "components": [dict(c) for c in components],
        "config": dict(config),
        "protocol": dict(protocol) if protocol is not None else None,
        "identity": dict(identity) if identity is not None else None,
        "seeds": [int(s) for s in seeds],
        "scores": scores,
        "main_score": {"metric": main_metric, "mean": scores[main_metric]["mean"]},
        "per_seed": [dict(r) for r in per_seed],
        "samples": dict(samples or {"scored": 0}),
        "predictions": None,
        "timings": dict(timings or {}),
        "environment": env,
        "extra": dict(extra or {}),
    }
    return json.loads(json.dumps(record, default=_jsonable))


def validate(record: Mapping[str, Any]) -> None:
    """Raise :class:`RecordError` naming the first field that breaks the schema."""
    import jsonschema

    from merbench.util.schema import first_error

    problem = first_error(jsonschema.Draft202012Validator(_schema()), record)
    if problem:
        raise RecordError(f"result record {problem}")


def write_record(record: dict[str, Any], out_dir: str | Path,
                 predictions: Sequence[Mapping[str, Any]] | None = None) -> Path:
    """Validate and write ``<out_dir>/<slug>.json`` (and ``<slug>.predictions.jsonl``); returns the record path.

    Lifecycle plugins see the record first through the ``merbench_record`` hook."""
    from merbench.plugins import get_manager

    get_manager().hook.merbench_record(record=record)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = record_path(out, record.get("name") or record["track"])
    if predictions is not None:
        record["predictions"] = write_predictions(path.with_name(path.name.removesuffix(".json") + ".predictions.jsonl"),
                                                 predictions)
    validate(record)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)  # atomic: a killed run never leaves a half-written record
    return path


def record_path(out_dir: str | Path, name: str) -> Path:
    """Where the record called ``name`` is written under ``out_dir``."""
    return Path(out_dir) / (re.sub(r"[^A-Za-z0-9._+-]+", "_", name).strip("_") + ".json")


def claims_record(data: Any) -> bool:
    """Whether parsed JSON claims to be a result record (a mapping with ``track`` and ``scores`` or ``merbench``);
    other JSON beside records (``demo.json``, a manifest, ``bench.yaml``'s neighbours) does not."""
    return isinstance(data, dict) and "track" in data and ("scores" in data or "merbench" in data)


def read_bytes(path: str | Path) -> bytes:
    """The bytes of the file at ``path``; :class:`RecordError` naming it when it cannot be read."""
    p = Path(path)
    try:
        return p.read_bytes()
    except OSError as exc:
        raise RecordError(f"{p}: cannot read it ({exc.strerror or exc})") from None


def parse_record(path: str | Path, blob: bytes) -> dict[str, Any]:
    """The record in ``blob`` (the bytes of ``path``), schema-validated. Every error names the file:
    :class:`NotARecordError` for JSON that does not claim to be a record, :class:`RecordError` for a
    file that is not valid JSON or a record that breaks the schema."""
    try:
        data = json.loads(blob.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecordError(f"{path}: not valid JSON ({exc}); re-run the track that wrote it") from None
    if not claims_record(data):
        raise NotARecordError(f"{path}: not a result record (no track and scores); pass a record written by merbench")
    try:
        validate(data)
    except RecordError as exc:
        raise RecordError(f"{path}: {exc}") from None
    return data


def read_record(path: str | Path) -> dict[str, Any]:
    """The record at ``path``, schema-validated (:func:`parse_record`'s errors, naming the file)."""
    return parse_record(path, read_bytes(path))


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"cannot store {type(value).__name__} in a result record")
