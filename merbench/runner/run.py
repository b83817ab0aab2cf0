"""``merbench run``: one call scores a fusion over every feature and modality combination on every track.

Flow: open the dataset; corrupt the NOISE split (seeded, cached); load every encoder's features per
split through the feature cache (extracting what is missing); for each row of the papers' tables
(each feature alone, then each modality combination) and each seed, run the CV protocol once --
the same fold models give the Train&Val score and the SEMI / NOISE / unlabeled-pool predictions --
then the pseudo-label strategy for MER-SEMI; score, write one record per (track, row) with its
predictions, print the tables, and hand the trimodal classifier's probabilities to the MER-OV track.
"""

from __future__ import annotations

import datetime as _dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from merbench import EMOTIONS, plugins
from merbench.runner.config import build_config
from merbench.runner.features import SplitFeatures, build_table, load_split
from merbench.runner.tracks import load_track
from merbench.training.data import FeatureTable
from merbench.training.protocol import CVResult, TrainConfig, cross_validate
from merbench.training.search import SPACES, sample_trials
from merbench.training.strategies import POOL, softmax
from merbench.training.topn import rank_features, top_n

SHORT = {"audio": "A", "text": "T", "visual": "V"}
#: display label of each scored track
SEMI_PSEUDO = "semi+pseudo-label"


@dataclass
class Row:
    """One row of the papers' tables: a set of features fused by the run's fusion."""

    key: str
    kind: str  # "feature" (Table 4) or "combination" (Table 5)
    modalities: list[str]
    encoders: list[str]
    supervised: dict[int, CVResult] = field(default_factory=dict)
    pseudo: dict[int, CVResult] = field(default_factory=dict)
    pseudo_history: dict[int, list] = field(default_factory=dict)
    scores: dict[str, dict[int, dict[str, float]]] = field(default_factory=dict)  # track -> seed -> metric -> value


@dataclass
class RunResult:
    config: dict[str, Any]
    out: Path
    rows: list[Row]
    records: list[Path]
    ov_rows: list[dict[str, Any]]
    ranking: dict[str, list[str]] | None
    timings: dict[str, float]


def classifier_probabilities(row: Row, names: list[str], train_names: list[str]) -> dict[int, dict[str, list[float]]]:
    """Per seed, ``name -> class probabilities`` (over :data:`merbench.EMOTIONS`) of ``row``'s trained classifier.

    Samples of the Train&Val set get out-of-fold probabilities (from the fold model that never trained
    on them); others the fold-averaged test probabilities. This is the MER-OV classifier baseline's input.
    """
    position = {n: i for i, n in enumerate(train_names)}
    out: dict[int, dict[str, list[float]]] = {}
    for seed, result in row.supervised.items():
        oof = softmax(result.oof_logits)
        test = {}
        if "ov" in result.test_logits:
            test = dict(zip(result.test_names["ov"], softmax(result.test_logits["ov"])))
        probs = {}
        for n in names:
            if n in position:
                probs[n] = oof[position[n]].tolist()
            elif n in test:
                probs[n] = test[n].tolist()
        out[seed] = probs
    return out


def _rows(config: dict[str, Any], ranking: dict[str, list[str]] | None) -> list[Row]:
    encoders = config["encoders"]
    rows = [Row(e, "feature", [m], [e]) for m, names in encoders.items() for e in names]
    seen: set[tuple[str, ...]] = set()
    for combo in config["combinations"]:
        mods = [m for m in ("audio", "text", "visual") if m in combo and m in encoders]
        if len(mods) < 2 or tuple(mods) in seen:  # a combination may collapse onto another without some modality
            continue
        seen.add(tuple(mods))
        chosen = top_n(ranking, config["topn"], mods) if ranking else [encoders[m][0] for m in mods]
        key = "+".join(SHORT[m] for m in mods) + (f" (top{config['topn']})" if ranking else "")
        rows.append(Row(key, "combination", mods, chosen))
    return rows


def _inputs(row: Row, modality_of: dict[str, str], branches: str) -> dict[str, list[str]]:
    if branches == "feature":
        return {e: [e] for e in row.encoders}
    grouped: dict[str, list[str]] = {}
    for e in row.encoders:
        grouped.setdefault(modality_of[e], []).append(e)
    return grouped


