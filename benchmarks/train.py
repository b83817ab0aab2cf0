"""Speed of merbench's vectorised CV trainer against a baseline-style training loop.

Both train the same attention fusion on identical features (seeded synthetic features shaped like
the demo's eGeMAPS 88 / MiniLM 384 / FER 7 dims, or a cached run's features with --dataset), with
identical folds, hyper-parameter trials, epochs, batch size, Adam and weight decay:

* baseline-style (the MER2024 baseline's ``main-release.py``, zeroQiaoba/MERTools): one fold and one
  trial at a time; samples come from a Dataset of per-sample dicts batched by the collater of
  MERTools' ``Data_Feat``; every epoch its ``train_or_eval_model`` runs over the train loader, the
  validation loader and every test loader (here the unlabeled pool and the SEMI set), each a torch
  DataLoader of batch 32 whose per-batch names, logits, labels and loss are collected on the CPU,
  then scored (WAF, ACC) -- the training pass included; evaluation runs without ``torch.no_grad``
  and every epoch's results are kept, as there. ``--baseline-eval full`` scores validation and test
  sets in one no-grad forward pass instead (a faster loop than the baseline's: a lower bound);
* merbench: :func:`merbench.training.protocol.cross_validate` (every fold x trial stacked and
  trained together, validation only during training, test sets once per kept model). Its nested
  unbiased score is switched off here so both train the same number of models.

Sizes. The default is the demo corpus's (600 Train&Val rows, a 1500-clip unlabeled pool and a 200-clip
SEMI set). The challenge's proportions are different: MER2024 has 5030 Train&Val samples and its
baseline scores all 115,595 unlabeled clips (the hidden SEMI and NOISE test clips are among them) every
epoch, a pool 23 times the labeled set where the demo's is 2.5 times. Per model and epoch the
baseline-style loop then spends ~0.4-0.8 s training and ~4.5 s scoring the pool, which merbench scores
once per kept model. To time that setting in minutes rather than days, cut epochs and trials (both make
the ratio smaller: merbench's test scoring is a fixed cost, the baseline's grows with both):

    python benchmarks/train.py --train 5030 --pool 115595 --semi 0 --trials 2 --epochs 10 --seeds 2

Prints both wall times, the ratio, and the CV WAF of each, and merbench against this machine: the
matrix products and fused Adam updates of one epoch are recorded as the trainer runs them, then replayed
on as many threads as it has shards; the matmuls give an achieved GFLOP/s and its fraction of the
machine's, and matmuls plus updates give a floor no trainer of these models and steps can go below (the
baseline runs the same updates), hence a speed-up ceiling. The two CV WAFs must agree within run-to-run noise,
which ``--noise-runs R`` measures: the baseline-style loop is re-run R times on the same features, folds
and trials with other torch seeds (initialisation, shuffles, dropout), without test sets since they do
not change the CV score, and the range of its CV WAF is printed beside merbench's. merbench is timed twice per seed, before and after the
baseline loop, and the mean is used: the 2-core project machine's speed drifts by up to 2x over
minutes, and bracketing the baseline keeps both sides under the same conditions.

    python benchmarks/train.py --trials 6 --epochs 30 --seeds 2 --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score
from torch.utils._python_dispatch import TorchDispatchMode


def synthetic(n: int, seed: int, dims=(("audio", 88), ("text", 384), ("visual", 7))):
    from merbench.training.data import FeatureTable

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 6, n)
    inputs = {}
    for name, dim in dims:
        centres = rng.normal(size=(6, dim)) * (1.2 / np.sqrt(dim))  # a weak signal: CV WAF well below 1
        inputs[name] = (centres[labels] + rng.normal(size=(n, dim))).astype(np.float32)
    return FeatureTable([f"s{i}" for i in range(n)], inputs, labels.astype(np.int64), source="synthetic")


class TrainerOpLog(TorchDispatchMode):
    """Records every matrix product torch runs (op, operand shapes and strides) and every fused Adam
    update (op, the shapes of its tensor lists, its scalars): the work no trainer of these models can skip."""

    PRODUCTS = {"aten::bmm": 0, "aten::baddbmm": 1, "aten::mm": 0, "aten::addmm": 1}  # name -> first matrix operand
    UPDATES = {"aten::_fused_adam_"}

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple] = []
        self.updates: list[tuple] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func._schema.name
        first = self.PRODUCTS.get(name)
        if first is not None:
            self.calls.append((func, first, [(tuple(t.shape), t.stride()) for t in args[: first + 2]]))
        elif name in self.UPDATES:
            self.updates.append((func, [[tuple(t.shape) for t in tensors] for tensors in args[:6]], dict(kwargs or {})))
        return func(*args, **(kwargs or {}))


def product_flops(operands) -> int:
    """2·(batch)·n·k·m for one (batched) matrix product, from its two matrix operands' shapes."""
    (a, _), (b, _) = operands[-2:]
    batch = a[0] if len(a) == 3 else 1
    return 2 * batch * a[-2] * a[-1] * b[-1]


