"""Describer contract: (M)LLM text generation over clips, for MER-OV."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from merbench.contracts.cards import DescriberCard  # noqa: F401  (each kind's card beside its contract)


@dataclass(frozen=True)
class DescribeRequest:
    """One generation: a prompt, plus the media the model may look at or listen to."""

    name: str
    prompt: str
    video: Path | None = None
    audio: Path | None = None
    subtitle: str | None = None


class Describer(abc.ABC):
    name: str = ""
    #: inputs the model consumes: any of "text", "audio", "video" (MER2024 Table 6's L/V/A columns)
    inputs: tuple[str, ...] = ("text",)

    @abc.abstractmethod
    def describe(self, requests: list[DescribeRequest]) -> list[str]:
        """One text per request, in order."""

    @abc.abstractmethod
    def fingerprint(self) -> dict[str, Any]:
        """Model, revision and decoding settings: the generation-cache key (with prompt and media hash)."""
