"""The generated demo corpus: layouts, splits, determinism and both readers over it."""

from __future__ import annotations

import csv
import json

import numpy as np

from merbench import EMOTIONS
from merbench.datasets import open_dataset
from merbench.datasets.demo import corpus
from merbench.media import read_audio, read_faces, read_frames


def test_tiny_has_every_split_and_resource(tiny_dataset):
    splits = tiny_dataset.splits()
    assert {k: len(v) for k, v in splits.items()} == {"trainval": 30, "semi": 4, "noise": 4, "ov": 8, "unlabeled": 12}
    assert set(splits["semi"]) | set(splits["noise"]) <= set(splits["unlabeled"])
    assert not set(splits["semi"]) & set(splits["noise"])
    assert set(splits["ov"]) <= set(splits["trainval"])
    assert {tiny_dataset.sample(n).label for n in splits["trainval"]} == set(EMOTIONS)
    for name in splits["trainval"] + splits["semi"] + splits["noise"]:
        s = tiny_dataset.sample(name)
        assert s.label in EMOTIONS and -5 <= s.valence <= 5
        assert s.subtitle and s.subtitle_en
    for name in splits["ov"]:
        assert 1 <= len(tiny_dataset.sample(name).ov_labels) <= 4
    res = tiny_dataset.resources()
    assert len(list(res["noise_bank"].glob("*.wav"))) == 3
    grouping = json.loads(res["ov_grouping"].read_text())
    assert set(grouping) == set(splits["ov"])
    vocabulary = set(json.loads(res["ov_vocabulary"].read_text()))
    for name in splits["ov"]:
        assert set(tiny_dataset.sample(name).ov_labels) <= vocabulary
    assert tiny_dataset.check() == []


