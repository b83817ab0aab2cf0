"""One way to batch variable-length sequences: zero-padded to a common length, with a mask."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def pad_sequences(seqs: Sequence[np.ndarray], *, length: int | None = None, min_length: int = 0,
                  dtype: type = np.float32) -> tuple[np.ndarray, np.ndarray]:
    """``(T_i, ...)`` arrays -> zero-padded ``(N, T, ...)`` and a bool mask ``(N, T)`` of real steps, where
    ``T`` is ``length`` or else ``max(T_i, min_length)``. Sequences longer than ``length`` are an error."""
    width = length if length is not None else max([min_length, *(len(s) for s in seqs)])
    tail = next((np.shape(s)[1:] for s in seqs if len(s)), np.shape(seqs[0])[1:] if len(seqs) else ())
    out = np.zeros((len(seqs), width, *tail), dtype)
    mask = np.zeros((len(seqs), width), bool)
    for i, s in enumerate(seqs):
        if len(s) > width:
            raise ValueError(f"sequence {i} has {len(s)} steps, more than the padded length {width}")
        if len(s):
            out[i, : len(s)] = s
            mask[i, : len(s)] = True
    return out, mask
