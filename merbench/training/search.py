"""Random hyper-parameter search over the papers' spaces (docs/protocol.md "Training protocol")."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

#: MER2024: d in {64,128,256}, lr in {1e-3,1e-4}, dropout in {0.2..0.5}; 50 random combinations.
MER2024_SPACE: dict[str, list[Any]] = {"hidden_dim": [64, 128, 256], "lr": [1e-3, 1e-4], "dropout": [0.2, 0.3, 0.4, 0.5]}
#: MER2023: d in {128,256}, lr in {1e-3,1e-4,1e-5}, dropout 0.3.
MER2023_SPACE: dict[str, list[Any]] = {"hidden_dim": [128, 256], "lr": [1e-3, 1e-4, 1e-5], "dropout": [0.3]}
SPACES = {"mer2024": MER2024_SPACE, "mer2023": MER2023_SPACE}


def sample_trials(space: Mapping[str, list[Any]], n_trials: int, seed: int) -> list[dict[str, Any]]:
    """``n_trials`` combinations, each value drawn uniformly and independently, as the baseline code does.

    A combination may repeat (MER2024's space has 24 points and the papers draw 50); each trial is
    trained from its own initialisation, so a repeat is a random restart. Keys are sorted so the draw
    depends only on the space's content, not its order.
    """
    if n_trials < 1:
        raise ValueError(f"need at least one trial, got {n_trials}")
    rng = np.random.default_rng(seed)
    keys = sorted(space)
    return [{k: space[k][int(rng.integers(len(space[k])))] for k in keys} for _ in range(n_trials)]