def parameter_bytes(update) -> int:
    """Bytes one fused Adam update streams: it reads parameters, gradients and both moments and writes
    back parameters and moments, 7 float32 values per parameter."""
    _, lists, _ = update
    return 7 * 4 * sum(int(np.prod(shape)) for shape in lists[0])


def trainer_ops(cvplan) -> tuple[TrainerOpLog, list]:
    """The matrix products and optimiser updates of one epoch of the planned CV (every shard's training
    steps and validation pass, as the trainer runs them), recorded on a one-epoch copy of its trainer;
    and that epoch's job results (in job order), for :func:`finishing_ops`."""
    import copy as _copy

    trainer = _copy.copy(cvplan.trainer)
    trainer.epochs, trainer.progress = 1, None
    table = cvplan.table
    arrays = {"inputs": table.inputs, "labels": table.labels, "valence": table.valence}
    log = TrainerOpLog()
    results = [None] * len(cvplan.jobs)
    with log:
        for g, shard in trainer.shard_list(cvplan.jobs):
            jobs = [cvplan.jobs[i] for i in shard]
            for i, res in zip(shard, trainer.fit_shard(arrays, jobs, trainer._build_models(jobs), g)):
                results[i] = res
    return log, results


def finishing_ops(cvplan, results: list, chosen: int) -> TrainerOpLog:
    """The matrix products of the CV's finish (:func:`merbench.training.protocol.finish_cv`: the chosen
    trial's fold models predict their validation rows and every test set), recorded by running it on
    ``results`` of :func:`trainer_ops` with trial ``chosen`` made the best: the products have its shapes."""
    import dataclasses

    from merbench.training.protocol import finish_cv

    picked = {cvplan.outer[chosen, f] for f in range(len(cvplan.folds))}
    scored = [dataclasses.replace(res, best_score=1.0 if i in picked else 0.0) for i, res in enumerate(results)]
    log = TrainerOpLog()
    with log:
        finish_cv(cvplan, scored)
    return log


def replay_seconds(make_ops, workers: int, repeats: int = 3) -> float:
    """Wall seconds of ``workers`` threads (one core, one torch thread each, as the trainer's shards) each
    running the ops ``make_ops()`` builds, all at once (they share the cores' memory bandwidth, as the
    shards do); best of ``repeats``, after a warm-up."""
    from concurrent.futures import ThreadPoolExecutor

    from merbench.threads import one_torch_thread_per_worker

    copies = [make_ops() for _ in range(workers)]

    def replay(ops):
        for func, args, kwargs in ops:
            func(*args, **kwargs)

    best = float("inf")
    with one_torch_thread_per_worker(), ThreadPoolExecutor(workers) as pool:
        list(pool.map(replay, copies))  # warm-up
        for _ in range(repeats):
            t0 = time.perf_counter()
            list(pool.map(replay, copies))
            best = min(best, time.perf_counter() - t0)
    return best


def matmul_throughput(calls: list[tuple], workers: int, repeats: int = 3, share: bool = False) -> float:
    """FLOP/s of this machine on exactly these products, each of ``workers`` threads replaying them all
    on operands of the recorded shapes and strides (:func:`replay_seconds`). Each product gets its own
    operands, as in training, or with ``share`` products of one shape share theirs (a finish's hundreds
    of 4096-row chunks would not fit in memory otherwise)."""
    def operands():
        made: dict[tuple, torch.Tensor] = {}

        def tensor(shape, stride):
            if not share:
                return torch.empty_strided(shape, stride).normal_()
            if (shape, stride) not in made:
                made[shape, stride] = torch.empty_strided(shape, stride).normal_()
            return made[shape, stride]

        return [(func, [tensor(shape, stride) for shape, stride in shapes], {}) for func, first, shapes in calls]

    flops = sum(product_flops(shapes) for _, _, shapes in calls) * workers
    return flops / replay_seconds(operands, workers, repeats)


