"""The MER baseline's attention fusion (MER2023 eq. 1-8, MER2024 eq. 1-3; docs/protocol.md "Baseline fusion").

Per input ``m``: ``h_m = MLPEncoder(f_m)`` (dropout on the input, three Linear+ReLU to ``d``). A fusion
MLP of the same shape maps the concatenation ``[h_1, ..., h_K]`` to ``d``, ``Linear(d, K)`` gives the
input weights, ``z = sum_m w_m h_m``. The papers write ``softmax`` over the weights, the public baseline
code uses the raw linear outputs; ``weights="softmax"`` (default) or ``"raw"`` picks one and the run
record says which. The same class serves unimodal runs (one input), per-modality fusion (``attention``)
and the Top-N variant with one branch per input feature (``attention-topn``).
"""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from merbench.contracts.fusion import Fusion, FusionOutput
from merbench.fusions.layers import Heads, MLPEncoder


class AttentionFusion(Fusion):
    stackable = True

    def __init__(self, input_dims: Mapping[str, int], num_classes: int, with_valence: bool = False, *,
                 hidden_dim: int = 128, dropout: float = 0.3, weights: str = "softmax") -> None:
        super().__init__(input_dims, num_classes, with_valence)
        if weights not in ("softmax", "raw"):
            raise ValueError(f"attention weights must be 'softmax' or 'raw', got {weights!r}")
        self.weighting = weights
        self.names = list(self.input_dims)
        self.encoders = nn.ModuleDict({n: MLPEncoder(d, hidden_dim, dropout) for n, d in self.input_dims.items()})
        self.fusion = MLPEncoder(hidden_dim * len(self.names), hidden_dim, dropout)
        self.attention = nn.Linear(hidden_dim, len(self.names))
        self.heads = Heads(hidden_dim, num_classes, with_valence)

    def forward(self, features: Mapping[str, torch.Tensor]) -> FusionOutput:
        hidden = [self.encoders[n](features[n]) for n in self.names]
        weights = self.attention(self.fusion(torch.cat(hidden, dim=-1)))
        if self.weighting == "softmax":
            weights = torch.softmax(weights, dim=-1)
        z = hidden[0] * weights[..., :1]
        for m in range(1, len(hidden)):
            z = z + hidden[m] * weights[..., m : m + 1]
        logits, valence = self.heads(z)
        return FusionOutput(logits=logits, valence=valence, weights=weights)
