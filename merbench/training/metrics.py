"""The MER metrics (WAF, ACC, valence MSE, MER2023 combined) and a batched WAF for the trainer.

The registered metrics call scikit-learn; :func:`batched_waf_acc` computes the same weighted F1 for
many models at once with tensor operations (the trainer scores every model every epoch) and is tested
against ``sklearn.metrics.f1_score(average="weighted")``.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from merbench.contracts.metric import Metric

#: MER2023's combined score weights valence MSE by this factor: WAF - 0.25 * MSE.
COMBINED_MSE_WEIGHT = 0.25


class WeightedF1(Metric):
    name = "waf"
    higher_is_better = True
    label_type = "discrete"

    def __call__(self, y_true: Sequence[Any], y_pred: Sequence[Any], **context: Any) -> float:
        from sklearn.metrics import f1_score

        return float(f1_score(y_true, y_pred, average="weighted", zero_division=0))


class Accuracy(Metric):
    name = "acc"
    higher_is_better = True
    label_type = "discrete"

    def __call__(self, y_true: Sequence[Any], y_pred: Sequence[Any], **context: Any) -> float:
        from sklearn.metrics import accuracy_score

        return float(accuracy_score(y_true, y_pred))


class ValenceMSE(Metric):
    name = "mse"
    higher_is_better = False
    label_type = "valence"

    def __call__(self, y_true: Sequence[Any], y_pred: Sequence[Any], **context: Any) -> float:
        from sklearn.metrics import mean_squared_error

        return float(mean_squared_error(np.asarray(y_true, float), np.asarray(y_pred, float)))


class Combined(Metric):
    """MER2023 MULTI/NOISE score: WAF - 0.25 * valence MSE; needs ``valence_true`` and ``valence_pred``."""

    name = "combined"
    higher_is_better = True
    label_type = "discrete+valence"

    def __call__(self, y_true: Sequence[Any], y_pred: Sequence[Any], **context: Any) -> float:
        if "valence_true" not in context or "valence_pred" not in context:
            raise ValueError("the combined metric needs valence_true and valence_pred (a track with valence labels)")
        waf = WeightedF1()(y_true, y_pred)
        return waf - COMBINED_MSE_WEIGHT * ValenceMSE()(context["valence_true"], context["valence_pred"])


def batched_waf_acc(pred, true, valid, num_classes: int):
    """Weighted F1 and accuracy of M prediction sets at once.

    ``pred``/``true`` are integer tensors (M, V); ``valid`` a bool tensor (M, V) marking real entries
    (sets of different sizes are padded). Returns two float tensors (M,). Matches scikit-learn's
    ``f1_score(average="weighted", zero_division=0)`` and ``accuracy_score``.
    """
    import torch

    validf = valid.to(torch.float32)
    true_1h = torch.nn.functional.one_hot(true.clamp_min(0), num_classes).to(torch.float32) * validf.unsqueeze(-1)
    pred_1h = torch.nn.functional.one_hot(pred.clamp_min(0), num_classes).to(torch.float32) * validf.unsqueeze(-1)
    tp = (true_1h * pred_1h).sum(1)
    support, predicted = true_1h.sum(1), pred_1h.sum(1)
    denom = support + predicted
    f1 = torch.where(denom > 0, 2 * tp / denom.clamp_min(1e-12), torch.zeros_like(tp))
    count = validf.sum(1).clamp_min(1.0)
    waf = (f1 * support).sum(1) / count
    acc = tp.sum(1) / count
    return waf, acc
