"""Every transformers family through the real ``from_pretrained`` path, on tiny seeded models.

Golden features (``golden.json``) catch silent drift in preprocessing, layer order or pooling;
regenerate them deliberately with ``MERBENCH_REGEN_GOLDEN=1 pytest merbench/encoders/test_hf.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from merbench import plugins
from merbench.cache.pooling import mean_over_time
from merbench.testing.conformance import check_encoder

GOLDEN = Path(__file__).with_name("golden.json")
REGEN = os.environ.get("MERBENCH_REGEN_GOLDEN") == "1"

#: (registered encoder, tiny family, input kind, extra params)
CASES = [
    ("chinese-hubert-large", "hubert", "audio", {}),
    ("chinese-wav2vec2-base", "wav2vec2", "audio", {}),
    ("wavlm-base-plus", "wavlm", "audio", {}),
    ("whisper-base", "whisper", "audio", {}),
    ("whisper-large-v2", "whisper", "audio", {"states": "encoder"}),
    ("chinese-macbert-base", "bert", "text", {}),
    ("chinese-roberta-wwm-ext", "roberta", "text", {}),
    ("chinese-electra-180g-base", "electra", "text", {}),
    ("chinese-xlnet-base", "xlnet", "text", {}),
    ("bloom-7b1", "bloom", "text", {"dtype": "float32"}),
    ("clip-base", "clip", "faces", {}),
    ("dinov2-large", "dinov2", "faces", {"max_frames": 8}),
    ("videomae-base", "videomae", "faces", {}),
]


def _inputs(kind, pseudo_audio, pseudo_faces):
    if kind == "audio":
        return [pseudo_audio, pseudo_audio[:20000], pseudo_audio[:9000]]
    if kind == "text":
        return ["今天真开心", "我很难过,生气了吗", "好"]
    rgb = pseudo_faces[..., ::-1].copy()
    return [rgb, rgb[:3], rgb[5:]]


@pytest.fixture(scope="module")
def golden():
    data = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    yield data
    if REGEN:
        GOLDEN.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


@pytest.mark.filterwarnings("error::UserWarning")  # a raw library warning would reach every user's extraction
@pytest.mark.parametrize("name,family,kind,params", CASES, ids=[c[0] for c in CASES])
def test_family(name, family, kind, params, tiny_model, pseudo_audio, pseudo_faces, golden):
    encoder = plugins.create("encoder", name, checkpoint=tiny_model(family), **params)
    batch = _inputs(kind, pseudo_audio, pseudo_faces)
    check_encoder(encoder, batch)  # loads, checks shapes, determinism, batch invariance, fingerprint
    assert encoder.fingerprint()["revision"].startswith("local-")
    out = encoder.encode(batch)
    pooled = mean_over_time(out.hidden_states, np.asarray(out.lengths))
    summary = {"layers": int(pooled.shape[1]), "dim": int(pooled.shape[2]),
               "head": [round(float(v), 5) for v in pooled[0, -1, :4]], "sum": round(float(pooled.sum()), 4)}
    if REGEN:
        golden[name] = summary
    assert name in golden, "no golden features yet: run with MERBENCH_REGEN_GOLDEN=1 once and review golden.json"
    want = golden[name]
    assert (summary["layers"], summary["dim"]) == (want["layers"], want["dim"])
    np.testing.assert_allclose(summary["head"], want["head"], rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(summary["sum"], want["sum"], rtol=1e-3, atol=1e-3)


def test_text_pools_without_special_tokens_and_reads_the_chosen_field(tiny_model):
    enc = plugins.create("encoder", "chinese-pert-base", checkpoint=tiny_model("bert"))
    enc.load("cpu")
    out = enc.encode(["今天", ""])
    assert list(out.lengths) == [2, 0]  # [CLS]/[SEP] dropped; empty text pools to zeros
    assert enc.text_field == "subtitle"
    assert plugins.create("encoder", "minilm-l6-v2").text_field == "subtitle_en"


def test_group_norm_models_batch_only_equal_lengths(tiny_model, pseudo_audio):
    enc = plugins.create("encoder", "chinese-hubert-base", checkpoint=tiny_model("wav2vec2"))
    enc.load("cpu")
    assert not enc.masked
    assert enc._groups([pseudo_audio[:100], pseudo_audio[:200], pseudo_audio[:100]]) == [[0, 2], [1]]


def test_long_audio_is_chunked_and_stitched(tiny_model):
    enc = plugins.create("encoder", "chinese-hubert-base", checkpoint=tiny_model("hubert"), chunk_seconds=1.0)
    enc.load("cpu")
    wav = np.random.default_rng(0).standard_normal(16000 * 2 + 8000).astype(np.float32) * 0.1
    out = enc.encode([wav])
    assert out.lengths[0] == 49 + 49 + 24  # three chunks of 1, 1 and 0.5 s


def test_half_precision_needs_a_gpu(tiny_model):
    enc = plugins.create("encoder", "chinese-hubert-base", checkpoint=tiny_model("hubert"), dtype="float16")
    with pytest.raises(ValueError, match="needs a GPU"):
        enc.load("cpu")


def test_unresolvable_hub_revision_is_one_clear_line(monkeypatch, tmp_path):
    from merbench.encoders.hf import CheckpointError, resolve_revision

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))
    resolve_revision.cache_clear()
    with pytest.raises(CheckpointError, match="pass checkpoint=<local folder> or revision=<40-hex commit>"):
        resolve_revision("TencentGameMate/chinese-hubert-large", "main")
    assert resolve_revision("x/y", "a" * 40) == "a" * 40


@pytest.mark.parametrize("name,family", [("chinese-hubert-large", "hubert"), ("chinese-macbert-base", "bert")])
def test_concurrent_extraction_gives_the_same_bits_as_serial(name, family, tiny_model, tmp_path, monkeypatch):
    """``concurrent_encode``: one batch per core on CPU (forced to 2 here) changes speed, never features.

    Both runs use one intra-op thread per batch: torch kernels split reductions by thread count, so a
    different count alone moves features by float rounding (~3e-8 here).
    """
    from merbench.cache import extract, load_features
    from merbench.cache.test_helpers import WavDataset
    from merbench.threads import one_torch_thread_per_worker

    data = WavDataset(tmp_path / "data", n=12)
    monkeypatch.setattr("merbench.threads.cpu_workers", lambda: 2)
    features = {}
    for concurrent in (True, False):
        monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / f"cache-{concurrent}"))
        encoder = plugins.create("encoder", name, checkpoint=tiny_model(family))
        assert encoder.concurrent_encode
        encoder.concurrent_encode = concurrent
        with one_torch_thread_per_worker():
            extract(data, encoder, device="cpu", batch_size=3, progress=False)
        features[concurrent] = load_features(data, encoder, data.names, layers="all")
    np.testing.assert_array_equal(features[True], features[False])
