"""corrupt_dataset on a small on-disk dataset: layout, log, determinism, resume, refusal, bad clips."""

from __future__ import annotations

import json

import numpy as np
import pytest

from merbench.corrupt import CorruptedDataset, CorruptionError, corrupt_dataset
from merbench.corrupt.audio import snr_db
from merbench.corrupt.conftest import FolderDataset
from merbench.media import read_audio, read_faces, read_frames


@pytest.fixture
def clean(clean_root):
    return FolderDataset(clean_root, [f"clip_{i}" for i in range(4)])


def _steps(clean):
    return [("speech-noise", {"bank": str(clean.root / "bank"), "snr": [5, 10]}), ("blur", {"r": [1, 2]})]


def test_writes_a_readable_logged_dataset(clean, tmp_path):
    noisy = corrupt_dataset(clean, "noise", _steps(clean), seed=1, out=tmp_path / "out", workers=1, progress=False)
    assert isinstance(noisy, CorruptedDataset)
    assert noisy.corruption["seed"] == 1 and [s["name"] for s in noisy.corruption["steps"]] == ["speech-noise", "blur"]
    assert noisy.manifest_hash() != clean.manifest_hash()
    assert noisy.source["media_hash"] == clean.media_hash("noise") and noisy.media_hash() != clean.media_hash("noise")
    assert noisy.splits() == {"noise": clean.splits()["noise"]}
    for name in clean.splits()["noise"]:
        s, c = noisy.sample(name), clean.sample(name)
        assert (s.label, s.subtitle, s.ov_labels) == (c.label, c.subtitle, c.ov_labels)
        log = noisy.clip_log(name)
        assert log[0]["snr"] in (5, 10) and log[0]["noise_files"] and "offset" in log[0] and log[1]["r"] in (1, 2)
        if not log[0]["rescaled"]:
            assert snr_db(read_audio(c.audio), read_audio(s.audio) - read_audio(c.audio)) == pytest.approx(log[0]["snr"], abs=0.1)
        frames, fps = read_frames(s.video)
        assert frames.shape == (6, 64, 80, 3) and fps == pytest.approx(4.0)
        assert read_faces(s.faces).shape == (5, 112, 112, 3)
        assert len(read_audio(s.video)) == pytest.approx(24000, abs=1024)  # the mp4 carries the noisy audio too
    combined = json.loads((tmp_path / "out" / "corruption-log.json").read_text())
    assert set(combined["clips"]) == set(clean.splits()["noise"])
    assert (tmp_path / "out" / "transcription-merge.csv").read_text(encoding="utf-8").startswith("name,chinese")
    reopened = CorruptedDataset(tmp_path / "out")
    assert reopened.manifest_hash() == noisy.manifest_hash()
    from merbench.datasets import detect_layout

    assert detect_layout(tmp_path / "out") == "corrupted"  # opens without --reader


def test_same_seed_is_byte_identical_across_workers_and_another_seed_differs(clean, tmp_path):
    a = corrupt_dataset(clean, "noise", _steps(clean), seed=3, out=tmp_path / "a", workers=1, progress=False)
    b = corrupt_dataset(clean, "noise", _steps(clean), seed=3, out=tmp_path / "b", workers=2, progress=False)
    c = corrupt_dataset(clean, "noise", _steps(clean), seed=4, out=tmp_path / "c", workers=1, progress=False)
    for name in clean.splits()["noise"]:
        assert a.sample(name).audio.read_bytes() == b.sample(name).audio.read_bytes()
        assert np.array_equal(read_frames(a.sample(name).video)[0], read_frames(b.sample(name).video)[0])
        assert a.clip_log(name) == b.clip_log(name)
    assert any(a.sample(n).audio.read_bytes() != c.sample(n).audio.read_bytes() for n in clean.splits()["noise"])
    assert a.manifest_hash() != c.manifest_hash()


