"""MER-OV describer throughput: clips/s of describe + extract on the demo OV split, cold and re-run.

    python benchmarks/ov_throughput.py --dataset demo:standard --limit 32 [--describer smollm2]

The cold pass uses a fresh generation cache (a temporary SQLite file); the second pass must be
served entirely from it. Target: the OV part of `merbench run` (default limit) under ~2 minutes
on 2 CPU cores with SmolLM2; a re-run costs only the model load.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="demo:standard")
    parser.add_argument("--describer", default="smollm2")
    parser.add_argument("--limit", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()

    from merbench import plugins
    from merbench.datasets import open_dataset
    from merbench.ov.generation_cache import GenerationCache
    from merbench.ov.track import describe_and_extract
    from merbench.util.env import environment

    dataset = open_dataset(args.dataset)
    samples = dataset.samples("ov")[: args.limit]
    began = time.perf_counter()
    describer = plugins.create("describer", args.describer, batch_size=args.batch_size)
    describer.load()
    load_s = time.perf_counter() - began
    with tempfile.TemporaryDirectory() as tmp:
        cache = GenerationCache(Path(tmp) / "generations.sqlite")
        results = {"clips": len(samples), "load_s": round(load_s, 2)}
        for run in ("cold", "rerun"):
            began = time.perf_counter()
            predictions, _descriptions, stats = describe_and_extract(describer, samples, cache=cache)
            seconds = time.perf_counter() - began
            results[run] = {"seconds": round(seconds, 2), "clips_per_second": round(len(samples) / seconds, 3),
                            **{step: s.as_dict() for step, s in stats.items()},
                            "empty_predictions": sum(1 for v in predictions.values() if not v)}
    print(json.dumps({**results, "environment": environment()}, indent=2))


if __name__ == "__main__":
    main()
