"""Grouper contract: map open-vocabulary emotion labels to synonym groups, per sample."""

from __future__ import annotations

import abc
from typing import Any, Mapping

from merbench.contracts.cards import GrouperCard  # noqa: F401  (each kind's card beside its contract)


class Grouper(abc.ABC):
    name: str = ""

    @abc.abstractmethod
    def group(self, labels: Mapping[str, list[str]]) -> dict[str, list[list[str]]]:
        """``labels``: sample name -> union of true and predicted labels (lower-cased).
        Returns sample name -> list of synonym groups (lists of labels)."""

    def fingerprint(self) -> dict[str, Any]:
        return {"name": self.name}
