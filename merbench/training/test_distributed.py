"""Chunked training (the cluster path, here through the in-process executor): the same bits as ``fit``."""

import numpy as np
import pytest

from merbench.executors import LocalExecutor
from merbench.training.conftest import make_table
from merbench.training.protocol import TrainConfig, cross_validate, cross_validate_many, finish_cv, plan_cv
from merbench.training.test_protocol import CONFIG, TRIALS, builder
from merbench.training.trainer import fit_distributed, table_digest

THREE = TRIALS + [{"hidden_dim": 32, "lr": 3e-3, "dropout": 0.1}]  # two architectures, one of two trials


def _same(a, b):
    assert a.oof_logits.tobytes() == b.oof_logits.tobytes()
    assert (a.trial_scores, a.chosen, a.baseline, a.unbiased, a.folds) == \
        (b.trial_scores, b.chosen, b.baseline, b.unbiased, b.folds)
    assert a.test_logits.keys() == b.test_logits.keys()
    assert all(a.test_logits[k].tobytes() == b.test_logits[k].tobytes() for k in a.test_logits)


@pytest.mark.parametrize("fusion", ["attention", "lmf"])
def test_chunked_cv_equals_local_cv_bit_for_bit(synthetic_table, fusion):
    test = make_table(n=30, seed=3, source="test")
    local = [cross_validate(synthetic_table, builder(synthetic_table, fusion), THREE, config=CONFIG, seed=s,
                            test_tables={"t": test}) for s in (0, 1)]
    executor = LocalExecutor(progress=False)
    plans = [plan_cv(synthetic_table, builder(synthetic_table, fusion), THREE, config=CONFIG, seed=s,
                     test_tables={"t": test}) for s in (0, 1)]
    chunks = plans[0].trainer.chunks(plans[0].jobs, per_fold=2)
    if plans[0].trainer._stackable(plans[0].jobs[0]):  # by architecture, fold and trial group (2 + 1 per fold)
        assert len(chunks) == 5 * 3 and all(len({plans[0].jobs[i].fold for i in c}) == 1 for _, c in chunks)
    else:  # a vmap'd architecture group stays one task
        assert len(chunks) == 2
    results = fit_distributed(executor, [(p.trainer, p.table, p.jobs) for p in plans])
    for plan, res, expected in zip(plans, results, local):
        _same(finish_cv(plan, res), expected)
    assert executor.puts == 1  # both seeds train on one shared copy of the row's table


def test_cross_validate_many_is_cross_validate_per_run(synthetic_table):
    runs = [dict(table=synthetic_table, build=builder(synthetic_table), trials=TRIALS,
                 config=TrainConfig(epochs=3, device="cpu"), seed=s) for s in (0, 1)]
    for many, kwargs in zip(cross_validate_many(runs, executor=LocalExecutor(progress=False)), runs):
        _same(many, cross_validate(**kwargs))


def test_table_digest_follows_the_content(synthetic_table):
    other = make_table(seed=1)
    assert table_digest(synthetic_table) == table_digest(make_table()) != table_digest(other)
    assert np.array_equal(synthetic_table.labels, make_table().labels)
