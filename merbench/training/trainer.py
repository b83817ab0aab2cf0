"""The vectorised trainer: many (fold, trial) models trained together on tensors resident on the device.

Why it is fast (docs/protocol.md "What the baseline code actually does" trains one fold and one trial at a
time, with a DataLoader, scoring every test set every epoch):

* Models whose parameters have the same shapes are stacked and run as one
  (:mod:`merbench.training.ensemble`: batched matmuls for fusions that declare ``stackable``, vmap
  otherwise); one :class:`~merbench.training.optim.StackedAdam` steps them all with each model's own
  learning rate (Adam and L2 weight decay act element-wise, so a stacked step equals one
  ``torch.optim.Adam`` step of each model on its own). Models are stacked in learning-rate order, so
  the fused Adam kernel runs once per learning rate. A model whose epoch has fewer batches (a smaller
  training part) sits the remaining steps out.
* Every model still sees its own shuffled mini-batches of ``batch_size`` (drop_last=False), its own
  initialisation (seeded per job) and its own dropout masks and rate (rates live in buffers, see
  :class:`merbench.contracts.fusion.BufferDropout`). Each model's loss is the mean over its own batch.
  Shuffles (and, for stackable fusions, dropout masks) come from streams seeded per job, so a model
  trains the same whatever it is stacked with, up to the last bits noted below.
* On CPU, torch's batched matmul runs each call on one core, so a group of stackable models is split
  into one shard per CPU thread and the shards train in parallel, in worker threads or worker
  processes (:mod:`merbench.training.processes`), whichever this machine runs faster
  (:mod:`merbench.training.plan` measures it once). Results do not change with the plan. The split
  follows the worker count; at some shapes it changes the last bits (batched-matmul kernels and the
  fused Adam step round by the stack's composition, and a model with fewer batches draws dropout
  masks during its company's extra steps: docs/determinism.md), so one machine with one worker count
  gives the same bits run after run.
* Only validation sets are scored during training (tensor WAF, all models at once). The best epoch's
  weights are kept per model, and test sets are predicted once per kept model afterwards.
"""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np
import torch
from torch.func import functional_call

from merbench.threads import cpu_workers, one_torch_thread_per_worker
from merbench.training.data import FeatureTable
from merbench.training.ensemble import VmapEnsemble, make_ensemble
from merbench.training.metrics import COMBINED_MSE_WEIGHT, batched_waf_acc
from merbench.training.optim import StackedAdam
from merbench.util.device import resolve_device
from merbench.util.padding import pad_sequences

#: columns of :attr:`JobResult.history`
HISTORY_COLUMNS = ("waf", "acc", "mse")
#: cap on floats gathered per evaluation chunk (models x samples x input dims)
_EVAL_CHUNK_FLOATS = 2 ** 25


@dataclass(frozen=True)
class Job:
    """One model to train: fusion hyper-parameters (``lr`` among them), its rows and its seed."""

    params: Mapping[str, Any]
    train: np.ndarray
    val: np.ndarray
    init_seed: int
    trial: int = -1  # where it sits in the protocol (-1: unknown): chunks for a cluster, failure reports
    fold: int = -1


@dataclass
class JobResult:
    history: np.ndarray  # (epochs, 3): validation waf, acc, mse (NaN without valence) after each epoch
    best_epoch: int  # 0-based
    best_score: float  # the selection score at best_epoch
    state: dict[str, torch.Tensor]  # best-epoch parameters and buffers (on CPU)
    val_logits: np.ndarray  # (len(val), C) at best_epoch
    val_valence: np.ndarray | None
    module: torch.nn.Module = field(repr=False, default=None)  # a "meta" copy of the architecture


def selection_score(history: np.ndarray, select: str) -> np.ndarray:
    """The per-epoch score an epoch/trial is chosen by: WAF, or MER2023's WAF - 0.25 * MSE."""
    if select == "waf":
        return history[..., 0]
    if select == "combined":
        return history[..., 0] - COMBINED_MSE_WEIGHT * history[..., 2]
    raise ValueError(f"unknown selection metric {select!r}; use 'waf' or 'combined'")


