import re

import pytest

from merbench import plugins
from merbench.contracts.protocol import ProtocolError, load_protocol
from merbench.contracts.track import TrackError, load_track
from merbench.runner.config import ConfigError, build_config, defaults, resolve, user_layers


def test_protocol_settings_then_dataset_defaults_then_file_then_command_line(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("trials: 7\nstrategy_params: {pseudo-label: {quantile: 0.8}}\n")
    resolved = resolve(user_layers({"seeds": [3]}, path), dataset_protocol="mer2024",
                       dataset_defaults={"trials": 2, "epochs": 20}, dataset_name="dataset demo")
    config = resolved.config
    assert config["trials"] == 7 and config["epochs"] == 20 and config["seeds"] == [3]
    assert config["standardize"] is False and config["tracks"] == ["trainval", "semi", "noise", "ov"]
    assert config["strategy_params"] == {"pseudo-label": {"quantile": 0.8}}
    assert config["encoders"] == defaults()["encoders"]
    by_field = {d["field"]: d for d in resolved.departures}
    assert by_field["trials"] == {"field": "trials", "protocol": 50, "run": 7, "source": str(path)}
    assert by_field["epochs"]["source"] == "dataset demo defaults"
    assert by_field["seeds"]["source"] == "command line" and "standardize" not in by_field


def test_a_fusion_parameter_against_the_protocol_is_a_departure():
    resolved = resolve(user_layers({"fusion_params": {"weights": "softmax"}}), dataset_protocol="mer2024")
    assert [d["field"] for d in resolved.departures] == ["fusion_params.weights"]
    assert resolve(user_layers({"fusion": "concat-mlp"}), dataset_protocol="mer2024").departures == []


def test_protocol_named_in_the_config_wins_over_the_dataset_and_takes_its_tracks():
    resolved = resolve(user_layers({"protocol": "mer2023"}), dataset_protocol="mer2024")
    assert resolved.protocol.name == "mer2023" and resolved.config["tracks"][0] == "mer2023-trainval"
    own = resolve(user_layers({"protocol": "merbench"}), dataset_protocol="mer2023")
    assert own.config["tracks"] == ["mer2023-trainval", "mer2023-multi", "mer2023-noise", "mer2023-semi"]
    assert own.config["standardize"] is True


@pytest.mark.parametrize("bad, field", [({"trials": 0}, "trials"), ({"encoders": {"smell": ["x"]}}, "encoders"),
                                        ({"trails": 3}, "(root)"), ({"valence": "sometimes"}, "valence")])
def test_bad_config_names_the_field(bad, field):
    with pytest.raises(ConfigError, match=re.escape(f"field {field}")):
        build_config(bad)


def test_invalid_yaml_names_the_file_and_line(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("trials: 2\nseeds: [0, 1\n")
    with pytest.raises(ConfigError, match=r"run\.yaml line \d+: not valid YAML"):
        user_layers(None, path)


def test_builtin_tracks_and_protocols_validate_and_a_bad_track_file_is_named(tmp_path):
    semi = plugins.create("track", "semi")
    assert semi.strategies == ("supervised", "pseudo-label") and semi.test_split == "semi"
    assert plugins.create("track", "noise").corruption == "challenge"
    multi = plugins.create("track", "mer2023-multi")
    assert multi.main_metric == "combined" and multi.needs == ("valence",)
    assert plugins.create("protocol", "mer2024").settings["standardize"] is False
    bad = tmp_path / "x.yaml"
    bad.write_text("name: x\ntitle: X\nversion: 1\ntrain_split: trainval\nmetrics: [waf]\nmain_metric: acc\n")
    with pytest.raises(TrackError, match="main_metric 'acc' is not in metrics"):
        load_track(bad)
    bad.write_text("name: x\ntitle: X\nversion: 1\n")
    with pytest.raises(ProtocolError, match="x.yaml: field"):
        load_protocol(bad)


def test_a_track_the_trainer_cannot_score_is_refused_before_extraction():
    from merbench.contracts.track import FOLD_METRICS, check_metrics, track_from_mapping

    known = [*FOLD_METRICS, "uar"]
    base = {"name": "x", "title": "X", "version": 1, "train_split": "trainval", "metrics": ["waf", "uar"],
            "main_metric": "waf"}
    check_metrics(track_from_mapping({**base, "test_split": "semi"}), known)  # a test split: any metric
    with pytest.raises(TrackError, match=r"cross-validated .* not \['uar'\]; give it a test_split"):
        check_metrics(track_from_mapping(base), known)  # the folds never compute uar: it would vanish
    with pytest.raises(TrackError, match="selection_metric 'uar' cannot pick epochs"):
        check_metrics(track_from_mapping({**base, "test_split": "semi", "selection_metric": "uar"}), known)
    for name in plugins.get_registry().names("track"):  # every built-in track is scorable
        check_metrics(plugins.create("track", name), plugins.get_registry().names("metric"))


def test_the_scorable_metrics_are_the_trainers():
    import numpy as np

    from merbench.contracts.track import FOLD_METRICS, SELECTION_METRICS
    from merbench.training.protocol import _metrics
    from merbench.training.trainer import selection_score

    assert set(_metrics(np.array([0.5, 0.4, 1.0]))) == set(FOLD_METRICS)
    for name in SELECTION_METRICS:
        selection_score(np.zeros((2, 3)), name)
    with pytest.raises(ValueError):
        selection_score(np.zeros((2, 3)), "acc")


def test_encoder_params_reach_the_encoder_and_the_protocol_pooling_only_where_offered():
    from merbench.runner.run import encoder_params, pooling_departures

    config = build_config({"encoders": {"audio": ["chinese-hubert-base"], "text": ["minilm-l6-v2"]},
                           "encoder_params": {"chinese-hubert-base": {"checkpoint": "/models/hubert"}}})
    assert encoder_params(config, "chinese-hubert-base") == {"pooling": "baseline", "checkpoint": "/models/hubert"}
    assert encoder_params(config, "minilm-l6-v2") == {}  # it offers merbench's pooling only
    assert [d["field"] for d in pooling_departures(config)] == ["pooling (minilm-l6-v2)"]


def test_an_encoder_alias_becomes_the_registered_name_and_a_name_given_twice_fails():
    config = build_config({"encoders": {"audio": ["HUBERT-large", "egemaps"]},
                           "encoder_params": {"hubert-large": {"checkpoint": "/models/hubert"}}})
    assert config["encoders"]["audio"] == ["chinese-hubert-large", "egemaps"]
    assert config["encoder_params"] == {"chinese-hubert-large": {"checkpoint": "/models/hubert"}}
    with pytest.raises(ConfigError, match=re.escape("encoders.audio names chinese-hubert-large twice "
                                                    "('hubert-large' and 'chinese-hubert-large')")):
        build_config({"encoders": {"audio": ["hubert-large", "chinese-hubert-large"]}})
    with pytest.raises(ConfigError, match=re.escape("gives chinese-hubert-large parameters twice")):
        build_config({"encoder_params": {"hubert-large": {"a": 1}, "chinese-hubert-large": {"b": 2}}})
    unknown = build_config({"encoders": {"audio": ["hubert-larg"], "visual": ["import:clip_UTT"]}})
    assert unknown["encoders"]["audio"] == ["hubert-larg"] and unknown["encoders"]["visual"] == ["import:clip_UTT"]


def test_encoder_params_for_no_encoder_fail_and_for_an_unused_one_warn(caplog, monkeypatch):
    import logging

    from merbench.runner.run import RunError, check_encoder_params

    monkeypatch.setattr(logging.getLogger("merbench"), "propagate", True)  # the CLI's setup_logging turns it off

    config = build_config({"encoders": {"audio": ["egemaps"]}, "encoder_params": {"egemap": {"feature_set": "IS09"}}})
    with pytest.raises(RunError, match="names 'egemap', which is neither an encoder of this run \\(egemaps\\) nor a "
                                       "registered encoder; did you mean 'egemaps'\\?"):
        check_encoder_params(config)
    shared = build_config({"encoders": {"audio": ["egemaps"]},
                           "encoder_params": {"egemaps": {"feature_set": "IS09"}, "chinese-hubert-large": {"checkpoint": "/m"}}})
    with caplog.at_level("WARNING", logger="merbench.run"):
        check_encoder_params(shared)
    assert "encoder_params for chinese-hubert-large are unused" in caplog.text


def test_encoder_param_flag_groups_pairs_by_encoder():
    from click.testing import CliRunner

    from merbench.cli.main import cli

    result = CliRunner().invoke(cli, ["run", "--encoder-param", "nocolon", "--no-progress"])
    assert result.exit_code != 0 and "expected NAME:key=value" in result.output