def test_clips_are_real_media_of_the_right_shape(tiny_dataset):
    sample = tiny_dataset.sample(tiny_dataset.splits()["trainval"][0])
    audio = read_audio(sample.audio)
    assert corpus.MIN_SECONDS <= len(audio) / 16000 <= corpus.MAX_SECONDS
    frames, fps = read_frames(sample.video)
    assert fps == corpus.FPS and frames.shape[1:] == (corpus.FRAME_SIZE, corpus.FRAME_SIZE, 3)
    assert abs(len(frames) / fps - len(audio) / 16000) < 0.2
    assert abs(len(read_audio(sample.video)) - len(audio)) < 2048  # the mp4 carries the same speech
    faces = read_faces(sample.faces)
    assert faces.shape[1:] == (112, 112, 3) and len(faces) == -(-len(frames) // corpus.FACE_EVERY)
    assert faces.std() > 20  # a face, not a blank


def test_raw_twin_reads_the_same_clips(tiny_demo, tiny_dataset):
    raw = open_dataset(tiny_demo / "raw")
    assert raw.name == "mer2024" and raw.check() == []
    assert raw.splits()["trainval"] == tiny_dataset.splits()["trainval"]
    assert raw.splits()["unlabeled"] == tiny_dataset.splits()["unlabeled"]
    name = raw.splits()["trainval"][3]
    a, b = raw.sample(name), tiny_dataset.sample(name)
    assert (a.label, a.valence, a.subtitle) == (b.label, b.valence, b.subtitle)
    assert a.video.read_bytes() == b.video.read_bytes() and a.audio is None
    twin = open_dataset(tiny_demo, layout="raw")
    assert twin.splits()["semi"] == tiny_dataset.splits()["semi"]


def test_processed_twin_has_the_baseline_label_file(tiny_demo):
    data = np.load(tiny_demo / "processed" / "label-6way.npz", allow_pickle=True)
    train = data["train_corpus"].item()
    assert len(train) == 30 and set(next(iter(train.values()))) == {"emo", "val"}
    processed = open_dataset(tiny_demo / "processed")  # from the pickle-free label-6way.csv, no flag needed
    assert processed.name == "mer-processed" and processed.has_valence
    assert processed.splits() == open_dataset(tiny_demo / "processed", allow_pickle=True).splits()
    # a corpus written before the pickle-free copy existed gets it from its plan, not by unpickling
    copy = tiny_demo / "processed" / "label-6way.csv"
    written = copy.read_bytes()
    copy.unlink()
    try:
        corpus.generate(tiny_demo, size="tiny", seed=0)
        assert copy.read_bytes() == written
    finally:
        if not copy.is_file():  # the corpus is shared by the session's tests
            copy.write_bytes(written)
    assert processed.splits()["test1"] == processed.splits()["unlabeled"]
    assert all(processed.sample(n).label is None for n in processed.splits()["unlabeled"])


def test_generation_is_deterministic_and_seeded(tiny_demo, tmp_path):
    again = corpus.plan("tiny", 0)
    with (tiny_demo / "extras" / "generation.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["emotion"] for r in rows] == [c.emotion for c in again["clips"]]
    assert corpus.plan("tiny", 1)["clips"] != again["clips"]
    clip = again["clips"][5]
    corpus.render_clip(clip, again["speakers"][clip.speaker], 0, tmp_path)
    name = clip.name
    for rel in (f"video/{name}.mp4", f"audio/{name}.wav", f"openface_face/{name}/{name}.npy"):
        assert (tmp_path / rel).read_bytes() == (tiny_demo / "processed" / rel).read_bytes(), rel


def test_manifest_hash_is_stable_and_layout_specific(tiny_demo, tiny_dataset):
    from merbench.datasets.demo.reader import DemoDataset

    assert DemoDataset(tiny_demo).manifest_hash() == tiny_dataset.manifest_hash()
    assert DemoDataset(tiny_demo, layout="raw").manifest_hash() != tiny_dataset.manifest_hash()


def test_generate_refuses_a_different_corpus(tiny_demo):
    import pytest

    with pytest.raises(FileExistsError, match="different demo corpus"):
        corpus.generate(tiny_demo, size="standard", seed=0)
    assert corpus.generate(tiny_demo, size="tiny", seed=0) == tiny_demo  # complete: returned as is


def test_shipped_grouping_puts_class_names_and_noun_forms_with_their_synonyms():
    from merbench.datasets.demo.script import OV_GROUPING_EXTRAS, ov_grouping

    groups = ov_grouping()
    words = [w for g in groups for w in g]
    assert len(words) == len(set(words)), "a label may belong to one group only"
    head_of = {w: g[0] for g in groups for w in g}
    assert head_of["surprise"] == head_of["surprised"] and head_of["sadness"] == "sad"
    assert all(head_of[w] == head for head, extra in OV_GROUPING_EXTRAS.items() for w in extra)


def test_a_regeneration_is_byte_identical_file_by_file(tiny_demo, tmp_path):
    """Another folder, one worker instead of several: every file, demo.json included, has the same bytes."""
    import hashlib
    import json

    again = corpus.generate(tmp_path / "again", size="tiny", seed=0, workers=1)

    def hashes(root):
        return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}

    assert hashes(again) == hashes(tiny_demo)
    info = json.loads((tiny_demo / "demo.json").read_text())
    assert "seconds" not in info and info["media_sha256"] == corpus.media_digest(tiny_demo)
    assert info["tools"]["espeak-ng"] and info["tools"]["ffmpeg"]["libavcodec"]


def test_a_cached_corpus_of_an_older_generator_is_regenerated_and_a_stale_partial_is_not_resumed(tiny_demo, tmp_path):
    """``replace_older`` (merbench's own cache) regenerates an older version in place; clips left in
    ``<out>.partial`` by an interrupted run of another version are not mixed into the new corpus."""
    import hashlib
    import json
    import shutil

    import pytest

    old = tmp_path / "tiny-seed0"
    shutil.copytree(tiny_demo, old)
    info = json.loads((old / "demo.json").read_text())
    (old / "demo.json").write_text(json.dumps({**info, "version": "4"}))
    name = json.loads((tiny_demo / "demo.json").read_text())["splits"]["trainval"][0]
    stale = tmp_path / "tiny-seed0.partial" / "processed" / "video" / f"{name}.mp4"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"an earlier version's clip")
    with pytest.raises(FileExistsError, match="version 4"):
        corpus.generate(old, size="tiny", seed=0)
    assert corpus.generate(old, size="tiny", seed=0, replace_older=True, workers=1) == old

    def hashes(root):
        return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}

    assert hashes(old) == hashes(tiny_demo)
    assert json.loads((old / "demo.json").read_text())["version"] == corpus.GENERATOR_VERSION
    assert not (tmp_path / "tiny-seed0.partial").exists()
