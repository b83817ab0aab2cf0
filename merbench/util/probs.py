"""Class probabilities from logits: one softmax (:func:`scipy.special.softmax`) everywhere."""

from __future__ import annotations

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``(N, C)`` logits (over the last axis)."""
    from scipy.special import softmax as _softmax

    return _softmax(np.asarray(logits), axis=-1)
