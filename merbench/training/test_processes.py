"""The processes plan: bit-identical to threads, progress fed back, failures reported, workers reused."""

import numpy as np
import pytest
import torch

from merbench.runner.run import FusionFactory
from merbench.training import processes
from merbench.training.conftest import make_table
from merbench.training.trainer import Job, VectorisedTrainer

pytestmark = pytest.mark.xdist_group("worker-processes")  # one xdist worker: they start processes of their own


def _jobs(table):
    rng = np.random.default_rng(0)
    folds = np.array_split(rng.permutation(len(table)), 3)
    params = [{"hidden_dim": 8, "lr": 1e-3, "dropout": 0.3}, {"hidden_dim": 8, "lr": 1e-4, "dropout": 0.5},
              {"hidden_dim": 16, "lr": 1e-3, "dropout": 0.2}]
    return [Job(p, np.setdiff1d(np.arange(len(table)), v), v, 10 * k + f, k, f)
            for k, p in enumerate(params) for f, v in enumerate(folds)]


def _fit(table, jobs, plan, progress=None, build=None):
    build = build or FusionFactory("attention", table.input_dims, False, {})
    return VectorisedTrainer(build, num_classes=6, epochs=3, device="cpu", seed=0, workers=2, plan=plan,
                             progress=progress).fit(table, jobs)


def test_processes_give_the_threads_numbers_bit_for_bit_and_count_progress():
    table = make_table(n=90)
    jobs = _jobs(table)
    threads = _fit(table, jobs, "threads")
    counted = []
    in_processes = _fit(table, jobs, "processes", progress=counted.append)
    for a, b in zip(threads, in_processes):
        assert np.array_equal(a.history, b.history, equal_nan=True) and a.best_epoch == b.best_epoch
        assert np.array_equal(a.val_logits, b.val_logits)
        assert a.state.keys() == b.state.keys() and all(torch.equal(a.state[k], b.state[k]) for k in a.state)
        assert b.module.weighting == a.module.weighting and next(b.module.parameters()).is_meta
    assert sum(counted) == len(jobs) * 3  # models x epochs, as the threads plan reports
    pids = [w.process.pid for w in processes._ALL]
    _fit(table, jobs[:4], "processes")
    assert [w.process.pid for w in processes._ALL] == pids  # started once, reused


def test_a_failure_in_a_worker_is_raised_in_the_caller_and_the_pool_recovers():
    table = make_table(n=90)
    jobs = _jobs(table)
    broken = [Job(jobs[0].params, np.array([0, 10_000]), jobs[0].val, 1, 0, 0), jobs[1]]  # a row the table lacks
    with pytest.raises(IndexError) as caught:
        _fit(table, broken, "processes")
    assert "in a training worker process" in "\n".join(getattr(caught.value, "__notes__", []))
    assert len(_fit(table, jobs[:2], "processes")) == 2


def test_a_worker_that_dies_is_named_and_replaced():
    table = make_table(n=90)
    jobs = _jobs(table)
    _fit(table, jobs[:2], "processes")
    processes._ALL[0].process.kill()
    processes._ALL[0].process.wait()
    assert len(_fit(table, jobs[:2], "processes")) == 2  # a dead worker is replaced before the next fit


def test_a_fusion_class_a_worker_cannot_import_runs_in_threads_unless_processes_are_demanded(monkeypatch):
    from merbench.fusions.attention import AttentionFusion

    class LocalFusion(AttentionFusion):  # defined inside a function: a worker process cannot import it
        pass

    table = make_table(n=90)
    jobs = _jobs(table)[:2]
    build = lambda p: LocalFusion(table.input_dims, 6, **p)  # noqa: E731
    with_threads = _fit(table, jobs, "threads", build=build)
    monkeypatch.setenv("MERBENCH_TRAIN_PLAN", "processes")  # what this machine's plan says
    auto = VectorisedTrainer(build, num_classes=6, epochs=3, device="cpu", seed=0, workers=2, plan="auto")
    assert auto._shard_plan(2, build({"hidden_dim": 8})) == "threads"
    assert all(np.array_equal(a.val_logits, b.val_logits) for a, b in zip(with_threads, auto.fit(table, jobs)))
    with pytest.raises(ValueError, match="LocalFusion is not"):
        _fit(table, jobs, "processes", build=build)
