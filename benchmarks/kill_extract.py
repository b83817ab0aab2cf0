"""The kill test: ``kill -9`` an extraction at random moments, re-run, compare with an uninterrupted run.

1. extract ENCODER over the dataset into a fresh cache, uninterrupted (the reference);
2. into a second fresh cache: start ``merbench extract``, wait until a random number of batches
   has landed plus a random delay, ``kill -9`` it; three times; then run it to completion;
3. check: ``merbench cache verify`` passes, every clip is stored exactly once, and the features
   equal the reference's.

    python benchmarks/kill_extract.py --dataset demo:standard --encoder egemaps --seed 0
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

MERBENCH = str(Path(sys.executable).with_name("merbench"))


def run_extract(cache: Path, args, kill_after_parts: int | None = None, delay: float = 0.0) -> dict:
    env = {**os.environ, "MERBENCH_CACHE": str(cache)}
    cmd = [MERBENCH, "extract", "--dataset", args.dataset, "--encoder", args.encoder, "--no-progress",
           "--batch-size", str(args.batch_size)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if kill_after_parts is None:
        _, err = proc.communicate()
        if proc.returncode:
            raise SystemExit(f"extract failed: {err.decode()[-2000:]}")
        return {"completed": True}
    start_parts = _count_parts(cache)
    while proc.poll() is None and _count_parts(cache) < start_parts + kill_after_parts:
        time.sleep(0.02)
    time.sleep(delay)
    if proc.poll() is not None:
        return {"completed": True, "note": "finished before the kill"}
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return {"killed_after_new_parts": _count_parts(cache) - start_parts, "tmp_files_left": len(list(cache.rglob("*.tmp*")))}


def _count_parts(cache: Path) -> int:
    return len(list(cache.rglob("*.h5.parts/*.h5")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="demo:standard")
    parser.add_argument("--encoder", default="egemaps")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    from merbench.datasets import open_dataset

    dataset = open_dataset(args.dataset)  # generate the demo once, outside the timed runs
    args.dataset = str(dataset.root)
    names = [s.name for s in dataset.iter_all()]
    with tempfile.TemporaryDirectory(prefix="merbench-kill-") as tmp:
        reference, killed = Path(tmp) / "reference", Path(tmp) / "killed"
        start = time.perf_counter()
        run_extract(reference, args)
        report = {"clips": len(names), "reference_s": round(time.perf_counter() - start, 1), "kills": []}
        for _ in range(args.kills):
            report["kills"].append(run_extract(killed, args, kill_after_parts=rng.randint(1, 6), delay=rng.uniform(0, 0.4)))
        run_extract(killed, args)
        verify = subprocess.run([MERBENCH, "cache", "verify", "--dataset", args.dataset],
                                env={**os.environ, "MERBENCH_CACHE": str(killed)}, capture_output=True, text=True)
        report["verify"] = (verify.stdout + verify.stderr).strip().splitlines()[-1]
        os.environ["MERBENCH_CACHE"] = str(killed)
        from merbench.cache import load_features, resolve

        store = resolve(dataset, args.encoder).store
        import h5py

        with h5py.File(store.path) as f:
            stored = [n.decode() for n in f["names"][()]]
        report["stored_rows"] = len(stored)
        report["each_clip_once"] = sorted(stored) == sorted(names)
        after_kills = load_features(dataset, args.encoder, names, layers="all", extract_missing=False)
        os.environ["MERBENCH_CACHE"] = str(reference)
        uninterrupted = load_features(dataset, args.encoder, names, layers="all", extract_missing=False)
        report["features_equal"] = bool(np.array_equal(after_kills, uninterrupted))
        report["max_abs_diff"] = float(np.abs(after_kills - uninterrupted).max())
    print(json.dumps(report))
    if not (report["each_clip_once"] and report["features_equal"] and report["verify"].startswith("ok")):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
