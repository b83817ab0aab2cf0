"""The data commands through click: ``demo-data``, ``data check`` (exit status, one line per problem)."""

from __future__ import annotations

import os

import numpy as np
from click.testing import CliRunner

from merbench.cli.main import cli


def test_data_check_on_the_demo(tiny_demo, tiny_dataset):
    result = CliRunner().invoke(cli, ["data", "check", str(tiny_demo)])
    assert result.exit_code == 0, result.output
    assert "trainval" in result.output and "0 error(s), 0 warning(s)" in result.output
    assert f"manifest hash: {tiny_dataset.manifest_hash()}" in result.output


def test_data_check_fails_on_errors_with_one_line_each(tiny_dataset, tmp_path):
    root = tmp_path / "broken"
    names = tiny_dataset.splits()["trainval"][:3]
    for name in names[:2]:
        (root / "video").mkdir(parents=True, exist_ok=True)
        os.link(tiny_dataset.sample(name).video, root / "video" / f"{name}.mp4")
    np.savez(root / "label-6way.npz", train_corpus={n: {"emo": "happy", "val": 1.0} for n in names})
    result = CliRunner().invoke(cli, ["data", "check", str(root), "--allow-pickle"])
    assert result.exit_code == 1
    error_lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and f"{names[2]}.mp4: sample {names[2]}: file not found" in error_lines[0]
    assert "warning: " in result.output and "transcription-merge.csv: no subtitles" in result.output


def test_data_check_unknown_path(tmp_path):
    result = CliRunner().invoke(cli, ["data", "check", str(tmp_path / "nothing")])
    assert result.exit_code == 1 and "no such dataset folder" in result.output


def test_demo_data_command_reuses_a_complete_corpus(tiny_demo):
    result = CliRunner().invoke(cli, ["demo-data", "--size", "tiny", "--out", str(tiny_demo)])
    assert result.exit_code == 0, result.output
    assert "MiB on disk" in " ".join(result.output.split())  # rich wraps at 80 columns, where depends on the path


def write_features_only_layout(root, names=("s0", "s1", "s2", "s3"), unlabeled=("t0", "t1"), feat="feat_UTT", seed=0):
    """A processed layout with ``label-6way.csv`` and ``features/<feat>/<name>.npy`` only (no media)."""
    import csv

    from merbench import EMOTIONS

    rng = np.random.default_rng(seed)
    (root / "features" / feat).mkdir(parents=True)
    with (root / "label-6way.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["corpus", "name", "emo", "val"])
        writer.writerows(["train_corpus", n, EMOTIONS[i % len(EMOTIONS)], ""] for i, n in enumerate(names))
        writer.writerows(["test1_corpus", n, "neutral", ""] for n in unlabeled)
    for n in (*names, *unlabeled):
        np.save(root / "features" / feat / f"{n}.npy", rng.standard_normal(8).astype(np.float32))
    return root


def test_data_check_features_only_layout_warns_once(tmp_path):
    root = write_features_only_layout(tmp_path / "feats")
    result = CliRunner().invoke(cli, ["data", "check", str(root)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith(("error:", "warning:"))]
    no_media = [line for line in lines if "no media: only imported features can be used; extraction will fail" in line]
    assert len(no_media) == 1 and not any(line.startswith("error:") for line in lines)
    assert "0 error(s), 2 warning(s)" in result.output  # and the missing subtitles


def test_data_check_without_media_or_features_still_errors_per_sample(tmp_path):
    root = write_features_only_layout(tmp_path / "bare")
    import shutil

    shutil.rmtree(root / "features")
    result = CliRunner().invoke(cli, ["data", "check", str(root)])
    assert result.exit_code == 1 and result.output.count("sample has no media at all") == 6
