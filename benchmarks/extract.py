"""Clips/s of merbench's batched extraction against the baseline's one-clip-at-a-time loop.

The baseline pattern (MER2023/2024 feature scripts): load the model once, then for each clip
read the audio, run the model on that clip alone, pool, and ``np.save`` one .npy per clip.
merbench: :func:`merbench.cache.extract` (threaded decoding, size-sorted batches, one batch per core for
``concurrent_encode`` encoders, one HDF5 cache).
Both use the same encoder configuration (separate objects, each warmed up on two clips) and the
same clips; the loop's features are checked against the cache's (``max_abs_diff``).

    python benchmarks/extract.py --encoder tiny-hubert --clips 200
    python benchmarks/extract.py --encoder whisper-tiny-en --clips 100
    python benchmarks/extract.py --encoder whisper-tiny-en --baseline-param pad_seconds=30   # the 30 s window

``tiny-hubert`` is a randomly initialised HuBERT (layer-norm front end, 5 layers, 32 dims) built
into a temp folder and loaded with ``from_pretrained``. Any registered encoder name works too.
Prints one JSON line per run (append it to a history file to track speed).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def build_encoder(name: str, workdir: Path, params: dict):
    from merbench import plugins

    if name == "tiny-hubert":
        from merbench.encoders.tiny_models import build

        return plugins.create("encoder", "chinese-hubert-base", checkpoint=str(build("hubert", workdir / "tiny-hubert")), **params)
    return plugins.create("encoder", name, **params)


def one_at_a_time(dataset, encoder, names, out_dir: Path) -> float:
    """The baseline loop; returns seconds."""
    from merbench.cache.inputs import prepare
    from merbench.cache.pooling import mean_over_time

    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for name in names:
        item = prepare(encoder, dataset.sample(name))
        out = encoder.encode([item])
        np.save(out_dir / f"{name}.npy", mean_over_time(out.hidden_states, np.asarray(out.lengths))[0])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoder", default="tiny-hubert")
    parser.add_argument("--dataset", default="demo:standard")
    parser.add_argument("--clips", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--param", action="append", help="encoder parameter key=value (both runs)")
    parser.add_argument("--baseline-param", action="append", help="encoder parameter key=value for the loop only")
    args = parser.parse_args()

    from merbench.cache import extract, load_features
    from merbench.datasets import open_dataset
    from merbench.util.env import environment
    from merbench.util.params import parse_pairs

    dataset = open_dataset(args.dataset)
    names = [s.name for s in dataset.iter_all() if s.audio is not None or s.video is not None][: args.clips]
    with tempfile.TemporaryDirectory(prefix="merbench-bench-") as tmp:
        tmp = Path(tmp)
        os.environ["MERBENCH_CACHE"] = str(tmp / "cache")  # a cold cache, outside the user's
        params = parse_pairs(args.param or ())
        encoder = build_encoder(args.encoder, tmp, params)
        baseline_params = {**params, **parse_pairs(args.baseline_param or ())}
        loop_encoder = build_encoder(args.encoder, tmp, baseline_params)
        loop_encoder.load("cpu")
        # warm-ups (weights loaded, first calls done) on the first two clips; both runs then time the rest
        one_at_a_time(dataset, loop_encoder, names[:2], tmp / "warmup")
        extract(dataset, encoder, names[:2], device="cpu", progress=False)
        timed = names[2:]
        loop_s = one_at_a_time(dataset, loop_encoder, timed, tmp / "npy")
        start = time.perf_counter()
        extract(dataset, encoder, names, device="cpu", batch_size=args.batch_size, progress=False)
        batched_s = time.perf_counter() - start
        from merbench.cache.pooling import select_layers

        cached = load_features(dataset, encoder, timed, layers="all")
        looped = np.stack([select_layers(np.load(tmp / "npy" / f"{n}.npy"), "all") for n in timed])
        max_diff = float(np.abs(cached - looped).max())
    result = {
        "encoder": args.encoder, "params": params, "baseline_params": baseline_params, "clips": len(timed),
        "one_at_a_time_s": round(loop_s, 2), "batched_s": round(batched_s, 2),
        "one_at_a_time_clips_per_s": round(len(timed) / loop_s, 2), "batched_clips_per_s": round(len(timed) / batched_s, 2),
        "ratio": round(loop_s / batched_s, 2), "max_abs_diff": max_diff,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S"), "environment": environment(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
