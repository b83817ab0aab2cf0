"""Non-LLM MER-OV baselines: Empty, Random (one of the six classes) and a trained classifier's top classes."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from merbench import EMOTIONS


def empty_predictions(names: Sequence[str]) -> dict[str, list[str]]:
    """Predict nothing: scores 0 and 0 by definition (MER2024 Table 6 'Empty')."""
    return {name: [] for name in names}


def random_predictions(names: Sequence[str], seed: int, classes: Sequence[str] = EMOTIONS) -> dict[str, list[str]]:
    """One of the six classes per sample, uniformly, from a seeded generator (Table 6 'Random')."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(len(classes), size=len(names))
    return {name: [classes[int(i)]] for name, i in zip(names, picks)}


def classifier_predictions(
    probabilities: Mapping[str, Sequence[float]],
    *,
    top_k: int = 2,
    threshold: float = 0.2,
    classes: Sequence[str] = EMOTIONS,
) -> dict[str, list[str]]:
    """A trained classifier's top classes as an open-set answer: the most probable class, plus the
    next ones among the ``top_k`` most probable whose probability reaches ``threshold``.

    ``probabilities``: name -> probabilities over ``classes`` (merbench's six, baseline order).
    """
    out: dict[str, list[str]] = {}
    for name, probs in probabilities.items():
        p = np.asarray(probs, dtype=np.float64)
        if p.shape != (len(classes),) or not np.all(np.isfinite(p)):
            raise ValueError(
                f"{name}: classifier probabilities must be {len(classes)} finite numbers over {list(classes)}, "
                f"got shape {p.shape}; pass softmax outputs in the baseline class order"
            )
        order = np.argsort(-p, kind="stable")[:max(1, top_k)]
        out[name] = [classes[int(order[0])]] + [classes[int(i)] for i in order[1:] if p[i] >= threshold]
    return out
