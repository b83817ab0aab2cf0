import numpy as np
import pytest

from merbench.training.data import FeatureTable


def make_table(n=96, seed=0, noise=(1.0, 1.5, 2.0), source="synthetic"):
    """Six classes, three inputs whose class signal varies in strength: a fusion should beat each one alone."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 6
    dims = {"audio": 12, "text": 16, "visual": 7}
    inputs = {}
    for (name, dim), sigma in zip(dims.items(), noise):
        centres = rng.normal(size=(6, dim))
        inputs[name] = (centres[labels] + sigma * rng.normal(size=(n, dim))).astype(np.float32)
    return FeatureTable([f"{source}_{i:03d}" for i in range(n)], inputs, labels.astype(np.int64), source=source)


@pytest.fixture
def synthetic_table():
    return make_table()
