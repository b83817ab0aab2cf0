"""How the CPU trainer runs its shards on this machine: worker threads or worker processes.

Both plans give bit-identical results (each shard runs one torch thread on its own models, seeded
per job); only the wall time differs. Where they differ is the per-step work outside matmuls: a
step of a small stack (a few models per shard, as in the demo and in short MER2024-sized searches)
is mostly Python and operator dispatch, which threads run one at a time under the GIL and processes
run side by side; a step of a large stack is mostly batched matmul, which threads run in parallel
too. On the 2-core AMD EPYC project machine, the demo's `merbench run` trained in 102 s with
processes against 169 s with threads, back to back; stacks of 8 models of width 128 tie.

So the choice is measured, not guessed, on the kind of step where the plans differ: the first CPU
training with more than one worker on a machine times one short overhead-bound workload (two small
models per worker, with the op structure of a MER fusion) under both plans and caches the winner
(processes only when clearly faster, :data:`PROCESS_MARGIN`) in
``<cache>/calibration/trainer-plan.json``, keyed by CPU model, core count, torch version, worker
count and the workload's version. ``MERBENCH_TRAIN_PLAN=threads|processes`` overrides it.

The plan is an execution detail, like the executor: it is not part of a record's identity.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import time
from pathlib import Path
from typing import Mapping

import numpy as np
import torch
from torch import nn

from merbench.contracts.fusion import BufferDropout, Fusion, FusionOutput
from merbench.paths import cache_root

PLANS = ("threads", "processes")
#: processes are chosen only when the calibration runs them in under this fraction of the threads' time
PROCESS_MARGIN = 0.9
#: the calibration workload's version, part of the cache key: a changed workload is measured again
WORKLOAD_VERSION = 2
log = logging.getLogger(__name__)


def calibration_file() -> Path:
    return cache_root() / "calibration" / "trainer-plan.json"


def machine_key(workers: int) -> str:
    from merbench.util.env import cpu_model

    return (f"{cpu_model() or platform.machine()} | {os.cpu_count()} cores | torch {torch.__version__} | "
            f"{workers} workers | workload {WORKLOAD_VERSION}")


def shard_plan(workers: int) -> str:
    """``threads`` or ``processes`` for a CPU fit with ``workers`` shards (see the module docstring)."""
    forced = os.environ.get("MERBENCH_TRAIN_PLAN")
    if forced:
        if forced not in PLANS:
            raise ValueError(f"MERBENCH_TRAIN_PLAN={forced!r}: use one of {', '.join(PLANS)}")
        return forced
    path, key = calibration_file(), machine_key(workers)
    known = _read(path)
    if key not in known:
        known = _read(path)  # another process may have calibrated meanwhile
        if key not in known:
            known[key] = calibrate(workers)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(known, indent=1, sort_keys=True))
            tmp.replace(path)
    return known[key]["plan"]


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and all(isinstance(v, dict) and v.get("plan") in PLANS
                                                  for v in data.values()) else {}


class CalibrationFusion(Fusion):
    """The calibration workload's model, with the op structure of a MER fusion without naming a
    registered one: per input, dropout and three Linear+ReLU; the same over their concatenation;
    softmax input weights; the weighted sum; a linear head."""

    stackable = True

    def __init__(self, input_dims: Mapping[str, int], num_classes: int, with_valence: bool = False, *,
                 hidden_dim: int = 64) -> None:
        super().__init__(input_dims, num_classes, with_valence)
        self.names = list(self.input_dims)

        def encoder(width: int) -> nn.Sequential:
            return nn.Sequential(BufferDropout(0.3), nn.Linear(width, hidden_dim), nn.ReLU(),
                                 nn.Linear(hidden_dim, hidden_dim), nn.ReLU(),
                                 nn.Linear(hidden_dim, hidden_dim), nn.ReLU())

        self.branches = nn.ModuleList(encoder(d) for d in self.input_dims.values())
        self.fusion = encoder(hidden_dim * len(self.names))
        self.weights = nn.Linear(hidden_dim, len(self.names))
        self.head = nn.Linear(hidden_dim, num_classes)

    def forward(self, features: Mapping[str, torch.Tensor]) -> FusionOutput:
        hidden = [branch(features[n]) for n, branch in zip(self.names, self.branches)]
        weights = torch.softmax(self.weights(self.fusion(torch.cat(hidden, dim=-1))), dim=-1)
        fused = hidden[0] * weights[..., :1]
        for m in range(1, len(hidden)):
            fused = fused + hidden[m] * weights[..., m:m + 1]
        return FusionOutput(logits=self.head(fused), weights=weights)


def _build_calibration_model(params: Mapping) -> nn.Module:
    return CalibrationFusion({"a": 88, "t": 384, "v": 7}, 6, **params)


def calibrate(workers: int, repeats: int = 3) -> dict:
    """Time the standard workload (two models of width 64 per worker, 480 training rows, 5 epochs) under
    both plans, best of ``repeats`` each, interleaved; the worker processes' start is not timed (it is
    paid once)."""
    from merbench.training.data import FeatureTable
    from merbench.training.trainer import Job, VectorisedTrainer

    rng = np.random.default_rng(0)
    n = 600
    table = FeatureTable([f"c{i}" for i in range(n)],
                         {k: rng.normal(size=(n, d)).astype(np.float32) for k, d in (("a", 88), ("t", 384), ("v", 7))},
                         rng.integers(0, 6, n).astype(np.int64), source="calibration")
    rows = np.arange(n)
    jobs = [Job({"hidden_dim": 64, "lr": 1e-3}, rows[120:], rows[:120], init_seed=i, trial=i, fold=0)
            for i in range(2 * workers)]
    seconds: dict[str, float] = {}
    results = {}
    for plan in PLANS:  # untimed warm-up: worker processes started, first calls done
        VectorisedTrainer(_build_calibration_model, num_classes=6, epochs=1, device="cpu", workers=workers,
                          plan=plan).fit(table, jobs)
    for _ in range(repeats):
        for plan in PLANS:
            trainer = VectorisedTrainer(_build_calibration_model, num_classes=6, epochs=5, device="cpu",
                                        workers=workers, plan=plan)
            start = time.perf_counter()
            results[plan] = trainer.fit(table, jobs)
            seconds[plan] = min(seconds.get(plan, float("inf")), time.perf_counter() - start)
    same = all(np.array_equal(a.val_logits, b.val_logits) for a, b in zip(results["threads"], results["processes"]))
    if not same:  # the plans' premise; a machine where it fails keeps the threads plan and says so
        log.warning("trainer calibration: the thread and process plans gave different numbers; using threads")
    # processes must win clearly: on a VM whose speed drifts, a tie is noise, and threads need no workers
    choice = "processes" if same and seconds["processes"] < PROCESS_MARGIN * seconds["threads"] else "threads"
    log.info("trainer plan for this machine: %s (threads %.2fs, processes %.2fs)", choice, seconds["threads"],
             seconds["processes"])
    return {"plan": choice, "threads_s": round(seconds["threads"], 3), "processes_s": round(seconds["processes"], 3),
            "measured": time.strftime("%Y-%m-%dT%H:%M:%S")}
