"""Fusion contract: a torch module over a dict of per-input features.

A fusion is built from the sizes of its inputs and the number of classes, takes
``{input_name: tensor (B, D) or (B, T, D)}`` and returns :class:`FusionOutput`. Hyper-parameters
(hidden size, dropout, ...) are keyword arguments of ``__init__``, as in scikit-learn.

``__init__`` must accept every hyper-parameter of the search spaces in
:data:`merbench.training.search.SPACES` except ``lr`` (the optimiser's): today ``hidden_dim`` and
``dropout``. The trainer draws trials from those spaces and builds each model with
``fusion(input_dims, num_classes, with_valence, **trial_without_lr)``; a fusion that lacks one of
the names fails there (the conformance check ``search_space`` catches it first).

Dropout in a ``stackable`` fusion must be :class:`BufferDropout`, never ``nn.Dropout``: the stacked
trainer draws each model's masks from its own seeded stream through ``BufferDropout``'s buffer, and
an ``nn.Dropout`` would draw from torch's global generator, so vectorised runs would silently stop
being reproducible (the conformance check ``stackable_dropout`` catches it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import torch
from torch import nn

from merbench.contracts.cards import FusionCard  # noqa: F401  (each kind's card beside its contract)


@dataclass
class FusionOutput:
    logits: torch.Tensor  # (B, num_classes)
    valence: torch.Tensor | None = None  # (B,) where the track has valence
    weights: torch.Tensor | None = None  # (B, n_inputs) input weights in ``input_dims`` order, for analysis


class BufferDropout(nn.Module):
    """Inverted dropout whose probability lives in a (non-persistent) buffer.

    ``torch.nn.Dropout`` keeps ``p`` as a Python float, so models stacked with
    :func:`torch.func.stack_module_state` would all share one probability. Keeping ``p`` in a buffer
    lets one vectorised forward pass apply a different dropout rate to each stacked model, and lets
    the stacked trainer (``merbench.training.ensemble``) swap in per-model seeded masks.
    """

    def __init__(self, p: float) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {p}")
        self.register_buffer("p", torch.tensor(float(p)), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        keep = (torch.rand_like(x) >= self.p).to(x.dtype)
        return x * keep / (1.0 - self.p)


class Fusion(nn.Module):
    """Base of every fusion. The registered :class:`FusionCard`'s ``input_level`` and ``stackable``
    must equal these attributes; its ``branches`` says how the runner groups features into inputs."""

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
