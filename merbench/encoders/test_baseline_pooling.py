"""Golden tests of ``pooling="baseline"``: merbench's features equal the MER baseline scripts' steps.

Each reference below re-implements, from the facts written in the family's module docstring, what
the baseline's extraction script does, with plain transformers/torch/numpy calls and none of
merbench's code. merbench's side runs the real path: a registered encoder with ``pooling="baseline"``
on a tiny seeded model saved to a folder, ``extract`` into a private cache and ``load_features``
with the registered default layer policy.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from merbench.contracts.dataset import Dataset, Sample

RTOL = 1e-5
CHUNK = 160000  # the baseline's 10 s at 16 kHz


class GoldenData(Dataset):
    """The samples given, all in one split."""

    name = "golden-pooling"

    def __init__(self, root: Path, samples: list[Sample]) -> None:
        super().__init__(root)
        self._samples = {s.name: s for s in samples}

    def splits(self):
        return {"trainval": list(self._samples)}

    def sample(self, name):
        return self._samples[name]


@pytest.fixture
def cache_root(tmp_path, monkeypatch):
    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))


def merbench_features(data: GoldenData, encoder: str, **params) -> np.ndarray:
    from merbench.cache import extract, load_features

    names = list(data.splits()["trainval"])
    extract(data, encoder, device="cpu", batch_size=2, progress=False, **params)
    return load_features(data, encoder, names, device="cpu", extract_missing=False, **params)


def assert_close(got: np.ndarray, want: np.ndarray) -> None:
    """Within RTOL relative to each vector's scale (a near-zero component is judged against its vector)."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape, (got.shape, want.shape)
    error = np.abs(got - want).max(axis=-1)
    scale = np.abs(want).max(axis=-1)
    assert (error <= RTOL * scale).all(), f"relative error per clip {error / np.maximum(scale, 1e-30)} > {RTOL}"


# --- audio ---------------------------------------------------------------------------------------

def reference_audio_frames(folder: str, wav: Path) -> np.ndarray:
    """Read the wav; feature extractor on the whole clip; over 10 s: zero-pad the processed values to
    whole chunks, one batch of chunks, no attention mask; sum of the last 4 hidden states, the
    frames of every chunk one after the other (padding's frames too): float32 (chunks * T, D)."""
    import soundfile
    import torch
    from transformers import AutoModel, Wav2Vec2FeatureExtractor

    model = AutoModel.from_pretrained(folder).eval()
    extractor = Wav2Vec2FeatureExtractor.from_pretrained(folder)
    samples, rate = soundfile.read(str(wav))  # float64, as the script reads it
    values = extractor(samples, sampling_rate=rate, return_tensors="pt").input_values  # (1, n)
    n = values.shape[1]
    if n > CHUNK:
        whole = torch.zeros(1, math.ceil(n / CHUNK) * CHUNK)
        whole[:, :n] = values
        values = whole.view(-1, CHUNK)
    with torch.no_grad():
        states = model(values, output_hidden_states=True).hidden_states
    summed = torch.stack(states)[[-4, -3, -2, -1]].sum(dim=0)  # (chunks, T, D)
    return summed.reshape(-1, summed.shape[-1]).numpy()


def reference_audio(folder: str, wav: Path) -> np.ndarray:
    """The utterance vector: the mean of :func:`reference_audio_frames` over all frames.

    The one liberty: the mean is accumulated in float64. The script's float32 mean over ~1,500
    frames carries ~1e-5 of summation error itself (its order, not its steps), which is what a
    1e-5 comparison would otherwise measure; the frames are compared with the script's own in
    :func:`test_audio_baseline_frames_are_the_scripts_padding_included`."""
    return reference_audio_frames(folder, wav).mean(axis=0, dtype=np.float64)


def _wavs(root: Path, seconds: list[float]) -> list[Sample]:
    import soundfile

    rng = np.random.default_rng(7)
    samples = []
    for i, s in enumerate(seconds):
        t = np.arange(int(s * 16000)) / 16000
        wave = 0.2 * np.sin(2 * np.pi * (140 + 25 * i) * t * (1 + 0.05 * np.sin(2 * np.pi * 2 * t)))
        wave *= 1 + 0.8 * (t > s / 2)  # louder second half: whole-clip and per-chunk normalisation differ
        path = root / f"a{i}.wav"
        soundfile.write(str(path), (wave + 0.02 * rng.standard_normal(t.size)).astype(np.float32), 16000, subtype="PCM_16")
        samples.append(Sample(name=f"a{i}", audio=path))
    return samples


