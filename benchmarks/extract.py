"""Clips/s of merbench's batched extraction against the baseline's one-clip-at-a-time loop.

The baseline pattern (MER2023/2024 feature scripts): load the model once, then for each clip
read the audio, run the model on that clip alone, pool, and ``np.save`` one .npy per clip.
merbench: :func:`merbench.cache.extract` (threaded decoding, size-sorted batches, one batch per core for
``concurrent_encode`` encoders, one HDF5 cache).
Both use the same encoder configuration (separate objects, each warmed up on two clips) and the
same clips; the loop's features are checked against the cache's (``max_abs_diff``).

The same run also times the model alone (``forward_s``): the timed clips' inputs are decoded once
beforehand (:func:`merbench.cache.inputs.prepare`, as the extractor does), grouped into the batches
:func:`merbench.cache.extract.batch_plan` gives the extractor, and fed to ``encoder.encode`` with the
extractor's concurrency (one batch per core for ``concurrent_encode`` encoders, one torch thread
each). ``pipeline_over_forward`` = ``pipeline_s`` (the batched extraction, ``batched_s``) /
``forward_s``: what decoding, batching, pooling and HDF5 writes add on top of the model.

    python benchmarks/extract.py --encoder tiny-hubert --clips 200
    python benchmarks/extract.py --encoder whisper-tiny-en --clips 100
    python benchmarks/extract.py --encoder whisper-tiny-en --baseline-param pad_seconds=30   # the 30 s window
    python benchmarks/extract.py --encoder minilm-l6-v2 --clips 200 --no-baseline       # pipeline / forward only

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


def forward_only(dataset, encoder, names, timed, batch_size: int | None) -> float:
    """Seconds of ``encoder.encode`` alone over ``timed``'s pre-decoded inputs, in the extractor's
    batches (planned over ``names``, less the warm-up clips) and with its concurrency."""
    import contextlib
    from concurrent.futures import ThreadPoolExecutor

    from merbench.cache.extract import _encode_workers, batch_plan
    from merbench.cache.inputs import is_empty, prepare

    size = batch_size or getattr(encoder, "batch_size", 16)
    keep = set(timed)
    batches = [[n for n in b if n in keep] for b in batch_plan(dataset, encoder, names, size)]
    inputs = [[x for x in (prepare(encoder, dataset.sample(n)) for n in b) if not is_empty(x)] for b in batches]
    inputs = [b for b in inputs if b]
    workers = _encode_workers(encoder, "cpu")
    threads = contextlib.nullcontext()
    if workers > 1:
        from merbench.threads import one_torch_thread_per_worker

        threads = one_torch_thread_per_worker()
    with threads, ThreadPoolExecutor(max_workers=workers) as pool:
        start = time.perf_counter()
        for _ in pool.map(encoder.encode, inputs):
            pass
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoder", default="tiny-hubert")
    parser.add_argument("--dataset", default="demo:standard")
    parser.add_argument("--clips", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--param", action="append", help="encoder parameter key=value (both runs)")
    parser.add_argument("--baseline-param", action="append", help="encoder parameter key=value for the loop only")
    parser.add_argument("--repeat", type=int, default=1, help="time pipeline and forward this many times, alternately, "
                        "each pipeline run on a cold cache; medians reported")
    parser.add_argument("--no-baseline", action="store_true", help="skip the one-at-a-time loop (pipeline / forward only)")
    args = parser.parse_args()

    from merbench.cache import extract, load_features
    from merbench.datasets import open_dataset
    from merbench.util.env import environment
    from merbench.util.params import parse_pairs

    dataset = open_dataset(args.dataset)
    names = [s.name for s in dataset.iter_all() if s.audio is not None or s.video is not None][: args.clips]
    with tempfile.TemporaryDirectory(prefix="merbench-bench-") as tmp:
        tmp = Path(tmp)
        params = parse_pairs(args.param or ())
        encoder = build_encoder(args.encoder, tmp, params)
        baseline_params = {**params, **parse_pairs(args.baseline_param or ())}
        timed = names[2:]
        if not args.no_baseline:
            os.environ["MERBENCH_CACHE"] = str(tmp / "cache-0")  # cold caches, outside the user's
            loop_encoder = build_encoder(args.encoder, tmp, baseline_params)
            loop_encoder.load("cpu")
            one_at_a_time(dataset, loop_encoder, names[:2], tmp / "warmup")
            loop_s = one_at_a_time(dataset, loop_encoder, timed, tmp / "npy")
        pipeline, forward = [], []
        for r in reversed(range(args.repeat)):  # the last run's cold cache (cache-0) stays for the comparison
            os.environ["MERBENCH_CACHE"] = str(tmp / f"cache-{r}")
            # warm-up (weights loaded, first calls done) on the first two clips; every run then times the rest
            extract(dataset, encoder, names[:2], device="cpu", progress=False)
            start = time.perf_counter()
            extract(dataset, encoder, names, device="cpu", batch_size=args.batch_size, progress=False)
            pipeline.append(time.perf_counter() - start)
            forward.append(forward_only(dataset, encoder, names, timed, args.batch_size))
        batched_s, forward_s = float(np.median(pipeline)), float(np.median(forward))
        result = {"encoder": args.encoder, "params": params, "clips": len(timed), "batched_s": round(batched_s, 2),
                  "batched_clips_per_s": round(len(timed) / batched_s, 2), "forward_s": round(forward_s, 3),
                  "pipeline_s": round(batched_s, 3), "pipeline_over_forward": round(batched_s / forward_s, 3),
                  "repeats": {"pipeline_s": [round(t, 3) for t in pipeline], "forward_s": [round(t, 3) for t in forward]}}
        if not args.no_baseline:
            from merbench.cache.pooling import select_layers

            cached = load_features(dataset, encoder, timed, layers="all")
            looped = np.stack([select_layers(np.load(tmp / "npy" / f"{n}.npy"), "all") for n in timed])
            result.update({"baseline_params": baseline_params, "one_at_a_time_s": round(loop_s, 2),
                           "one_at_a_time_clips_per_s": round(len(timed) / loop_s, 2),
                           "ratio": round(loop_s / batched_s, 2), "max_abs_diff": float(np.abs(cached - looped).max())})
    result.update({"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "environment": environment()})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
