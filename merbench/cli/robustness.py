"""``merbench robustness``: one trained model scored across a sweep of corruption levels (through ``merbench run``)."""

from __future__ import annotations

import click

from merbench.cli.options import executor_options, results_option


@click.command()
@click.option("--dataset", "dataset_spec", help='Dataset ("demo", "demo:tiny", a folder); default: the run default.')
@click.option("--reader", help="Dataset reader name when the layout is not auto-detected.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="A `merbench run` config (YAML/JSON): encoders, fusion, protocol, search budget, seeds.")
@click.option("--track", "base_track", default="noise", show_default=True,
              help="Track whose test split is corrupted and whose metrics score it.")
@click.option("--split", help="Split to corrupt and score instead of the track's test split.")
@click.option("--sweep", "sweep_path", type=click.Path(exists=True, dir_okay=False),
              help="YAML list of {corruption, param, values[, params]}; default: speech-noise SNR 20..0, blur r 1..8.")
@click.option("--noise-bank", type=click.Path(exists=True, file_okay=False), help="Speech folder for speech-noise.")
@click.option("--seed", "corruption_seed", type=int, help="Corruption seed (default: the config's corruption_seed).")
@click.option("--seeds", type=int, help="Number of training seeds, run as 0..K-1 (default: the protocol's).")
@click.option("--trials", type=int, help="Hyper-parameter trials per seed.")
@click.option("--epochs", type=int, help="Epochs per model.")
@click.option("--device", help="cpu, cuda or auto.")
@click.option("--out", type=click.Path(file_okay=False), help="Output folder of the records (default <results>/runs/<run-id>).")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Also write the rows to this JSON file.")
@click.option("--no-progress", is_flag=True, help="No progress bars.")
@results_option
@executor_options
def robustness(dataset_spec, reader, config_path, base_track, split, sweep_path, noise_bank, corruption_seed, seeds,
               trials, epochs, device, out, json_out, no_progress, results_root, executor, ray_address) -> None:
    """Train the run's model (every encoder, fused by modality) on clean Train&Val, then score it on
    the track's split corrupted at every sweep level (the clean split first): one record per level."""
    import json

    from rich.table import Table

    from merbench.cli.console import console_for_tables, errors_as_one_line
    from merbench.corrupt.robustness import load_sweep, model_sweep
    from merbench.runner.report import departure_lines

    console = console_for_tables()
    overrides = {"dataset": dataset_spec, "reader": reader, "trials": trials, "epochs": epochs, "device": device,
                 "corruption_seed": corruption_seed, "out": out, "executor": executor, "executor_address": ray_address,
                 "seeds": list(range(seeds)) if seeds is not None else None}
    with errors_as_one_line():
        spec = load_sweep(sweep_path) if sweep_path else None
        result, rows = model_sweep({k: v for k, v in overrides.items() if v is not None}, spec, base_track=base_track,
                                   split=split, noise_bank=noise_bank, config_path=config_path,
                                   progress=not no_progress, results=results_root)
    config = result.config
    console.print(f"protocol {result.protocol['name']}; departures: " + ("; ".join(departure_lines(result)) or "none"))
    metrics = [m for m in result.scored[0].track.metrics if any(m in r for r in rows)]
    table = Table(title=f"robustness of {config['fusion']} ({result.rows[-1].key}) on {config['dataset']}, "
                        f"{len(config['seeds'])} seed(s)")
    for column in ("corruption", "level", *(m.upper() for m in metrics)):
        table.add_column(column, justify="left" if column in ("corruption", "level") else "right")
    for row in rows:
        level = "clean" if row["param"] is None else f"{row['param']}={row['value']}"
        table.add_row(row["corruption"], level, *(f"{100 * row[m]:.2f} ± {100 * row[m + '_std']:.2f}" for m in metrics))
    console.print(table)
    console.print(f"{len(result.records)} records in {result.out}")
    if json_out:
        with open(json_out, "w", encoding="utf-8") as f:
            json.dump({"config": config, "rows": rows, "records": [str(p) for p in result.records]}, f, indent=1,
                      default=str)
