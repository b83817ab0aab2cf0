"""One result record per (track, table row), with its predictions, through :mod:`merbench.results.record`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from merbench import EMOTIONS, plugins
from merbench.results.record import build_record, write_record
from merbench.training.strategies import POOL, softmax

TRACK_OF = {"trainval": "trainval", "semi": "semi", "semi+pseudo-label": "semi", "noise": "noise"}


def _components(row, config: dict[str, Any], strategy: str) -> list[dict[str, Any]]:
    comps = []
    for encoder in row.encoders:
        spec = plugins.get("encoder", encoder)
        comps.append({"kind": "encoder", "name": encoder, "distribution": spec.distribution,
                      "version": str(spec.card.get("version")) if spec.card.get("version") is not None else None})
    fusion = plugins.get("fusion", config["fusion"])
    comps.append({"kind": "fusion", "name": fusion.name, "distribution": fusion.distribution,
                  "fingerprint": {"params": dict(config["fusion_params"]), "factory": fusion.factory}})
    strat = plugins.get("strategy", strategy)
    comps.append({"kind": "strategy", "name": strat.name, "distribution": strat.distribution,
                  "fingerprint": {k: v for k, v in config["pseudo_label"].items() if k != "rows"} if strategy == "pseudo-label" else None})
    return comps


def _prediction_rows(names: list[str], split: str, seed: int, logits: np.ndarray, labels: np.ndarray | None,
                     valence: np.ndarray | None = None) -> list[dict[str, Any]]:
    probs = softmax(logits)
    rows = []
    for i, name in enumerate(names):
        row = {"name": name, "split": split, "seed": seed, "pred": EMOTIONS[int(probs[i].argmax())],
               "probs": [round(float(p), 6) for p in probs[i]]}
        if labels is not None and labels[i] >= 0:
            row["label"] = EMOTIONS[int(labels[i])]
        if valence is not None:
            row["valence"] = float(valence[i])
        rows.append(row)
    return rows


def write_row_records(row, *, config, tracks, dataset, noise_dataset, split_features, train_config, ranking, metrics,
                      out: Path) -> list[Path]:
    written = []
    train_names = [n for n in split_features["trainval"].names if n not in split_features["trainval"].skipped]
    for label, per_seed_scores in row.scores.items():
        track = TRACK_OF[label]
        results = row.pseudo if label == "semi+pseudo-label" else row.supervised
        strategy = "pseudo-label" if label == "semi+pseudo-label" else "supervised"
        split = tracks[track]["test_split"] or "trainval"
        per_seed, predictions = [], []
        for seed, scores in per_seed_scores.items():
            result = results[seed]
            entry: dict[str, Any] = {"seed": seed, "scores": scores}
            if track == "trainval":
                entry["folds"] = result.folds
                labels = np.array([EMOTIONS.index(dataset.sample(n).label) for n in train_names])
                predictions += _prediction_rows(train_names, "trainval (out-of-fold)", seed, result.oof_logits, labels,
                                                result.oof_valence)
            else:
                for test in [split] + ([POOL] if track == "semi" and POOL in result.test_logits else []):
                    names = result.test_names[test]
                    labels = None
                    if test != POOL:
                        labels = np.array([EMOTIONS.index(s.label) if s.label else -1
                                           for s in (split_features[test].dataset.sample(n) for n in names)])
                    predictions += _prediction_rows(names, test, seed, result.test_logits[test], labels,
                                                    result.test_valence.get(test))
            per_seed.append(entry)
        skipped = sorted({s for sf in split_features.values() for s in
                          (f"{sf.split}/{n}: {why}" for n, why in sf.skipped.items())})
        extra = {"row": row.key, "kind": row.kind, "modalities": row.modalities, "strategy": strategy,
                 "chosen_params": {seed: results[seed].chosen_params for seed in per_seed_scores},
                 "trial_scores": {seed: results[seed].trial_scores for seed in per_seed_scores},
                 "train_seconds": {seed: results[seed].seconds for seed in per_seed_scores},
                 "attention_weights": config["fusion_params"].get("weights", "softmax") if config["fusion"].startswith("attention") else None,
                 "cv_scores": "baseline = best epoch per fold by validation score (biased); *_unbiased = nested selection "
                              "(trial and epoch chosen on an inner fold, reported on the untouched outer fold)"}
        if ranking is not None:
            extra["topn_ranking"] = ranking
        if strategy == "pseudo-label":
            extra["pseudo_label_rounds"] = {seed: row.pseudo_history[seed] for seed in per_seed_scores}
            extra["transductive"] = "the unlabeled pool (which contains the SEMI test clips, as in the challenge) is pseudo-labelled; their true labels are never used"
        name = f"{label}-{config['fusion']}-{row.key}".replace(" ", "").replace("(", "-").replace(")", "")
        n_scored = len(split_features[split].names) - len(split_features[split].skipped)
        record = build_record(
            track=track, name=name, dataset=noise_dataset if track == "noise" else dataset, split=split,
            components=_components(row, config, strategy),
            config={**config, "track": tracks[track], "train": train_config.as_dict()},
            seeds=list(per_seed_scores), per_seed=per_seed, main_metric="waf",
            higher_is_better={m: plugins.get("metric", m.replace("_unbiased", "")).card.get("higher_is_better", True)
                              for m in per_seed[0]["scores"]},
            samples={"scored": n_scored, "skipped": skipped},
            timings={"train_seconds_total": float(sum(results[s].seconds for s in per_seed_scores))}, extra=extra)
        written.append(write_record(record, out, predictions=predictions))
    return written