@pytest.mark.parametrize("name,family", [("chinese-hubert-large", "hubert"), ("chinese-wav2vec2-base", "wav2vec2")])
def test_audio_baseline_pooling_equals_the_script(name, family, tiny_model, tmp_path, cache_root):
    folder = tiny_model(family)
    seconds = [3.0, 10.0, 12.5, 23.0]  # shorter than, exactly, and longer than one chunk; 23 s = 3 chunks
    data = GoldenData(tmp_path, _wavs(tmp_path, seconds))
    got = merbench_features(data, name, checkpoint=folder, pooling="baseline")
    want = np.stack([reference_audio(folder, s.audio) for s in data.iter_all()])
    assert_close(got, want)
    # the default ("merbench") pooling is a different thing on clips over one chunk
    today = merbench_features(data, name, checkpoint=folder)
    assert not np.allclose(today[3], want[3], rtol=1e-3, atol=1e-4)


def test_audio_baseline_frames_are_the_scripts_padding_included(tiny_model, tmp_path):
    from merbench import plugins
    from merbench.cache.inputs import prepare

    folder = tiny_model("hubert")
    enc = plugins.create("encoder", "chinese-hubert-base", checkpoint=folder, pooling="baseline")
    enc.load("cpu")
    samples = _wavs(tmp_path, [23.0, 3.0])
    out = enc.encode([prepare(enc, s) for s in samples])
    assert list(out.lengths) == [3 * 499, 149]  # three 10 s chunks, the last zero-padded past 3 s; 3 s alone
    for i, sample in enumerate(samples):
        frames = sum(layer[i, : out.lengths[i]] for layer in out.hidden_states[-4:])
        np.testing.assert_allclose(frames, reference_audio_frames(folder, sample.audio), rtol=1e-6, atol=1e-6)


# --- text ----------------------------------------------------------------------------------------

def reference_text(folder: str, sentences: list[str]) -> tuple[np.ndarray, tuple[int, int | None]]:
    """Slow tokenizer; which tokens to cut found on the probe 今天天气真好 (first start in 0..2 whose
    decoded tail is the probe, or starts with it; then the first end in -1, -2 that leaves exactly the
    probe); each sentence alone, sum of the last 4 hidden states, cut, mean; empty -> zeros.
    Returns the features and the (start, end) cut."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder, use_fast=False)
    model = AutoModel.from_pretrained(folder).eval()
    probe = "今天天气真好"
    ids = tokenizer(probe, return_tensors="pt")["input_ids"][0]
    text = lambda s, e: tokenizer.decode(ids[s:e]).replace(" ", "")  # noqa: E731
    start = next((s for s in range(3) if text(s, None).startswith(probe)), 2)
    end = None if text(start, None) == probe else next(e for e in (-1, -2) if text(start, e) == probe)
    rows = []
    for sentence in sentences:
        if not sentence:
            rows.append(np.zeros(model.config.hidden_size, np.float32))
            continue
        with torch.no_grad():
            states = model(**tokenizer(sentence, return_tensors="pt"), output_hidden_states=True).hidden_states
        summed = torch.stack(states)[[-4, -3, -2, -1]].sum(dim=0)[0]  # (T, D)
        rows.append(summed[start:end].numpy().mean(axis=0))
    return np.stack(rows), (start, end)


def _bos_tokenizer_model(folder: Path) -> str:
    """A tiny causal LM whose tokenizer adds only a leading <s> (the probe then finds [1:])."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import AutoModel, BloomConfig, PreTrainedTokenizerFast

    from merbench.encoders.tiny_models import VOCAB

    vocab = {w: i for i, w in enumerate(["<pad>", "<unk>", "<s>", "</s>"] + VOCAB[5:])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split("", behavior="isolated")
    core.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 2)])
    PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                            pad_token="<pad>").save_pretrained(folder)
    torch.manual_seed(0)
    AutoModel.from_config(BloomConfig(vocab_size=len(vocab), hidden_size=32, n_layer=5, n_head=2)).save_pretrained(folder)
    return str(folder)


SENTENCES = ["今天真开心", "我很难过,生气了吗?今天是不是很好的一天,你们他们她们都不开心", "好", "i am so happy today", ""]


@pytest.mark.parametrize("name,family,span", [("chinese-macbert-base", "bert", (1, -1)),
                                               ("chinese-xlnet-base", "xlnet", (1, -1)),
                                               ("bloom-7b1", "bos-only", (1, None))])
