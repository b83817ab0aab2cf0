"""The must-show checks of MER-NOISE on the tiny demo corpus (benchmarks/noise_check.py runs them at scale)."""

from __future__ import annotations

import numpy as np
import pytest

from merbench.corrupt import challenge_recipe, corrupt_dataset
from merbench.corrupt.audio import snr_db
from merbench.media import load_media, read_audio, read_faces, read_frames, write_video


@pytest.fixture(scope="module")
def noisy_pair(tiny_dataset, tmp_path_factory):
    """The tiny demo's noise split corrupted twice with seed 0 (1 and 2 workers) and once with seed 1."""
    out = tmp_path_factory.mktemp("noise")
    recipe = challenge_recipe(tiny_dataset)
    first = corrupt_dataset(tiny_dataset, "noise", recipe, 0, out / "a", workers=1, progress=False)
    again = corrupt_dataset(tiny_dataset, "noise", recipe, 0, out / "b", workers=2, progress=False)
    other = corrupt_dataset(tiny_dataset, "noise", recipe, 1, out / "c", workers=1, progress=False)
    return first, again, other


def test_recipe_uses_the_demo_noise_bank(tiny_dataset):
    (noise, noise_params), (blur, blur_params) = challenge_recipe(tiny_dataset)
    assert (noise, blur) == ("speech-noise", "blur")
    assert noise_params["snr"] == [5, 6, 7, 8, 9, 10] and blur_params["r"] == [1, 2, 4]
    assert noise_params["bank"] == str(tiny_dataset.resources()["noise_bank"])


def test_measured_snr_matches_the_log(tiny_dataset, noisy_pair):
    noisy = noisy_pair[0]
    checked = 0
    for sample in tiny_dataset.samples("noise"):
        log = noisy.clip_log(sample.name)[0]
        assert log["snr"] in range(5, 11) and log["noise_files"]
        if log["rescaled"]:
            continue
        clean = load_media(sample, parts=("audio",)).audio
        corrupted = read_audio(noisy.sample(sample.name).audio)
        assert snr_db(clean, corrupted - clean) == pytest.approx(log["snr"], abs=0.1)
        checked += 1
    assert checked >= 1


def test_blur_r1_changes_nothing_but_codec_loss(tiny_dataset, noisy_pair, tmp_path):
    noisy = noisy_pair[0]
    for sample in tiny_dataset.samples("noise"):
        frames, fps = read_frames(sample.video)
        corrupted = noisy.sample(sample.name)
        r = noisy.clip_log(sample.name)[1]["r"]
        if r == 1:
            write_video(tmp_path / "plain.mp4", frames, fps)
            assert np.array_equal(read_frames(tmp_path / "plain.mp4")[0], read_frames(corrupted.video)[0])
            assert np.array_equal(read_faces(sample.faces), read_faces(corrupted.faces))
        else:
            assert not np.array_equal(read_faces(sample.faces), read_faces(corrupted.faces))


def test_same_seed_identical_other_seed_differs(tiny_dataset, noisy_pair):
    first, again, other = noisy_pair
    names = tiny_dataset.splits()["noise"]
    for name in names:
        a, b = first.sample(name), again.sample(name)
        assert a.audio.read_bytes() == b.audio.read_bytes() and a.video.read_bytes() == b.video.read_bytes()
        assert first.clip_log(name) == again.clip_log(name)
    assert all(first.sample(n).audio.read_bytes() != other.sample(n).audio.read_bytes() for n in names)
    assert first.manifest_hash() != other.manifest_hash() != tiny_dataset.manifest_hash()


def test_corrupted_set_keeps_labels_and_subtitles(tiny_dataset, noisy_pair):
    noisy = noisy_pair[0]
    for sample in tiny_dataset.samples("noise"):
        corrupted = noisy.sample(sample.name)
        assert (corrupted.label, corrupted.subtitle, corrupted.subtitle_en) == (sample.label, sample.subtitle,
                                                                                sample.subtitle_en)


def test_corrupted_features_are_cached_apart(tiny_dataset, noisy_pair, tmp_path, monkeypatch):
    from merbench.cache import extract

    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path))
    names = tiny_dataset.splits()["noise"]
    files = {extract(d, "egemaps", names, progress=False) for d in (tiny_dataset, *noisy_pair[::2])}
    assert len(files) == 3  # clean, seed 0 and seed 1 never share a feature file
