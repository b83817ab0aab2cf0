"""Each built-in corruption on in-memory pseudo media: determinism, what it logs, and its strength."""

from __future__ import annotations

import numpy as np
import pytest

from merbench import plugins
from merbench.corrupt import apply_steps, build_steps
from merbench.corrupt.audio import mix_at_snr, snr_db
from merbench.corrupt.base import CorruptionParamError
from merbench.corrupt.video import pyramid_blur
from merbench.testing.conformance import check_corruption

BUILTINS = ["speech-noise", "white-noise", "pink-noise", "reverb", "codec", "blur", "frame-drop", "occlusion",
            "jpeg", "modality-dropout"]


@pytest.fixture
def noise_bank(tmp_path):
    """Two short 'speech' files (modulated noise) in a bank folder."""
    import soundfile

    rng = np.random.default_rng(7)
    for i, seconds in enumerate((0.7, 1.1)):
        n = int(seconds * 16000)
        envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * np.arange(n) / 16000)
        soundfile.write(tmp_path / f"speech-{i}.wav", (0.2 * envelope * rng.standard_normal(n)).astype(np.float32),
                        16000, subtype="FLOAT")
    return tmp_path


def _create(name, noise_bank):
    return plugins.create("corruption", name, **({"bank": str(noise_bank)} if name == "speech-noise" else {}))


def test_every_builtin_is_registered():
    assert set(BUILTINS) <= set(plugins.get_registry().names("corruption"))


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_conforms_and_keeps_shapes(name, noise_bank, pseudo_media):
    corruption = _create(name, noise_bank)
    check_corruption(corruption, pseudo_media)
    a, _ = corruption.apply(pseudo_media, np.random.default_rng(3))
    assert a.audio.shape == pseudo_media.audio.shape and a.frames.shape == pseudo_media.frames.shape


@pytest.mark.parametrize("name", ["speech-noise", "white-noise", "pink-noise", "reverb"])
def test_different_seed_differs(name, noise_bank, pseudo_media):
    corruption = _create(name, noise_bank)
    a, _ = corruption.apply(pseudo_media, np.random.default_rng(1), snr=5) if "noise" in name else \
        corruption.apply(pseudo_media, np.random.default_rng(1))
    b, _ = corruption.apply(pseudo_media, np.random.default_rng(2), snr=5) if "noise" in name else \
        corruption.apply(pseudo_media, np.random.default_rng(2))
    assert not np.array_equal(a.audio, b.audio)


def test_speech_noise_hits_the_snr_and_logs_its_choices(noise_bank, pseudo_media):
    corruption = plugins.create("corruption", "speech-noise", bank=str(noise_bank))
    for seed in range(6):
        out, log = corruption.apply(pseudo_media, np.random.default_rng(seed))
        assert log["snr"] in range(5, 11) and not log["rescaled"]
        # 2 s clip from 0.7 s / 1.1 s files: several files concatenated, offset within their total
        assert len(log["noise_files"]) >= 2 and set(log["noise_files"]) <= {"speech-0.wav", "speech-1.wav"}
        assert snr_db(pseudo_media.audio, out.audio - pseudo_media.audio) == pytest.approx(log["snr"], abs=0.01)


def test_mix_rescales_the_whole_mix_only_when_it_clips():
    clean = np.full(100, 0.9, np.float32)
    mixed, info = mix_at_snr(clean, np.ones(100, np.float32), 0)
    assert info["rescaled"] and np.max(np.abs(mixed)) <= 1.0
    # the SNR of the rescaled mix is unchanged: clean and noise were scaled alike
    scale = info["mix_scale"]
    assert snr_db(clean * scale, mixed - clean * scale) == pytest.approx(0, abs=1e-4)
    quiet, info = mix_at_snr(clean * 0.1, np.ones(100, np.float32), 10)
    assert not info["rescaled"]


def test_silent_clip_stays_silent():
    out, info = mix_at_snr(np.zeros(10, np.float32), np.ones(10, np.float32), 5)
    assert info["silent_clip"] and not out.any()


def test_blur_r1_is_identity_and_r4_blurs_frames_and_faces(pseudo_media):
    blur = plugins.create("corruption", "blur")
    same, log = blur.apply(pseudo_media, np.random.default_rng(0), r=1)
    assert log == {"r": 1, "face_r": 1}
    assert np.array_equal(same.frames, pseudo_media.frames) and np.array_equal(same.faces, pseudo_media.faces)
    rng = np.random.default_rng(0)
    textured = pseudo_media.with_(frames=rng.integers(0, 256, (4, 160, 160, 3), dtype=np.uint8),
                                  faces=rng.integers(0, 256, (4, 112, 112, 3), dtype=np.uint8))
    blurred, log = blur.apply(textured, np.random.default_rng(0), r=4)
    assert log == {"r": 4, "face_r": 4}
    _, log = blur.apply(textured, np.random.default_rng(0), r=4, face_fraction=1 / 3)
    assert log == {"r": 4, "face_r": 8}  # 160 px frames: a 53 px face upsampled to 112 px, so 4 px -> 8.4 px
    assert blurred.frames.shape == textured.frames.shape and blurred.faces.shape == textured.faces.shape
    # blur removes high frequencies: neighbouring-pixel differences shrink
    edges = lambda x: np.abs(np.diff(x.astype(np.int16), axis=2)).mean()  # noqa: E731
    assert edges(blurred.frames) < 0.3 * edges(textured.frames)
    assert edges(blurred.faces) < 0.3 * edges(textured.faces)


