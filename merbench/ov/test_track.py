import json

import numpy as np
import pytest

from merbench import EMOTIONS
from merbench.ov.baselines import classifier_predictions, empty_predictions, random_predictions
from merbench.ov.describers import TransformersDescriber
from merbench.ov.generation_cache import GenerationCache
from merbench.ov.track import format_table, run_ov_track


def test_baselines():
    names = ["a", "b", "c"]
    assert empty_predictions(names) == {"a": [], "b": [], "c": []}
    assert random_predictions(names, seed=3) == random_predictions(names, seed=3)
    assert all(len(v) == 1 and v[0] in EMOTIONS for v in random_predictions(names, seed=3).values())
    probs = {"a": [0.1, 0.5, 0.3, 0.05, 0.05, 0.0], "b": [0.9, 0.02, 0.02, 0.02, 0.02, 0.02]}
    assert classifier_predictions(probs) == {"a": ["angry", "happy"], "b": ["neutral"]}
    assert classifier_predictions(probs, top_k=1) == {"a": ["angry"], "b": ["neutral"]}
    with pytest.raises(ValueError, match="a: classifier probabilities must be 6 finite numbers"):
        classifier_predictions({"a": [0.5, float("nan"), 0, 0, 0, 0.5]})


def test_ov_track_end_to_end_on_the_tiny_demo(tiny_dataset, tiny_causal_lm, tmp_path):
    names = tiny_dataset.splits()["ov"]
    rng = np.random.default_rng(0)
    probs = {n: rng.dirichlet(np.ones(6)) for n in names}
    describer = TransformersDescriber(tiny_causal_lm, max_new_tokens=8, batch_size=8, device="cpu",
                                      display_name="tiny-random-lm")
    cache = GenerationCache(tmp_path / "generations.sqlite")
    rows = run_ov_track(tiny_dataset, describer=describer, grouper=["file", "offline"], seeds=[0, 1],
                        classifier_probs=probs, out=tmp_path / "runs", cache=cache)
    models = [(r["model"], r["grouping"]) for r in rows]
    assert models == [(m, g) for m in ("Empty", "Random", "Classifier top classes", "tiny-random-lm")
                      for g in ("shipped", "offline")]
    by = {(r["model"], r["grouping"]): r for r in rows}
    assert by["Empty", "shipped"]["avg"] == 0.0 and by["Empty", "shipped"]["n"] == len(names)
    assert by["Random", "offline"]["seeds"] == [0, 1] and 0 < by["Random", "offline"]["avg"] < 1
    assert by["tiny-random-lm", "shipped"]["L"] and not by["tiny-random-lm", "shipped"]["A"]
    record = json.loads((tmp_path / "runs" / "ov-Random-offline.json").read_text())
    assert record["track"] == "ov" and record["main_score"]["metric"] == "ov-avg"
    assert record["scores"]["ov-avg"]["n"] == 2
    lines = (tmp_path / "runs" / "ov-Random-offline.predictions.jsonl").read_text().splitlines()
    assert len(lines) == 2 * len(names) and "truth" in json.loads(lines[0])
    assert by["tiny-random-lm", "shipped"]["generation"]["describe"]["generated"] == len(names)
    # re-run: every generation is served from the cache and the scores are identical
    again = run_ov_track(tiny_dataset, describer=describer, grouper=["file", "offline"], seeds=[0, 1],
                         classifier_probs=probs, cache=cache)
    assert again[-1]["generation"]["describe"] == {"hits": len(names), "generated": 0, "seconds": 0.0,
                                                    "clips_per_second": None}
    assert [r["avg"] for r in again] == [r["avg"] for r in rows]
    assert format_table(rows).row_count == len(rows)


def test_ov_track_reports_missing_classifier_outputs_by_name(tiny_dataset):
    names = tiny_dataset.splits()["ov"]
    probs = {n: np.eye(6)[2] for n in names[1:]}
    rows = run_ov_track(tiny_dataset, describer=None, grouper="offline", seeds=[0], classifier_probs=probs)
    classifier = next(r for r in rows if r["model"] == "Classifier top classes")
    assert f"{names[0]}: no classifier probabilities; scored as an empty prediction" in classifier["problems"]


def test_offline_grouper_scores_like_the_demos_shipped_grouping(tiny_dataset):
    """On predictions in the demo's vocabulary the offline grouper gives the shipped grouping's scores."""
    from merbench.ov.groupers import OfflineGrouper
    from merbench.ov.scoring import score_openset
    from merbench.ov.track import make_grouper

    truth = {s.name: list(s.ov_labels) for s in tiny_dataset.samples("ov")}
    names = list(truth)
    # each sample predicts its neighbour's checked labels plus its own first one: hits and misses
    predictions = {n: truth[names[(i + 1) % len(names)]] + truth[n][:1] for i, n in enumerate(names)}
    union = {n: list(dict.fromkeys(truth[n] + predictions[n])) for n in names}
    _, shipped = make_grouper("file", tiny_dataset)
    by_shipped = score_openset(truth, predictions, shipped.group(union))
    by_offline = score_openset(truth, predictions, OfflineGrouper(embedding=False).group(union))
    assert 0 < by_shipped.avg < 1
    assert abs(by_shipped.avg - by_offline.avg) < 0.01


def test_default_groupers_follow_what_the_dataset_ships(tiny_dataset):
    rows = run_ov_track(tiny_dataset, describer=None, seeds=[0])
    assert [r["grouping"] for r in rows] == ["shipped", "offline"] * 2

    class Unpublished(type(tiny_dataset)):
        def resources(self):
            return {k: v for k, v in super().resources().items() if k != "ov_grouping"}

    bare = Unpublished(tiny_dataset.root)
    assert [r["grouping"] for r in run_ov_track(bare, describer=None, seeds=[0])] == ["offline"] * 2
    with pytest.raises(ValueError, match="ships no ov_grouping resource"):
        run_ov_track(bare, describer=None, grouper="file")


