"""On a local Ray instance with 2 workers: extraction, a killed worker and a small sweep give the
local executor's results bit for bit; a failed task names what it was at; Ctrl-C stops the cluster work."""

from __future__ import annotations

import json
import logging
import signal
import time

import h5py
import pytest

ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'merbench[ray]')")

from merbench.cache import extract, load_features, resolve  # noqa: E402
from merbench.executors import TaskFailed  # noqa: E402
from merbench.executors.ray_executor import RayExecutor  # noqa: E402

pytestmark = [pytest.mark.ray, pytest.mark.slow, pytest.mark.xdist_group("ray")]
ENCODERS = ("egemaps", "fer-mini-xception")


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def reference(tiny_dataset, tmp_path_factory):
    """The local executor's cache of the tiny demo (also the sweep's features) and its features."""
    root = tmp_path_factory.mktemp("local-cache")
    names = [s.name for s in tiny_dataset.iter_all()]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MERBENCH_CACHE", str(root))
        for encoder in ENCODERS:
            extract(tiny_dataset, encoder, names, progress=False, device="cpu", batch_size=8)
        features = {e: load_features(tiny_dataset, e, names, layers="all", extract_missing=False) for e in ENCODERS}
    return root, names, features


def _each_clip_once(dataset, encoder, names):
    store = resolve(dataset, encoder).store
    with h5py.File(store.path) as f:
        stored = [n.decode() for n in f["names"][()]]
    return sorted(stored) == sorted(names) and not store.parts_dir.exists() and store.verify(expected=names) == []


def test_extraction_on_ray_equals_local(cluster, tiny_demo, tiny_dataset, reference, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from merbench.cli.main import cli

    _, names, expected = reference
    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))
    result = CliRunner().invoke(cli, ["extract", "--dataset", str(tiny_demo), "--encoder", ENCODERS[0], "--device",
                                      "cpu", "--batch-size", "8", "--executor", "ray", "--no-progress"])
    assert result.exit_code == 0, result.output
    with RayExecutor(progress=False) as executor:
        assert executor.slots() == 2
        extract(tiny_dataset, ENCODERS[1], names, device="cpu", batch_size=8, progress=False, executor=executor)
    for encoder in ENCODERS:
        got = load_features(tiny_dataset, encoder, names, layers="all", extract_missing=False)
        assert got.tobytes() == expected[encoder].tobytes(), encoder
        assert _each_clip_once(tiny_dataset, encoder, names)


def test_a_worker_killed_mid_extraction_is_recovered(cluster, tiny_dataset, reference, tmp_path, monkeypatch, caplog):
    _, names, expected = reference
    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MERBENCH_FAULT_KILL_SHARD", "0:2")  # shard 0's worker exits after 2 of its batches
    with caplog.at_level(logging.WARNING, logger="merbench.executors"), RayExecutor(progress=False) as executor:
        extract(tiny_dataset, ENCODERS[0], names, device="cpu", batch_size=4, progress=False, executor=executor)
    assert any("shard 0" in r.getMessage() and "attempt 2" in r.getMessage() for r in caplog.records), caplog.text
    assert _each_clip_once(tiny_dataset, ENCODERS[0], names)
    got = load_features(tiny_dataset, ENCODERS[0], names, layers="all", extract_missing=False)
    assert got.tobytes() == expected[ENCODERS[0]].tobytes()


def test_a_small_sweep_on_ray_writes_the_local_records(cluster, tiny_demo, reference, tmp_path, monkeypatch):
    from merbench.runner.run import run

    monkeypatch.setenv("MERBENCH_CACHE", str(reference[0]))  # features cached: this compares training
    config = {"dataset": str(tiny_demo), "encoders": {"audio": [ENCODERS[0]], "visual": [ENCODERS[1]]},
              "tracks": ["trainval", "semi"], "trials": 2, "seeds": [0, 1], "epochs": 2, "device": "cpu",
              "combinations": [["audio", "visual"]],
              "search_space": {"hidden_dim": [16, 8], "lr": [1e-3, 3e-3], "dropout": [0.2]}}
    runs = {name: run({**config, "executor": name, "out": str(tmp_path / name)}, progress=False)
            for name in ("local", "ray")}
    local, on_ray = (sorted(p.name for p in runs[n].records) for n in ("local", "ray"))
    assert local == on_ray and len(local) == 7  # 3 rows x 2 tracks, and pseudo-labelling on A+V
    for name in local:
        a, b = (json.loads((tmp_path / n / name).read_text()) for n in ("local", "ray"))
        assert a["per_seed"] == b["per_seed"] and a["scores"] == b["scores"], name
        assert a["identity"]["hash"] == b["identity"]["hash"] and b["config"]["executor"] == "ray"
        assert (tmp_path / "local" / a["predictions"]["path"]).read_bytes() == \
            (tmp_path / "ray" / b["predictions"]["path"]).read_bytes()


def _fails_on_three(item, context):
    context.at(f"trial {item}, fold 1")
    if item == 3:
        raise ValueError("diverged")
    return item


def _sleeps(seconds, context):
    time.sleep(seconds)
    return seconds


def test_a_failed_task_is_retried_then_named_and_ctrl_c_stops_the_cluster_work(cluster):
    with RayExecutor(progress=False) as executor:
        with pytest.raises(TaskFailed, match=r"sweep: task 3 failed after 2 attempt\(s\) while at trial 3, fold 1: "
                                             r"ValueError: diverged"):
            executor.map(_fails_on_three, [1, 2, 3], label="sweep", describe=lambda i: f"task {i}", retries=1)
        previous = signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        signal.alarm(3)
        try:
            with pytest.raises(KeyboardInterrupt):
                executor.map(_sleeps, [60, 60, 60], label="long")
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
        deadline = time.time() + 20
        while ray.available_resources().get("CPU", 0) < 2 and time.time() < deadline:
            time.sleep(0.2)
        assert ray.available_resources().get("CPU", 0) == 2, "the cancelled tasks gave their workers back"
