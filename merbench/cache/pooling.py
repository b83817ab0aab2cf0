"""Layer selection and pooling: separate, configurable steps after :meth:`Encoder.encode`.

The cache stores every layer pooled per utterance, shape (L, D) per clip, so the layer policy is
applied when features are read and changing it never re-extracts.

Layer policies (``layers=``):

- ``"last"``: the last layer; ``"first"``: the first stored layer;
- ``"sum-last-N"`` / ``"mean-last-N"``: sum or mean of the last N layers (the MER baseline sums the last 4);
- ``"mean-all"``: mean over all layers; ``"all"``: all layers concatenated along features (L*D);
- an int (negative counts from the end) or a list of ints (summed).
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np

LayerPolicy = Any  # str | int | Sequence[int]

_RUN = re.compile(r"^(sum|mean)-last-(\d+)$")


def describe_policy(policy: LayerPolicy) -> str:
    """A stable string for records and error messages."""
    return policy if isinstance(policy, str) else repr(list(policy) if not isinstance(policy, int) else policy)


def select_layers(pooled: np.ndarray, policy: LayerPolicy) -> np.ndarray:
    """Reduce ``pooled`` of shape (..., L, D) to (..., D) (or (..., L*D) for ``"all"``)."""
    n_layers = pooled.shape[-2]

    def take(indices: Sequence[int]) -> np.ndarray:
        for i in indices:
            if not -n_layers <= i < n_layers:
                raise ValueError(f"layer {i} out of range: the features have {n_layers} layers (0..{n_layers - 1})")
        return pooled[..., list(indices), :]

    if isinstance(policy, (int, np.integer)):
        return take([int(policy)])[..., 0, :]
    if isinstance(policy, str):
        if policy == "last":
            return pooled[..., -1, :]
        if policy == "first":
            return pooled[..., 0, :]
        if policy == "mean-all":
            return pooled.mean(axis=-2)
        if policy == "all":
            return pooled.reshape(*pooled.shape[:-2], n_layers * pooled.shape[-1])
        match = _RUN.match(policy)
        if match:
            how, n = match.group(1), int(match.group(2))
            if not 1 <= n <= n_layers:
                raise ValueError(f"layer policy {policy!r} needs {n} layers; the features have {n_layers}")
            chosen = pooled[..., n_layers - n:, :]
            return chosen.sum(axis=-2) if how == "sum" else chosen.mean(axis=-2)
        raise ValueError(
            f"unknown layer policy {policy!r}; use 'last', 'first', 'sum-last-N', 'mean-last-N', 'mean-all', "
            "'all', a layer index or a list of indices"
        )
    indices = [int(i) for i in policy]
    if not indices:
        raise ValueError("an empty list of layers selects nothing; give at least one index")
    return take(indices).sum(axis=-2)


def mean_over_time(hidden_states: Sequence[Any], lengths: np.ndarray) -> np.ndarray:
    """Utterance pooling: mean over the valid frames of every layer -> float32 (B, L, D).

    An item with length 0 (empty transcript or face track) pools to zeros, as the baseline does.
    Accepts numpy arrays or torch tensors (pooled on their own device before the copy to host).
    """
    pooled = []
    for layer in hidden_states:
        if hasattr(layer, "detach"):  # torch tensor: pool on device, move only (B, D)
            import torch

            steps = torch.arange(layer.shape[1], device=layer.device)[None, :]
            valid = torch.as_tensor(np.asarray(lengths), device=layer.device)[:, None]
            mask = (steps < valid).to(torch.float32)[..., None]
            summed = (layer.to(torch.float32) * mask).sum(dim=1)
            pooled.append((summed / mask.sum(dim=1).clamp(min=1.0)).cpu().numpy())
        else:
            layer = np.asarray(layer, dtype=np.float32)
            mask = (np.arange(layer.shape[1])[None, :] < np.asarray(lengths)[:, None]).astype(np.float32)[..., None]
            pooled.append((layer * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1.0))
    return np.stack(pooled, axis=1).astype(np.float32)


def frames_of(hidden_states: Sequence[Any], lengths: np.ndarray) -> list[np.ndarray]:
    """Frame-level features per item: float32 (T_i, L, D), padding removed."""
    layers = [layer.detach().to("cpu").float().numpy() if hasattr(layer, "detach") else np.asarray(layer, np.float32)
              for layer in hidden_states]
    stacked = np.stack(layers, axis=2)  # (B, T, L, D)
    return [stacked[i, : int(n)].copy() for i, n in enumerate(lengths)]
