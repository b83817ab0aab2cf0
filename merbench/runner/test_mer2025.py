"""MER2025 track 1 on a MER2025-layout fixture: the dataset's protocol (mer2025) is chosen by default, the
Train&Val records carry the fold models' predictions of every test candidate, and `merbench submit` turns
them into the ``name,discrete`` file the official scorer reads, scored as the test track scores it."""

import csv
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner


def _csv(path: Path, header, rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])


@pytest.fixture(scope="module")
def mer2025_root(tiny_dataset, tmp_path_factory):
    """The tiny demo's clips laid out as the MER2025 track 1 release: video/, the labeled training set, the
    test candidates (in a shuffled order, as the release lists them), the subtitles; no test labels yet."""
    root = tmp_path_factory.mktemp("mer2025")
    splits = tiny_dataset.splits()
    train, candidates = splits["trainval"], splits["unlabeled"][::-1]
    (root / "video").mkdir()
    for n in train + candidates:
        os.link(tiny_dataset.sample(n).video, root / "video" / f"{n}.mp4")
    samples = {n: tiny_dataset.sample(n) for n in train + candidates}
    _csv(root / "track1_train_disdim.csv", ["name", "discrete", "valence"],
         [[n, samples[n].label, samples[n].valence] for n in train])
    _csv(root / "track_all_candidates.csv", ["name"], [[n] for n in candidates])
    _csv(root / "track1_subtitle_chieng.csv", ["name", "chinese", "english"],
         [[n, s.subtitle, s.subtitle_en] for n, s in samples.items()])
    return root


@pytest.mark.slow
def test_mer2025_trainval_predicts_every_candidate_and_submits_what_the_test_track_scores(
        mer2025_root, tiny_dataset, tmp_path, monkeypatch):
    import pandas as pd
    from sklearn.metrics import f1_score

    from merbench.cli.main import cli

    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))
    config = tmp_path / "run.yaml"
    config.write_text(f"dataset: {mer2025_root}\nencoders: {{audio: [egemaps], visual: [fer-mini-xception]}}\n")
    args = ["run", "--config", str(config), "--trials", "1", "--epochs", "2", "--seeds", "1", "--no-progress"]
    before = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "before")], catch_exceptions=False)
    assert before.exit_code == 0, before.output
    assert "protocol mer2025" in before.output
    assert "track mer2025-test skipped: dataset" in before.output and "no 'test' split" in before.output
    assert not list((tmp_path / "before").glob("mer2025-test-*.json"))

    # the labels published after the challenge: a name,discrete file in the release's root
    scored = tiny_dataset.splits()["semi"]
    truth = {n: tiny_dataset.sample(n).label for n in scored}
    _csv(mer2025_root / "track1_test_dis.csv", ["name", "discrete"], [[n, truth[n]] for n in scored])
    try:
        out = tmp_path / "out"
        result = CliRunner().invoke(cli, [*args, "--out", str(out)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert "TEST WAF" in result.output and "skipped" not in result.output
        trainval = out / "mer2025-trainval-attention-A+V.json"
        record = json.loads(trainval.read_text())
        assert record["protocol"]["name"] == "mer2025" and record["main_score"]["metric"] == "waf"
        rows = [json.loads(line) for line in (out / record["predictions"]["path"]).read_text().splitlines()]
        candidates = pd.read_csv(mer2025_root / "track_all_candidates.csv")["name"].tolist()
        assert sorted(r["name"] for r in rows if r["split"] == "unlabeled") == sorted(candidates)

        submission = tmp_path / "submission.csv"
        done = CliRunner().invoke(cli, ["submit", str(trainval), "--dataset", str(mer2025_root), "--format", "mer2025",
                                        "--out", str(submission)], catch_exceptions=False)
        assert done.exit_code == 0, done.output
        written = pd.read_csv(submission)  # as the official scorer reads it
        assert list(written.columns) == ["name", "discrete"] and written["name"].tolist() == candidates
        predicted = dict(zip(written["name"], written["discrete"]))
        test = json.loads((out / "mer2025-test-attention-A+V.json").read_text())
        waf = f1_score([truth[n] for n in scored], [predicted[n] for n in scored], average="weighted")
        assert test["scores"]["waf"]["mean"] == pytest.approx(waf, abs=1e-12)  # one seed: the same fold models
    finally:
        (mer2025_root / "track1_test_dis.csv").unlink()
