"""The plugin against a real local MLflow store in tmp_path: records written through merbench's
``write_record`` (the hook's real call site), then read back with ``mlflow.MlflowClient``."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from merbench import plugins
from merbench.results.record import build_record, read_record, write_record

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture
def manager(monkeypatch):
    """merbench's plugins with this one registered as its entry point would register it."""
    import merbench_mlflow.plugin as plugin

    manager = plugins.PluginManager(entry_points=False)
    manager.register_plugin(plugin, name="mlflow", distribution="merbench-mlflow 0.1.0")
    manager.load()
    monkeypatch.setattr(plugins, "_manager", manager)
    for name in ("MERBENCH_MLFLOW_URI", "MLFLOW_TRACKING_URI", "MERBENCH_MLFLOW_EXPERIMENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "unset")  # restored after the test; the plugin sets it itself
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE")
    yield manager
    plugins.reset()


def _record(name="trainval-attention-egemaps"):
    return build_record(
        track="trainval", name=name, dataset={"name": "demo", "manifest_hash": "ab" * 32, "split": "trainval"},
        components=[{"kind": "encoder", "name": "egemaps", "version": "1"},
                    {"kind": "fusion", "name": "attention", "distribution": "merbench 0.1.0"},
                    {"kind": "metric", "name": "waf"}],
        config={"fusion": "attention", "epochs": 3, "search_space": "mer2024", "encoders": {"audio": ["egemaps"]}},
        seeds=[0, 1], per_seed=[{"seed": 0, "scores": {"waf": 0.5, "acc": 0.6}},
                                {"seed": 1, "scores": {"waf": 0.7, "acc": 0.8}}],
        main_metric="waf", protocol={"name": "mer2024", "version": 1,
                                     "departures": [{"field": "epochs", "protocol": 100, "run": 3, "source": "cli"}]},
        identity={"hash": "cd" * 32, "parts": {}}, extra={"row": "egemaps", "kind": "feature"})


def _runs(uri, experiment="merbench"):
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    found = client.get_experiment_by_name(experiment)
    return client, (client.search_runs([found.experiment_id]) if found else [])


def test_a_written_record_is_one_mlflow_run(manager, tmp_path, monkeypatch):
    uri = (tmp_path / "mlruns").as_uri()
    monkeypatch.setenv("MERBENCH_MLFLOW_URI", uri)
    path = write_record(_record(), tmp_path / "out")
    client, runs = _runs(uri)
    assert len(runs) == 1
    run = runs[0]
    assert run.info.status == "FINISHED" and run.info.run_name == "trainval-attention-egemaps"
    assert read_record(path)["extra"]["mlflow"] == {"tracking_uri": uri, "experiment": "merbench",
                                                    "run_id": run.info.run_id}
    params = run.data.params
    assert params["encoder.egemaps"] == "1" and params["fusion.attention"] == "merbench 0.1.0"
    assert params["metric.waf"] == "unknown" and params["seeds"] == "0,1"
    assert params["protocol"] == "mer2024" and params["protocol.version"] == "1"
    assert params["protocol.departures"] == "epochs" and params["identity_hash"] == "cd" * 32
    assert params["config.fusion"] == "attention" and params["config.epochs"] == "3"
    assert "config.encoders" not in params  # not a scalar: in the artifact
    assert run.data.metrics["waf.mean"] == pytest.approx(0.6)
    assert run.data.metrics["acc.std"] == pytest.approx(0.1414, abs=1e-4)
    history = client.get_metric_history(run.info.run_id, "waf")
    assert sorted((m.step, m.value) for m in history) == [(0, 0.5), (1, 0.7)]
    tags = run.data.tags
    assert (tags["track"], tags["dataset"], tags["manifest_hash"], tags["split"], tags["row"]) == (
        "trainval", "demo", "ab" * 32, "trainval", "egemaps")
    assert [a.path for a in client.list_artifacts(run.info.run_id)] == ["trainval-attention-egemaps.json"]
    logged = json.loads(Path(client.download_artifacts(run.info.run_id, "trainval-attention-egemaps.json",
                                                       str(tmp_path / "dl"))).read_text())
    written = read_record(path)
    del written["extra"]["mlflow"]
    written["predictions"] = None  # the hook sees the record before its predictions are written beside it
    assert logged == written


def test_default_store_is_beside_the_results_store(manager, tmp_path, monkeypatch):
    monkeypatch.setenv("MERBENCH_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("MERBENCH_MLFLOW_EXPERIMENT", "my-study")
    write_record(_record("a"), tmp_path / "out")
    write_record(_record("b"), tmp_path / "out")
    _, runs = _runs((tmp_path / "results" / "mlruns").as_uri(), "my-study")
    assert sorted(r.info.run_name for r in runs) == ["a", "b"]


def test_a_failing_store_warns_in_one_line_and_the_record_is_written(manager, tmp_path, monkeypatch, caplog):
    (tmp_path / "blocker").write_text("a file where the store's folder should be")
    monkeypatch.setenv("MERBENCH_MLFLOW_URI", (tmp_path / "blocker" / "mlruns").as_uri())
    with caplog.at_level("WARNING", logger="merbench.mlflow"):
        path = write_record(_record(), tmp_path / "out")
    record = read_record(path)
    assert record["track"] == "trainval" and "mlflow" not in record["extra"]
    (warning,) = [r for r in caplog.records if r.name == "merbench.mlflow"]
    assert "record trainval-attention-egemaps not logged to" in warning.getMessage()
    assert "the record is written anyway" in warning.getMessage() and "\n" not in warning.getMessage()


def _installed(site):
    """The plugin as pip installs it: its dist-info with the entry point of pyproject.toml, on a path."""
    info = site / "merbench_mlflow-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: merbench-mlflow\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[merbench]\nmlflow = merbench_mlflow.plugin\n")
    return f"{site}:{SRC}"


WRITE = ("import sys; from merbench.results.record import build_record, write_record; "
         "write_record(build_record(track='t', dataset={'name': 'd', 'manifest_hash': '0' * 64}, components=[], "
         "config={}, seeds=[0], per_seed=[{'seed': 0, 'scores': {'waf': 0.5}}], main_metric='waf'), sys.argv[1]); "
         "print(sorted(n for n in sys.modules if n.split('.')[0] == 'mlflow')[:1])")


@pytest.mark.slow
def test_installed_it_logs_from_merbench_and_merbench_disable_plugins_turns_it_off(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # for this process's reading client
    env = {"PYTHONPATH": _installed(tmp_path / "site"), "PATH": "/usr/bin:/bin", "MERBENCH_CACHE": str(tmp_path / "c"),
           "MERBENCH_MLFLOW_URI": (tmp_path / "mlruns").as_uri()}
    on = subprocess.run([sys.executable, "-c", WRITE, str(tmp_path / "a")], capture_output=True, text=True, env=env)
    assert on.returncode == 0, on.stderr
    assert on.stdout.strip() == "['mlflow']" and len(_runs(env["MERBENCH_MLFLOW_URI"])[1]) == 1
    off = subprocess.run([sys.executable, "-c", WRITE, str(tmp_path / "b")], capture_output=True, text=True,
                         env={**env, "MERBENCH_DISABLE_PLUGINS": "mlflow"})
    assert off.returncode == 0, off.stderr
    assert off.stdout.strip() == "[]" and (tmp_path / "b" / "t.json").is_file()
    assert len(_runs(env["MERBENCH_MLFLOW_URI"])[1]) == 1


def test_an_invalid_record_gets_no_run(manager, tmp_path, monkeypatch):
    from merbench.results.record import RecordError

    monkeypatch.setenv("MERBENCH_MLFLOW_URI", (tmp_path / "mlruns").as_uri())
    record = _record()
    record["seeds"] = []
    with pytest.raises(RecordError):
        write_record(record, tmp_path / "out")
    assert not (tmp_path / "mlruns").exists()


@pytest.mark.slow
def test_neither_merbench_nor_the_registered_plugin_imports_mlflow():
    code = ("import sys; import merbench_mlflow.plugin as p; from merbench import plugins; "
            "m = plugins.PluginManager(entry_points=False); m.register_plugin(p, name='mlflow', distribution='x'); "
            "m.load(); import merbench.cli.main, merbench.results.record; "
            "print(sorted(n for n in sys.modules if n.split('.')[0] == 'mlflow'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "[]"


def test_the_entry_point_names_the_hook_module():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    import merbench_mlflow.plugin as plugin

    project = tomllib.loads((SRC.parent / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["merbench"] == {"mlflow": "merbench_mlflow.plugin"}
    assert "mlflow-skinny>=3.0,<4" in project["dependencies"]
    assert hasattr(plugin.merbench_record, "merbench_impl")
