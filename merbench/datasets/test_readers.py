"""Every reader on a tiny fixture in its real layout, built from the tiny demo's clips, plus ``data check``."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from merbench.cli.main import cli
from merbench.datasets import detect_layout, normalise_emotion, open_dataset
from merbench.datasets.labels import parse_label_list, parse_valence


def _csv(path: Path, header: list[str], rows: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])
    return path


def _link(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.link(src, dst)
    return dst


@pytest.fixture(scope="module")
def clips(tiny_dataset):
    """Eight demo clips: (name, sample) pairs with their media files."""
    names = tiny_dataset.splits()["trainval"][:6] + tiny_dataset.splits()["unlabeled"][:2]
    return [(n, tiny_dataset.sample(n)) for n in names]


def test_label_aliases_and_values():
    assert [normalise_emotion(x) for x in ("Anger", "worry", "surprised", "HAPPINESS", " neutral ")] == [
        "angry", "worried", "surprise", "happy", "neutral"]
    with pytest.raises(ValueError, match="unknown emotion 'bored'"):
        normalise_emotion("bored")
    assert parse_valence("-10") is None and parse_valence("") is None and parse_valence("2.5") == 2.5
    with pytest.raises(ValueError, match="outside"):
        parse_valence("7")
    assert parse_label_list("['Happy', 'excited']") == ("happy", "excited")
    assert parse_label_list("sad, lonely，tired") == ("sad", "lonely", "tired")


def test_mertools_processed_layout_with_2023_test_corpora(tmp_path, clips):
    root = tmp_path / "processed"
    for name, s in clips:
        _link(s.video, root / "video" / f"{name}.mp4")
        _link(s.audio, root / "audio" / f"{name}.wav")
        _link(s.faces, root / "openface_face" / name / f"{name}.npy")
    train = {n: {"emo": s.label.replace("worried", "worry"), "val": s.valence} for n, s in clips[:5]}
    np.savez(root / "label-6way.npz", train_corpus=train,
             test1_corpus={clips[5][0]: {"emo": "neutral", "val": -10}},
             test2_corpus={clips[6][0]: {"emo": "neutral", "val": -10}},
             test3_corpus={clips[7][0]: {"emo": "neutral", "val": -10}})
    _csv(root / "transcription-merge.csv", ["name", "chinese"], [[n, s.subtitle] for n, s in clips])
    assert detect_layout(root) == "mer-processed"
    d = open_dataset(root, allow_pickle=True)  # the baseline pickles its label dicts: read only when asked
    assert list(d.splits()) == ["trainval", "test1", "test2", "test3", "unlabeled"]
    assert d.has_valence and d.sample(clips[0][0]).label == clips[0][1].label
    assert d.sample(clips[6][0]).label is None  # the dummy neutral of a test corpus is not a label
    assert d.sample(clips[0][0]).faces.is_file() and d.check() == []
    # converted once, the pickle-free label-6way.csv is read instead, with the same samples in the same order
    result = CliRunner().invoke(cli, ["data", "convert", str(root), "--allow-pickle"])
    assert result.exit_code == 0 and "label-6way.csv (train_corpus 5, test1_corpus 1" in " ".join(result.output.split())
    with np.load(root / "label-6way.npz", allow_pickle=False) as data:
        with pytest.raises(ValueError, match="allow_pickle"):
            data["train_corpus"]  # still pickled: the reader never opens it again
    converted = open_dataset(root)
    assert converted.splits() == d.splits() and converted.manifest_hash() == d.manifest_hash()
    assert [converted.sample(n) for n, _ in clips] == [d.sample(n) for n, _ in clips] and converted.check() == []
    (root / "label-6way.npz").unlink()
    assert detect_layout(root) == "mer-processed" and open_dataset(root).splits() == d.splits()


def test_mer2024_raw_layout(tmp_path, clips):
    root = tmp_path / "mer2024"
    for name, s in clips[:5]:
        _link(s.video, root / "video-labeled" / f"{name}.mp4")
    for name, s in clips[5:]:
        _link(s.video, root / "video-unlabeled-with-test2noise" / f"{name}.mp4")
    _csv(root / "label-disdim.csv", ["name", "discrete"], [[n, s.label] for n, s in clips[:5]])
    _csv(root / "label-transcription.csv", ["name", "chinese"], [[n, s.subtitle] for n, s in clips])
    _csv(root / "ov.csv", ["name", "openset"], [[clips[0][0], "['happy', 'relieved']"]])
    d = open_dataset(root, ov_labels=root / "ov.csv")
    assert d.name == "mer2024" and not d.has_valence
    assert d.splits()["trainval"] == [n for n, _ in clips[:5]] and len(d.splits()["unlabeled"]) == 3
    assert d.sample(clips[0][0]).ov_labels == ("happy", "relieved")
    assert d.sample(clips[1][0]).audio is None and d.check() == []


def test_mer2023_layout(tmp_path, clips):
    root = tmp_path / "mer2023"
    for name, s in clips[:5]:
        _link(s.video, root / "train" / f"{name}.mp4")
    for (name, s), folder in zip(clips[5:], ("test1", "test2", "test3")):
        _link(s.video, root / folder / f"{name}.mp4")
    _csv(root / "train-label.csv", ["name", "discrete", "valence"], [[n, s.label, s.valence] for n, s in clips[:5]])
    _csv(root / "transcription-engchi-polish.csv", ["name", "chinese", "english"],
         [[n, s.subtitle, s.subtitle_en] for n, s in clips])
    _csv(root / "test-labels.csv", ["name", "split", "discrete", "valence"], [[clips[5][0], "multi", "sad", -2.0]])
    d = open_dataset(root, test_labels=root / "test-labels.csv")
    assert d.name == "mer2023" and d.has_valence
    assert d.splits()["test3"] == d.splits()["unlabeled"] == [clips[7][0]]
    assert d.sample(clips[5][0]).label == "sad" and d.splits()["multi"] == [clips[5][0]]
    assert d.sample(clips[2][0]).subtitle_en == clips[2][1].subtitle_en and d.check() == []


def test_mer2025_track1_layout(tmp_path, clips):
    root = tmp_path / "mer2025"
    for name, s in clips:
        _link(s.video, root / "video" / f"{name}.mp4")
    _csv(root / "track1_train_disdim.csv", ["name", "discrete", "valence"], [[n, s.label, s.valence] for n, s in clips[:5]])
    _csv(root / "track_all_candidates.csv", ["name"], [[n] for n, _ in clips[5:]])
    _csv(root / "track1_subtitle_chieng.csv", ["name", "chinese", "english"], [[n, s.subtitle, s.subtitle_en] for n, s in clips])
    d = open_dataset(root)
    assert d.name == "mer2025" and {k: len(v) for k, v in d.splits().items()} == {"trainval": 5, "unlabeled": 3}
    assert d.sample(clips[6][0]).video.is_file() and d.check() == []
    # the published test labels (name,discrete in the root) give the scored candidates, split test
    _csv(root / "track1_test_dis.csv", ["name", "discrete"], [[clips[6][0], "Worried"], [clips[7][0], "happy"]])
    d = open_dataset(root)
    assert d.splits()["test"] == [clips[6][0], clips[7][0]] and len(d.splits()["unlabeled"]) == 3
    assert d.sample(clips[6][0]).label == "worried" and d.check() == []
    _csv(root / "track1_test_dis.csv", ["name", "discrete"], [["not_a_candidate", "sad"]])
    assert [p.message for p in open_dataset(root).check()] == ["unknown name 'not_a_candidate'"]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_generic_manifest(tmp_path, clips, fmt):
    rows = []
    for i, (name, s) in enumerate(clips):
        rel = _link(s.video, tmp_path / "media" / f"{name}.mp4").relative_to(tmp_path)
        rows.append(dict(name=name, video=str(rel), subtitle=s.subtitle, label=s.label if i < 5 else "",
                         valence=s.valence if i < 5 else "", split="trainval;ov" if i == 0 else "", ov_labels="happy, excited" if i == 0 else ""))
    if fmt == "csv":
        path = _csv(tmp_path / "manifest.csv", list(rows[0]), [list(r.values()) for r in rows])
    else:
        path = tmp_path / "manifest.jsonl"
        path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    d = open_dataset(path)
    assert d.name == "manifest" and d.has_valence
    assert len(d.splits()["trainval"]) == 5 and d.splits()["ov"] == [clips[0][0]] and len(d.splits()["unlabeled"]) == 3
    assert d.sample(clips[0][0]).ov_labels == ("happy", "excited")
    assert d.sample(clips[3][0]).video == (tmp_path / "media" / f"{clips[3][0]}.mp4").resolve() and d.check() == []


def test_check_reports_every_problem_on_one_line(tmp_path, clips):
    import soundfile

    root = tmp_path / "bad"
    for name, s in clips[:6]:
        _link(s.video, root / "video" / f"{name}.mp4")
        _link(s.faces, root / "openface_face" / name / f"{name}.npy")
    (root / "audio").mkdir()
    for name, s in clips[:4]:
        _link(s.audio, root / "audio" / f"{name}.wav")
    soundfile.write(root / "audio" / f"{clips[4][0]}.wav", np.zeros(4410, np.float32), 44100)  # wrong rate
    (root / "video" / f"{clips[3][0]}.mp4").unlink()
    (root / "video" / f"{clips[3][0]}.mp4").write_bytes(b"\x00" * 1000)  # corrupt
    train = {n: {"emo": s.label, "val": s.valence} for n, s in clips[:6]}
    train[clips[2][0]] = {"emo": "bored", "val": 1.0}  # unknown class
    np.savez(root / "label-6way.npz", train_corpus=train)
    _csv(root / "transcription-merge.csv", ["name", "chinese"], [[n, "" if i == 0 else s.subtitle] for i, (n, s) in enumerate(clips[:6])])
    d = open_dataset(root, allow_pickle=True)
    lines = [p.line() for p in d.check()]
    assert all("\n" not in line for line in lines)
    expected = {
        "unknown emotion 'bored'": "label-6way.npz",
        "corrupt or truncated": f"{clips[3][0]}.mp4",
        "44100 Hz": f"{clips[4][0]}.wav",
        "file not found": f"{clips[5][0]}.wav",  # audio/ exists but this clip's wav does not
        "empty subtitle": clips[0][0],
    }
    for words, where in expected.items():
        assert any(words in line and where in line for line in lines), (words, lines)
    assert len(lines) == len(expected)
    assert clips[2][0] not in d.splits()["trainval"]


def test_unknown_layout_and_names(tmp_path, tiny_dataset):
    with pytest.raises(ValueError, match="cannot tell the dataset layout"):
        open_dataset(tmp_path)
    with pytest.raises(KeyError, match="no sample 'nope'"):
        tiny_dataset.sample("nope")
