"""Extraction sharded over an executor's workers (``merbench extract --executor ray``).

The driver makes the same batch plan as :func:`merbench.cache.extract` (:func:`batch_plan`, over
every requested clip), holds the cache's writer lock, and hands the batches round-robin to one
shard per model worker (one per GPU, else per CPU), each with the part numbers its batches will be
written under. A shard loads the encoder once per worker process, has its media decoded by
separate CPU tasks (``context.submit``, ``decode_ahead`` batches ahead) and writes every finished
batch as its own atomic part file of the same cache key, exactly as a local run does; the driver
then compacts the parts into the main file. Features go from the model worker to its part file and
from there into the main file: never through the driver or the object store.

A killed or lost worker's shard is retried by the executor and resumes: the batches its earlier
attempt finished are in parts with its part numbers, so only the others are encoded; the half-written
temporary part of the dead attempt is dropped before compaction. Batches hold the same clips as
in a local run, so the features are the same bits.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from merbench.cache.extract import (DEFAULT_MAX_FAILED, Resolved, _encode_workers, _load_once, _one_line, _run,
                                    _unique, batch_plan, check_failures, resolve)
from merbench.cache.key import key_digest
from merbench.cache.store import CacheError, FeatureStore
from merbench.contracts.dataset import Dataset
from merbench.contracts.encoder import Encoder
from merbench.util.device import resolve_device

#: test hook (the kill test): ``<shard>:<batches>`` makes that shard's worker process exit after
#: writing <batches> batches on its first attempt, as a killed or lost worker would
FAULT_ENV = "MERBENCH_FAULT_KILL_SHARD"

#: per worker process: encoders built (and loaded) once, by (cache key digest, device)
_WORKER_ENCODERS: dict[tuple[str, str], Resolved] = {}


@dataclass(frozen=True)
class Shard:
    """One model worker's share of an extraction: batches as (part number, clips still to do)."""

    index: int
    dataset: Dataset
    encoder: str | Encoder
    params: dict
    digest: str
    path: str
    batches: tuple[tuple[int, tuple[str, ...]], ...]
    total: int
    frames: bool
    max_failed: float
    device: str
    decode_ahead: int

    @property
    def clips(self) -> int:
        return sum(len(b) for _, b in self.batches)


def extract_sharded(dataset: Dataset, encoder: str | Encoder, names: Sequence[str] | None = None, *, executor,
                    device: str = "auto", batch_size: int | None = None, frames: bool = False,
                    max_failed: float = DEFAULT_MAX_FAILED, retry_failed: bool = True, shards: int | None = None,
                    decode_ahead: int = 2, **encoder_params: Any) -> Path:
    """:func:`merbench.cache.extract` with the clips sharded over ``executor``'s workers (module docstring)."""
    resolved = resolve(dataset, encoder, **encoder_params)
    wanted = _unique(names if names is not None else (s.name for s in dataset.iter_all()))
    store = resolved.store
    aborted = False
    with store.writing():
        skip = set(store.index(with_frames=frames))
        if not retry_failed:
            skip |= set(store.failed())
        if any(n not in skip for n in wanted):
            size = batch_size or getattr(resolved.encoder, "batch_size", 16)
            plan = batch_plan(dataset, resolved.encoder, wanted, size)
            first = store.reserve(len(plan))
            batches = [(first + i, tuple(todo)) for i, batch in enumerate(plan)
                       if (todo := [n for n in batch if n not in skip])]
            gpu = device != "cpu" and executor.slots(gpu=True) > 0
            n = max(1, min(len(batches), shards or executor.slots(gpu=gpu)))
            digest = key_digest(resolved.key)
            jobs = [Shard(s, dataset, encoder, dict(encoder_params), digest, str(store.path), tuple(batches[s::n]),
                          len(wanted), frames, max_failed, device, decode_ahead) for s in range(n)]
            results = executor.map(run_shard, jobs, label=f"{resolved.name} ({n} shards)", unit="clips",
                                   describe=lambda j: f"shard {j.index} ({j.clips} clips)",
                                   total=sum(j.clips for j in jobs), gpu=gpu)
            aborted = any(r["aborted"] for r in results)
            store.recover()  # temporary parts of attempts that died
        store.compact()
    check_failures(resolved, wanted, max_failed, aborted)
    return store.path