def test_rerun_resumes_and_other_steps_are_refused(clean, tmp_path):
    out = tmp_path / "out"
    first = corrupt_dataset(clean, "noise", _steps(clean), seed=1, out=out, workers=1, progress=False)
    done = first.sample("clip_0").audio
    stamp = done.stat().st_mtime_ns
    (out / "log" / "clip_1.json").unlink()  # as if killed before clip_1 finished
    again = corrupt_dataset(clean, "noise", _steps(clean), seed=1, out=out, workers=1, progress=False)
    assert done.stat().st_mtime_ns == stamp
    assert json.loads((out / "corruption-log.json").read_text())["reused"] == 3
    assert again.clip_log("clip_1") == first.clip_log("clip_1")
    with pytest.raises(CorruptionError, match="different corruption steps/seed"):
        corrupt_dataset(clean, "noise", _steps(clean), seed=2, out=out, workers=1, progress=False)


def test_a_noise_bank_read_from_another_folder_keys_the_same_clips_and_features(clean, tmp_path, monkeypatch):
    import shutil

    from merbench.cache.extract import resolve

    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))  # where out=None puts corrupted sets
    here, there = tmp_path / "here", tmp_path / "there"
    for bank in (here, there):
        shutil.copytree(clean.root / "bank", bank)

    def steps(bank):
        return [("speech-noise", {"bank": str(bank), "snr": [5, 10]}), ("blur", {"r": [1, 2]})]

    first = corrupt_dataset(clean, "noise", steps(here), seed=1, out=None, workers=1, progress=False)
    moved = corrupt_dataset(clean, "noise", steps(there), seed=1, out=None, workers=1, progress=False)
    assert moved.root == first.root, "the same corrupted set, not a second copy"
    assert json.loads((moved.root / "corruption-log.json").read_text())["reused"] == len(clean.splits()["noise"])
    assert moved.corruption == first.corruption and "bank" not in moved.corruption["steps"][0]["params"]
    assert moved.manifest_hash() == first.manifest_hash()
    assert resolve(moved, "egemaps").key == resolve(first, "egemaps").key, "features extracted once serve both"
    header = json.loads((moved.root / "corruption.json").read_text())
    assert header["corruption"]["steps"][0]["params"]["bank"] == str(there), "the header says where it was read from"


class RelabelledFolderDataset(FolderDataset):
    """The same clips with every label corrected: other labels, the same media."""

    def sample(self, name):
        from dataclasses import replace

        return replace(super().sample(name), label="sad", ov_labels=("sad",))


def test_a_label_fix_keeps_the_corrupted_clips_and_carries_the_new_labels(clean, tmp_path, monkeypatch):
    from merbench.cache.extract import resolve

    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))
    relabelled = RelabelledFolderDataset(clean.root, clean.splits()["noise"])
    assert relabelled.manifest_hash() != clean.manifest_hash() and relabelled.media_hash("noise") == clean.media_hash("noise")
    first = corrupt_dataset(clean, "noise", _steps(clean), seed=1, out=None, workers=1, progress=False)
    stamps = {p: p.stat().st_mtime_ns for p in (first.root / "audio").iterdir()}
    fixed = corrupt_dataset(relabelled, "noise", _steps(clean), seed=1, out=None, workers=1, progress=False)
    assert fixed.root == first.root, "the same corrupted set, not a second copy"
    assert json.loads((fixed.root / "corruption-log.json").read_text())["reused"] == len(clean.splits()["noise"])
    assert {p: p.stat().st_mtime_ns for p in (fixed.root / "audio").iterdir()} == stamps, "no clip corrupted again"
    assert {fixed.sample(n).label for n in fixed.splits()["noise"]} == {"sad"}, "the header holds the fixed labels"
    assert fixed.manifest_hash() != first.manifest_hash(), "records tell the label sets apart"
    assert fixed.labels_hash("noise") != first.labels_hash("noise"), "and so are its records' identities"
    assert resolve(fixed, "egemaps").key == resolve(first, "egemaps").key, "and the features stay cached"


def test_a_set_made_before_media_hashes_is_refused_with_the_fix(clean, tmp_path):
    out = tmp_path / "out"
    corrupt_dataset(clean, "noise", _steps(clean), seed=1, out=out, workers=1, progress=False)
    header = json.loads((out / "corruption.json").read_text())
    del header["source"]["media_hash"]
    (out / "corruption.json").write_text(json.dumps(header))
    with pytest.raises(CorruptionError, match="earlier merbench .* no media hash.*delete it and re-run"):
        corrupt_dataset(clean, "noise", _steps(clean), seed=1, out=out, workers=1, progress=False)


