"""``merbench run``: the main job (see :func:`merbench.runner.run.run`)."""

from __future__ import annotations

import click

from merbench.cli.options import executor_options, results_option


def encoder_groups(names: tuple[str, ...]) -> dict[str, list[str]]:
    """``--encoder NAME`` (modality from its card) or ``--encoder MODALITY=NAME`` (any name, e.g. imported features)."""
    from merbench import plugins

    grouped: dict[str, list[str]] = {}
    for item in names:
        modality, sep, name = item.rpartition("=")
        if not sep:
            name = item
            if name.startswith("import:"):
                raise click.BadParameter(f"{name}: imported features have no card saying their modality; "
                                         f"write it as --encoder audio={name} (or text=, visual=)", param_hint="--encoder")
            modality = plugins.get("encoder", name).card.modality
        grouped.setdefault(modality, []).append(name)
    return grouped


@click.command("run")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), help="Run config (YAML/JSON).")
@click.option("--dataset", help="'demo' (default), 'demo:tiny', or a path to a MER layout.")
@click.option("--reader", help="Dataset reader name when the layout is not auto-detected.")
@click.option("--protocol", help="Protocol preset (mer2024, mer2023, merbench, ...; default: the dataset's challenge).")
@click.option("--encoder", "encoders", multiple=True,
              help="Encoder name (repeatable; modality from its card), or MODALITY=NAME, e.g. audio=import:eGeMAPS_UTT.")
@click.option("--encoder-param", "encoder_param", multiple=True,
              help="NAME:key=value for one encoder's factory (repeatable), e.g. chinese-hubert-large:checkpoint=/models/chinese-hubert-large.")
@click.option("--fusion", help="Fusion name (merbench plugins list --kind fusion).")
@click.option("--track", "tracks", multiple=True, help="Registered track (repeatable; default: the protocol's tracks).")
@click.option("--trials", type=int, help="Random-search trials per seed (papers: 50).")
@click.option("--seeds", type=int, help="Number of seeds, run as 0..K-1; scores are mean ± std over them.")
@click.option("--epochs", type=int, help="Epochs per model (papers: 100).")
@click.option("--topn", type=click.IntRange(1, 6), help="Fuse the top N features per modality, ranked by unimodal CV score.")
@click.option("--stratified/--baseline-folds", default=None, help="Stratified folds instead of the baseline's split.")
@click.option("--standardize/--raw-features", default=None, help="z-score inputs (merbench) or feed them raw (baselines).")
@click.option("--skip-missing", is_flag=True, default=None, help="Drop (and record) samples with failed or NaN features.")
@click.option("--device", help="auto, cpu, cuda, cuda:1 ...")
@click.option("--out", type=click.Path(file_okay=False),
              help="Output folder (default <results>/runs/<run-id>); its records are indexed in the store either way.")
@results_option
@click.option("--no-progress", is_flag=True, help="No progress bars.")
@executor_options
def run(config_path, dataset, reader, protocol, encoders, encoder_param, fusion, tracks, trials, seeds, epochs, topn,
        stratified, standardize, skip_missing, device, out, results_root, no_progress, executor, ray_address):
    """Extract what is missing, corrupt what a track corrupts, train, score every track and print the tables.

    With no arguments: the demo corpus (generated if missing), the offline encoder of each modality,
    the dataset's challenge protocol (MER2024 for the demo) with the demo's small budget; every
    departure from the protocol is printed above the tables.
    """
    from merbench.cli.console import console_for_tables, errors_as_one_line
    from merbench.cli.options import parse_params
    from merbench.runner.report import print_report
    from merbench.runner.run import run as run_job

    console = console_for_tables()
    overrides = {"dataset": dataset, "reader": reader, "protocol": protocol, "fusion": fusion, "trials": trials,
                 "epochs": epochs, "topn": topn, "stratified": stratified, "standardize": standardize,
                 "skip_missing": skip_missing, "device": device, "out": out, "executor": executor,
                 "executor_address": ray_address}
    with errors_as_one_line():
        if encoders:
            overrides["encoders"] = encoder_groups(encoders)
        if encoder_param:
            per_encoder: dict[str, list[str]] = {}
            for item in encoder_param:
                name, sep, pair = item.partition(":")
                if not sep or name.startswith("import"):
                    raise click.BadParameter(f"{item!r}: expected NAME:key=value", param_hint="--encoder-param")
                per_encoder.setdefault(name, []).append(pair)
            overrides["encoder_params"] = {n: parse_params(tuple(p), "--encoder-param") for n, p in per_encoder.items()}
        if tracks:
            overrides["tracks"] = list(dict.fromkeys(tracks))
        if seeds is not None:
            overrides["seeds"] = list(range(seeds))
        try:
            result = run_job(overrides, config_path=config_path, progress=not no_progress, results=results_root)
        except KeyboardInterrupt:  # finished rows' records are on disk; a re-run reads them back
            where = out or "the run's output folder"
            click.echo(f"Interrupted: the finished rows' records stay in {where}; re-run the same command "
                       "(same --out) to train only the rest", err=True)
            raise SystemExit(130) from None
    print_report(result, console)
    if result.failed:
        raise click.ClickException(f"{len(result.failed)} row(s) could not be trained ({', '.join(result.failed)}); "
                                   f"the others' records are in {result.out}")
