"""Encoder contract: a named feature extractor that returns every hidden layer.

Layer selection and pooling are separate, configurable steps (see ``merbench.cache``), so the
cache can store all layers once and a change of layer policy never re-extracts.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

MODALITIES = ("audio", "text", "visual")
#: ``waveform``: float32 mono at ``sample_rate``; ``faces``: uint8 (T, H, W, 3) RGB face crops;
#: ``frames``: uint8 (T, H, W, 3) RGB video frames; ``text``: a subtitle string (may be empty).
INPUT_KINDS = ("waveform", "faces", "frames", "text")


@dataclass
class EncoderOutput:
    """What :meth:`Encoder.encode` returns for a batch of B items.

    ``hidden_states``: L arrays (or tensors), each (B, T, D), T padded to the longest item;
    ``lengths``: int array (B,), the valid frames of each item (1 for utterance-level features).
    """

    hidden_states: Sequence[Any]
    lengths: np.ndarray


class Encoder(abc.ABC):
    """Subclasses set the class attributes and implement :meth:`load` and :meth:`encode`."""

    name: str = ""
    modality: str = ""
    input_kind: str = ""
    sample_rate: int = 16000
    #: bump when the implementation changes its output for the same checkpoint
    version: str = "1"
    #: layer policy used when a caller gives none (see ``merbench.cache.pooling``), e.g. "sum-last-4"
    default_layers: str = "last"
    #: clips per :meth:`encode` call when the caller gives no batch size
    batch_size: int = 16
    #: True when :meth:`encode` may run on several threads at once (on CPU, torch ops with one
    #: intra-op thread each): the extractor then encodes one batch per core in parallel, which pays
    #: off for models too small to keep a core's intra-op threads busy. Leave False for encoders whose
    #: runtime is not thread-safe or already uses every core.
    concurrent_encode: bool = False

    def load(self, device: str = "cpu") -> None:
        """Load weights onto ``device`` ("cpu", "cuda", "cuda:1"); called once before encoding."""

    @abc.abstractmethod
    def encode(self, batch: list[Any]) -> EncoderOutput:
        """Encode a batch of inputs of :attr:`input_kind`."""

    @abc.abstractmethod
    def fingerprint(self) -> dict[str, Any]:
        """Exactly the configuration that changes the output (checkpoint, revision, layers kept, ...);
        never the device or batch size."""
