"""A plugin defined here adds tracks and a metric; `merbench run --track <it>` runs them with no core change."""

import json
import os

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


PREPARED_TRACK_YAML = """\
name: prepared-probe
title: Prepared probe
version: 1
train_split: trainval
test_split: ov
test_labels: false
metrics: [acc]
main_metric: acc
evaluate: merbench.runner.test_plugin_track:evaluate_probe
prepare: merbench.runner.test_plugin_track:prepare_probe
"""


def prepare_probe(request):
    """Work from the dataset and config alone, in the runner's background process."""
    return {"pid": os.getpid(), "clips": len(request.dataset.splits()[request.track.test_split]),
            "seeds": request.config["seeds"]}


def evaluate_probe(context):
    from merbench.contracts.track import TrackOutcome

    return TrackOutcome(rows=[{"prepared": context.prepared}])


def _load_plugin(tmp_path, monkeypatch, distribution: str = "test-track-plugin 0.1"):
    """A plugin manager holding the test plugin (shipped by ``distribution``), installed as merbench's."""
    track_file = tmp_path / "semi-uar.yaml"
    track_file.write_text(TRACK_YAML)
    prepared_file = tmp_path / "prepared-probe.yaml"
    prepared_file.write_text(PREPARED_TRACK_YAML)

    class TrackPlugin:
        @hookimpl
        def register_tracks(self, register):
            register("semi-uar", "merbench.contracts.track:load_track", summary="SEMI scored by UAR.",
                     defaults={"path": str(track_file)})
            register("prepared-probe", "merbench.contracts.track:load_track", summary="A prepare hook's probe.",
                     defaults={"path": str(prepared_file)})

        @hookimpl
        def register_metrics(self, register):
            register("uar", f"{__name__}:UnweightedRecall", summary="Unweighted average recall.",
                     card={"higher_is_better": True, "label_type": "discrete"})

    manager = plugins.PluginManager()
    manager.register_plugin(TrackPlugin(), "test-track-plugin", distribution)
    manager.load()
    monkeypatch.setattr(plugins, "_manager", manager)
    return manager


@pytest.fixture
def plugin_manager(tmp_path, monkeypatch):
    yield _load_plugin(tmp_path, monkeypatch)
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


@pytest.mark.slow
def test_a_plugin_tracks_prepare_hook_runs_in_the_background_and_its_result_reaches_evaluate(
        plugin_manager, tiny_demo, tmp_path, monkeypatch):
    from merbench.datasets import open_dataset
    from merbench.runner.run import run

    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))
    config = {"dataset": str(tiny_demo), "tracks": ["prepared-probe"], "encoders": {"audio": ["egemaps"]},
              "combinations": [], "trials": 1, "epochs": 2, "seeds": [0], "out": str(tmp_path / "out")}
    result = run(config, progress=False)
    [row] = result.outcomes["prepared-probe"].rows
    clips = len(open_dataset(str(tiny_demo)).splits()["ov"])
    assert row["prepared"] == {"pid": row["prepared"]["pid"], "clips": clips, "seeds": [0]}
    assert row["prepared"]["pid"] != os.getpid()
    without = run({**config, "background_preparation": False, "out": str(tmp_path / "out2")}, progress=False)
    assert without.outcomes["prepared-probe"].rows == [{"prepared": None}]


@pytest.mark.slow
def test_a_new_version_of_a_plugin_is_another_identity(plugin_manager, tiny_demo, tmp_path, monkeypatch):
    """The same config with the plugin's next release: its records are not read back as finished."""
    from merbench.results.diff import explain
    from merbench.runner.run import run

    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))
    config = {"dataset": str(tiny_demo), "tracks": ["semi-uar"], "encoders": {"audio": ["egemaps"]},
              "combinations": [], "trials": 1, "epochs": 2, "seeds": [0], "out": str(tmp_path / "out")}
    record = tmp_path / "out" / "semi-uar-attention-egemaps.json"
    run(config, progress=False)
    before = json.loads(record.read_text())
    assert any("read back" in note for note in run(config, progress=False).notes), "the same release: finished"
    _load_plugin(tmp_path, monkeypatch, "test-track-plugin 0.2")
    again = run(config, progress=False)
    assert not any("read back" in note for note in again.notes)
    after = json.loads(record.read_text())
    assert explain(before, after) == ["code.metric:uar: test-track-plugin 0.1 → test-track-plugin 0.2",
                                      "code.track:semi-uar: test-track-plugin 0.1 → test-track-plugin 0.2"]
