"""Fusion contract: a torch module over a dict of per-input features.

A fusion is built from the sizes of its inputs and the number of classes, takes
``{input_name: tensor (B, D) or (B, T, D)}`` and returns :class:`FusionOutput`. Hyper-parameters
(hidden size, dropout, ...) are keyword arguments of ``__init__``, as in scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import torch
from torch import nn


@dataclass
class FusionOutput:
    logits: torch.Tensor  # (B, num_classes)
    valence: torch.Tensor | None = None  # (B,) where the track has valence
    weights: torch.Tensor | None = None  # (B, n_inputs) modality weights, for analysis


class Fusion(nn.Module):
    #: "utterance" for (B, D) inputs, "frame" for (B, T, D) inputs with a mask
    input_level: str = "utterance"
    #: True when every parameter sits in an ``nn.Linear``, every buffer in a ``BufferDropout``, and
    #: ``forward`` treats all leading dimensions as batch (negative ``dim=`` arguments, no ``x.shape[0]``).
    #: The trainer then stacks the (fold, trial) models into batched matmuls split over the CPU threads
    #: instead of vmap, which is faster (merbench.training.ensemble; it checks the claim once per group).
    stackable: bool = False

    def __init__(self, input_dims: Mapping[str, int], num_classes: int, with_valence: bool = False) -> None:
        super().__init__()
        self.input_dims = dict(input_dims)
        self.num_classes = num_classes
        self.with_valence = with_valence

    def forward(self, features: Mapping[str, torch.Tensor]) -> FusionOutput:  # pragma: no cover - abstract
        raise NotImplementedError("fusions implement forward()")
