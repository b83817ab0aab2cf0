"""The did-you-mean helper (merbench.util.names)."""

from merbench.util.names import closest, did_you_mean


def test_the_closest_name_or_none_and_the_hint_it_gives():
    assert closest("egemap", ["egemaps", "minilm-l6-v2"]) == "egemaps"
    assert closest("zzz", ["egemaps"]) is None
    assert did_you_mean("feature_sett", ["feature_set", "threads"]) == " (did you mean 'feature_set'?)"
    assert did_you_mean("zzz", ["egemaps"]) == ""
