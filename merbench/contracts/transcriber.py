"""Transcriber contract: speech recognition that fills subtitles a dataset lacks."""

from __future__ import annotations

import abc
from typing import Any

import numpy as np

from merbench.contracts.cards import TranscriberCard  # noqa: F401  (each kind's card beside its contract)


class Transcriber(abc.ABC):
    name: str = ""
    language: str | None = None

    @abc.abstractmethod
    def transcribe(self, waveforms: list[np.ndarray], sample_rate: int = 16000) -> list[str]:
        """One transcript per waveform; an empty string where nothing was recognised."""

    @abc.abstractmethod
    def fingerprint(self) -> dict[str, Any]:
        """Model and decoding settings."""
