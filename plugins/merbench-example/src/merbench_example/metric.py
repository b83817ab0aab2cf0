from __future__ import annotations

from sklearn.metrics import f1_score

from merbench.contracts.metric import Metric


class MacroF1(Metric):
    name = "macro-f1"
    higher_is_better = True
    label_type = "discrete"

    def __call__(self, y_true, y_pred, **context) -> float:
        return float(f1_score(list(y_true), list(y_pred), average="macro", zero_division=0))
