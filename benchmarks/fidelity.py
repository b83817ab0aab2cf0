"""Fidelity of the ``mer2024`` preset: ``merbench run`` against the baseline-style training loop.

On the fixed synthetic features of ``benchmarks/train.py`` (eGeMAPS/MiniLM/FER-shaped, 600 Train&Val
rows), written as the baseline's processed layout (``label-6way.csv`` plus ``features/<FEAT>/<name>.npy``)
and brought in with ``merbench cache import``, two ways of training the attention fusion at one fixed
hyper-parameter point:

* ``merbench run --protocol mer2024 --track trainval --encoder audio=import:... ...`` (raw features,
  raw attention weights, the baseline's folds, 100 epochs, batch 32, Adam with weight decay 1e-5,
  best epoch per fold by validation WAF), 2 seeds;
* ``benchmarks/train.py``'s baseline-style loop (MERTools ``main-release.py``'s structure) with the
  same point, folds and raw attention weights, for the same seeds.

Prints the CV WAF per seed of both and their means; the preset is faithful when the means agree
within 1 point (they differ only by torch's initialisation and shuffling streams).

    python benchmarks/fidelity.py [--epochs 100] [--seeds 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from train import baseline_loop, synthetic  # noqa: E402  (the benchmark beside this file)

POINT = {"hidden_dim": [128], "lr": [1e-3], "dropout": [0.3]}
FEATURES = {"audio": "egemaps_UTT", "text": "minilm_UTT", "visual": "fer_UTT"}


def write_processed_layout(root: Path, table) -> None:
    """``label-6way.csv`` (train_corpus only) and one ``features/<FEAT>/<name>.npy`` per clip and modality."""
    from merbench import EMOTIONS

    root.mkdir(parents=True, exist_ok=True)
    with (root / "label-6way.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["corpus", "name", "emo", "val"])
        for name, label in zip(table.names, table.labels):
            writer.writerow(["train_corpus", name, EMOTIONS[int(label)], ""])
    for modality, folder in FEATURES.items():
        out = root / "features" / folder
        out.mkdir(parents=True, exist_ok=True)
        for name, row in zip(table.names, table.inputs[modality]):
            np.save(out / f"{name}.npy", row)


def merbench_cli(*args: str, env: dict) -> str:
    done = subprocess.run([sys.executable, "-m", "merbench", *args], capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"merbench {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="write the layout, cache and records here instead of a temp folder")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    import os

    from merbench.training.folds import baseline_folds

    work = args.keep or Path(tempfile.mkdtemp(prefix="merbench-fidelity-"))
    env = {**os.environ, "MERBENCH_CACHE": str(work / "cache")}
    table = synthetic(600, 0)
    root = work / "features-only"
    write_processed_layout(root, table)
    for folder in FEATURES.values():
        merbench_cli("cache", "import", str(root / "features" / folder), "--dataset", str(root), "--replace", env=env)
    config = work / "point.yaml"
    config.write_text(json.dumps({"search_space": POINT, "unimodal": False, "unbiased": False,
                                  "combinations": [list(FEATURES)]}))
    out = work / "records"
    printed = merbench_cli("run", "--dataset", str(root), "--protocol", "mer2024", "--track", "trainval",
                           *[f"--encoder={m}=import:{f}" for m, f in FEATURES.items()], "--config", str(config),
                           "--trials", "1", "--epochs", str(args.epochs), "--seeds", str(args.seeds),
                           "--out", str(out), "--no-progress", env=env)
    record = json.loads(next(out.glob("trainval-*.json")).read_text())
    ours = {run["seed"]: run["scores"]["waf"] for run in record["per_seed"]}
    print("\n".join(line for line in printed.splitlines() if "departure" in line or line.startswith("  - ")))

    trial = [{k: v[0] for k, v in POINT.items()}]
    theirs = {}
    for seed in range(args.seeds):
        theirs[seed] = baseline_loop(table, [], trial, baseline_folds(len(table), 5, seed), args.epochs, 32, seed,
                                     fusion_params={"weights": "raw"})
        print(f"seed {seed}: merbench run (mer2024) CV WAF {ours[seed]:.4f} | baseline-style loop {theirs[seed]:.4f}",
              flush=True)
    a, b = np.mean(list(ours.values())), np.mean(list(theirs.values()))
    print(f"mean over {args.seeds} seeds: merbench {a:.4f}, baseline-style {b:.4f}, difference {100 * (a - b):+.2f} "
          f"points ({'within' if abs(a - b) <= 0.01 else 'OUTSIDE'} 1 point); {args.epochs} epochs, point {trial[0]}")


if __name__ == "__main__":
    main()
