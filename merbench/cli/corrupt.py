"""``merbench corrupt``: write a seeded, logged corrupted copy of a dataset split."""

from __future__ import annotations

import click


@click.command()
@click.option("--dataset", "dataset_spec", required=True, help='"demo", "demo:standard" or a dataset folder.')
@click.option("--reader", help="Dataset reader name when the layout is not auto-detected (e.g. mer2024).")
@click.option("--split", default="noise", show_default=True, help="Split to corrupt.")
@click.option("--corruption", "corruptions", multiple=True, metavar="NAME[:k=v,...]",
              help="A corruption step, applied in the order given; repeatable (e.g. speech-noise:snr=5 --corruption blur:r=2).")
@click.option("--recipe", type=click.Choice(["challenge"]),
              help="challenge: the MER-NOISE recipe (speech noise 5..10 dB from the noise bank, then blur r in 1, 2, 4).")
@click.option("--steps", "steps_file", type=click.Path(exists=True, dir_okay=False),
              help="YAML file: a list of {name, params} steps.")
@click.option("--noise-bank", type=click.Path(exists=True, file_okay=False),
              help="Folder of speech recordings (MUSAN speech/) for speech-noise; default: the dataset's noise_bank.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--out", type=click.Path(file_okay=False), help="Output folder; default: under $MERBENCH_CACHE/corrupted/.")
@click.option("--workers", default=2, show_default=True, type=int, help="Processes, one clip each at a time.")
def corrupt(dataset_spec, reader, split, corruptions, recipe, steps_file, noise_bank, seed, out, workers) -> None:
    """Write corrupted clips (same names, H.264+AAC mp4, 16 kHz wav, face crops) and a corruption
    log of every random choice; re-running the same command resumes."""
    import time

    from rich.console import Console
    from rich.table import Table

    from merbench.corrupt import CorruptionError, challenge_recipe, corrupt_dataset, load_steps_file, parse_step
    from merbench.corrupt.recipe import noise_bank_of
    from merbench.corrupt.report import summarize_log
    from merbench.datasets import open_dataset

    if sum(bool(x) for x in (corruptions, recipe, steps_file)) != 1:
        raise click.UsageError("give exactly one of --corruption (repeatable), --recipe or --steps")
    try:
        dataset = open_dataset(dataset_spec, reader=reader)
        if recipe:
            steps = challenge_recipe(dataset, noise_bank)
        else:
            steps = load_steps_file(steps_file) if steps_file else [parse_step(c) for c in corruptions]
            bank = None
            for name, params in steps:
                if name == "speech-noise" and not params.get("bank"):
                    bank = bank or str(noise_bank_of(dataset, noise_bank))
                    params["bank"] = bank
        started = time.perf_counter()
        noisy = corrupt_dataset(dataset, split, steps, seed, out, workers=workers)
    except (CorruptionError, ValueError, KeyError) as exc:
        raise click.ClickException(str(exc).strip("'\"")) from None
    seconds = time.perf_counter() - started
    console = Console()
    n = len(noisy.splits()[split])
    console.print(f"[green]{n} clips[/] of {dataset_spec} split {split!r} corrupted in {seconds:.1f} s "
                  f"({noisy.log['reused']} reused) -> {noisy.root}")
    table = Table(title=f"corruption log: {noisy.root / 'corruption-log.json'}")
    for column in ("step", "field", "drawn"):
        table.add_column(column, overflow="fold")
    for row in summarize_log(noisy.log["clips"]):
        table.add_row(*row)
    console.print(table)
