"""Late-fusion DNN: one MLP branch per input, the branch outputs concatenated, an MLP on top."""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from merbench.contracts.fusion import BufferDropout, Fusion, FusionOutput
from merbench.fusions.layers import Heads, MLPEncoder


class ConcatMLPFusion(Fusion):
    stackable = True

    def __init__(self, input_dims: Mapping[str, int], num_classes: int, with_valence: bool = False, *,
                 hidden_dim: int = 128, dropout: float = 0.3) -> None:
        super().__init__(input_dims, num_classes, with_valence)
        self.names = list(self.input_dims)
        self.encoders = nn.ModuleDict({n: MLPEncoder(d, hidden_dim, dropout) for n, d in self.input_dims.items()})
        self.post = nn.Sequential(BufferDropout(dropout), nn.Linear(hidden_dim * len(self.names), hidden_dim), nn.ReLU())
        self.heads = Heads(hidden_dim, num_classes, with_valence)

    def forward(self, features: Mapping[str, torch.Tensor]) -> FusionOutput:
        z = self.post(torch.cat([self.encoders[n](features[n]) for n in self.names], dim=-1))
        logits, valence = self.heads(z)
        return FusionOutput(logits=logits, valence=valence)
