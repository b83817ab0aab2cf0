"""Every test session gets its own results store: no test writes into the user's (``~/.cache/merbench/results``).

CPU training runs its shards in threads unless a test asks otherwise: the processes plan and its
per-machine calibration (merbench/training/plan.py) have their own tests, and calibrating in every
test's temporary cache would cost seconds each."""

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_results_store(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MERBENCH_RESULTS", str(tmp_path_factory.mktemp("results-store")))
        mp.setenv("MERBENCH_TRAIN_PLAN", "threads")
        yield
