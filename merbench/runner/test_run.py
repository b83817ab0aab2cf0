"""End to end on the tiny demo corpus with a minimal budget: records, predictions, tables, submission."""

import json

import pytest

from merbench.results.export import record_tables
from merbench.results.tables import paper_tables, scores_table
from merbench.runner.run import run
from merbench.results.submit import write_submission


@pytest.mark.slow
def test_run_trainval_and_semi_on_tiny_demo(tiny_demo, tmp_path, monkeypatch):
    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))
    config = {"dataset": str(tiny_demo), "encoders": {"audio": ["egemaps"], "visual": ["fer-mini-xception"]},
              "tracks": ["trainval", "semi"], "trials": 1, "seeds": [0], "epochs": 2, "unbiased": False,
              "search_space": {"hidden_dim": [16], "lr": [1e-3], "dropout": [0.2]}, "out": str(tmp_path / "out")}
    result = run(config, progress=False)
    assert [r.key for r in result.rows] == ["egemaps", "fer-mini-xception", "A+V"]
    names = sorted(p.name for p in result.records)
    assert "semi+pseudo-label-attention-A+V.json" in names and "trainval-attention-egemaps.json" in names
    record = json.loads((tmp_path / "out" / "semi-attention-A+V.json").read_text())
    assert record["track"] == "semi" and {"waf", "acc"} <= set(record["scores"])  # + mse, combined: the demo has valence
    lines = (tmp_path / "out" / record["predictions"]["path"]).read_text().splitlines()
    splits = {json.loads(line)["split"] for line in lines}
    assert splits == {"semi", "unlabeled"} and all("name" in json.loads(line) for line in lines)
    assert all(set(json.loads(line)["weights"]) == {"audio", "visual"} for line in lines)  # the attention weights
    trainval = json.loads((tmp_path / "out" / "trainval-attention-A+V.json").read_text())
    assert all(len(fold["curve"]["waf"]) == 2 for fold in trainval["per_seed"][0]["folds"])  # one score per epoch
    assert scores_table(result.rows, "combination", "t", result.scored).row_count == 1
    # the exports rebuild from the records the very tables the run printed
    assert record_tables(tmp_path / "out") == [t for t in paper_tables(result.rows, result.scored) if t.rows]
    from merbench.datasets import open_dataset

    pool = open_dataset(str(tiny_demo)).splits()["unlabeled"]
    sub = write_submission(tmp_path / "out" / "semi-attention-A+V.json", tmp_path / "sub.csv", split="unlabeled",
                           expected_names=pool)
    assert len(sub.read_text().splitlines()) == len(pool) + 1


@pytest.mark.slow
def test_noise_track_uses_a_released_noise_split_as_is(tiny_demo, tmp_path, monkeypatch):
    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))
    from merbench import plugins
    from merbench.hookspecs import hookimpl

    seen = []

    class Watcher:  # the lifecycle hooks fire around a run
        @hookimpl
        def merbench_configure(self, config):
            seen.append("configure")

        @hookimpl
        def merbench_run_start(self, run):
            seen.append("start")

        @hookimpl
        def merbench_run_finish(self, run, records):
            seen.append(("finish", len(records)))

    plugins.get_manager().pm.register(Watcher(), name="watcher")
    try:
        config = {"dataset": str(tiny_demo), "encoders": {"audio": ["egemaps"]}, "tracks": ["noise"], "trials": 1,
                  "seeds": [0], "epochs": 1, "unbiased": False, "corrupt": False,
                  "search_space": {"hidden_dim": [16], "lr": [1e-3], "dropout": [0.2]}, "out": str(tmp_path / "out")}
        result = run(config, progress=False)
    finally:
        plugins.get_manager().pm.unregister(name="watcher")
    record = json.loads((tmp_path / "out" / "noise-attention-egemaps.json").read_text())
    from merbench.datasets import open_dataset

    assert record["dataset"]["corruption"] is None
    assert record["dataset"]["manifest_hash"] == open_dataset(str(tiny_demo)).manifest_hash()
    assert seen[:2] == ["configure", "start"] and seen[-1] == ("finish", len(result.records))


