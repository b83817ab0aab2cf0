"""One prepared GPU check (under 8 minutes on one GPU, unattended): does merbench give the CPU's
answers on CUDA, and how fast does it extract?

1. **features**: the tiny seeded model of every transformers family (``merbench.encoders.tiny_models``)
   encodes the same inputs on CPU (float32, the reference) and on the GPU in float32 and bfloat16.
   Tolerances, on the pooled features of every layer (``max_rel`` = max |gpu - cpu| / max |cpu|,
   ``min_cos`` = the lowest cosine similarity of one clip's pooled vector):
   float32: max_rel <= 1e-3 and min_cos >= 0.99999 (cuDNN's default TF32 convolutions and other
   reduction orders are the only differences); bfloat16: max_rel <= 6e-2 and min_cos >= 0.995
   (8-bit mantissa through a few layers).
2. **trainer**: the vectorised CV trainer (``cross_validate``, attention fusion, 3 seeds) on a
   synthetic six-class table, on CPU and on the GPU: mean WAF of both, and whether they agree within
   noise: |mean_gpu - mean_cpu| <= max(0.02, 2 * the seeds' standard error of the difference).
   Bits differ (other kernels), the selected numbers should not.
3. **throughput**: a randomly initialised HuBERT-large-sized model (``HubertConfig`` of
   chinese-hubert-large: 24 layers, 1024 dims, 16 heads, 4096 FFN; built from the config and saved,
   no hub) through ``merbench.cache.extract`` in bfloat16 over synthetic 5-second clips on disk, with
   the decode threads, size-sorted batches and part-file writes on: clips/s, achieved TFLOP/s (FLOPs
   counted from the architecture, :func:`hubert_flops`) and its fraction of the GPU's bf16 dense peak
   (``--peak-tflops``, else a table of known GPUs). The model alone on pre-decoded batches is timed
   too, so the pipeline's cost shows.

    python benchmarks/gpu_check.py                       # on the GPU machine: prints one JSON report
    python benchmarks/gpu_check.py --device cpu --quick  # the CPU-side logic, in about a minute

``--quick`` shrinks everything (a 2-layer model, few clips, 1 seed); with ``--device cpu`` the GPU
columns are computed on the CPU (float32 only), which checks the script, not a GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

#: bf16 dense tensor-core peak, TFLOP/s (vendor data sheets, without sparsity), by a substring of the name
BF16_PEAK_TFLOPS = {"H200": 989.0, "H100 SXM": 989.0, "H100 NVL": 835.0, "H100 PCIe": 756.0, "H100": 756.0,
                    "GH200": 989.0, "B200": 2250.0, "A100": 312.0, "A800": 312.0, "L40S": 362.0, "L40": 181.0,
                    "L4": 121.0, "A10G": 70.0, "A10": 125.0, "RTX 4090": 165.0, "RTX 6000 Ada": 364.0,
                    "A6000": 155.0}
#: chinese-hubert-large's architecture (its config.json), the throughput model
HUBERT_LARGE = dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096,
                    feat_extract_norm="layer", do_stable_layer_norm=True, conv_bias=True, vocab_size=32)
HUBERT_QUICK = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128,
                    conv_dim=(32,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
                    feat_extract_norm="layer", do_stable_layer_norm=True, conv_bias=True, vocab_size=32)
#: (registered encoder, tiny family, input kind, extra params): one per family
CASES = [("chinese-hubert-large", "hubert", "audio", {}), ("chinese-wav2vec2-base", "wav2vec2", "audio", {}),
         ("wavlm-base-plus", "wavlm", "audio", {}), ("whisper-large-v2", "whisper", "audio", {"states": "encoder"}),
         ("chinese-macbert-base", "bert", "text", {}), ("chinese-xlnet-base", "xlnet", "text", {}),
         ("clip-base", "clip", "faces", {}), ("dinov2-large", "dinov2", "faces", {"max_frames": 8}),
         ("videomae-base", "videomae", "faces", {})]
TOLERANCES = {"float32": {"max_rel": 1e-3, "min_cos": 0.99999}, "bfloat16": {"max_rel": 6e-2, "min_cos": 0.995}}


# -- 1. features ----------------------------------------------------------------------------------
def _inputs(kind: str):
    rng = np.random.default_rng(0)
    if kind == "audio":
        t = np.arange(32000) / 16000
        wave = (0.3 * np.sin(2 * np.pi * (220 * t + 3 * np.sin(2 * np.pi * 5 * t))) + 0.01 * rng.standard_normal(t.size))
        wave = wave.astype(np.float32)
        return [wave, wave[:20000], wave[:9000]]
    if kind == "text":
        return ["今天真开心", "我很难过,生气了吗", "好"]
    faces = rng.integers(0, 255, (8, 112, 112, 3), dtype=np.uint8)
    return [faces, faces[:3], faces[5:]]


def _pooled(encoder, batch) -> np.ndarray:
    from merbench.cache.pooling import mean_over_time

    out = encoder.encode(batch)
    return mean_over_time(out.hidden_states, np.asarray(out.lengths)).astype(np.float64)


def compare(reference: np.ndarray, other: np.ndarray) -> dict:
    """max_rel and min_cos of ``other`` against ``reference`` (N, L, D), as the module docstring defines them."""
    a, b = reference.reshape(len(reference), -1), other.reshape(len(other), -1)
    cos = (a * b).sum(1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-30)
    return {"max_rel": float(np.abs(a - b).max() / max(np.abs(a).max(), 1e-30)), "min_cos": float(cos.min())}


def check_features(device: str, workdir: Path, quick: bool) -> list[dict]:
    from merbench import plugins
    from merbench.encoders.tiny_models import build

    dtypes = ["float32"] + (["bfloat16"] if device.startswith("cuda") else [])
    rows = []
    for name, family, kind, params in CASES[:3] if quick else CASES:
        folder = str(build(family, workdir / "tiny" / family))
        batch = _inputs(kind)
        reference_encoder = plugins.create("encoder", name, checkpoint=folder, **params)
        reference_encoder.load("cpu")
        reference = _pooled(reference_encoder, batch)
        for dtype in dtypes:
            encoder = plugins.create("encoder", name, checkpoint=folder, **{**params, "dtype": dtype})
            encoder.load(device)
            got = compare(reference, _pooled(encoder, batch))
            limits = TOLERANCES[dtype]
            rows.append({"encoder": name, "family": family, "dtype": dtype, **got,
                         "ok": got["max_rel"] <= limits["max_rel"] and got["min_cos"] >= limits["min_cos"]})
    return rows


# -- 2. trainer -----------------------------------------------------------------------------------
def synthetic_table(n: int, seed: int = 0):
    from merbench.training.data import FeatureTable

    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 6
    inputs = {}
    for name, dim, sigma in (("audio", 256, 2.0), ("text", 128, 2.5), ("visual", 64, 3.0)):
        centres = rng.normal(size=(6, dim))
        inputs[name] = (centres[labels] + sigma * rng.normal(size=(n, dim))).astype(np.float32)
    return FeatureTable([f"s{i:05d}" for i in range(n)], inputs, labels.astype(np.int64), source="synthetic")


def check_trainer(device: str, quick: bool) -> dict:
    from merbench import plugins
    from merbench.training.protocol import TrainConfig, cross_validate
    from merbench.training.search import MER2024_SPACE, sample_trials

    table = synthetic_table(240 if quick else 1200)
    dims = table.input_dims
    seeds = [0] if quick else [0, 1, 2]
    out: dict = {"seeds": seeds, "trials": 2 if quick else 8, "epochs": 3 if quick else 30}

    def build(params):
        return plugins.create("fusion", "attention", input_dims=dims, num_classes=6, **params)

    for label, where in (("cpu", "cpu"), ("gpu", device)):
        wafs, start = [], time.perf_counter()
        for seed in seeds:
            result = cross_validate(table, build, sample_trials(MER2024_SPACE, out["trials"], seed),
                                    config=TrainConfig(epochs=out["epochs"], device=where), seed=seed)
            wafs.append(result.baseline["waf"])
        out[label] = {"device": where, "waf": wafs, "mean": float(np.mean(wafs)),
                      "seconds": round(time.perf_counter() - start, 2)}
    diff = np.asarray(out["gpu"]["waf"]) - np.asarray(out["cpu"]["waf"])
    se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else 0.0
    out["mean_diff"] = float(diff.mean())
    out["ok"] = abs(out["mean_diff"]) <= max(0.02, 2 * se)
    return out


# -- 3. throughput --------------------------------------------------------------------------------
def hubert_flops(config: dict, seconds: float, sample_rate: int = 16000) -> dict:
    """Forward FLOPs (2 per multiply-add) of one clip through a HuBERT/wav2vec 2.0 encoder: the conv
    feature extractor, the projection, the positional conv and every transformer layer (projections,
    FFN, the two attention matmuls). Norms, activations and softmax are left out (under 1%)."""
    conv_dim = config.get("conv_dim", (512,) * 7)
    kernels = config.get("conv_kernel", (10, 3, 3, 3, 3, 2, 2))
    strides = config.get("conv_stride", (5, 2, 2, 2, 2, 2, 2))
    d, layers, ffn = config["hidden_size"], config["num_hidden_layers"], config["intermediate_size"]
    pos_kernel = config.get("num_conv_pos_embeddings", 128)
    pos_groups = config.get("num_conv_pos_embedding_groups", 16)
    length, c_in, conv = int(seconds * sample_rate), 1, 0.0
    for c_out, k, s in zip(conv_dim, kernels, strides):
        length = (length - k) // s + 1
        conv += 2.0 * c_in * c_out * k * length
        c_in = c_out
    frames = length
    projection = 2.0 * c_in * d * frames
    positional = 2.0 * (d // pos_groups) * d * pos_kernel * frames
    per_layer = 2.0 * 4 * d * d * frames + 2.0 * 2 * d * ffn * frames + 2.0 * 2 * frames * frames * d
    total = conv + projection + positional + layers * per_layer
    return {"frames": frames, "gflop_per_clip": round(total / 1e9, 2),
            "conv_share": round(conv / total, 3), "transformer_share": round(layers * per_layer / total, 3)}


class SyntheticClips:
    """``n`` 5-second 16 kHz wav clips (tones with vibrato and noise) written to ``root``: a dataset."""

    def __new__(cls, root: Path, n: int, seconds: float):
        import soundfile

        from merbench.contracts.dataset import Dataset, Sample

        class Clips(Dataset):
            name = "synthetic-5s"

            def splits(self):
                return {"trainval": names}

            def sample(self, name):
                return Sample(name=name, audio=self.root / f"{name}.wav")

        root.mkdir(parents=True, exist_ok=True)
        names = [f"clip{i:05d}" for i in range(n)]
        rng = np.random.default_rng(0)
        t = np.arange(int(16000 * seconds)) / 16000
        for i, name in enumerate(names):
            wave = 0.2 * np.sin(2 * np.pi * (120 + i % 200) * t * (1 + 0.05 * np.sin(2 * np.pi * 3 * t)))
            soundfile.write(root / f"{name}.wav", (wave + 0.01 * rng.standard_normal(t.size)).astype(np.float32), 16000)
        return Clips(root)


def gpu_peak(device: str, override: float | None) -> tuple[str, float | None]:
    if not device.startswith("cuda"):
        return "cpu", override
    import torch

    name = torch.cuda.get_device_name(torch.device(device))
    if override:
        return name, override
    return name, next((v for k, v in BF16_PEAK_TFLOPS.items() if k in name), None)


def check_throughput(device: str, workdir: Path, quick: bool, clips: int, batch_size: int, seconds: float,
                     peak_override: float | None) -> dict:
    import torch
    from transformers import HubertConfig, HubertModel, Wav2Vec2FeatureExtractor

    from merbench import plugins
    from merbench.cache import extract
    from merbench.cache.extract import _load_once
    from merbench.cache.inputs import prepare
    from merbench.util.device import resolve_device

    config = HUBERT_QUICK if quick else HUBERT_LARGE
    folder = workdir / "hubert-random"
    torch.manual_seed(0)
    start = time.perf_counter()
    HubertModel(HubertConfig(**config)).save_pretrained(folder)
    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True,
                             return_attention_mask=True).save_pretrained(folder)
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    data = SyntheticClips(workdir / "clips", clips, seconds)
    names = list(data.splits()["trainval"])
    write_s = time.perf_counter() - start
    dtype = "bfloat16" if device.startswith("cuda") else "float32"
    encoder = plugins.create("encoder", "chinese-hubert-large", checkpoint=str(folder), dtype=dtype,
                             batch_size=batch_size)
    _load_once(encoder, resolve_device(device))  # as extract loads it: extract then does not load it again
    flops = hubert_flops(config, seconds)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

    batch = [prepare(encoder, data.sample(n)) for n in names[:batch_size]]
    encoder.encode(batch)  # warm-up: kernels picked, memory allocated
    sync()
    repeats = 3 if quick else 10
    start = time.perf_counter()
    for _ in range(repeats):
        encoder.encode(batch)
    sync()
    model_s = (time.perf_counter() - start) / (repeats * len(batch))

    os.environ["MERBENCH_CACHE"] = str(workdir / "cache")
    start = time.perf_counter()
    extract(data, encoder, names, device=device, batch_size=batch_size, progress=False)
    sync()
    pipeline_s = time.perf_counter() - start
    name, peak = gpu_peak(device, peak_override)
    out = {"model": "HuBERT-large config, random init" if not quick else "HuBERT (quick, 2 layers)",
           "device": name, "dtype": dtype, "clips": clips, "clip_seconds": seconds, "batch_size": batch_size,
           **flops, "build_s": round(build_s, 1), "write_clips_s": round(write_s, 1)}
    for label, per_clip in (("model_only", model_s), ("pipeline", pipeline_s / clips)):
        tflops = flops["gflop_per_clip"] / per_clip / 1e3
        out[label] = {"clips_per_s": round(1 / per_clip, 1), "tflop_per_s": round(tflops, 2),
                      "fraction_of_bf16_peak": None if not peak else round(tflops / peak, 3)}
    out["bf16_peak_tflops"] = peak
    out["pipeline_efficiency"] = round(model_s * clips / pipeline_s, 3)  # model time / wall time of the extraction
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the script in about a minute")
    parser.add_argument("--clips", type=int, default=None, help="synthetic clips for the throughput (default 2048)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0, help="clip length")
    parser.add_argument("--peak-tflops", type=float, default=None, help="the GPU's bf16 dense peak, if not in the table")
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    parser.add_argument("--skip", action="append", default=[], choices=["features", "trainer", "throughput"])
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no "Loading weights" bars in the report
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    if args.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise SystemExit(f"--device {args.device}: torch {torch.__version__} sees no CUDA GPU "
                             "(make install TORCH_BUILD=cuda); use --device cpu --quick to check the script")
    clips = args.clips or (16 if args.quick else 2048)
    report: dict = {"device": args.device, "quick": args.quick, "tolerances": TOLERANCES}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="merbench-gpu-check-") as tmp:
        workdir = Path(tmp)
        steps = {"features": lambda: check_features(args.device, workdir, args.quick),
                 "trainer": lambda: check_trainer(args.device, args.quick),
                 "throughput": lambda: check_throughput(args.device, workdir, args.quick, clips, args.batch_size,
                                                        args.seconds, args.peak_tflops)}
        for step, run in steps.items():
            if step in args.skip:
                continue
            t = time.perf_counter()
            report[step] = run()
            report[f"{step}_s"] = round(time.perf_counter() - t, 1)
            print(f"{step}: done in {report[f'{step}_s']} s", file=sys.stderr, flush=True)
    report["total_s"] = round(time.perf_counter() - started, 1)
    checks = [r["ok"] for r in report.get("features", [])] + ([report["trainer"]["ok"]] if "trainer" in report else [])
    report["ok"] = all(checks)
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    if not report["ok"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
