"""Corruption contract: a seeded, logged change to raw media, applied before feature extraction."""

from __future__ import annotations

import abc
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from merbench.contracts.cards import CorruptionCard  # noqa: F401  (each kind's card beside its contract)


@dataclass(frozen=True)
class Media:
    """Decoded media of one clip. ``audio``: float32 mono at ``sample_rate``; ``frames``: uint8
    (T, H, W, 3) RGB; ``faces``: uint8 (T, 112, 112, 3) BGR OpenFace crops; any may be ``None``."""

    name: str
    audio: np.ndarray | None = None
    sample_rate: int = 16000
    frames: np.ndarray | None = None
    fps: float = 25.0
    faces: np.ndarray | None = None
    subtitle: str | None = None

    def with_(self, **changes: Any) -> "Media":
        return replace(self, **changes)


class Corruption(abc.ABC):
    """Parameters go to ``__init__``; :meth:`apply` may override them per call."""

    name: str = ""
    #: which parts of :class:`Media` it changes: any of "audio", "video", "text"
    modalities: tuple[str, ...] = ()
    version: str = "1"

    @abc.abstractmethod
    def apply(self, media: Media, rng: np.random.Generator, **params: Any) -> tuple[Media, dict[str, Any]]:
        """Return the corrupted media and a JSON-able log of every random choice made."""

    @abc.abstractmethod
    def params(self) -> dict[str, Any]:
        """The parameters that change the output; part of the feature-cache key."""

    def data_identity(self) -> dict[str, Any]:
        """Identity of data outside :meth:`params` that the output depends on (a noise bank's files
        and their sizes, say), JSON-able, keyed by the parameter that locates the data
        (``{"bank": "sha256:..."}`` for ``bank=<folder>``). In the cache keys it stands in for that
        parameter: when the data changes the corrupted clips and their features are made again,
        when only its location changes they are reused. Empty for corruptions that read no data."""
        return {}