def _worker_resolved(shard: Shard, device: str | None) -> Resolved:
    """The shard's encoder on this worker, checked against the driver's cache key; loaded on ``device``."""
    resolved = resolve(shard.dataset, shard.encoder, **shard.params)
    digest = key_digest(resolved.key)
    if digest != shard.digest:
        raise CacheError(f"{resolved.name}: this worker computes cache key {digest[:16]}, the driver {shard.digest[:16]}; "
                         "install the same merbench, encoder packages and data on every node")
    if device is None:
        return resolved
    cached = _WORKER_ENCODERS.get((digest, device))
    if cached is None:
        _load_once(resolved.encoder, device)
        cached = _WORKER_ENCODERS[(digest, device)] = resolved
    return cached


def decode_batch(dataset: Dataset, encoder: str | Encoder, params: dict, digest: str, names: Sequence[str]) -> list:
    """The inputs of ``names`` as the encoder takes them (on a CPU worker); a clip that fails carries its error."""
    from merbench.cache.inputs import prepare

    if (digest, "") not in _WORKER_ENCODERS:  # built without weights: preparing inputs needs none
        _WORKER_ENCODERS[(digest, "")] = resolve(dataset, encoder, **params)
    component = _WORKER_ENCODERS[(digest, "")].encoder
    out = []
    for name in names:
        try:
            out.append((name, prepare(component, dataset.sample(name)), None))
        except Exception as exc:  # recorded against the clip, as the local loop does
            out.append((name, None, _one_line(exc)))
    return out


class _ShardBar:
    """A shard's progress: batches started and clips done go to the executor's one display."""

    def __init__(self, context, shard: Shard) -> None:
        self.context, self.shard = context, shard
        self.seq_of = {names: seq for seq, names in shard.batches}
        self.failed = self.written = 0
        fault = os.environ.get(FAULT_ENV, "")
        target, _, after = fault.partition(":")
        self.exit_after = int(after) if fault and int(target) == shard.index and context.attempt == 0 else None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def started(self, batch: list[str]) -> None:
        self.context.at(f"batch {self.seq_of.get(tuple(batch), '?')}: clips {batch[0]} .. {batch[-1]} "
                        f"({len(batch)} clips)")

    def advance(self, n: int, failed_total: int) -> None:
        self.context.advance(n, failed_total - self.failed)
        self.failed = failed_total
        self.written += 1
        if self.exit_after is not None and self.written >= self.exit_after:
            os._exit(17)  # the kill test: this worker dies mid-extraction, its finished parts stay


def run_shard(shard: Shard, context) -> dict[str, Any]:
    """Encode the shard's batches that an earlier attempt did not finish; each batch becomes a part."""
    resolved = _worker_resolved(shard, None)
    store = FeatureStore(shard.path, resolved.key)
    with store.delegated_writing():
        done = store.part_names({seq for seq, _ in shard.batches})
        todo = [(seq, [n for n in batch if n not in done]) for seq, batch in shard.batches]
        todo = [(seq, batch) for seq, batch in todo if batch]
        if not todo:
            return {"aborted": False, "clips": 0}
        device = resolve_device(shard.device)
        resolved = _worker_resolved(shard, device)
        bar = _ShardBar(context, Shard(**{**shard.__dict__, "batches": tuple((s, tuple(b)) for s, b in todo)}))

        def decode(batch: list[str]):
            return context.submit(decode_batch, shard.dataset, shard.encoder, shard.params, shard.digest, batch)

        aborted = _run(shard.dataset, resolved, store, [b for _, b in todo], shard.total, progress=False,
                       frames=shard.frames, max_failed=shard.max_failed, workers=None,
                       encode_workers=_encode_workers(resolved.encoder, device), seqs=[s for s, _ in todo],
                       decode=decode, bar=bar, decode_ahead=shard.decode_ahead)
    return {"aborted": aborted, "clips": sum(len(b) for _, b in todo)}
