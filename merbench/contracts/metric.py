"""Metric contract: a named score with a direction, a label type and an aggregation."""

from __future__ import annotations

import abc
from typing import Any, Sequence

from merbench.contracts.cards import MetricCard  # noqa: F401  (each kind's card beside its contract)


class Metric(abc.ABC):
    name: str = ""
    higher_is_better: bool = True
    #: "discrete" (class names), "valence" (floats), "discrete+valence", or "openset" (label lists)
    label_type: str = "discrete"
    #: how per-run values are summarised in tables: "mean±std"
    aggregation: str = "mean±std"

    @abc.abstractmethod
    def __call__(self, y_true: Sequence[Any], y_pred: Sequence[Any], **context: Any) -> float:
        """Score one prediction set; ``context`` may carry extras (e.g. ``valence_true``)."""
