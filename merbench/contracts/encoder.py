"""Encoder contract: a named feature extractor that returns every hidden layer.

Layer selection and pooling are separate, configurable steps (see ``merbench.cache``), so the
cache can store all layers once and a change of layer policy never re-extracts.

Pooling inside the encoder (``pooling=``): some families can turn a clip into hidden states in more
than one way (how long audio is chunked and normalised, which tokens count, which frames are
sampled and how tokens are reduced). Such an encoder class lists the names it accepts in
:attr:`Encoder.poolings`, the default first, and takes them as a ``pooling`` constructor parameter
that is part of :meth:`Encoder.fingerprint` (so of the cache key). The built-in transformers
families (audio SSL, text, vision) accept:

- ``"merbench"`` (the default for now): merbench's own, a named departure from the baseline:
  audio chunks normalised and run one by one, padding masked and dropped; text batched with
  attention masks, special tokens from the tokenizer's mask; vision frames evenly spaced, CLS
  tokens or token means;
- ``"baseline"``: the MER baseline's extraction scripts, reproduced up to float rounding (each
  family's module docstring says exactly what they do).

The registered cards of such encoders carry ``"poolings": [...]``, so a runner can pass
``pooling=<value>`` to every encoder whose card lists it without knowing its name.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from merbench.contracts.cards import INPUT_KINDS, MODALITIES, EncoderCard

__all__ = ["INPUT_KINDS", "MODALITIES", "Encoder", "EncoderCard", "EncoderOutput"]


@dataclass
class EncoderOutput:
    """What :meth:`Encoder.encode` returns for a batch of B items.

    ``hidden_states``: L arrays (or tensors), each (B, T, D), T padded to the longest item;
    ``lengths``: int array (B,), the valid frames of each item (1 for utterance-level features).
    """

    hidden_states: Sequence[Any]
    lengths: np.ndarray


class Encoder(abc.ABC):
    """Subclasses set the class attributes and implement :meth:`load` and :meth:`encode`.

    The registered :class:`EncoderCard`'s ``modality``, ``input_kind``, ``layers`` (``default_layers``)
    and, where stated, ``version`` must equal these attributes.
    """

    name: str = ""
    modality: str = ""
    input_kind: str = ""
    sample_rate: int = 16000
    #: bump when the implementation changes its output for the same checkpoint
    version: str = "1"
    #: layer policy used when a caller gives none (see ``merbench.cache.pooling``), e.g. "sum-last-4"
    default_layers: str = "last"
    #: the values the constructor's ``pooling`` parameter accepts, the default first (see the module
    #: docstring); empty for an encoder with a single way of pooling (it then takes no ``pooling``)
    poolings: tuple[str, ...] = ()
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
        """Exactly the configuration that changes the output (checkpoint, revision, layers kept, the
        ``pooling`` of an encoder with :attr:`poolings`, ...); never the device or batch size."""
