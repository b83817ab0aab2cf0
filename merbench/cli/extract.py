"""``merbench extract``: run encoders over a dataset into the HDF5 feature cache (a thin wrapper of
:func:`merbench.cache.extract`)."""

from __future__ import annotations

import time

import click

from merbench.cli.options import executor_options, parse_params


@click.command()
@click.option("--dataset", "dataset_spec", default="demo", show_default=True,
              help="'demo', 'demo:tiny', 'demo:standard', or a dataset folder.")
@click.option("--reader", default=None, help="Dataset reader name when the layout is not auto-detected.")
@click.option("--encoder", "encoders", multiple=True, required=True, help="Registered encoder name (repeatable).")
@click.option("--split", "splits", multiple=True, help="Only these splits (repeatable); default: every sample.")
@click.option("--device", default="auto", show_default=True, help="cpu, cuda, cuda:1 or auto.")
@click.option("--batch-size", type=int, default=None, help="Clips per batch (default: the encoder's).")
@click.option("--workers", type=int, default=None, help="Media decoding threads.")
@click.option("--frames", is_flag=True, help="Also store frame-level features.")
@click.option("--max-failed", type=float, default=0.05, show_default=True,
              help="Fail the run when more than this fraction of clips fail.")
@click.option("--param", "params", multiple=True, help="Encoder parameter key=value (repeatable), e.g. checkpoint=/models/hubert.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@executor_options
def extract(dataset_spec, reader, encoders, splits, device, batch_size, workers, frames, max_failed, params, no_progress,
            executor, ray_address):
    """Extract features of each ENCODER over the dataset; only what the cache lacks is computed.

    With --executor ray the clips are sharded over the cluster's model workers (one per GPU, else per
    CPU) and written to the same cache (which every node must see: docs/scale.md)."""
    import contextlib

    from rich.console import Console
    from rich.table import Table

    from merbench.cache import CacheError, ExtractionError, extract as run_extract, resolve
    from merbench.cli.console import errors_as_one_line
    from merbench.datasets import open_dataset
    from merbench.executors import TaskFailed, open_executor

    console = Console()
    dataset = open_dataset(dataset_spec, reader=reader)
    if splits:
        names = list(dict.fromkeys(n for split in splits for n in [s.name for s in dataset.samples(split)]))
    else:
        names = [s.name for s in dataset.iter_all()]
    encoder_params = parse_params(params)
    table = Table(title=f"merbench extract: {len(names)} clips of {dataset.root}")
    for column in ("encoder", "new clips", "wall s", "cpu s", "clips/s", "cache file"):
        table.add_column(column)
    errors = []
    with contextlib.ExitStack() as stack:  # a Ray instance started for the command stops with it
        with errors_as_one_line():  # Ray missing, or the cluster unreachable: one line
            pool = stack.enter_context(open_executor(executor, address=ray_address, progress=not no_progress))
        for name in encoders:
            start, cpu_start = time.perf_counter(), time.process_time()
            try:
                before = len(set(resolve(dataset, name, **encoder_params).store.index(with_frames=frames)) & set(names))
                path = run_extract(dataset, name, names, device=device, batch_size=batch_size, progress=not no_progress,
                                   frames=frames, max_failed=max_failed, workers=workers, executor=pool, **encoder_params)
            except (ExtractionError, CacheError, TaskFailed, ImportError, KeyError, ValueError, OSError) as exc:
                # one line per encoder; the other encoders still run and what finished stays cached
                message = " ".join((str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)).split())
                if "trust_remote_code=True" in message:  # transformers' advice, in merbench's terms
                    message += " (merbench: review that code, then pass --param trust_remote_code=true)"
                errors.append(f"{name}: {message}")
                console.print(f"[red]error:[/] {name}: {message}", soft_wrap=True)
                continue
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start  # cpu: this process's threads
            new = len(names) - before
            table.add_row(name, str(new), f"{wall:.1f}", f"{cpu:.1f}", f"{new / wall:.1f}" if new else "cached",
                          str(path))
    console.print(table)
    if errors:
        raise click.ClickException(f"{len(errors)} of {len(encoders)} encoders failed: " + " | ".join(errors))