def update_seconds(updates: list[tuple], workers: int) -> float:
    """Seconds this machine takes for these fused Adam updates when ``workers`` shards share it: each of
    ``workers`` threads replays them all on fresh tensors of the recorded shapes, and the total work is
    ``workers`` times theirs."""
    def operands():
        ops = []
        for func, lists, kwargs in updates:
            params, grads, exp_avg, exp_avg_sq, max_sq, steps = (
                [torch.empty(shape).normal_() if k < 2 else torch.zeros(shape) for shape in shapes]
                for k, shapes in enumerate(lists))
            for step in steps:
                step.fill_(1.0)  # bias correction divides by 1 - beta**step
            ops.append((func, [params, grads, exp_avg, exp_avg_sq, max_sq, steps], kwargs))
        return ops

    return replay_seconds(operands, workers) / workers


class BaselineFeatureData:
    """MERTools' ``toolkit/dataloader`` ``Data_Feat`` for utterance-level features: ``__getitem__``
    returns one dict per sample (a row per modality, ``emo``, ``val``, ``name``) and ``collater`` builds
    each batch with ``torch.FloatTensor(np.array(rows))``, as the baseline's DataLoaders do."""

    def __init__(self, table) -> None:
        self.table = table
        self.modalities = list(table.inputs)

    def __len__(self) -> int:
        return len(self.table)

    def __getitem__(self, index: int) -> dict:
        instance = {m: self.table.inputs[m][index] for m in self.modalities}
        instance.update(emo=int(self.table.labels[index]), val=-10.0, name=self.table.names[index])  # -10: no valence
        return instance

    def collater(self, instances: list[dict]):
        batch = {m: torch.FloatTensor(np.array([inst[m] for inst in instances])) for m in self.modalities}
        emos = torch.LongTensor([inst["emo"] for inst in instances])
        vals = torch.FloatTensor([inst["val"] for inst in instances])
        return batch, emos, vals, [inst["name"] for inst in instances]


def train_or_eval_model(model, dataloader, optimizer=None, train=False) -> dict:
    """MERTools ``main-release.py``'s function of that name (emotion head only): one pass over a loader
    that collects names, logits, labels and losses on the CPU per batch, steps the optimiser when
    training, and scores the pass (WAF and ACC) -- for the training pass too."""
    vidnames, emo_probs, emo_labels, losses = [], [], [], []
    model.train(train)
    for batch, emos, _vals, bnames in dataloader:
        if train:
            optimizer.zero_grad()
        vidnames += bnames
        logits = model(batch).logits
        loss = torch.nn.functional.cross_entropy(logits, emos)
        emo_probs.append(logits.data.cpu().numpy())
        emo_labels.append(emos.data.cpu().numpy())
        losses.append(loss.data.cpu().numpy())
        if train:
            loss.backward()
            optimizer.step()
    preds, labels = np.concatenate(emo_probs).argmax(1), np.concatenate(emo_labels)
    return {"names": vidnames, "loss": float(np.mean(losses)), "emoprobs": np.concatenate(emo_probs),
            "emoacc": accuracy_score(labels, preds), "emofscore": f1_score(labels, preds, average="weighted", zero_division=0)}


