"""Multimodal Transformer (MulT, Tsai et al., 2019) for frame-level features.

Inputs are ``{name: (B, T, D)}`` with a padding mask ``{name + "__mask": (B, T)}`` (1 = real frame).
Each input is projected to ``hidden_dim``; for every target input, cross-modal attention blocks let it
attend to every other input, a self-attention block follows, and the target sequence is mean-pooled
over its real frames. The pooled vectors are concatenated and classified. The attention is written
with plain tensor operations so the vectorised trainer can stack several models with ``torch.func``.
"""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from merbench.contracts.fusion import BufferDropout, Fusion, FusionOutput
from merbench.fusions.layers import Heads

MASK_SUFFIX = "__mask"


class AttentionBlock(nn.Module):
    """Pre-norm multi-head attention (queries from one sequence, keys/values from another) plus a feed-forward layer."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"hidden_dim {dim} is not divisible by heads {heads}")
        self.heads = heads
        self.norm_q, self.norm_kv, self.norm_ff = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.q, self.kv, self.out = nn.Linear(dim, dim), nn.Linear(dim, 2 * dim), nn.Linear(dim, dim)
        self.ff = nn.Sequential(nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Linear(2 * dim, dim))
        self.dropout = BufferDropout(dropout)

    def forward(self, x: torch.Tensor, source: torch.Tensor, source_mask: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        s = source.shape[1]
        q = self.q(self.norm_q(x)).view(b, t, self.heads, -1).transpose(1, 2)
        k, v = self.kv(self.norm_kv(source)).view(b, s, 2, self.heads, -1).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-1, -2) / (d // self.heads) ** 0.5
        scores = scores.masked_fill(source_mask[:, None, None, :] <= 0, torch.finfo(scores.dtype).min)
        attended = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.dropout(self.out(attended))
        return x + self.dropout(self.ff(self.norm_ff(x)))


class MulTFusion(Fusion):
    input_level = "frame"

    def __init__(self, input_dims: Mapping[str, int], num_classes: int, with_valence: bool = False, *,
                 hidden_dim: int = 64, dropout: float = 0.3, heads: int = 4) -> None:
        super().__init__(input_dims, num_classes, with_valence)
        self.names = list(self.input_dims)
        self.project = nn.ModuleDict({n: nn.Linear(d, hidden_dim) for n, d in self.input_dims.items()})
        self.cross = nn.ModuleDict({
            f"{src}->{tgt}": AttentionBlock(hidden_dim, heads, dropout)
            for tgt in self.names for src in self.names if src != tgt})
        self.self_attention = nn.ModuleDict({n: AttentionBlock(hidden_dim, heads, dropout) for n in self.names})
        self.post = nn.Sequential(BufferDropout(dropout), nn.Linear(hidden_dim * len(self.names), hidden_dim), nn.ReLU())
        self.heads = Heads(hidden_dim, num_classes, with_valence)

    def forward(self, features: Mapping[str, torch.Tensor]) -> FusionOutput:
        seqs = {n: self.project[n](features[n]) for n in self.names}
        masks = {n: features[n + MASK_SUFFIX].to(seqs[n].dtype) for n in self.names}
        pooled = []
        for tgt in self.names:
            x = seqs[tgt]
            for src in self.names:
                if src != tgt:
                    x = self.cross[f"{src}->{tgt}"](x, seqs[src], masks[src])
            x = self.self_attention[tgt](x, x, masks[tgt])
            weights = masks[tgt].unsqueeze(-1)
            pooled.append((x * weights).sum(1) / weights.sum(1).clamp_min(1.0))
        logits, valence = self.heads(self.post(torch.cat(pooled, dim=-1)))
        return FusionOutput(logits=logits, valence=valence)