def test_text_baseline_pooling_equals_the_script(name, family, span, tiny_model, tmp_path, cache_root):
    folder = _bos_tokenizer_model(tmp_path / "bos") if family == "bos-only" else tiny_model(family)
    data = GoldenData(tmp_path, [Sample(name=f"t{i}", subtitle=s) for i, s in enumerate(SENTENCES)])
    want, found = reference_text(folder, SENTENCES)
    assert found == span
    got = merbench_features(data, name, checkpoint=folder, pooling="baseline", dtype="float32")
    assert_close(got, want)
    assert not got[-1].any()


# --- vision --------------------------------------------------------------------------------------

def uniform(frames: np.ndarray, n: int) -> np.ndarray:
    """The script's sampling: arange(0, T, T / min(n, T)) as ints, the last index repeated up to n."""
    count = len(frames)
    picks = list(np.arange(0, count, count / min(n, count)).astype(int))
    picks += [picks[-1]] * max(0, n - len(picks))
    return frames[picks[:n]]


def reference_image(folder: str, npy: Path, kind: str) -> np.ndarray:
    """CLIP: every frame's image embedding (batches of 32), mean. DINOv2: 64 uniformly sampled frames,
    the last hidden state summed over all tokens per frame, mean. Frames BGR -> RGB PIL images."""
    import cv2
    import torch
    from PIL import Image
    from transformers import AutoImageProcessor, AutoModel

    model = AutoModel.from_pretrained(folder).eval()
    processor = AutoImageProcessor.from_pretrained(folder)
    frames = np.load(npy)
    if kind == "dinov2":
        frames = uniform(frames, 64)
    images = [Image.fromarray(cv2.cvtColor(f, cv2.COLOR_BGR2RGB)) for f in frames]
    pixels = processor(images=images, return_tensors="pt")["pixel_values"]
    rows = []
    with torch.no_grad():
        for batch in torch.split(pixels, 32):
            if kind == "clip":
                out = model.get_image_features(pixel_values=batch)
                rows.append(out if isinstance(out, torch.Tensor) else out.pooler_output)
            else:
                rows.append(torch.stack(model(batch, output_hidden_states=True).hidden_states)[-1].sum(dim=1))
    return torch.cat(rows).numpy().mean(axis=0)