def test_blur_draws_r_from_the_challenge_set(pseudo_media):
    blur = plugins.create("corruption", "blur")
    drawn = {blur.apply(pseudo_media, np.random.default_rng(s))[1]["r"] for s in range(30)}
    assert drawn == {1, 2, 4}


def test_pyramid_blur_keeps_odd_sizes():
    image = np.random.default_rng(0).integers(0, 255, (37, 51, 3), dtype=np.uint8)
    assert pyramid_blur(image, 3).shape == image.shape


def test_face_factor_scales_with_frame_size():
    from merbench.corrupt.video import Blur

    assert Blur.face_factor(1, 720, 1 / 3) == 1
    assert Blur.face_factor(4, 720, 1 / 3) == 2  # 4 px of a 240 px face ~ 1.9 px of a 112 px crop
    assert Blur.face_factor(4, 336, 1 / 3) == 4
    assert Blur.face_factor(2, None, 1 / 3) == 2
    assert Blur.face_factor(4, 720, None) == 4


def test_frame_drop_freezes_dropped_frames(pseudo_media):
    frames = np.arange(8, dtype=np.uint8)[:, None, None, None] * np.ones((1, 4, 4, 3), np.uint8)
    media = pseudo_media.with_(frames=frames)
    out, log = plugins.create("corruption", "frame-drop").apply(media, np.random.default_rng(0), p=0.5)
    kept = [int(f[0, 0, 0]) for f in out.frames]
    assert kept[0] == 0 and kept == sorted(kept)
    assert sorted(set(range(8)) - set(kept)) == log["dropped"]


def test_occlusion_covers_the_requested_area(pseudo_media):
    out, log = plugins.create("corruption", "occlusion").apply(pseudo_media, np.random.default_rng(0), area=0.25)
    top, left, side = log["frame_box"]
    assert (out.frames[:, top:top + side, left:left + side] == 128).all()
    assert side * side == pytest.approx(0.25 * 160 * 160, rel=0.05)


def test_jpeg_and_codec_lose_detail(pseudo_media):
    jpeg, _ = plugins.create("corruption", "jpeg").apply(pseudo_media, np.random.default_rng(0), quality=5)
    assert not np.array_equal(jpeg.frames, pseudo_media.frames)
    coded, log = plugins.create("corruption", "codec").apply(pseudo_media, np.random.default_rng(0), bitrate_kbps=16)
    assert log["bitrate_kbps"] == 16
    assert 0 < snr_db(pseudo_media.audio, coded.audio - pseudo_media.audio) < 40


def test_modality_dropout(pseudo_media):
    dropout = plugins.create("corruption", "modality-dropout", mode="all")
    out, log = dropout.apply(pseudo_media, np.random.default_rng(0))
    assert log["dropped"] == ["audio", "face", "subtitle"]
    assert not out.audio.any() and len(out.audio) == len(pseudo_media.audio)
    assert out.faces.shape == (0, 112, 112, 3) and out.subtitle == ""
    one = plugins.create("corruption", "modality-dropout", drop=["subtitle"])
    assert one.apply(pseudo_media, np.random.default_rng(0))[0].subtitle == ""


def test_steps_compose_in_order_with_independent_streams(noise_bank, pseudo_media):
    both = build_steps([("speech-noise", {"bank": str(noise_bank)}), ("blur", {"r": [2, 4]})])
    out, log = apply_steps(pseudo_media, both, seed=5)
    assert [s["name"] for s in log] == ["speech-noise", "blur"]
    # adding a step never changes the draws of the steps before it
    alone, alone_log = apply_steps(pseudo_media, both[:1], seed=5)
    assert alone_log[0] == log[0] and np.array_equal(alone.audio, out.audio)


@pytest.mark.parametrize("name, params, fragment", [
    ("blur", {"r": 3}, "power of two"),
    ("blur", {"sigma": 2}, "Additional properties"),
    ("speech-noise", {}, "needs bank="),
    ("white-noise", {"snr": "loud"}, "bad snr"),
    ("jpeg", {"quality": 0}, "bad quality"),
])
def test_bad_parameters_give_one_line_errors(name, params, fragment):
    with pytest.raises(CorruptionParamError, match=fragment) as info:
        plugins.create("corruption", name, **params)
    assert "\n" not in str(info.value)


def test_missing_or_empty_noise_bank_is_one_line(tmp_path):
    with pytest.raises(CorruptionParamError, match="noise bank folder not found"):
        plugins.create("corruption", "speech-noise", bank=str(tmp_path / "nowhere"))
    with pytest.raises(CorruptionParamError, match="noise bank holds no"):
        plugins.create("corruption", "speech-noise", bank=str(tmp_path))


def test_noise_bank_files_enter_the_key(noise_bank, tmp_path_factory):
    import shutil

    from merbench.corrupt import describe_steps
    from merbench.corrupt.audio import bank_files
    from merbench.media import write_wav

    def described(bank):
        return describe_steps(build_steps([("speech-noise", {"bank": str(bank)})]))[0]

    moved = tmp_path_factory.mktemp("elsewhere")
    shutil.copytree(noise_bank, moved, dirs_exist_ok=True)
    assert described(moved)["data"] == described(noise_bank)["data"], "the identity is the files, not the folder they sit in"
    write_wav(moved / "talk-c.wav", np.zeros(4000, np.float32))
    bank_files.cache_clear()  # a bank is listed once per process; the next run lists it again
    assert described(moved)["data"] != described(noise_bank)["data"], "another noise file changes the draws"
    assert "data" not in describe_steps(build_steps([("blur", {})]))[0], "corruptions without data keep their keys"