class VectorisedTrainer:
    """Trains :class:`Job` lists for one fusion architecture; see the module docstring.

    ``build(params)`` returns a fresh fusion module for hyper-parameters ``params`` (without ``lr``).
    """

    def __init__(self, build: Callable[[Mapping[str, Any]], torch.nn.Module], *, num_classes: int,
                 epochs: int = 100, batch_size: int = 32, weight_decay: float = 1e-5, device: str = "auto",
                 select: str = "waf", seed: int = 0, progress: Callable[[int], None] | None = None,
                 workers: int | None = None, plan: str = "auto") -> None:
        self.build = build
        self.num_classes = num_classes
        self.epochs = epochs
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.requested_device = device  # resolved again on each worker of a cluster
        self.device = torch.device(resolve_device(device))
        self.select = select
        self.seed = seed
        self.progress = progress
        self.workers = workers  # None: one per torch CPU thread on CPU, one on an accelerator
        self.plan = plan  # CPU shards in "threads" or "processes"; "auto": measured per machine (training/plan.py)
        self._architectures: dict[tuple, tuple[tuple, bool]] = {}

    # -- training ------------------------------------------------------------------------------
    def fit(self, table: FeatureTable, jobs: list[Job], executor=None) -> list[JobResult]:
        """Train ``jobs`` on ``table``; a distributed ``executor`` trains chunks of them on its workers
        (:func:`fit_distributed`), with the same results."""
        if executor is not None and executor.distributed:
            return fit_distributed(executor, [(self, table, jobs)])[0]
        return self._train(table, jobs, self.shard_list(jobs), self._workers())

    def shard_list(self, jobs: list[Job]) -> list[tuple[int, list[int]]]:
        """What ``fit(jobs)`` trains as one stacked ensemble each: (group index, member indices)."""
        workers = self._workers()
        return [(g, shard) for g, members in self.groups(jobs) for shard in self._shards(members, jobs, workers)]

    def fit_part(self, table: FeatureTable, jobs: list[Job], group_index: int) -> list[JobResult]:
        """Train ``jobs``, part of architecture group ``group_index`` of a larger ``fit`` (a cluster
        task): each gets the result it gets in that ``fit`` (the index seeds vmap'd fusions' dropout)."""
        workers = self._workers()
        return self._train(table, jobs, [(group_index, shard) for shard in
                                         self._shards(list(range(len(jobs))), jobs, workers)], workers)

    def groups(self, jobs: list[Job]) -> list[tuple[int, list[int]]]:
        """Jobs by architecture: (group index, members in learning-rate order), groups in job order."""
        groups: dict[tuple, list[int]] = {}
        for i, job in enumerate(jobs):
            groups.setdefault(self._group_key(job), []).append(i)
        for members in groups.values():
            members.sort(key=lambda i: (float(jobs[i].params["lr"]), i))
        return list(enumerate(members for _, members in sorted(groups.items(), key=lambda kv: min(kv[1]))))

    def chunks(self, jobs: list[Job], per_fold: int) -> list[tuple[int, list[int]]]:
        """The cluster tasks of ``fit(jobs)``: (group index, member indices). A stackable group is cut
        by fold and into ``per_fold`` groups of trials (its models train the same in any company, see
        :meth:`_shards`); a vmap'd group stays whole (its dropout stream is shared)."""
        out = []
        for g, members in self.groups(jobs):
            if not self._stackable(jobs[members[0]]):
                out.append((g, members))
                continue
            trials = sorted({jobs[i].trial for i in members})
            size = -(-len(trials) // max(1, per_fold))
            rank = {t: r // size for r, t in enumerate(trials)}
            pieces: dict[tuple[int, int], list[int]] = {}
            for i in members:  # members stay in learning-rate order within a piece
                pieces.setdefault((jobs[i].fold, rank[jobs[i].trial]), []).append(i)
            out += [(g, piece) for _, piece in sorted(pieces.items())]
        return out

    def on_this_worker(self) -> "VectorisedTrainer":
        """A copy for a cluster worker: the device resolved here, no progress callback, own caches."""
        other = copy.copy(self)
        other.device = torch.device(resolve_device(self.requested_device))
        other.progress = None
        other.plan = "threads"  # a cluster task uses the cores it was given, in-process
        other._architectures = dict(self._architectures)
        return other

    def _train(self, table: FeatureTable, jobs: list[Job], plan: list[tuple[int, list[int]]],
               workers: int) -> list[JobResult]:
        tasks = [(g, shard, self._build_models([jobs[i] for i in shard])) for g, shard in plan]  # global RNG: main thread only
        parallel = len(tasks) > 1 and workers > 1 and all(self._stackable(jobs[shard[0]]) for _, shard in plan)
        if parallel and self._shard_plan(workers, tasks[0][2][0]) == "processes":
            from merbench.training import processes

            arrays = {"inputs": table.inputs, "labels": table.labels, "valence": table.valence}
            returned = processes.run_shards(self, arrays, [(g, [jobs[i] for i in shard], models)
                                                           for g, shard, models in tasks], workers)
            finished = []
            for (_, shard, models), shard_results in zip(tasks, returned):
                base = copy.deepcopy(models[0]).to("meta")  # what _fit_group keeps as the architecture
                for res in shard_results:
                    res.state, res.module = {k: torch.from_numpy(v) for k, v in res.state.items()}, base
                finished.append((shard, shard_results))
        else:
            inputs, labels, valence = self._device_tensors(table.inputs, table.labels, table.valence)

            def run(task: tuple[int, list[int], list[torch.nn.Module]]) -> tuple[list[int], list[JobResult]]:
                g, shard, models = task
                return shard, self._fit_group([jobs[i] for i in shard], models, inputs, labels, valence, g)

            if parallel:
                with one_torch_thread_per_worker(), ThreadPoolExecutor(workers) as pool:  # threads inherit the 1
                    finished = list(pool.map(run, tasks))
            else:
                finished = [run(task) for task in tasks]
        results: list[JobResult | None] = [None] * len(jobs)
        for shard, shard_results in finished:
            for i, res in zip(shard, shard_results):
                results[i] = res
        return results  # type: ignore[return-value]

    def _device_tensors(self, inputs, labels, valence):
        return ({k: torch.as_tensor(v, device=self.device) for k, v in inputs.items()},
                torch.as_tensor(labels, device=self.device),
                None if valence is None else torch.as_tensor(valence, dtype=torch.float32, device=self.device))

    def fit_shard(self, arrays: Mapping[str, Any], jobs: list[Job], models: list[torch.nn.Module],
                  group_index: int) -> list[JobResult]:
        """One shard of ``_train`` on its own (a worker process's task): ``models`` built by
        :meth:`_build_models` for ``jobs``, trained on the table ``arrays`` (inputs, labels, valence)."""
        inputs, labels, valence = self._device_tensors(arrays["inputs"], arrays["labels"], arrays["valence"])
        return self._fit_group(jobs, models, inputs, labels, valence, group_index)

    def portable(self) -> "VectorisedTrainer":
        """A copy to send to a worker process: without ``build`` (the models travel built) and the
        progress callback (the worker reports progress as messages)."""
        other = copy.copy(self)
        other.build, other.progress = None, None
        return other

    def _shard_plan(self, workers: int, model: torch.nn.Module) -> str:
        """``threads`` or ``processes`` for CPU shards. Models travel to worker processes pickled, so
        their class must be importable there: not defined in ``__main__`` or inside a function."""
        from merbench.training.plan import shard_plan

        plan = shard_plan(workers) if self.plan == "auto" else self.plan
        cls = type(model)
        if plan == "processes" and (cls.__module__ == "__main__" or "<locals>" in cls.__qualname__):
            if self.plan == "processes":
                raise ValueError(f"the processes plan needs fusion classes a worker can import; "
                                 f"{cls.__module__}.{cls.__qualname__} is not")
            return "threads"  # same numbers, another schedule
        return plan

    def _workers(self) -> int:
        if self.workers is not None:
            return max(1, int(self.workers))
        return cpu_workers() if self.device.type == "cpu" else 1

    def _shards(self, members: list[int], jobs: list[Job], workers: int) -> list[list[int]]:
        """A group split into up to ``workers`` contiguous shards trained in parallel threads.

        Only stackable fusions are split: their models draw shuffles and dropout masks from their own
        seeded streams, so a model trains the same in any company up to the last bits that batched
        kernels round by the stack's composition (docs/determinism.md; test_ensemble.py checks
        equality at its sizes). The split is a function of the jobs and ``workers``, so a machine
        repeats its bits. vmap'd fusions draw dropout from torch's global generator, so they stay one
        group on one thread.
        """
        if not self._stackable(jobs[members[0]]) or workers < 2:
            return [members]
        return [part.tolist() for part in np.array_split(np.asarray(members), min(workers, len(members)))]

    def _fusion_params(self, job: Job) -> dict[str, Any]:
        return {k: v for k, v in job.params.items() if k != "lr"}

    def _architecture(self, job: Job) -> tuple[tuple, bool]:
        """The job's parameter shapes and whether its fusion is stackable, from one meta build per setting."""
        fusion_params = self._fusion_params(job)
        cache_key = tuple(sorted((k, repr(v)) for k, v in fusion_params.items()))
        if cache_key not in self._architectures:
            with torch.device("meta"):
                module = self.build(fusion_params)
            shapes = tuple((k, tuple(v.shape)) for k, v in module.state_dict().items())
            self._architectures[cache_key] = (shapes, bool(getattr(module, "stackable", False)))
        return self._architectures[cache_key]

    def _group_key(self, job: Job) -> tuple:
        return self._architecture(job)[0]

    def _stackable(self, job: Job) -> bool:
        return self._architecture(job)[1]

    def _build_models(self, jobs: list[Job]) -> list[torch.nn.Module]:
        models = []
        for job in jobs:
            torch.manual_seed(job.init_seed)
            models.append(self.build(self._fusion_params(job)).to(self.device))
        return models

    def _fit_group(self, jobs: list[Job], models: list[torch.nn.Module], inputs, labels, valence,
                   group_index: int) -> list[JobResult]:
        dev, bs, m = self.device, self.batch_size, len(jobs)
        base = copy.deepcopy(models[0]).to("meta")
        with_valence = valence is not None and getattr(base, "with_valence", False)
        shuffle_seeds, dropout_seeds = zip(*(np.random.SeedSequence(job.init_seed).generate_state(2).tolist()
                                             for job in jobs))
        shufflers = [torch.Generator().manual_seed(s) for s in shuffle_seeds]
        ensemble = make_ensemble(models, with_valence, list(dropout_seeds), dev)
        if isinstance(ensemble, VmapEnsemble):  # its dropout masks come from torch's global generator
            torch.manual_seed(self.seed * 1_000_003 + group_index)
        params, buffers = ensemble.params, ensemble.buffers
        optimizer = StackedAdam(list(params.values()), torch.tensor([float(job.params["lr"]) for job in jobs]),
                                weight_decay=self.weight_decay)

        val_index, val_valid = _pad([job.val for job in jobs], dev)
        train_sets = [torch.as_tensor(job.train, device=dev) for job in jobs]
        n_batches = -(-max(len(t) for t in train_sets) // bs)
        min_batches = -(-min(len(t) for t in train_sets) // bs)
        # steps where no model's batch is short: the padding masks are skipped there (x * 1.0 and a
        # count of bs are exact, so the numbers are those of the masked loss)
        full_steps = min(len(t) for t in train_sets) // bs
        whole = torch.full((m,), float(bs), device=dev)
        history = np.full((m, self.epochs, 3), np.nan)
        best = np.full(m, -np.inf)
        best_epoch = np.zeros(m, dtype=int)
        best_state = {k: v.detach().clone() for k, v in {**params, **buffers}.items()}
        best_logits = torch.zeros(m, val_index.shape[1], self.num_classes, device=dev)
        best_val = torch.zeros(m, val_index.shape[1], device=dev) if with_valence else None

        for epoch in range(self.epochs):
            ensemble.train(True)
            order = torch.full((m, n_batches * bs), -1, dtype=torch.long, device=dev)
            for i, rows in enumerate(train_sets):
                order[i, : len(rows)] = rows[torch.randperm(len(rows), generator=shufflers[i]).to(dev)]
            order = order.view(m, n_batches, bs)
            for step in range(n_batches):
                idx = order[:, step]
                if step < full_steps:  # every model has a whole batch: its masks would be all ones
                    valid, safe, count = None, idx, whole
                else:
                    valid = (idx >= 0).to(torch.float32)
                    safe = idx.clamp_min(0)
                    count = valid.sum(1).clamp_min(1.0)
                flat_index = safe.reshape(-1)
                outs = ensemble({k: _take(v, flat_index, m) for k, v in inputs.items()})
                per_sample = torch.nn.functional.cross_entropy(
                    outs[0].reshape(-1, self.num_classes), labels.index_select(0, flat_index), reduction="none").view(m, -1)
                loss = ((per_sample if valid is None else per_sample * valid).sum(1) / count).sum()
                if with_valence:
                    target = _take(valence, flat_index, m)
                    finite = torch.isfinite(target).to(torch.float32)
                    has = finite if valid is None else valid * finite
                    err = (outs[1] - torch.nan_to_num(target)) ** 2
                    loss = loss + ((err * has).sum(1) / has.sum(1).clamp_min(1.0)).sum()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step(valid.any(1) if step >= min_batches else None)
            scores, logits, val_pred = self._evaluate(ensemble, inputs, labels, valence, val_index, val_valid,
                                                      with_valence)
            history[:, epoch] = scores
            current = selection_score(scores, self.select)
            improved = current > best
            if improved.any():
                mask = torch.as_tensor(improved, device=dev)
                for k, v in {**params, **buffers}.items():
                    best_state[k][mask] = v.detach()[mask]
                best_logits[mask] = logits[mask]
                if with_valence:
                    best_val[mask] = val_pred[mask]
                best[improved] = current[improved]
                best_epoch[improved] = epoch
            if self.progress is not None:
                self.progress(m)

        results = []
        for i, job in enumerate(jobs):
            n_val = len(job.val)
            results.append(JobResult(
                history=history[i], best_epoch=int(best_epoch[i]), best_score=float(best[i]),
                state=ensemble.member_state(i, best_state),
                val_logits=best_logits[i, :n_val].cpu().numpy(),
                val_valence=None if best_val is None else best_val[i, :n_val].cpu().numpy(),
                module=base))
        return results

    @torch.no_grad()
    def _evaluate(self, ensemble, inputs, labels, valence, val_index, val_valid, with_valence):
        ensemble.train(False)
        m, v = val_index.shape
        width = sum(int(np.prod(t.shape[1:])) for t in inputs.values())
        chunk = max(1, _EVAL_CHUNK_FLOATS // max(1, v * width))
        logits_parts, valence_parts = [], []
        for a in range(0, m, chunk):
            sl = slice(None) if chunk >= m else slice(a, a + chunk)
            outs = ensemble({k: t[val_index[sl]] for k, t in inputs.items()}, members=sl)
            logits_parts.append(outs[0])
            if with_valence:
                valence_parts.append(outs[1])
        logits = torch.cat(logits_parts)
        truth = labels[val_index]
        waf, acc = batched_waf_acc(logits.argmax(-1), truth, val_valid, self.num_classes)
        scores = np.stack([waf.cpu().numpy(), acc.cpu().numpy(), np.full(m, np.nan)], axis=1)
        val_pred = None
        if with_valence:
            val_pred = torch.cat(valence_parts)
            target = valence[val_index]
            has = val_valid & torch.isfinite(target)
            err = ((val_pred - torch.nan_to_num(target)) ** 2 * has).sum(1) / has.sum(1).clamp_min(1)
            scores[:, 2] = err.cpu().numpy()
        ensemble.train(True)
        return scores, logits, val_pred

    # -- prediction ----------------------------------------------------------------------------
    @torch.no_grad()
    def predict(self, result: JobResult, table: FeatureTable,
                chunk: int = 4096) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Logits (N, C), valence (N,) and the fusion's input weights (N, K) of one kept model on
        ``table``; valence and weights are None when the fusion gives none."""
        module = result.module
        module.eval()
        logits, valence, weights = [], [], []
        state = {k: v.to(self.device) for k, v in result.state.items()}
        for a in range(0, len(table), chunk):
            x = {k: torch.as_tensor(v[a:a + chunk], device=self.device) for k, v in table.inputs.items()}
            out = functional_call(module, state, (x,))
            logits.append(out.logits.cpu().numpy())
            if out.valence is not None:
                valence.append(out.valence.cpu().numpy())
            if out.weights is not None:
                weights.append(out.weights.cpu().numpy())
        module.train()
        return (np.concatenate(logits), (np.concatenate(valence) if valence else None),
                (np.concatenate(weights) if weights else None))


def table_digest(table: FeatureTable) -> str:
    """A digest of everything a table holds (names, inputs, labels, valence): the object-store key of a
    row's features, so the seeds and trials of one row share one copy."""
    import hashlib

    h = hashlib.sha256("\n".join(table.names).encode())
    for key in sorted(table.inputs):
        arr = np.ascontiguousarray(table.inputs[key])
        h.update(f"{key}:{arr.dtype}:{arr.shape}".encode())
        h.update(arr.tobytes())
    h.update(np.ascontiguousarray(table.labels).tobytes())
    if table.valence is not None:
        h.update(np.ascontiguousarray(table.valence).tobytes())
    return h.hexdigest()


def fit_distributed(executor, fits: list[tuple[VectorisedTrainer, FeatureTable, list[Job]]],
                    label: str = "training") -> list[list[JobResult]]:
    """``[trainer.fit(table, jobs) for trainer, table, jobs in fits]`` as one map of cluster tasks:
    each a (seed, trial group, fold) chunk (:meth:`VectorisedTrainer.chunks`); each table goes into the
    executor's store once. Every model is seeded by its own job, whichever worker trains it and whatever
    it is stacked with, so the results are those of the local ``fit`` up to the last bits a different
    stack composition can change (docs/determinism.md "The split of models over workers")."""
    gpu = fits[0][0].requested_device != "cpu" and executor.slots(gpu=True) > 0
    per_fit = -(-2 * executor.slots(gpu=gpu) // len(fits))  # about two tasks per worker
    items, where = [], []
    for f, (trainer, table, jobs) in enumerate(fits):
        shared = executor.share(table, table_digest(table))
        folds = len({job.fold for job in jobs})
        for g, members in trainer.chunks(jobs, per_fold=-(-per_fit // max(1, folds))):
            part = [jobs[i] for i in members]
            trials = sorted({job.trial for job in part})
            text = (f"seed {trainer.seed}, trial{'s' if len(trials) > 1 else ''} "
                    f"{trials[0] if len(trials) == 1 else f'{trials[0]}-{trials[-1]}'}, "
                    f"fold{'s' if len({j.fold for j in part}) > 1 else ''} "
                    f"{', '.join(str(x) for x in sorted({j.fold for j in part}))}")
            items.append((trainer, shared, part, g, text))
            where.append((f, members))
    finished = executor.map(_train_chunk, items, label=f"{label} ({len(items)} tasks)", describe=lambda item: item[4],
                            gpu=gpu)
    out: list[list[JobResult | None]] = [[None] * len(jobs) for _, _, jobs in fits]
    for (f, members), results in zip(where, finished):
        for i, result in zip(members, results):
            out[f][i] = result
    return out  # type: ignore[return-value]


def _train_chunk(item, context) -> list[JobResult]:
    """A cluster task: one chunk of a ``fit``, trained on this worker."""
    trainer, shared, jobs, group_index, where = item
    context.at(where)
    table = context.get(shared)
    table = FeatureTable(table.names, {k: np.array(v) for k, v in table.inputs.items()}, np.array(table.labels),
                         None if table.valence is None else np.array(table.valence), table.source)  # writable copies
    return trainer.on_this_worker().fit_part(table, jobs, group_index)


def _take(table: torch.Tensor, rows: torch.Tensor, models: int) -> torch.Tensor:
    """``table[rows.view(models, -1)]``: a step's batch of every model, gathered by ``index_select``
    (the same copy as advanced indexing, a third of its time for a 384-wide table)."""
    return table.index_select(0, rows).view(models, -1, *table.shape[1:])


def _pad(index_sets: list[np.ndarray], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    index, valid = pad_sequences(index_sets, dtype=np.int64)
    return torch.as_tensor(index, device=device), torch.as_tensor(valid, device=device)