def _score(table: FeatureTable, logits: np.ndarray, valence: np.ndarray | None, metrics: list[str]) -> dict[str, float]:
    y_true = [EMOTIONS[i] for i in table.labels]
    y_pred = [EMOTIONS[i] for i in logits.argmax(1)]
    context = {}
    if valence is not None and table.valence is not None:
        has = np.isfinite(table.valence)
        context = {"valence_true": table.valence[has], "valence_pred": valence[has]}
    out = {}
    for m in metrics:
        metric = plugins.create("metric", m)
        if metric.label_type == "valence":
            out[m] = metric(context["valence_true"], context["valence_pred"]) if context else float("nan")
        else:
            out[m] = metric(y_true, y_pred, **context)
    return {k: v for k, v in out.items() if np.isfinite(v)}


def run(config: dict[str, Any] | None = None, *, console: Any = None, progress: bool = True,
        log: Callable[[str], None] | None = None) -> RunResult:
    """Run every configured track (see the module docstring); ``config`` is merged over the defaults."""
    from merbench.datasets import open_dataset

    config = build_config(config)
    manager = plugins.get_manager()
    manager.hook.merbench_configure(config=config)
    build_config(config)  # a plugin's amendments must still match the schema
    say = log or (lambda msg: None)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    out = Path(config["out"] or Path(_runs_dir()) / _dt.datetime.now().strftime("%Y%m%d-%H%M%S"))
    out.mkdir(parents=True, exist_ok=True)

    dataset = open_dataset(config["dataset"], reader=config["reader"])
    timings["dataset"] = time.perf_counter() - t0
    splits = dataset.splits()
    # Train&Val cross-validation trains every model, so its scores are always reported with the others.
    tracks = {t: load_track(t) for t in dict.fromkeys(["trainval", *config["tracks"]]) if t != "ov"}
    fusion_spec = plugins.get("fusion", config["fusion"])
    frames = fusion_spec.card.get("input_level") == "frame"
    branches = fusion_spec.card.get("branches", "modality")
    modality_of = {e: m for m, names in config["encoders"].items() for e in names}
    all_encoders = list(modality_of)
    has_valence = bool(getattr(dataset, "has_valence", False))
    metrics = ["waf", "acc"] + (["mse", "combined"] if has_valence else [])
    select = "combined" if has_valence else "waf"
    skip = config["skip_missing"]

    # -- features ------------------------------------------------------------------------------
    t = time.perf_counter()
    wanted = {"trainval": dataset}
    if "semi" in tracks:
        wanted["semi"] = dataset
        if "pseudo-label" in tracks["semi"]["strategies"]:
            wanted[POOL] = dataset
    if "ov" in config["tracks"] and "ov" in splits:
        wanted["ov"] = dataset
    noise_dataset = None
    if "noise" in tracks and config["corrupt_noise"]:
        from merbench.corrupt.recipe import noise_test_set

        say(f"corrupting the NOISE split (challenge recipe, seed {config['noise_seed']})")
        noise_dataset = noise_test_set(dataset, seed=config["noise_seed"], progress=progress)
        timings["corrupt"] = time.perf_counter() - t
        wanted["noise"] = noise_dataset
    elif "noise" in tracks:  # the release's NOISE clips are corrupted already (MER2024's test2noise clips)
        say("NOISE split used as released (corrupt_noise: false)")
        noise_dataset = dataset
        wanted["noise"] = dataset
    split_features: dict[str, SplitFeatures] = {}
    for split, ds in wanted.items():
        if split not in ds.splits():
            raise ValueError(f"dataset {ds.root} has no {split!r} split, which track(s) {sorted(tracks)} need")
        say(f"features for {split}: {', '.join(all_encoders)}")
        split_features[split] = load_split(ds, split, all_encoders, frames=frames, skip_missing=skip,
                                           device=config["device"])
    timings["features"] = time.perf_counter() - t

    manager.hook.merbench_run_start(run={"config": config, "dataset": dataset, "out": out})

    # -- training ------------------------------------------------------------------------------
    t = time.perf_counter()
    space = SPACES[config["search_space"]] if isinstance(config["search_space"], str) else config["search_space"]
    train_config = TrainConfig(epochs=config["epochs"], batch_size=config["batch_size"],
                               weight_decay=config["weight_decay"], folds=config["folds"],
                               stratified=config["stratified"], unbiased=config["unbiased"], select=select,
                               device=config["device"])
    rows = _rows(config, None)
    feature_rows = [r for r in rows if r.kind == "feature"]
    ranking = None
    records: list[Path] = []
    for row in feature_rows:
        _train_row(row, config, split_features, tracks, modality_of, branches, frames, has_valence, metrics,
                   space, train_config, say)
    if config["topn"]:
        ranking = rank_features({r.key: float(np.mean([s["waf"] for s in r.scores["trainval"].values()]))
                                 for r in feature_rows}, {r.key: r.modalities[0] for r in feature_rows})
        rows = feature_rows + [r for r in _rows(config, ranking) if r.kind == "combination"]
    for row in rows:
        if row.kind == "combination":
            _train_row(row, config, split_features, tracks, modality_of, branches, frames, has_valence, metrics,
                       space, train_config, say)
    timings["training"] = time.perf_counter() - t

    from merbench.runner.records import write_row_records

    for row in rows:
        records += write_row_records(row, config=config, tracks=tracks, dataset=dataset, noise_dataset=noise_dataset,
                                     split_features=split_features, train_config=train_config, ranking=ranking,
                                     metrics=metrics, out=out)

    ov_rows: list[dict[str, Any]] = []
    if "ov" in config["tracks"]:
        t = time.perf_counter()
        from merbench.ov.track import run_ov_track

        trimodal = rows[-1]
        ov_names = list(splits.get("ov", []))
        say(f"MER-OV track (classifier baseline from {trimodal.key})")
        ov_rows = run_ov_track(dataset, describer=config["ov"]["describer"], seeds=config["seeds"],
                               classifier_probs=classifier_probabilities(trimodal, ov_names, split_features["trainval"].names),
                               classifier_inputs=tuple(trimodal.modalities), out=out / "ov", limit=config["ov"]["limit"],
                               progress=progress)
        records += [Path(r["record"]) for r in ov_rows if r.get("record")]
        timings["ov"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    result = RunResult(config, out, rows, records, ov_rows, ranking, timings)
    manager.hook.merbench_run_finish(run=result, records=[json.loads(Path(p).read_text()) for p in records])
    return result


def _runs_dir() -> Path:
    from merbench.paths import runs_dir

    return runs_dir()


def _train_row(row: Row, config, split_features, tracks, modality_of, branches, frames, has_valence, metrics, space,
               train_config: TrainConfig, say) -> None:
    inputs = _inputs(row, modality_of, branches)
    tables = {split: build_table(sf, inputs, labeled=split not in (POOL,) and split != "ov", has_valence=has_valence,
                                 skip_missing=config["skip_missing"], frames=frames)
              for split, sf in split_features.items()}
    train = tables["trainval"]
    tests = {k: v for k, v in tables.items() if k != "trainval"}
    dims = train.input_dims
    fusion = config["fusion"]
    fixed = dict(config["fusion_params"])

    def build(params):
        return plugins.create("fusion", fusion, input_dims=dims, num_classes=len(EMOTIONS), with_valence=has_valence,
                              **{**fixed, **params})

    pseudo_config = dict(config["pseudo_label"])
    pseudo_rows = pseudo_config.pop("rows", "combinations")
    pseudo = ("semi" in tracks and "pseudo-label" in tracks["semi"]["strategies"]
              and (pseudo_rows == "all" or row.kind == "combination"))
    for seed in config["seeds"]:
        say(f"{row.key}: seed {seed}, {config['trials']} trials x {train_config.folds} folds, {train_config.epochs} epochs")
        trials = sample_trials(space, config["trials"], seed)
        supervised = cross_validate(train, build, trials, config=train_config, seed=seed, test_tables=tests)
        row.supervised[seed] = supervised
        row.scores.setdefault("trainval", {})[seed] = {**supervised.baseline,
                                                       **{f"{k}_unbiased": v for k, v in (supervised.unbiased or {}).items()}}
        for name in ("semi", "noise"):
            if name in tracks:
                row.scores.setdefault(name, {})[seed] = _score(tests[name], supervised.test_logits[name],
                                                               supervised.test_valence.get(name), metrics)
        if pseudo:
            strategy = plugins.create("strategy", "pseudo-label", **pseudo_config)

            def trainer(labeled, *, extra_train=None, trials=None, test_tables=None, _seed=seed, _sup=supervised):
                if extra_train is None and trials is None:
                    return _sup  # the supervised round was trained above, with the pool among its test sets
                return cross_validate(labeled, build, trials, config=train_config, seed=_seed,
                                      test_tables={**tests, **(test_tables or {})}, extra_train=extra_train)

            result = strategy.fit(trainer, train, tests[POOL])
            row.pseudo[seed] = result
            row.pseudo_history[seed] = strategy.history
            row.scores.setdefault(SEMI_PSEUDO, {})[seed] = _score(tests["semi"], result.test_logits["semi"],
                                                                  result.test_valence.get("semi"), metrics)
