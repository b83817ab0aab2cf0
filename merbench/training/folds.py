"""Cross-validation folds, seeded.

``baseline_folds`` reproduces the MER baseline code: shuffle, folds 1..K-1 get floor(N/K) samples and
the last fold the rest. ``stratified_folds`` keeps class proportions (scikit-learn StratifiedKFold).
"""

from __future__ import annotations

import numpy as np


def baseline_folds(n_samples: int, n_folds: int, seed: int) -> list[np.ndarray]:
    if n_samples < n_folds:
        raise ValueError(f"cannot split {n_samples} samples into {n_folds} folds")
    order = np.random.default_rng(seed).permutation(n_samples)
    size = n_samples // n_folds
    return [np.sort(order[i * size:(i + 1) * size if i < n_folds - 1 else n_samples]) for i in range(n_folds)]


def stratified_folds(labels: np.ndarray, n_folds: int, seed: int) -> list[np.ndarray]:
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    return [np.sort(test) for _, test in splitter.split(np.zeros(len(labels)), labels)]


def make_folds(labels: np.ndarray, n_folds: int, seed: int, stratified: bool = False) -> list[np.ndarray]:
    """Validation indices of each fold; every sample is in exactly one fold."""
    return stratified_folds(labels, n_folds, seed) if stratified else baseline_folds(len(labels), n_folds, seed)
