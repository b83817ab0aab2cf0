"""One result record per (scored track, table row), with its predictions, through :mod:`merbench.results.record`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from merbench import EMOTIONS, plugins
from merbench.results.record import build_record, write_record
from merbench.util.probs import softmax


def encoder_components(row, trainer, feature_sets) -> list[dict[str, Any]]:
    """Each encoder of ``row`` with its distribution, version, fingerprint and the cache keys of its features."""
    from merbench.cache import resolve
    from merbench.cache.key import key_digest
    from merbench.runner.run import encoder_params

    comps = []
    for encoder in row.encoders:
        params = encoder_params(trainer.config, encoder)
        params.pop("layers", None)
        keys = {}
        identity: dict[str, Any] = {}
        for name in feature_sets:
            sf = trainer.split_features[name]
            resolved = resolve(sf.dataset, encoder, **params)
            keys[name] = key_digest(resolved.key)
            identity = resolved.key.get("encoder", identity)
        comps.append({"kind": "encoder", "name": encoder, "distribution": identity.get("distribution"),
                      "version": identity.get("version"), "fingerprint": identity.get("fingerprint"),
                      "params": params, "cache_key": keys[feature_sets[0]], "cache_keys": keys})
    return comps


def _components(row, trainer, scored_track, strategy: str, feature_sets: list[str]) -> list[dict[str, Any]]:
    return encoder_components(row, trainer, feature_sets) + _code_components(trainer, scored_track, strategy)


def _code_components(trainer, scored_track, strategy: str) -> list[dict[str, Any]]:
    """The fusion, track, metrics and strategy of a record, each with the distribution that ships it."""
    comps = []
    fusion = plugins.get("fusion", trainer.config["fusion"])
    comps.append({"kind": "fusion", "name": fusion.name, "distribution": fusion.distribution,
                  "fingerprint": {"params": trainer.fusion_params, "factory": fusion.factory}})
    track = plugins.get("track", scored_track.name) if scored_track.name in plugins.get_registry().names("track") else None
    comps.append({"kind": "track", "name": scored_track.name, "version": str(scored_track.version),
                  "distribution": track.distribution if track else "inline (run config)",
                  "fingerprint": scored_track.as_dict()})
    for metric in scored_track.metrics:
        spec = plugins.get("metric", metric)
        comps.append({"kind": "metric", "name": metric, "distribution": spec.distribution, "factory": spec.factory})
    strat = plugins.get("strategy", strategy)
    comps.append({"kind": "strategy", "name": strat.name, "distribution": strat.distribution,
                  "fingerprint": {**strat.defaults, **trainer.config["strategy_params"].get(strategy, {})}})
    return comps


def _prediction_rows(names: list[str], split: str, seed: int, logits: np.ndarray, labels: np.ndarray | None,
                     valence: np.ndarray | None = None, weights: np.ndarray | None = None,
                     inputs: list[str] | None = None) -> list[dict[str, Any]]:
    """One row per sample; ``weights`` (N, K) are the fusion's input weights, named by ``inputs``."""
    probs = softmax(logits)
    rows = []
    for i, name in enumerate(names):
        row = {"name": name, "split": split, "seed": seed, "pred": EMOTIONS[int(probs[i].argmax())],
               "probs": [round(float(p), 6) for p in probs[i]]}
        if labels is not None and labels[i] >= 0:
            row["label"] = EMOTIONS[int(labels[i])]
        if valence is not None:
            row["valence"] = float(valence[i])
        if weights is not None:
            row["weights"] = {k: round(float(w), 6) for k, w in zip(inputs, weights[i])}
        rows.append(row)
    return rows


def _labels(split_features, names: list[str]) -> np.ndarray:
    return np.array([EMOTIONS.index(s.label) if s.label else -1 for s in (split_features.dataset.sample(n) for n in names)])


def record_name(label: str, fusion: str, row_key: str) -> str:
    return f"{label}-{fusion}-{row_key}".replace(" ", "").replace("(", "-").replace(")", "")


