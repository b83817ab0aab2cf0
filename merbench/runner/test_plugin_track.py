"""A plugin defined here adds a track and a metric; `merbench run --track <it>` runs it with no core change."""

import json

import pytest
from click.testing import CliRunner

from merbench import plugins
from merbench.contracts.metric import Metric
from merbench.hookspecs import hookimpl


class UnweightedRecall(Metric):
    """UAR: the unweighted mean of per-class recall (classes present in the truth)."""

    name = "uar"
    label_type = "discrete"

    def __call__(self, y_true, y_pred, **context):
        from sklearn.metrics import recall_score

        return float(recall_score(y_true, y_pred, average="macro", zero_division=0))


TRACK_YAML = """\
name: semi-uar
title: MER-SEMI (UAR)
heading: SEMI-uar
version: 1
train_split: trainval
test_split: semi
metrics: [uar, acc]
main_metric: uar
selection_metric: waf
table: plugin-tables
"""


@pytest.fixture
def plugin_manager(tmp_path, monkeypatch):
    track_file = tmp_path / "semi-uar.yaml"
    track_file.write_text(TRACK_YAML)

    class TrackPlugin:
        @hookimpl
        def register_tracks(self, register):
            register("semi-uar", "merbench.contracts.track:load_track", summary="SEMI scored by UAR.",
                     defaults={"path": str(track_file)})

        @hookimpl
        def register_metrics(self, register):
            register("uar", f"{__name__}:UnweightedRecall", summary="Unweighted average recall.",
                     card={"higher_is_better": True, "label_type": "discrete"})

    manager = plugins.PluginManager()
    manager.register_plugin(TrackPlugin(), "test-track-plugin", "test-track-plugin 0.1")
    manager.load()
    monkeypatch.setattr(plugins, "_manager", manager)
    yield manager
    plugins.reset()


@pytest.mark.slow
def test_a_plugin_track_and_metric_run_from_the_command_line(plugin_manager, tiny_demo, tmp_path, monkeypatch):
    from merbench.cli.main import cli

    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", "--dataset", str(tiny_demo), "--track", "semi-uar", "--encoder",
                                      "egemaps", "--trials", "1", "--epochs", "2", "--seeds", "1", "--out", str(out),
                                      "--no-progress"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "SEMI-uar UAR" in result.output and "Table 4-style" in result.output
    record = json.loads((out / "semi-uar-attention-egemaps.json").read_text())
    assert record["track"] == "semi-uar" and record["main_score"]["metric"] == "uar"
    assert set(record["scores"]) == {"uar", "acc"}
    assert record["config"]["track"]["metrics"] == ["uar", "acc"]
    departures = {d["field"] for d in record["protocol"]["departures"]}
    assert {"trials", "epochs", "seeds"} <= departures
