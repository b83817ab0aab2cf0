"""One MLflow run per merbench result record, logged from the ``merbench_record`` hook.

Where: ``$MERBENCH_MLFLOW_URI``, else ``$MLFLOW_TRACKING_URI``, else a local file store beside
merbench's results store (``file:<results>/mlruns``, see :func:`merbench.paths.results_dir`). The
experiment is ``$MERBENCH_MLFLOW_EXPERIMENT`` (default ``merbench``). ``MERBENCH_DISABLE_PLUGINS=mlflow``
switches logging off without uninstalling the plugin (merbench then never loads it).

A run holds: params (each component ``<kind>.<name>`` = its version, the protocol, the seeds, the
config's scalar fields as ``config.<field>``, the identity hash), metrics (``<metric>.mean`` and
``<metric>.std``, and ``<metric>`` once per seed with the seed as its step), tags (track, dataset,
manifest hash, split, row ...) and the record JSON as an artifact. The record gets
``extra.mlflow`` (tracking URI, experiment, run id) so the run can be found from it.

mlflow-skinny has no SQL store (``sqlite:`` needs SQLAlchemy and Alembic); MLflow 3 refuses its
file store unless ``MLFLOW_ALLOW_FILE_STORE`` is set, which this module sets (if unset) for a file
store only. A store that fails never loses the record: one warning line, and merbench writes it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
import time
from typing import Any, Mapping
from urllib.parse import urlparse

log = logging.getLogger("merbench.mlflow")

DEFAULT_EXPERIMENT = "merbench"
_clients: dict[str, Any] = {}


def tracking_uri() -> str:
    """``$MERBENCH_MLFLOW_URI``, else ``$MLFLOW_TRACKING_URI``, else ``file:<results store>/mlruns``."""
    uri = os.environ.get("MERBENCH_MLFLOW_URI") or os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    from merbench.paths import results_dir

    return (results_dir() / "mlruns").resolve().as_uri()


def experiment_name() -> str:
    return os.environ.get("MERBENCH_MLFLOW_EXPERIMENT") or DEFAULT_EXPERIMENT


def _key(text: str) -> str:
    """An MLflow param/metric key: the characters MLflow accepts, others as ``_``."""
    return re.sub(r"[^\w\-. /]", "_", text)[:250]


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= 6000 else text[:5999] + "…"


def record_params(record: Mapping[str, Any]) -> dict[str, str]:
    """Components (``<kind>.<name>`` = version, else the distribution), protocol, seeds, the config's
    scalar fields (``config.<field>``; the rest is in the artifact) and the identity hash."""
    params: dict[str, str] = {}
    for comp in record.get("components", []):
        key = _key(f"{comp['kind']}.{comp['name']}")
        n = 2
        while key in params:  # one model in two roles (MER-OV's describer and extractor)
            key, n = _key(f"{comp['kind']}.{comp['name']}#{n}"), n + 1
        params[key] = _value(comp.get("version") or comp.get("distribution") or "unknown")
    protocol = record.get("protocol")
    if protocol:
        params["protocol"] = protocol["name"]
        params["protocol.version"] = str(protocol["version"])
        params["protocol.departures"] = _value(",".join(d["field"] for d in protocol["departures"]) or "none")
    params["seeds"] = ",".join(str(s) for s in record["seeds"])
    for field, value in sorted(record.get("config", {}).items()):
        if value is None or isinstance(value, (str, int, float, bool)):
            params[_key(f"config.{field}")] = _value(value)
    if record.get("identity"):
        params["identity_hash"] = record["identity"]["hash"]
    return params


def record_metrics(record: Mapping[str, Any]) -> list[tuple[str, float, int]]:
    """``(key, value, step)``: every metric's mean and std (step 0), and its value per seed (step = seed)."""
    out = []
    for metric, summary in sorted(record["scores"].items()):
        out += [(_key(f"{metric}.mean"), float(summary["mean"]), 0), (_key(f"{metric}.std"), float(summary["std"]), 0)]
    for run in record["per_seed"]:
        out += [(_key(metric), float(value), int(run["seed"])) for metric, value in sorted(run["scores"].items())]
    return out


def record_tags(record: Mapping[str, Any]) -> dict[str, str]:
    """Track, dataset (name, manifest hash, split, corruption), the record's name and row, merbench's version."""
    ds, extra = record["dataset"], record.get("extra") or {}
    tags = {"track": record["track"], "record": record.get("name") or record["track"],
            "dataset": ds["name"], "manifest_hash": ds["manifest_hash"],
            "main_metric": record["main_score"]["metric"], "merbench_version": record["merbench"]["version"]}
    optional = {"split": ds.get("split"), "corruption": ds.get("corruption"), "row": extra.get("row"),
                "kind": extra.get("kind"), "strategy": extra.get("strategy"),
                "git_sha": record["merbench"].get("git_sha"),
                "identity_hash": (record.get("identity") or {}).get("hash")}
    tags.update({k: _value(v) for k, v in optional.items() if v is not None})
    return tags


def _client(uri: str) -> Any:
    if uri not in _clients:
        if urlparse(uri).scheme in ("", "file"):
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3: the file store is opt-in
        from mlflow import MlflowClient

        _clients[uri] = MlflowClient(tracking_uri=uri)
    return _clients[uri]


def _experiment_id(client: Any, name: str) -> str:
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    try:
        return client.create_experiment(name)
    except Exception:  # another process created it in between
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return found.experiment_id


def log_record(record: Mapping[str, Any], uri: str | None = None, experiment: str | None = None) -> str:
    """Log ``record`` as one finished MLflow run; returns its run id (raises if the store fails)."""
    from mlflow.entities import Metric, Param

    from merbench.results.record import record_path

    uri = uri or tracking_uri()
    client = _client(uri)
    run = client.create_run(_experiment_id(client, experiment or experiment_name()), tags=record_tags(record),
                            run_name=record.get("name") or record["track"])
    run_id = run.info.run_id
    try:
        now = int(time.time() * 1000)
        params = [Param(k, v) for k, v in record_params(record).items()]
        metrics = [Metric(k, v, now, step) for k, v, step in record_metrics(record)]
        for i in range(0, max(len(params), len(metrics)), 100):  # MLflow's batch limit: 100 params
            client.log_batch(run_id, metrics=metrics[i:i + 100], params=params[i:i + 100])
        with tempfile.TemporaryDirectory() as tmp:
            path = record_path(tmp, record.get("name") or record["track"])
            path.write_text(json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
            client.log_artifact(run_id, str(path))
    except BaseException:
        with contextlib.suppress(Exception):
            client.set_terminated(run_id, status="FAILED")
        raise
    client.set_terminated(run_id)
    return run_id


def log_record_safely(record: dict[str, Any]) -> None:
    """The hook's body: log ``record`` unless it is invalid (merbench refuses to write it then); a
    failing store gives one warning line and the record is written anyway."""
    from merbench.results.record import RecordError, validate

    try:
        validate(record)
    except RecordError:
        return  # write_record raises this very error next; no run for a record that is never written
    uri, experiment = tracking_uri(), experiment_name()
    try:
        run_id = log_record(record, uri, experiment)
    except Exception as exc:  # noqa: BLE001 -- whatever the store does, the record must be written
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        log.warning("MLflow: record %s not logged to %s (%s: %s); the record is written anyway",
                    record.get("name") or record["track"], uri, type(exc).__name__, text)
        return
    record.setdefault("extra", {})["mlflow"] = {"tracking_uri": uri, "experiment": experiment, "run_id": run_id}
