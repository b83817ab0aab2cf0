"""Mean ± std over seeds (merbench.util.stats)."""

import pytest

from merbench.util.stats import mean_std, summarize


def test_summarize_uses_the_sample_std_and_zero_for_one_value():
    assert summarize([0.5, 0.7]) == pytest.approx({"mean": 0.6, "std": 0.1414213562, "stderr": 0.1, "n": 2})
    assert summarize([0.5])["std"] == 0.0
    with pytest.raises(ValueError, match="no values"):
        summarize([])


def test_mean_std_prints_percent_or_four_decimals_and_no_spread_for_one_seed():
    assert mean_std([0.5, 0.7]) == "60.00±14.14"
    assert mean_std([0.5, 0.7], percent=False, sep=" ± ") == "0.6000 ± 0.1414"
    assert mean_std([0.25]) == "25.00"  # one seed: its spread is unknown, not 0
    assert mean_std([]) == "-"