def test_an_unwritable_out_folder_fails_before_any_work(tmp_path, monkeypatch):
    from merbench.runner.run import RunError

    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    with pytest.raises(RunError, match="cannot write the run's records there"):
        run({"dataset": "demo:tiny", "out": str(blocked / "out")}, progress=False)
    assert not (tmp_path / "cache").exists()  # nothing was generated or extracted


@pytest.mark.slow
def test_a_rerun_with_the_same_out_reads_finished_rows_back_and_an_interrupt_keeps_them(tiny_demo, tmp_path, monkeypatch):
    from merbench.runner import run as run_module

    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))
    config = {"dataset": str(tiny_demo), "encoders": {"audio": ["egemaps"], "visual": ["fer-mini-xception"]},
              "tracks": ["trainval", "semi"], "trials": 1, "seeds": [0], "epochs": 2,
              "search_space": {"hidden_dim": [16], "lr": [1e-3], "dropout": [0.2]}, "out": str(tmp_path / "out")}
    first = run(config, progress=False)
    tables = {r.key: r.scores for r in first.rows}

    trained = []
    original = run_module.RowTrainer.train
    monkeypatch.setattr(run_module.RowTrainer, "train", lambda self, row: (trained.append(row.key), original(self, row)))
    again = run(config, progress=False)
    assert trained == [] and {r.key: r.scores for r in again.rows} == tables
    assert sorted(p.name for p in again.records) == sorted(p.name for p in first.records)
    assert any("read back" in note for note in again.notes)

    # a changed config is another identity: every row trains again
    run({**config, "epochs": 3}, progress=False)
    assert trained == ["egemaps", "fer-mini-xception", "A+V"]

    # interrupted during the second row: the first row's records stay, the resumed run trains only the rest
    out2 = tmp_path / "out2"
    calls = []

    def interrupt_second(self, row):
        calls.append(row.key)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, row)

    monkeypatch.setattr(run_module.RowTrainer, "train", interrupt_second)
    with pytest.raises(KeyboardInterrupt):
        run({**config, "out": str(out2)}, progress=False)
    assert {p.name for p in out2.glob("*.json")} == {"trainval-attention-egemaps.json", "semi-attention-egemaps.json"}
    trained.clear()
    monkeypatch.setattr(run_module.RowTrainer, "train", lambda self, row: (trained.append(row.key), original(self, row)))
    resumed = run({**config, "out": str(out2)}, progress=False)
    assert trained == ["fer-mini-xception", "A+V"]
    assert {r.key: r.scores for r in resumed.rows} == tables


@pytest.mark.slow
def test_a_label_fix_is_another_identity_while_the_features_stay_cached(tiny_demo, tmp_path, monkeypatch):
    """Feature caches key on the media alone (a label fix keeps them); the records' identity must still
    cover the labels, or a re-run after a label fix would read the old scores back as finished."""
    import csv
    import shutil

    from merbench.runner import run as run_module

    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))
    corpus = shutil.copytree(tiny_demo, tmp_path / "corpus")
    config = {"dataset": str(corpus), "encoders": {"audio": ["egemaps"]}, "tracks": ["trainval"], "trials": 1,
              "seeds": [0], "epochs": 1, "search_space": {"hidden_dim": [16], "lr": [1e-3], "dropout": [0.2]},
              "out": str(tmp_path / "out")}
    before = json.loads(run(config, progress=False).records[0].read_text())
    labels = corpus / "processed" / "label-6way.csv"
    rows = list(csv.DictReader(labels.open()))
    rows[0]["emo"] = "sad" if rows[0]["emo"] != "sad" else "happy"  # one corrected label
    with labels.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    trained = []
    original = run_module.RowTrainer.train
    monkeypatch.setattr(run_module.RowTrainer, "train", lambda self, row: (trained.append(row.key), original(self, row)))
    again = run(config, progress=False)
    assert trained == ["egemaps"], "the relabelled row must train again, not be read back"
    assert not any("read back" in note for note in again.notes)
    after = json.loads(again.records[0].read_text())
    assert before["identity"]["hash"] != after["identity"]["hash"]
    assert before["dataset"]["manifest_hash"] != after["dataset"]["manifest_hash"]
    assert before["identity"]["parts"]["features"] == after["identity"]["parts"]["features"], "same feature caches"
    from merbench.results.diff import explain

    assert [line.split(":")[0] for line in explain(before, after)] == ["splits.trainval.labels", "dataset.manifest_hash"]