def test_sets_left_by_an_earlier_keying_are_listed_stale_and_only_they_are_removed(clean, tmp_path, monkeypatch):
    import hashlib
    import shutil

    from click.testing import CliRunner

    from merbench.cli.main import cli
    from merbench.corrupt.pipeline import _canonical, cached_sets

    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))
    steps = [("speech-noise", {"bank": str(clean.root / "bank"), "snr": [5, 10]}), ("blur", {"r": [1, 2]})]
    current = corrupt_dataset(clean, "noise", steps, seed=1, out=None, workers=1, progress=False).root
    header = json.loads((current / "corruption.json").read_text())
    # the folder an earlier version made for the same set: its key digested the source's full manifest
    old_key = hashlib.sha256(_canonical([clean.manifest_hash(), "noise", header["corruption"]]).encode()).hexdigest()
    old = current.parent / f"noise-{old_key[:16]}"
    shutil.copytree(current, old)
    (current.parent / "noise-half-written").mkdir()  # no header: not a set this version can read

    sets = {s["name"]: s for s in cached_sets()}
    assert {name: s["stale"] for name, s in sets.items()} == {current.name: False, old.name: True,
                                                              "noise-half-written": True}
    assert sets[current.name]["clips"] == sets[current.name]["finished"] == len(clean.splits()["noise"])
    assert sets[current.name]["media"] == clean.media_hash("noise"), "listed by the hash its folder is keyed on"
    listed = CliRunner().invoke(cli, ["cache", "corrupted"])
    assert listed.exit_code == 0 and current.name in listed.output and old.name in listed.output
    removed = CliRunner().invoke(cli, ["cache", "corrupted", "--rm-stale", "--yes"])
    assert removed.exit_code == 0 and "removed 2 stale corrupted sets" in removed.output
    assert sorted(p.name for p in current.parent.iterdir()) == [current.name]
    again = corrupt_dataset(clean, "noise", steps, seed=1, out=None, workers=1, progress=False)
    assert json.loads((again.root / "corruption-log.json").read_text())["reused"] == len(clean.splits()["noise"])


def test_bad_clip_is_named_and_finished_clips_are_kept(clean_root, tmp_path):
    broken = FolderDataset(clean_root, [f"clip_{i}" for i in range(4)], broken={"clip_2"})
    out = tmp_path / "out"
    with pytest.raises(CorruptionError) as info:
        corrupt_dataset(broken, "noise", [("white-noise", {"snr": 10})], seed=0, out=out, workers=1, progress=False)
    message = str(info.value)
    assert "\n" not in message and "1 of 4 clips failed" in message and "broken.wav" in message
    assert sorted(p.stem for p in (out / "log").glob("*.json")) == ["clip_0", "clip_1", "clip_3"]
    with pytest.raises(ValueError, match="half-written"):
        CorruptedDataset(out)


def test_modality_dropout_changes_the_corrupted_subtitles(clean, tmp_path):
    noisy = corrupt_dataset(clean, "noise", [("modality-dropout", {"drop": ["subtitle", "face"], "mode": "all"})],
                            seed=0, out=tmp_path / "out", workers=1, progress=False)
    s = noisy.sample("clip_0")
    assert s.subtitle == "" and s.label == "happy"
    assert read_faces(s.faces).shape == (0, 112, 112, 3)


def test_noise_test_set_uses_the_challenge_recipe(clean, tmp_path):
    from merbench.corrupt import noise_test_set

    noisy = noise_test_set(clean, seed=0, out=tmp_path / "out", workers=1, progress=False)
    steps = noisy.corruption["steps"]
    assert [(s["name"], s["params"].get("snr"), s["params"].get("r")) for s in steps] == [
        ("speech-noise", [5, 6, 7, 8, 9, 10], None), ("blur", None, [1, 2, 4])]
    assert "bank" not in steps[0]["params"] and steps[0]["data"]["bank"].startswith("sha256:")
    header = json.loads((tmp_path / "out" / "corruption.json").read_text())
    assert header["corruption"]["steps"][0]["params"]["bank"] == str(clean.root / "bank")
