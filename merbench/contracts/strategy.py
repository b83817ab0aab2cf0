"""Training-strategy contract: how labeled (and unlabeled) features become trained models.

The default strategy is plain supervised training; a semi-supervised strategy (e.g. pseudo-labelling
by class-specific confidence quantiles, MER2023 Algorithm 1) may add unlabeled samples between
self-training rounds. See :mod:`merbench.training` for the trainer it drives.
"""

from __future__ import annotations

import abc
from typing import Any

from merbench.contracts.cards import StrategyCard  # noqa: F401  (each kind's card beside its contract)


class Strategy(abc.ABC):
    name: str = ""
    #: whether the strategy consumes the unlabeled pool
    uses_unlabeled: bool = False

    @abc.abstractmethod
    def fit(self, trainer: Any, labeled: Any, unlabeled: Any | None = None) -> Any:
        """Train with ``trainer`` on ``labeled`` (and ``unlabeled``); return the trained model(s)."""

    def params(self) -> dict[str, Any]:
        return {"name": self.name}
