"""Training strategies: plain supervised CV, and pseudo-labelling (MER2023 Algorithm 1 + self-training).

A strategy receives a ``trainer``: a callable ``trainer(labeled, *, extra_train=None, trials=None,
test_tables=None) -> CVResult`` that runs :func:`merbench.training.protocol.cross_validate` with the
run's fusion, search and test sets (the runner builds it), so strategies stay independent of fusions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from merbench.contracts.strategy import Strategy
from merbench.training.data import FeatureTable
from merbench.training.protocol import CVResult
from merbench.util.probs import softmax

POOL = "unlabeled"


class Supervised(Strategy):
    name = "supervised"
    uses_unlabeled = False

    def fit(self, trainer: Any, labeled: FeatureTable, unlabeled: FeatureTable | None = None) -> CVResult:
        return trainer(labeled)


def class_thresholds(logits: np.ndarray, labels: np.ndarray, quantile: float, num_classes: int) -> np.ndarray:
    """lambda_j: the ``quantile`` of the confidence (max softmax) of labeled samples correctly predicted as j.

    A class with no correct prediction gets +inf (none of its pseudo-labels is trusted).
    """
    probs = softmax(logits)
    pred, conf = probs.argmax(1), probs.max(1)
    out = np.full(num_classes, np.inf)
    for j in range(num_classes):
        correct = conf[(pred == j) & (labels == j)]
        if len(correct):
            out[j] = float(np.quantile(correct, quantile))
    return out


def select_pseudo_labels(logits: np.ndarray, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of unlabeled rows whose confidence exceeds their predicted class's threshold, and those classes."""
    probs = softmax(logits)
    pred, conf = probs.argmax(1), probs.max(1)
    keep = np.flatnonzero(conf > thresholds[pred])
    return keep, pred[keep]


class PseudoLabel(Strategy):
    """Self-training: each round, thresholds come from out-of-fold predictions on the labeled data (so
    they are not inflated by training accuracy), the fold ensemble labels the pool, confident samples
    join every fold's training part (never a validation part), and the models are retrained with the
    first round's chosen hyper-parameters. ``rounds`` counts retrainings after the supervised one.
    """

    name = "pseudo-label"
    uses_unlabeled = True

    def __init__(self, quantile: float = 0.5, rounds: int = 2) -> None:
        if not 0.0 <= quantile <= 1.0:
            raise ValueError(f"pseudo-label quantile must be in [0, 1], got {quantile}")
        if rounds < 1:
            raise ValueError(f"pseudo-label needs at least one self-training round, got {rounds}")
        self.quantile = quantile
        self.rounds = rounds
        self.history: list[dict[str, Any]] = []

    def params(self) -> dict[str, Any]:
        return {"name": self.name, "quantile": self.quantile, "rounds": self.rounds}

    def fit(self, trainer: Any, labeled: FeatureTable, unlabeled: FeatureTable | None = None) -> CVResult:
        if unlabeled is None or not len(unlabeled):
            raise ValueError("the pseudo-label strategy needs an unlabeled pool (the dataset's 'unlabeled' split)")
        result = trainer(labeled, test_tables={POOL: unlabeled})
        num_classes = result.oof_logits.shape[1]
        self.history = []
        for round_index in range(1, self.rounds + 1):
            thresholds = class_thresholds(result.oof_logits, labeled.labels, self.quantile, num_classes)
            keep, pseudo = select_pseudo_labels(result.test_logits[POOL], thresholds)
            extra = unlabeled.subset(keep)
            extra.labels = pseudo.astype(np.int64)
            extra.valence = None if labeled.valence is None else np.full(len(extra), np.nan, np.float32)
            extra.source = f"{unlabeled.source} (pseudo-labelled)"
            self.history.append({"round": round_index, "thresholds": [float(t) for t in thresholds],
                                 "added": int(len(keep)), "pool": int(len(unlabeled)),
                                 "per_class": np.bincount(pseudo, minlength=num_classes).tolist()})
            result = trainer(labeled, extra_train=extra, trials=[result.chosen_params], test_tables={POOL: unlabeled})
        return result