#: run-config fields that do not change a row's numbers: where things go, which other tracks run, where
#: the work ran (an executor gives the numbers of a local run)
_NOT_IDENTITY = ("out", "tracks", "track_params", "dataset", "reader", "executor", "executor_address",
                 "background_preparation")


def identity(row, trainer, resolved, scored) -> dict[str, Any]:
    """What determines the numbers of ``scored``'s record of ``row``: the config (less where it is
    written and which other tracks run), the track, strategy and protocol, the row's features by
    cache key (which covers encoder, media and corruption), the distributions of its fusion, track,
    metrics and strategy, the clips and labels of every split it uses (:func:`_split_identity`; the
    cache keys leave them out) and merbench's version; ``hash`` is the sha256 of its canonical JSON.
    Two records with one hash were computed the same way."""
    return _identity(row, trainer, resolved, scored.track, scored.strategy, trainer.groups[scored.group])


def model_identity(row, trainer, resolved, track) -> dict[str, Any]:
    """The same for what ``trainer.probabilities(row, track)`` hands a track's evaluate hook: the
    row's models of ``track``'s cross-validation group (trained with its first strategy) and the
    features of its test split. A record made from those probabilities carries its hash."""
    from merbench.runner.run import group_name

    return _identity(row, trainer, resolved, track, track.strategies[0],
                     trainer.groups[group_name(track, trainer.config)])


def _identity(row, trainer, resolved, track, strategy: str, group) -> dict[str, Any]:
    import hashlib

    from merbench import __version__
    from merbench.cache.key import canonical

    used = [group.train] + ([trainer.test_set(track)] if track.test_split else []) + trainer.predicted_sets(track)
    pool = [trainer.unlabeled_set(track)] if track.unlabeled_split else []
    parts = {
        "merbench_version": __version__,
        "config": {k: v for k, v in trainer.config.items() if k not in _NOT_IDENTITY},
        "protocol": {"name": resolved.protocol.name, "version": resolved.protocol.version},
        "track": track.as_dict(), "strategy": strategy, "train": trainer.train_config(group).as_dict(),
        "row": {"key": row.key, "encoders": row.encoders, "modalities": row.modalities},
        "features": {c["name"]: c["cache_keys"] for c in encoder_components(row, trainer, used)},
        # the code of every other component by its distribution: a plugin's new version is another
        # computation (the encoders' versions are in their cache keys)
        "code": {f"{c['kind']}:{c['name']}": c["distribution"] for c in _code_components(trainer, track, strategy)},
        "splits": {name: _split_identity(trainer, name) for name in dict.fromkeys(used + pool)},
        "valence_head": trainer.with_valence,
    }
    return {"hash": hashlib.sha256(canonical(parts).encode()).hexdigest(), "parts": parts}


def _split_identity(trainer, name: str) -> dict[str, str]:
    """What a record depends on in one of its splits beyond the features' cache keys (which cover the
    dataset's media, not which clips a split holds): a labeled split's clips in order with their labels,
    an unlabeled one's clips in order (its labels, e.g. test labels published later, change nothing)."""
    sf = trainer.split_features[name]
    if trainer.sets[name].labeled:
        return {"labels": sf.dataset.labels_hash(sf.split)}
    return {"clips": sf.dataset.media_hash(sf.split)}


def finished_scores(row, trainer, resolved, out: Path) -> tuple[dict[str, dict[int, dict[str, float]]], list[Path]] | None:
    """The per-seed scores of every record ``row`` would write, read back from ``out`` when each is
    there under the same identity hash (a finished row of an earlier run); else None."""
    from merbench.results.record import RecordError, read_record, record_path

    scores, paths = {}, []
    for scored in trainer.scored_for(row):
        path = record_path(out, record_name(scored.label, trainer.config["fusion"], row.key))
        if not path.is_file():
            return None
        try:
            record = read_record(path)
        except RecordError:
            return None  # unreadable: train the row again and overwrite it
        if (record.get("identity") or {}).get("hash") != identity(row, trainer, resolved, scored)["hash"]:
            return None
        scores[scored.label] = {int(run["seed"]): dict(run["scores"]) for run in record["per_seed"]}
        paths.append(path)
    return scores, paths


