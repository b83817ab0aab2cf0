"""Every test session gets its own results store: no test writes into the user's (``~/.cache/merbench/results``)."""

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_results_store(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MERBENCH_RESULTS", str(tmp_path_factory.mktemp("results-store")))
        yield
