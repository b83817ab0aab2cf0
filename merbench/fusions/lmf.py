"""Low-rank Multimodal Fusion (Liu et al., 2018): TFN's product with rank-``r`` modality factors.

``z = sum_r prod_m ([h_m; 1] W_m^(r)) + b``: the full outer-product tensor is never built.
"""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from merbench.contracts.fusion import Fusion, FusionOutput
from merbench.fusions.layers import Heads, MLPEncoder


class LowRankFusion(Fusion):
    def __init__(self, input_dims: Mapping[str, int], num_classes: int, with_valence: bool = False, *,
                 hidden_dim: int = 128, dropout: float = 0.3, rank: int = 4) -> None:
        super().__init__(input_dims, num_classes, with_valence)
        self.names = list(self.input_dims)
        self.encoders = nn.ModuleDict({n: MLPEncoder(d, hidden_dim, dropout) for n, d in self.input_dims.items()})
        self.factors = nn.ParameterDict({
            n: nn.Parameter(torch.randn(rank, hidden_dim + 1, hidden_dim) * (hidden_dim + 1) ** -0.5)
            for n in self.names})
        self.rank_weights = nn.Parameter(torch.full((rank,), 1.0 / rank))
        self.bias = nn.Parameter(torch.zeros(hidden_dim))
        self.heads = Heads(hidden_dim, num_classes, with_valence)

    def forward(self, features: Mapping[str, torch.Tensor]) -> FusionOutput:
        fused = None
        for n in self.names:
            h = self.encoders[n](features[n])
            h = torch.cat([h, torch.ones_like(h[..., :1])], dim=-1)
            projected = torch.einsum("bi,rio->rbo", h, self.factors[n])
            fused = projected if fused is None else fused * projected
        z = torch.relu(torch.einsum("r,rbo->bo", self.rank_weights, fused) + self.bias)
        logits, valence = self.heads(z)
        return FusionOutput(logits=logits, valence=valence)