def write_row_records(row, trainer, resolved, out: Path) -> list[Path]:
    """Write the record (and predictions) of every scored track of ``row``; returns their paths."""
    written = []
    config = trainer.config
    for scored in trainer.scored:
        per_seed_scores = row.scores.get(scored.label)
        if not per_seed_scores:
            continue
        track, results = scored.track, row.results[scored.label]
        group = trainer.groups[scored.group]
        train_sf = trainer.split_features[group.train]
        test_set = trainer.test_set(track)
        predicted = trainer.predicted_sets(track)  # unscored predictions, for a submission
        per_seed, predictions = [], []
        for seed, scores in per_seed_scores.items():
            result = results[seed]
            entry: dict[str, Any] = {"seed": seed, "scores": scores}
            shown = predicted
            if track.cross_validated:
                entry["folds"] = result.folds
                names = [n for n in train_sf.names if n not in train_sf.skipped]
                predictions += _prediction_rows(names, f"{train_sf.split} (out-of-fold)", seed, result.oof_logits,
                                                _labels(train_sf, names), result.oof_valence, result.oof_weights,
                                                result.weight_inputs)
            else:
                pool = trainer.unlabeled_set(track)  # predictions of the whole pool, for a submission
                shown = [test_set] + ([pool] if pool in result.test_logits else []) + predicted
            for name in dict.fromkeys(shown):
                names = result.test_names[name]
                labels = _labels(trainer.split_features[name], names) if trainer.sets[name].labeled else None
                predictions += _prediction_rows(names, trainer.sets[name].split, seed, result.test_logits[name],
                                                labels, result.test_valence.get(name),
                                                result.test_weights.get(name), result.weight_inputs)
            per_seed.append(entry)
        used = [group.train] + ([test_set] if test_set else []) + predicted
        skipped = sorted({f"{sf.split}/{n}: {why}" for name in used for sf in [trainer.split_features[name]]
                          for n, why in sf.skipped.items()})
        scored_sf = trainer.split_features[test_set or group.train]
        extra = {"row": row.key, "kind": row.kind, "modalities": row.modalities, "strategy": scored.strategy,
                 "chosen_params": {seed: results[seed].chosen_params for seed in per_seed_scores},
                 "trial_scores": {seed: results[seed].trial_scores for seed in per_seed_scores},
                 "train_seconds": {seed: results[seed].seconds for seed in per_seed_scores},
                 "valence_head": trainer.with_valence,
                 "cv_scores": "baseline = best epoch per fold by the selection metric on validation (biased); "
                              "*_unbiased = nested selection (trial and epoch chosen on an inner fold, reported on "
                              "the untouched outer fold)"}
        if scored.label in row.histories:
            extra["strategy_rounds"] = row.histories[scored.label]
        direction = {m: plugins.get("metric", m.removesuffix("_unbiased")).card.higher_is_better
                     for m in per_seed[0]["scores"]}
        record = build_record(
            track=track.name, name=record_name(scored.label, config["fusion"], row.key), dataset=scored_sf.dataset,
            split=scored_sf.split, components=_components(row, trainer, track, scored.strategy, used),
            config={**config, "track": track.as_dict(), "train": trainer.train_config(group).as_dict()},
            seeds=list(per_seed_scores), per_seed=per_seed, main_metric=track.main_metric, higher_is_better=direction,
            samples={"scored": len(scored_sf.names) - len(scored_sf.skipped), "skipped": skipped},
            timings={"train_seconds_total": float(sum(results[s].seconds for s in per_seed_scores))},
            protocol={"name": resolved.protocol.name, "version": resolved.protocol.version,
                      "departures": resolved.departures},
            identity=identity(row, trainer, resolved, scored), extra=extra)
        written.append(write_record(record, out, predictions=predictions))
    return written
