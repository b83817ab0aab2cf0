import numpy as np
import pytest

from merbench import plugins
from merbench.training.conftest import make_table
from merbench.training.data import FeatureError
from merbench.training.protocol import TrainConfig, cross_validate
from merbench.training.strategies import PseudoLabel, class_thresholds, select_pseudo_labels

TRIALS = [{"hidden_dim": 32, "lr": 1e-2, "dropout": 0.2}, {"hidden_dim": 16, "lr": 3e-3, "dropout": 0.3}]
CONFIG = TrainConfig(epochs=8, device="cpu")


def builder(table, fusion="attention"):
    dims = table.input_dims
    return lambda p: plugins.create("fusion", fusion, input_dims=dims, num_classes=6, **p)


def test_cv_scores_predictions_and_same_seed_identical(synthetic_table):
    test = make_table(n=30, seed=0, source="test")
    a = cross_validate(synthetic_table, builder(synthetic_table), TRIALS, config=CONFIG, seed=0, test_tables={"t": test})
    b = cross_validate(synthetic_table, builder(synthetic_table), TRIALS, config=CONFIG, seed=0, test_tables={"t": test})
    assert a.baseline == b.baseline and a.unbiased == b.unbiased
    assert np.array_equal(a.test_logits["t"], b.test_logits["t"]) and np.array_equal(a.oof_logits, b.oof_logits)
    assert a.baseline["waf"] > 0.5  # well above chance (1/6) on separable synthetic classes
    assert 0 <= a.unbiased["waf"] <= 1 and len(a.folds) == 5
    assert all("unbiased" in f and 1 <= f["best_epoch"] <= CONFIG.epochs for f in a.folds)
    assert a.test_logits["t"].shape == (30, 6) and a.test_names["t"] == test.names
    c = cross_validate(synthetic_table, builder(synthetic_table), TRIALS, config=CONFIG, seed=1)
    assert c.baseline != a.baseline


def test_folds_carry_their_epoch_curve_and_rows_their_attention_weights(synthetic_table):
    test = make_table(n=30, seed=0, source="test")
    config = TrainConfig(epochs=4, unbiased=False, device="cpu")
    a = cross_validate(synthetic_table, builder(synthetic_table), TRIALS[:1], config=config, seed=0,
                       test_tables={"t": test})
    for fold in a.folds:  # the chosen trial's validation scores after every epoch; the best epoch's is the fold's
        assert set(fold["curve"]) == {"waf", "acc"} and len(fold["curve"]["waf"]) == 4  # no valence: no mse
        assert fold["curve"]["waf"][fold["best_epoch"] - 1] == pytest.approx(fold["waf"], abs=1e-6)
    assert a.weight_inputs == ["audio", "text", "visual"]
    assert a.oof_weights.shape == (len(synthetic_table), 3) and a.test_weights["t"].shape == (30, 3)
    np.testing.assert_allclose(a.oof_weights.sum(1), 1.0, rtol=1e-5)  # softmax weights, one row per sample
    concat = cross_validate(synthetic_table, builder(synthetic_table, "concat-mlp"), TRIALS[:1], config=config, seed=0,
                            test_tables={"t": test})
    assert concat.oof_weights is None and concat.weight_inputs is None and concat.test_weights == {}


@pytest.mark.parametrize("fusion", ["concat-mlp", "tfn", "lmf", "attention-topn"])
def test_every_utterance_fusion_trains_vectorised(synthetic_table, fusion):
    result = cross_validate(synthetic_table, builder(synthetic_table, fusion), TRIALS[:1],
                            config=TrainConfig(epochs=3, unbiased=False, device="cpu"), seed=0)
    assert result.unbiased is None and 0 <= result.baseline["waf"] <= 1


def test_nan_features_are_named(synthetic_table):
    synthetic_table.inputs["audio"][5, 2] = np.nan
    with pytest.raises(FeatureError, match="synthetic_005 \\(audio\\).*--skip-missing"):
        synthetic_table.check()
    kept = synthetic_table.check(skip_invalid=True)
    assert len(kept) == len(synthetic_table) - 1 and kept.skipped == ["synthetic_005: NaN/inf in audio"]


def test_class_absent_from_a_fold_is_an_error():
    table = make_table(n=60)
    table.labels[:] = 0
    table.labels[7] = 3  # a single 'sad' sample: its fold's training part has no 'sad'
    with pytest.raises(FeatureError, match="absent from the training part of fold"):
        cross_validate(table, builder(table), TRIALS[:1], config=CONFIG, seed=0)


def test_pseudo_label_thresholds_follow_algorithm_1():
    logits = np.log(np.array([[0.9, 0.1, 0, 0, 0, 0], [0.6, 0.4, 0, 0, 0, 0], [0.2, 0.8, 0, 0, 0, 0],
                              [0.7, 0.3, 0, 0, 0, 0]]) + 1e-9)
    labels = np.array([0, 0, 1, 1])  # the last is wrong: it does not count towards class 0's threshold
    thresholds = class_thresholds(logits, labels, quantile=0.5, num_classes=6)
    assert thresholds[0] == pytest.approx(0.75, abs=1e-6) and thresholds[1] == pytest.approx(0.8, abs=1e-6)
    assert np.isinf(thresholds[2])
    pool = np.log(np.array([[0.8, 0.2, 0, 0, 0, 0], [0.7, 0.3, 0, 0, 0, 0], [0.1, 0.9, 0, 0, 0, 0]]) + 1e-9)
    keep, classes = select_pseudo_labels(pool, thresholds)
    assert keep.tolist() == [0, 2] and classes.tolist() == [0, 1]


def test_pseudo_label_strategy_adds_pool_samples_to_training(synthetic_table):
    pool = make_table(n=60, seed=0, source="pool")
    pool.labels[:] = -1
    calls = []

    def trainer(labeled, *, extra_train=None, trials=None, test_tables=None):
        calls.append(0 if extra_train is None else len(extra_train))
        return cross_validate(labeled, builder(labeled), trials or TRIALS, config=CONFIG, seed=0,
                              test_tables=test_tables, extra_train=extra_train)

    strategy = PseudoLabel(quantile=0.5, rounds=1)
    result = strategy.fit(trainer, synthetic_table, pool)
    assert calls[0] == 0 and calls[1] == strategy.history[0]["added"] > 0
    assert len(result.trials) == 1 and result.oof_logits.shape == (len(synthetic_table), 6)


@pytest.mark.parametrize("fusion", ["attention", "concat-mlp"])
def test_cv_is_bit_identical_for_one_or_two_torch_threads(synthetic_table, fusion):
    """The thread count sets how the trials are sharded over worker threads, never a bit of the result."""
    import torch

    previous = torch.get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            results.append(cross_validate(synthetic_table, builder(synthetic_table, fusion), TRIALS, config=CONFIG, seed=0))
    finally:
        torch.set_num_threads(previous)
    a, b = results
    assert a.oof_logits.tobytes() == b.oof_logits.tobytes()
    assert (a.trial_scores, a.chosen, a.baseline, a.unbiased) == (b.trial_scores, b.chosen, b.baseline, b.unbiased)
