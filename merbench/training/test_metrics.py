import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score, f1_score

from merbench import plugins
from merbench.training.metrics import batched_waf_acc


def test_batched_waf_matches_sklearn_on_padded_sets():
    rng = np.random.default_rng(0)
    sizes = [7, 20, 13]
    true = torch.zeros(3, 20, dtype=torch.long)
    pred = torch.zeros(3, 20, dtype=torch.long)
    valid = torch.zeros(3, 20, dtype=torch.bool)
    for i, n in enumerate(sizes):
        true[i, :n] = torch.as_tensor(rng.integers(0, 6, n))
        pred[i, :n] = torch.as_tensor(rng.integers(0, 6, n))
        valid[i, :n] = True
    waf, acc = batched_waf_acc(pred, true, valid, 6)
    for i, n in enumerate(sizes):
        assert waf[i].item() == pytest.approx(f1_score(true[i, :n], pred[i, :n], average="weighted", zero_division=0), abs=1e-6)
        assert acc[i].item() == pytest.approx(accuracy_score(true[i, :n], pred[i, :n]), abs=1e-6)


def test_registered_metrics_and_combined_score():
    y_true, y_pred = ["happy", "sad", "sad", "angry"], ["happy", "sad", "angry", "angry"]
    waf = plugins.create("metric", "waf")(y_true, y_pred)
    assert waf == pytest.approx(f1_score(y_true, y_pred, average="weighted"))
    assert plugins.create("metric", "acc")(y_true, y_pred) == 0.75
    combined = plugins.create("metric", "combined")(y_true, y_pred, valence_true=[1.0, -2.0, 0.0, 3.0],
                                                    valence_pred=[1.0, -1.0, 0.0, 3.0])
    assert combined == pytest.approx(waf - 0.25 * 0.25)
    with pytest.raises(ValueError, match="valence"):
        plugins.create("metric", "combined")(y_true, y_pred)
