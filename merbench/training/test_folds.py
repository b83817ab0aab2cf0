import numpy as np

from merbench.training.folds import baseline_folds, make_folds
from merbench.training.search import MER2024_SPACE, sample_trials


def test_baseline_folds_sizes_cover_and_seed():
    folds = baseline_folds(23, 5, seed=3)
    assert [len(f) for f in folds] == [4, 4, 4, 4, 7]
    assert sorted(np.concatenate(folds).tolist()) == list(range(23))
    assert all(np.array_equal(a, b) for a, b in zip(folds, baseline_folds(23, 5, seed=3)))
    assert not all(np.array_equal(a, b) for a, b in zip(folds, baseline_folds(23, 5, seed=4)))


def test_stratified_folds_keep_every_class_in_every_fold():
    labels = np.repeat(np.arange(6), 10)
    for fold in make_folds(labels, 5, seed=0, stratified=True):
        assert set(labels[fold]) == set(range(6))


def test_trials_come_from_the_space_and_are_seeded():
    trials = sample_trials(MER2024_SPACE, 50, seed=1)
    assert len(trials) == 50 and trials == sample_trials(MER2024_SPACE, 50, seed=1)
    assert all(t["hidden_dim"] in (64, 128, 256) and t["lr"] in (1e-3, 1e-4) for t in trials)
