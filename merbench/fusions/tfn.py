"""Tensor Fusion Network (Zadeh et al., 2017): the outer product of the ``[h_m; 1]`` vectors.

The product grows as ``(tensor_dim + 1) ** K``, so each input is first projected to a small
``tensor_dim`` (the TFN paper's sub-networks also output small vectors); the flattened product then
goes through an MLP of width ``hidden_dim``.
"""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from merbench.contracts.fusion import BufferDropout, Fusion, FusionOutput
from merbench.fusions.layers import Heads, MLPEncoder


class TensorFusion(Fusion):
    stackable = True

    def __init__(self, input_dims: Mapping[str, int], num_classes: int, with_valence: bool = False, *,
                 hidden_dim: int = 128, dropout: float = 0.3, tensor_dim: int = 16) -> None:
        super().__init__(input_dims, num_classes, with_valence)
        self.names = list(self.input_dims)
        if (tensor_dim + 1) ** len(self.names) > 2 ** 20:
            raise ValueError(f"TFN over {len(self.names)} inputs with tensor_dim={tensor_dim} has "
                             f"{(tensor_dim + 1) ** len(self.names)} product dims; lower tensor_dim")
        self.encoders = nn.ModuleDict({n: MLPEncoder(d, tensor_dim, dropout) for n, d in self.input_dims.items()})
        self.post = nn.Sequential(BufferDropout(dropout), nn.Linear((tensor_dim + 1) ** len(self.names), hidden_dim),
                                  nn.ReLU(), nn.Linear(hidden_dim, hidden_dim), nn.ReLU())
        self.heads = Heads(hidden_dim, num_classes, with_valence)

    def forward(self, features: Mapping[str, torch.Tensor]) -> FusionOutput:
        product = None
        for n in self.names:
            h = self.encoders[n](features[n])
            h = torch.cat([h, torch.ones_like(h[..., :1])], dim=-1)
            product = h if product is None else (product.unsqueeze(-1) * h.unsqueeze(-2)).flatten(-2)
        logits, valence = self.heads(self.post(product))
        return FusionOutput(logits=logits, valence=valence)