def reference_videomae(folder: str, npy: Path) -> np.ndarray:
    """num_frames uniformly sampled frames (RGB arrays) as one clip; last_hidden_state viewed as
    (frames / tubelet, patches per frame, D), mean over patches, then over the slices."""
    import cv2
    import torch
    from transformers import AutoImageProcessor, AutoModel

    model = AutoModel.from_pretrained(folder).eval()
    processor = AutoImageProcessor.from_pretrained(folder)
    cfg = model.config
    frames = [cv2.cvtColor(f, cv2.COLOR_BGR2RGB) for f in uniform(np.load(npy), cfg.num_frames)]
    pixels = processor(frames, return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        last = model(pixels).last_hidden_state
    per_slice = last.view(cfg.num_frames // cfg.tubelet_size, (cfg.image_size // cfg.patch_size) ** 2, -1).mean(dim=1)
    return per_slice.mean(dim=0).numpy()


def _faces(root: Path, counts: list[int]) -> list[Sample]:
    rng = np.random.default_rng(3)
    samples = []
    for i, count in enumerate(counts):
        path = root / f"v{i}.npy"
        base = rng.integers(0, 256, (1, 112, 112, 3))
        drift = rng.integers(-60, 60, (count, 1, 1, 3)) + rng.integers(-20, 20, (count, 112, 112, 3))
        np.save(path, np.clip(base + drift, 0, 255).astype(np.uint8))  # BGR, as OpenFace stores them
        samples.append(Sample(name=f"v{i}", faces=path))
    return samples


def _videomae_with_final_norm(folder: Path) -> str:
    """Tiny VideoMAE whose last_hidden_state has a final layer norm (as MCG-NJU/videomae-base)."""
    import torch
    from transformers import VideoMAEConfig, VideoMAEImageProcessorPil, VideoMAEModel

    torch.manual_seed(0)
    VideoMAEModel(VideoMAEConfig(hidden_size=32, num_hidden_layers=3, num_attention_heads=2, intermediate_size=48,
                                 image_size=32, patch_size=8, num_frames=4, tubelet_size=2,
                                 use_mean_pooling=False)).save_pretrained(folder)
    VideoMAEImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(folder)
    return str(folder)


@pytest.mark.parametrize("name,family,counts", [("clip-base", "clip", [5, 40, 70]),
                                                ("dinov2-large", "dinov2", [10, 64, 100]),
                                                ("videomae-base", "videomae", [3, 4, 37]),
                                                ("videomae-base", "videomae-norm", [3, 37])])
def test_vision_baseline_pooling_equals_the_script(name, family, counts, tiny_model, tmp_path, cache_root):
    folder = _videomae_with_final_norm(tmp_path / "vmae") if family == "videomae-norm" else tiny_model(family)
    data = GoldenData(tmp_path, _faces(tmp_path, counts))
    got = merbench_features(data, name, checkpoint=folder, pooling="baseline")
    if family.startswith("videomae"):
        want = np.stack([reference_videomae(folder, s.faces) for s in data.iter_all()])
    else:
        want = np.stack([reference_image(folder, s.faces, family) for s in data.iter_all()])
    assert_close(got, want)


def test_baseline_frame_sampling_repeats_the_last_frame():
    from merbench.encoders.hf_vision import baseline_indices

    assert baseline_indices(5, 8).tolist() == [0, 1, 2, 3, 4, 4, 4, 4]
    assert baseline_indices(100, 4).tolist() == [0, 25, 50, 75]
    assert baseline_indices(10, 3).tolist() == [0, 3, 6]
    for total in range(1, 130):
        assert baseline_indices(total, 64).tolist() == uniform(np.arange(total), 64).tolist()


# --- the cache key -------------------------------------------------------------------------------

@pytest.mark.parametrize("name,family", [("chinese-hubert-large", "hubert"), ("chinese-macbert-base", "bert"),
                                         ("dinov2-large", "dinov2"), ("videomae-base", "videomae")])
def test_pooling_is_in_the_fingerprint_and_the_cache_key(name, family, tiny_model, tmp_path):
    from merbench import plugins
    from merbench.cache.extract import resolve
    from merbench.cache.key import key_digest

    spec = plugins.get("encoder", name)
    assert list(spec.card.poolings) == ["merbench", "baseline"]
    data = GoldenData(tmp_path, [Sample(name="x", subtitle="好")])
    folder = tiny_model(family)
    default, merbench, baseline = (resolve(data, name, checkpoint=folder, **p) for p in
                                   ({}, {"pooling": "merbench"}, {"pooling": "baseline"}))
    assert default.encoder.fingerprint()["pooling"] == "merbench"  # today's behaviour stays the default
    assert default.encoder.fingerprint() == merbench.encoder.fingerprint()
    assert baseline.encoder.fingerprint()["pooling"] == "baseline"
    assert key_digest(default.key) == key_digest(merbench.key) != key_digest(baseline.key)
    assert default.store.path != baseline.store.path
    with pytest.raises(ValueError, match="choose one of merbench, baseline"):
        plugins.create("encoder", name, checkpoint=folder, pooling="max")


def test_only_encoders_with_poolings_list_them():
    import importlib

    from merbench import plugins

    for spec in plugins.get_registry().specs["encoder"].values():
        module, attr = spec.factory.split(":")
        declared = tuple(getattr(getattr(importlib.import_module(module), attr), "poolings", ()))
        offered = tuple(spec.card.poolings)
        assert set(offered) <= set(declared) and bool(offered) == bool(declared), spec.name  # a card may offer fewer


@pytest.mark.parametrize("name,family,kind", [("chinese-hubert-large", "hubert", "audio"),
                                              ("chinese-wav2vec2-base", "wav2vec2", "audio"),
                                              ("chinese-macbert-base", "bert", "text"),
                                              ("clip-base", "clip", "faces"), ("dinov2-large", "dinov2", "faces"),
                                              ("videomae-base", "videomae", "faces")])
def test_baseline_pooling_passes_the_encoder_conformance_checks(name, family, kind, tiny_model, pseudo_audio,
                                                                 pseudo_faces):
    from merbench import plugins
    from merbench.testing.conformance import check_encoder

    batch = {"audio": [pseudo_audio, pseudo_audio[:9000]], "text": ["今天真开心", "好"],
             "faces": [pseudo_faces[..., ::-1].copy(), pseudo_faces[:3, ..., ::-1].copy()]}[kind]
    check_encoder(plugins.create("encoder", name, checkpoint=tiny_model(family), pooling="baseline"), batch)
