"""Building blocks shared by the fusions."""

from __future__ import annotations

import torch
from torch import nn

from merbench.contracts.fusion import BufferDropout

__all__ = ["BufferDropout", "Heads", "MLPEncoder"]  # BufferDropout lives beside the fusion contract


class MLPEncoder(nn.Module):
    """The baseline's per-modality branch: Dropout on the input, then ``layers`` x (Linear + ReLU) to ``hidden_dim``."""

    def __init__(self, input_dim: int, hidden_dim: int, dropout: float, layers: int = 3) -> None:
        super().__init__()
        self.dropout = BufferDropout(dropout)
        blocks: list[nn.Module] = []
        size = input_dim
        for _ in range(layers):
            blocks += [nn.Linear(size, hidden_dim), nn.ReLU()]
            size = hidden_dim
        self.net = nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self.dropout(x))


class Heads(nn.Module):
    """Emotion logits and, where the track has valence, a valence regressor over the fused vector."""

    def __init__(self, hidden_dim: int, num_classes: int, with_valence: bool) -> None:
        super().__init__()
        self.emotion = nn.Linear(hidden_dim, num_classes)
        self.valence = nn.Linear(hidden_dim, 1) if with_valence else None

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        valence = self.valence(z).squeeze(-1) if self.valence is not None else None
        return self.emotion(z), valence