def test_prepare_generates_ahead_and_evaluate_reads_the_cache_with_the_same_predictions(
        tiny_dataset, tiny_causal_lm, tmp_path, monkeypatch):
    """The track's prepare hook (merbench run's background step) fills the generation cache; the
    evaluation then generates nothing, scores exactly as without it, and its record keeps the
    preparation's statistics."""
    from merbench import plugins
    from merbench.contracts.track import TrackPreparation
    from merbench.ov.track import prepare_track

    describer = TransformersDescriber(tiny_causal_lm, max_new_tokens=8, batch_size=8, device="cpu",
                                      display_name="tiny-random-lm")
    alone = run_ov_track(tiny_dataset, describer=describer, grouper="offline", seeds=[0],
                         cache=GenerationCache(tmp_path / "alone.sqlite"))
    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))
    track = plugins.create("track", "ov")
    request = TrackPreparation(track, {"track_params": {"ov": {"describer": describer}}}, tiny_dataset)
    prepared = prepare_track(request)
    n = len(tiny_dataset.splits()["ov"])
    assert prepared["describe"]["generated"] == n  # extraction prompts repeat: each distinct one runs once
    assert 1 <= prepared["extract"]["generated"] <= n
    rows = run_ov_track(tiny_dataset, describer=describer, grouper="offline", seeds=[0], out=tmp_path / "runs",
                        prepared=prepared)
    assert rows[-1]["generation"]["describe"]["generated"] == 0 and rows[-1]["clips_per_second"] > 0
    assert [r["avg"] for r in rows] == [r["avg"] for r in alone]
    record = json.loads((tmp_path / "runs" / "ov-tiny-random-lm-offline.json").read_text())
    assert record["extra"]["prepared"] == prepared
    assert prepare_track(TrackPreparation(track, {"track_params": {"ov": {"describer": None}}}, tiny_dataset)) is None


@pytest.mark.slow
def test_the_ov_track_alone_takes_its_classifier_baseline_from_the_rows_trained_for_it(tiny_demo, tmp_path, monkeypatch):
    """With no track that scores rows, the trained row has no scores; the OV track still reads its models."""
    from merbench.runner.run import run

    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))
    config = {"dataset": str(tiny_demo), "tracks": ["ov"], "encoders": {"audio": ["egemaps"]}, "combinations": [],
              "unimodal": True, "trials": 1, "epochs": 2, "seeds": [0], "out": str(tmp_path / "out"),
              "track_params": {"ov": {"describer": None}}}
    result = run(config, progress=False)
    models = {row["model"]: row for row in result.outcomes["ov"].rows}
    assert set(models) == {"Empty", "Random", "Classifier top classes"}
    assert models["Classifier top classes"]["A"] and not models["Classifier top classes"]["L"]
    # with a combination the last row is the combination, and the feature rows nothing scores are not trained
    both = {**config, "encoders": {"audio": ["egemaps"], "text": ["minilm-l6-v2"]},
            "combinations": [["audio", "text"]], "out": str(tmp_path / "out2")}
    result = run(both, progress=False)
    classifier = [row for row in result.outcomes["ov"].rows if row["model"] == "Classifier top classes"]
    assert classifier and all(row["A"] and row["L"] and not row["V"] for row in classifier)
    # no row to train at all: the baselines that need none are still scored
    result = run({**config, "unimodal": False, "out": str(tmp_path / "out3")}, progress=False)
    assert {row["model"] for row in result.outcomes["ov"].rows} == {"Empty", "Random"}


def test_ov_records_carry_an_identity_equal_for_equal_runs_and_naming_the_classifier_s_models(tiny_demo, tmp_path,
                                                                                                 monkeypatch):
    """Two runs alike, in other folders, give OV records of one identity; other classifier models another."""
    from pathlib import Path

    from merbench.results.diff import SAME, explain
    from merbench.runner.run import run

    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))
    config = {"dataset": str(tiny_demo), "tracks": ["ov"], "encoders": {"audio": ["egemaps"]}, "combinations": [],
              "unimodal": True, "trials": 1, "epochs": 2, "seeds": [0], "track_params": {"ov": {"describer": None}}}

    def records(out: str, **changes) -> dict[str, dict]:
        result = run({**config, **changes, "out": str(tmp_path / out)}, progress=False)
        return {Path(p).stem: json.loads(Path(p).read_text()) for p in result.outcomes["ov"].records}

    first, again, other = records("a"), records("b"), records("c", epochs=3)
    classifier = next(name for name in first if name.startswith("ov-Classifier"))
    assert all(explain(first[n], again[n]) == [SAME] for n in first)
    assert first[classifier]["identity"]["parts"]["classifier"]  # the hash of the run's models
    assert [line.split(":")[0] for line in explain(first[classifier], other[classifier])] == ["classifier"]
    random = next(name for name in first if name.startswith("ov-Random"))
    assert explain(first[random], other[random]) == [SAME]  # the Random baseline reads no model

    # the same run on a copy whose OV labels were corrected: another identity, for every baseline
    import shutil

    corpus = shutil.copytree(tiny_demo, tmp_path / "relabelled")
    labels = corpus / "extras" / "ov-labels.csv"
    lines = labels.read_text().splitlines()
    name, _ = lines[1].split(",", 1)
    labels.write_text("\n".join([lines[0], f'{name},"happy"', *lines[2:]]) + "\n")
    relabelled = records("d", dataset=str(corpus))
    assert [line.split(":")[0] for line in explain(first[random], relabelled[random])] == [
        "data.labels", "dataset.manifest_hash"]
