"""``merbench robustness``: one trained model scored across a sweep of corruption levels."""

from __future__ import annotations

import click


@click.command()
@click.option("--dataset", "dataset_spec", help='Dataset ("demo", "demo:tiny", a folder); default: the run default.')
@click.option("--reader", help="Dataset reader name when the layout is not auto-detected.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="A `merbench run` config (YAML/JSON): encoders, fusion, search budget, seeds.")
@click.option("--split", default="noise", show_default=True, help="Split to corrupt and score.")
@click.option("--sweep", "sweep_path", type=click.Path(exists=True, dir_okay=False),
              help="YAML list of {corruption, param, values[, params]}; default: speech-noise SNR 20..0, blur r 1..8.")
@click.option("--noise-bank", type=click.Path(exists=True, file_okay=False), help="Speech folder for speech-noise.")
@click.option("--seed", "corruption_seed", type=int, help="Corruption seed (default: the config's noise_seed).")
@click.option("--seeds", help="Training seeds, comma-separated (default: the config's).")
@click.option("--trials", type=int, help="Hyper-parameter trials per seed.")
@click.option("--epochs", type=int, help="Epochs per model.")
@click.option("--device", help="cpu, cuda or auto.")
@click.option("--workers", default=2, show_default=True, type=int, help="Processes for corrupting clips.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Also write the rows to this JSON file.")
def robustness(dataset_spec, reader, config_path, split, sweep_path, noise_bank, corruption_seed, seeds, trials, epochs,
               device, workers, json_out) -> None:
    """Train the run's default model on clean Train&Val, then score it on the split corrupted at
    every sweep level (the clean split first), printed as a table."""
    import json

    from rich.console import Console
    from rich.table import Table

    from merbench.corrupt import CorruptionError
    from merbench.corrupt.robustness import load_sweep, model_sweep
    from merbench.runner.config import build_config

    console = Console()
    overrides = {"dataset": dataset_spec, "reader": reader, "trials": trials, "epochs": epochs, "device": device,
                 "noise_seed": corruption_seed,
                 "seeds": [int(s) for s in seeds.split(",")] if seeds else None}
    try:
        config = build_config(overrides, path=config_path)
        spec = load_sweep(sweep_path) if sweep_path else None
        rows = model_sweep(config, spec, split=split, noise_bank=noise_bank, workers=workers,
                           log=lambda message: console.print(f"[dim]{message}[/]"))
    except (CorruptionError, ValueError, KeyError) as exc:
        raise click.ClickException(str(exc).strip("'\"")) from None
    table = Table(title=f"robustness of {config['fusion']} ({'+'.join(config['encoders'])}) on {config['dataset']} "
                        f"[{split}], {len(config['seeds'])} seed(s)")
    for column in ("corruption", "level", "WAF", "ACC"):
        table.add_column(column, justify="right" if column in ("WAF", "ACC") else "left")
    for row in rows:
        level = "clean" if row["param"] is None else f"{row['param']}={row['value']}"
        table.add_row(row["corruption"], level, f"{100 * row['waf']:.2f} ± {100 * row['waf_std']:.2f}",
                      f"{100 * row['acc']:.2f} ± {100 * row['acc_std']:.2f}")
    console.print(table)
    if json_out:
        with open(json_out, "w", encoding="utf-8") as f:
            json.dump({"config": config, "split": split, "rows": rows}, f, indent=1, default=str)
