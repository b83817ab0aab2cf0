"""MER2023 tracks on a MER2023-layout fixture: MULTI (WAF, MSE, combined), NOISE and SEMI columns, combined
as the main score; the dataset's own protocol (mer2023) is chosen by default."""

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
def mer2023_root(tiny_dataset, tmp_path_factory):
    """The tiny demo's clips laid out as the MER2023 release: train/, test1-3/, labels, transcripts, test labels."""
    root = tmp_path_factory.mktemp("mer2023")
    splits = tiny_dataset.splits()
    train = splits["trainval"]
    tests = {"test1": splits["semi"], "test2": splits["noise"], "test3": splits["unlabeled"]}
    for folder, names in [("train", train), *tests.items()]:
        (root / folder).mkdir()
        for n in names:
            os.link(tiny_dataset.sample(n).video, root / folder / f"{n}.mp4")
    samples = {n: tiny_dataset.sample(n) for n in dict.fromkeys(train + [n for v in tests.values() for n in v])}
    _csv(root / "train-label.csv", ["name", "discrete", "valence"], [[n, samples[n].label, samples[n].valence] for n in train])
    _csv(root / "transcription-engchi-polish.csv", ["name", "chinese", "english"],
         [[n, s.subtitle, s.subtitle_en] for n, s in samples.items()])
    labeled = [("multi", n) for n in splits["semi"]] + [("noise", n) for n in splits["noise"]] + \
              [("semi", n) for n in splits["semi"]]
    _csv(root / "test-labels.csv", ["name", "split", "discrete", "valence"],
         [[n, split, samples[n].label, samples[n].valence] for split, n in labeled])
    return root


@pytest.mark.slow
def test_mer2023_layout_runs_its_own_tracks_with_combined_as_main_score(mer2023_root, tmp_path, monkeypatch):
    from merbench.cli.main import cli
    from merbench.datasets import open_dataset

    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))
    config = tmp_path / "run.yaml"
    config.write_text(f"dataset: {mer2023_root}\nencoders: {{audio: [egemaps], visual: [fer-mini-xception]}}\n"
                      f"dataset_params: {{test_labels: {mer2023_root / 'test-labels.csv'}}}\n")
    assert open_dataset(mer2023_root, test_labels=mer2023_root / "test-labels.csv").splits()["multi"]
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", "--config", str(config), "--trials", "1", "--epochs", "2", "--seeds", "2",
                                      "--out", str(out), "--no-progress"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "protocol mer2023" in result.output
    for heading in ("MULTI WAF", "MULTI MSE", "MULTI COMBINED", "NOISE COMBINED", "SEMI WAF", "Train&Val COMBINED"):
        assert heading in result.output, heading
    multi = json.loads((out / "mer2023-multi-attention-A+V.json").read_text())
    assert multi["main_score"]["metric"] == "combined" and {"waf", "mse", "combined"} <= set(multi["scores"])
    per_seed = multi["per_seed"][0]["scores"]
    assert per_seed["combined"] == pytest.approx(per_seed["waf"] - 0.25 * per_seed["mse"])
    noise = json.loads((out / "mer2023-noise-attention-A+V.json").read_text())
    assert noise["main_score"]["metric"] == "combined" and noise["dataset"]["corruption"] is None  # released as is
    semi = json.loads((out / "mer2023-semi-attention-A+V.json").read_text())
    assert semi["main_score"]["metric"] == "waf" and "mse" not in semi["scores"]
    assert multi["config"]["train"]["select"] == "combined" and multi["extra"]["valence_head"] is True
