import re

import pytest

from merbench.runner.config import DEFAULTS, ConfigError, build_config
from merbench.runner.tracks import TrackError, load_track


def test_defaults_are_valid_and_overrides_merge(tmp_path):
    assert build_config() == DEFAULTS
    path = tmp_path / "run.yaml"
    path.write_text("trials: 7\npseudo_label: {quantile: 0.8}\n")
    config = build_config({"seeds": [3]}, path)
    assert config["trials"] == 7 and config["seeds"] == [3]
    assert config["pseudo_label"] == {**DEFAULTS["pseudo_label"], "quantile": 0.8}


@pytest.mark.parametrize("bad, field", [({"trials": 0}, "trials"), ({"tracks": ["multi"]}, "tracks/0"),
                                        ({"encoders": {"smell": ["x"]}}, "encoders"), ({"trails": 3}, "(root)")])
def test_bad_config_names_the_field(bad, field):
    with pytest.raises(ConfigError, match=re.escape(f"field {field}")):
        build_config(bad)


def test_builtin_tracks_validate_and_a_bad_track_file_is_named(tmp_path):
    assert load_track("semi")["strategies"] == ["supervised", "pseudo-label"]
    assert load_track("noise")["corruption"] == "challenge"
    bad = tmp_path / "x.yaml"
    bad.write_text("name: x\ntitle: X\nversion: 1\ntrain_split: trainval\nmetrics: [waf]\nmain_metric: acc\nstrategies: [supervised]\n")
    with pytest.raises(TrackError, match="main_metric 'acc' is not in metrics"):
        load_track("x", bad)
