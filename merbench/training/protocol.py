"""The MER cross-validation protocol with random search, two CV scores and test-set predictions.

Per seed: the Train&Val rows are split into K folds (seeded; the baseline's split or stratified), T
hyper-parameter trials are drawn from the search space, and every (fold, trial) model is trained for
``epochs`` epochs with Adam (weight decay 1e-5, batch 32) by :class:`VectorisedTrainer`.

Two Train&Val scores are reported:

``baseline`` (comparable with the papers): per fold, the best epoch by validation WAF; a trial's CV
    score is the mean of those best-epoch scores; the best trial's score is reported. The same folds
    choose the epoch and the trial and report them, so this number is optimistically biased.
``unbiased`` (nested selection): for outer fold f an extra "inner" model per trial is trained on the
    folds other than f and g = f+1 (mod K) and validated on g. The (trial, epoch) pair with the best
    inner validation score is chosen without ever touching fold f; the outer model of that trial
    (trained on every fold but f) is then read at that epoch on fold f. The mean over f is reported.
    It costs one extra model per (fold, trial), trained in the same vectorised pass.

Inputs are z-scored with the Train&Val rows' feature statistics (no labels involved; ``standardize``).

Test predictions (MER-SEMI, MER-NOISE, the unlabeled pool) are the mean of the chosen trial's K fold
models' logits (each at its best epoch), then argmax, as in the baseline.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from merbench import EMOTIONS
from merbench.training.data import FeatureTable, check_fold_classes, require_labels, standardizer
from merbench.training.folds import make_folds
from merbench.training.trainer import HISTORY_COLUMNS, Job, JobResult, VectorisedTrainer, selection_score


@dataclass
class TrainConfig:
    """Everything that changes the numbers of one cross-validation (recorded in every result)."""

    epochs: int = 100
    batch_size: int = 32
    weight_decay: float = 1e-5
    folds: int = 5
    stratified: bool = False
    unbiased: bool = True
    standardize: bool = True  # z-score inputs with Train&Val feature statistics (label-free)
    select: str = "waf"  # "combined" for MER2023 tracks with valence
    device: str = "auto"

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class CVResult:
    trials: list[dict[str, Any]]
    trial_scores: list[float]  # baseline CV selection score per trial
    chosen: int  # index of the trial picked by the baseline CV score
    baseline: dict[str, float]  # mean over folds of the chosen trial's best-epoch metrics
    unbiased: dict[str, float] | None  # nested-selection scores (see module docstring)
    folds: list[dict[str, Any]]  # per fold: size, best epoch, metrics, unbiased choice
    oof_logits: np.ndarray  # (N, C): each Train&Val row predicted by the fold model that did not train on it
    oof_valence: np.ndarray | None
    test_logits: dict[str, np.ndarray] = field(default_factory=dict)  # test name -> (N_t, C), fold-averaged
    test_valence: dict[str, np.ndarray] = field(default_factory=dict)
    test_names: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0
    # the fusion's per-sample input weights (FusionOutput.weights), for analysis only; None/empty when it gives none
    weight_inputs: list[str] | None = None  # column names of the weights: the fusion's inputs, in order
    oof_weights: np.ndarray | None = None  # (N, K): each Train&Val row by the fold model that did not train on it
    test_weights: dict[str, np.ndarray] = field(default_factory=dict)  # test name -> (N_t, K), fold-averaged

    @property
    def chosen_params(self) -> dict[str, Any]:
        return dict(self.trials[self.chosen])


def _metrics(history_row: np.ndarray) -> dict[str, float]:
    """One epoch's validation metrics, with MER2023's combined score where valence was scored."""
    out = {name: float(v) for name, v in zip(HISTORY_COLUMNS, history_row) if np.isfinite(v)}
    if "mse" in out:
        out["combined"] = float(selection_score(history_row, "combined"))
    return out


def _curve(history: np.ndarray) -> dict[str, list[float]]:
    """The validation metrics after each epoch (``HISTORY_COLUMNS``, those scored), rounded to 6 digits."""
    return {name: [round(float(v), 6) for v in column] for name, column in zip(HISTORY_COLUMNS, history.T)
            if np.isfinite(column).all()}


def cross_validate(table: FeatureTable, build: Callable[[Mapping[str, Any]], Any], trials: list[dict[str, Any]], *,
                   config: TrainConfig, seed: int, test_tables: Mapping[str, FeatureTable] | None = None,
                   extra_train: FeatureTable | None = None, progress: Callable[[int], None] | None = None,
                   executor=None) -> CVResult:
    """Run the protocol for one fusion (``build(params) -> module``) on ``table`` (see the module docstring).

    ``extra_train`` rows (e.g. pseudo-labelled samples) join every fold's training part and never a
    validation part, so validation scores stay on true labels. A distributed ``executor`` trains the
    (trial, fold) models on its workers, with the same results.
    """
    plan = plan_cv(table, build, trials, config=config, seed=seed, test_tables=test_tables, extra_train=extra_train,
                   progress=progress)
    return finish_cv(plan, plan.trainer.fit(plan.table, plan.jobs, executor=executor))


def cross_validate_many(runs: list[dict[str, Any]], *, executor, label: str = "training") -> list[CVResult]:
    """``[cross_validate(**kwargs) for kwargs in runs]`` (e.g. every seed of a row) with all their models
    trained in one map of ``executor`` tasks (:func:`merbench.training.trainer.fit_distributed`)."""
    from merbench.training.trainer import fit_distributed

    plans = [plan_cv(**kwargs) for kwargs in runs]
    if executor is None or not executor.distributed:
        return [finish_cv(plan, plan.trainer.fit(plan.table, plan.jobs)) for plan in plans]
    results = fit_distributed(executor, [(plan.trainer, plan.table, plan.jobs) for plan in plans], label=label)
    return [finish_cv(plan, res) for plan, res in zip(plans, results)]


@dataclass
class CVPlan:
    """One cross-validation before training: its (standardized) tables, folds and jobs."""

    trainer: VectorisedTrainer
    table: FeatureTable  # the training table (with extra rows)
    jobs: list[Job]
    outer: dict[tuple[int, int], int]
    inner: dict[tuple[int, int], int]
    folds: list[np.ndarray]
    trials: list[dict[str, Any]]
    config: TrainConfig
    n: int
    test_tables: dict[str, FeatureTable]
    start: float


def plan_cv(table: FeatureTable, build: Callable[[Mapping[str, Any]], Any], trials: list[dict[str, Any]], *,
            config: TrainConfig, seed: int, test_tables: Mapping[str, FeatureTable] | None = None,
            extra_train: FeatureTable | None = None, progress: Callable[[int], None] | None = None) -> CVPlan:
    """Standardize, split into folds and list every (trial, fold) model of :func:`cross_validate`."""
    start = time.perf_counter()
    require_labels(table)
    if config.standardize:
        scale = standardizer(table)
        table = scale(table)
        extra_train = scale(extra_train) if extra_train is not None else None
        test_tables = {name: scale(t) for name, t in (test_tables or {}).items()}
    n = len(table)
    folds = make_folds(table.labels, config.folds, seed, config.stratified)
    check_fold_classes(table.labels, folds, table.source)
    train_table, extra_rows = table, np.zeros(0, dtype=np.int64)
    if extra_train is not None and len(extra_train):
        require_labels(extra_train)
        train_table = concat_tables(table, extra_train)
        extra_rows = np.arange(n, n + len(extra_train))

    everything = np.arange(n)
    jobs: list[Job] = []
    outer: dict[tuple[int, int], int] = {}
    inner: dict[tuple[int, int], int] = {}
    for k, trial in enumerate(trials):
        for f, val in enumerate(folds):
            init_seed = seed * 1_000_003 + k * 101 + f
            outer[k, f] = len(jobs)
            jobs.append(Job(trial, np.concatenate([np.setdiff1d(everything, val), extra_rows]), val, init_seed, k, f))
            if config.unbiased:
                g = (f + 1) % len(folds)
                train = np.setdiff1d(everything, np.concatenate([val, folds[g]]))
                inner[k, f] = len(jobs)
                jobs.append(Job(trial, np.concatenate([train, extra_rows]), folds[g], init_seed + 50_000, k, f))
    trainer = VectorisedTrainer(build, num_classes=len(EMOTIONS), epochs=config.epochs, batch_size=config.batch_size,
                                weight_decay=config.weight_decay, device=config.device, select=config.select,
                                seed=seed, progress=progress)
    return CVPlan(trainer, train_table, jobs, outer, inner, folds, trials, config, n, dict(test_tables or {}), start)


def finish_cv(plan: CVPlan, results: list[JobResult]) -> CVResult:
    """Scores, the chosen trial, out-of-fold and test predictions of a planned cross-validation."""
    trainer, outer, inner, folds, trials, config, n = (plan.trainer, plan.outer, plan.inner, plan.folds, plan.trials,
                                                       plan.config, plan.n)
    trial_scores = [float(np.mean([results[outer[k, f]].best_score for f in range(len(folds))]))
                    for k in range(len(trials))]
    chosen = int(np.argmax(trial_scores))
    kept: list[JobResult] = [results[outer[chosen, f]] for f in range(len(folds))]

    fold_rows: list[dict[str, Any]] = []
    unbiased_rows: list[dict[str, float]] = []
    for f, res in enumerate(kept):
        row: dict[str, Any] = {"fold": f + 1, "size": int(len(folds[f])), "best_epoch": res.best_epoch + 1,
                               **_metrics(res.history[res.best_epoch]), "curve": _curve(res.history)}
        if config.unbiased:
            inner_scores = np.stack([selection_score(results[inner[k, f]].history, config.select)
                                     for k in range(len(trials))])  # (trials, epochs)
            k_star, e_star = np.unravel_index(int(np.argmax(inner_scores)), inner_scores.shape)
            picked = _metrics(results[outer[int(k_star), f]].history[int(e_star)])
            unbiased_rows.append(picked)
            row["unbiased"] = {"trial": int(k_star), "epoch": int(e_star) + 1, **picked}
        fold_rows.append(row)
    baseline = {m: float(np.mean([r[m] for r in fold_rows])) for m in _metrics(kept[0].history[kept[0].best_epoch])}
    unbiased = ({m: float(np.mean([r[m] for r in unbiased_rows])) for m in unbiased_rows[0]}
                if config.unbiased else None)

    oof_logits = np.zeros((n, len(EMOTIONS)), dtype=np.float32)
    has_valence = kept[0].val_valence is not None
    oof_valence = np.zeros(n, dtype=np.float32) if has_valence else None
    for f, res in enumerate(kept):
        oof_logits[folds[f]] = res.val_logits
        if has_valence:
            oof_valence[folds[f]] = res.val_valence

    result = CVResult(trials=[dict(t) for t in trials], trial_scores=trial_scores, chosen=chosen, baseline=baseline,
                      unbiased=unbiased, folds=fold_rows, oof_logits=oof_logits, oof_valence=oof_valence)
    # the fusion's input weights of the out-of-fold rows, by a second pass of each kept model over its
    # validation rows (the logits above stay those of training, so no score changes)
    val_weights = [trainer.predict(res, plan.table.subset(folds[f]))[2] for f, res in enumerate(kept)]
    if val_weights[0] is not None:
        result.weight_inputs = list(kept[0].module.input_dims)
        result.oof_weights = np.zeros((n, val_weights[0].shape[1]), dtype=np.float32)
        for f, w in enumerate(val_weights):
            result.oof_weights[folds[f]] = w
    for name, test in plan.test_tables.items():
        preds = [trainer.predict(res, test) for res in kept]
        result.test_logits[name] = np.mean([p[0] for p in preds], axis=0)
        result.test_names[name] = list(test.names)
        if preds[0][1] is not None:
            result.test_valence[name] = np.mean([p[1] for p in preds], axis=0)
        if preds[0][2] is not None:
            result.test_weights[name] = np.mean([p[2] for p in preds], axis=0)
    result.seconds = time.perf_counter() - plan.start
    return result


def concat_tables(first: FeatureTable, second: FeatureTable) -> FeatureTable:
    if set(first.inputs) != set(second.inputs):
        raise ValueError(f"cannot join feature tables with inputs {sorted(first.inputs)} and {sorted(second.inputs)}")
    valence = None
    if first.valence is not None or second.valence is not None:
        valence = np.concatenate([first.valence if first.valence is not None else np.full(len(first), np.nan, np.float32),
                                  second.valence if second.valence is not None else np.full(len(second), np.nan, np.float32)])
    return FeatureTable(first.names + second.names,
                        {k: np.concatenate([first.inputs[k], second.inputs[k]]) for k in first.inputs},
                        np.concatenate([first.labels, second.labels]), valence,
                        f"{first.source}+{second.source}", first.skipped + second.skipped)