def baseline_loop(table, tests, trials, folds, epochs, batch_size, seed, evaluation="loader", fusion_params=None):
    """The baseline's structure: for trial, for fold: build, then per epoch train, validate and test every set.
    ``fusion_params`` go to the attention fusion (``{"weights": "raw"}`` is the baseline code's own)."""
    from torch.utils.data import DataLoader

    from merbench import plugins

    def loader(part, shuffle=False, generator=None):
        data = BaselineFeatureData(part)
        return DataLoader(data, batch_size=batch_size, shuffle=shuffle, collate_fn=data.collater, generator=generator)

    def full_pass(model, part) -> dict:  # --baseline-eval full: one forward pass, no per-batch collection
        with torch.no_grad():
            model.eval()
            logits = model({m: torch.as_tensor(v) for m, v in part.inputs.items()}).logits
        return {"emofscore": f1_score(part.labels, logits.argmax(1), average="weighted", zero_division=0)}

    test_loaders = [loader(t) for t in tests]
    best_trial = -1.0
    for k, trial in enumerate(trials):
        fold_scores = []
        for f, val in enumerate(folds):
            torch.manual_seed(seed * 1_000_003 + k * 101 + f)
            model = plugins.create("fusion", "attention", input_dims=table.input_dims, num_classes=6,
                                   hidden_dim=trial["hidden_dim"], dropout=trial["dropout"], **(fusion_params or {}))
            optimizer = torch.optim.Adam(model.parameters(), lr=trial["lr"], weight_decay=1e-5)
            train_loader = loader(table.subset(np.setdiff1d(np.arange(len(table)), val)), shuffle=True,
                                  generator=torch.Generator().manual_seed(seed + f))
            eval_part = table.subset(val)
            eval_loader = loader(eval_part)
            whole_store, whole_metrics = [], []
            for _ in range(epochs):
                train_or_eval_model(model, train_loader, optimizer, train=True)
                if evaluation == "full":
                    epoch_store = {"eval": full_pass(model, eval_part)}
                    epoch_store.update({f"test{j + 1}": full_pass(model, t) for j, t in enumerate(tests)})
                else:  # without torch.no_grad, as in the baseline
                    epoch_store = {"eval": train_or_eval_model(model, eval_loader)}
                    epoch_store.update({f"test{j + 1}": train_or_eval_model(model, t) for j, t in enumerate(test_loaders)})
                whole_metrics.append(epoch_store["eval"]["emofscore"])
                whole_store.append(epoch_store)  # every epoch's test predictions are kept, as the baseline does
            fold_scores.append(max(whole_metrics))
        best_trial = max(best_trial, float(np.mean(fold_scores)))
    return best_trial


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=int, default=600, help="Train&Val samples (the demo has 600)")
    parser.add_argument("--pool", type=int, default=1500, help="unlabeled pool samples (test set scored each epoch)")
    parser.add_argument("--semi", type=int, default=200,
                        help="a labeled SEMI test set also scored each epoch (0: none, the pool holds the test clips)")
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--noise-runs", type=int, default=0,
                        help="re-run the baseline-style loop this many times with other torch seeds (see above)")
    parser.add_argument("--baseline-eval", choices=("loader", "full"), default="loader",
                        help="how the baseline-style loop scores validation and test sets each epoch (see above)")
    parser.add_argument("--plan", choices=("auto", "threads", "processes"), default="auto",
                        help="how merbench runs its CPU shards (auto: the machine's calibrated plan)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.plan != "auto":
        os.environ["MERBENCH_TRAIN_PLAN"] = args.plan

    from merbench.training.folds import baseline_folds
    from merbench.runner.run import FusionFactory
    from merbench.training.plan import shard_plan
    from merbench.training.protocol import TrainConfig, cross_validate, plan_cv
    from merbench.training.search import MER2024_SPACE, sample_trials
    from merbench.util.env import environment
    from merbench.util.stats import summarize

    # warm-up, so neither side pays one-off imports (torch.optim pulls torch._dynamo) in its timing
    warm = synthetic(60, 99)
    warm_trials = sample_trials(MER2024_SPACE, 1, 0)
    baseline_loop(warm, [], warm_trials, baseline_folds(60, 5, 0), 1, 32, 0)
    cross_validate(warm, FusionFactory("attention", warm.input_dims, False, {}), warm_trials,
                   config=TrainConfig(epochs=1, unbiased=False, device="cpu"), seed=0)  # starts worker processes
    plan = shard_plan(args.threads) if args.threads > 1 else "one thread"
    rows = []
    for seed in range(args.seeds):
        table = synthetic(args.train, seed)
        tests = [synthetic(args.pool, seed + 100)] + ([synthetic(args.semi, seed + 200)] if args.semi else [])
        trials = sample_trials(MER2024_SPACE, args.trials, seed)
        folds = baseline_folds(len(table), 5, seed)
        build = FusionFactory("attention", table.input_dims, False, {})  # picklable: worker processes build it
        config = TrainConfig(epochs=args.epochs, unbiased=False, device="cpu")
        test_tables = dict(zip(("pool", "semi"), tests))
        cvplan = plan_cv(table, build, trials, config=config, seed=seed, test_tables=test_tables)
        ops, one_epoch = trainer_ops(cvplan)
        train_flops = args.epochs * sum(product_flops(shapes) for _, _, shapes in ops.calls)
        train_matmul_s = train_flops / matmul_throughput(ops.calls, args.threads)
        update_s = args.epochs * update_seconds(ops.updates, args.threads)
        update_bytes = args.epochs * sum(parameter_bytes(u) for u in ops.updates)

        def merbench_run():
            t0 = time.perf_counter()
            result = cross_validate(table, build, trials, seed=seed, test_tables=test_tables, config=config)
            return time.perf_counter() - t0, result.baseline["waf"], result.chosen

        # merbench runs before and after the baseline loop: on a shared machine whose speed drifts
        # over minutes, their mean is timed under the same conditions as the baseline in between
        t_before, waf, chosen = merbench_run()
        t0 = time.perf_counter()
        base_waf = baseline_loop(table, tests, trials, folds, args.epochs, 32, seed, args.baseline_eval)
        t_base = time.perf_counter() - t0
        t_after, waf_again, _ = merbench_run()
        assert waf_again == waf, "same config and seed gave a different CV WAF"
        t_vec = (t_before + t_after) / 2
        finish = finishing_ops(cvplan, one_epoch, chosen)
        finish_flops = sum(product_flops(shapes) for _, _, shapes in finish.calls)
        finish_matmul_s = finish_flops / matmul_throughput(finish.calls, args.threads, repeats=2, share=True)
        flops, matmul_s = train_flops + finish_flops, train_matmul_s + finish_matmul_s
        throughput, achieved = flops / matmul_s, flops / t_vec
        ceiling = t_base / matmul_s  # the speed-up if merbench ran nothing but its matmuls
        floor = matmul_s + update_s  # ... nothing but its matmuls and its Adam updates
        rows.append((seed, t_base, t_vec, base_waf, waf, flops, achieved, throughput, floor))
        print(f"seed {seed}: baseline-style {t_base:.1f}s (CV WAF {base_waf:.4f}) | merbench {t_vec:.1f}s "
              f"(before {t_before:.1f}s, after {t_after:.1f}s; CV WAF {waf:.4f}) | speed-up {t_base / t_vec:.1f}x",
              flush=True)
        print(f"seed {seed}: merbench matmuls {flops / 1e12:.3f} TFLOP (training steps and validation "
              f"{train_flops / 1e12:.3f}, {len(ops.calls)} products per epoch; the chosen trial's predictions of its "
              f"validation rows and test sets {finish_flops / 1e12:.3f}, {len(finish.calls)} products) -> "
              f"{achieved / 1e9:.1f} GFLOP/s achieved; this machine runs those products at {throughput / 1e9:.1f} GFLOP/s "
              f"({args.threads} cores): {achieved / throughput:.0%} of it; speed-up ceiling at 100%: {ceiling:.1f}x",
              flush=True)
        print(f"seed {seed}: Adam updates {len(ops.updates)} fused calls per epoch streaming {update_bytes / 1e9:.1f} GB -> "
              f"{update_s:.1f}s at this machine's speed ({update_bytes / update_s / 1e9:.1f} GB/s, {args.threads} cores); "
              f"matmuls + updates {floor:.1f}s: merbench at {floor / t_vec:.0%} of that floor; speed-up ceiling with "
              f"the updates: {t_base / floor:.1f}x", flush=True)
        if args.noise_runs:
            reruns = [base_waf] + [baseline_loop(table, [], trials, folds, args.epochs, 32, seed + 1000 * r)
                                   for r in range(1, args.noise_runs + 1)]
            inside = min(reruns) <= waf <= max(reruns)
            print(f"seed {seed}: baseline-style CV WAF over {len(reruns)} torch seeds {min(reruns):.4f}..{max(reruns):.4f} "
                  f"(sd {summarize(reruns)['std']:.4f}); merbench {waf:.4f} {'inside' if inside else 'OUTSIDE'} that range",
                  flush=True)
    arr = np.array(rows)
    base, ours = summarize(arr[:, 3]), summarize(arr[:, 4])
    print(f"mean over {args.seeds} seeds: speed-up {arr[:, 1].sum() / arr[:, 2].sum():.1f}x; CV WAF baseline-style "
          f"{base['mean']:.4f}±{base['std']:.4f}, merbench {ours['mean']:.4f}±{ours['std']:.4f} "
          f"({args.train} Train&Val, {args.pool} pool, {args.semi} SEMI; {args.trials} trials x 5 folds, "
          f"{args.epochs} epochs, {args.threads} threads, plan {plan}, "
          f"baseline evaluation: {args.baseline_eval})")
    print(f"matmul throughput: merbench achieved {arr[:, 5].sum() / arr[:, 2].sum() / 1e9:.1f} GFLOP/s over all seeds, "
          f"{(arr[:, 5].sum() / arr[:, 2].sum()) / (arr[:, 5].sum() / (arr[:, 5] / arr[:, 7]).sum()):.0%} of the "
          f"machine's {arr[:, 5].sum() / (arr[:, 5] / arr[:, 7]).sum() / 1e9:.1f} GFLOP/s on the same products; "
          f"{arr[:, 8].sum() / arr[:, 2].sum():.0%} of the matmul + Adam-update floor ({arr[:, 8].sum():.1f}s of "
          f"{arr[:, 2].sum():.1f}s)")
    print(f"environment: {json.dumps(environment(), sort_keys=True)}")


if __name__ == "__main__":
    main()
