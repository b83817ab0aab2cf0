"""``merbench run``: the main job (see :func:`merbench.runner.run.run`)."""

from __future__ import annotations

import click


@click.command("run")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), help="Run config (YAML/JSON).")
@click.option("--dataset", help="'demo' (default), 'demo:tiny', or a path to a MER layout.")
@click.option("--reader", help="Dataset reader name when the layout is not auto-detected.")
@click.option("--encoder", "encoders", multiple=True, help="Encoder name (repeatable); its modality comes from its card.")
@click.option("--fusion", help="Fusion name (attention, attention-topn, concat-mlp, tfn, lmf, mult).")
@click.option("--track", "tracks", multiple=True, type=click.Choice(["trainval", "semi", "noise", "ov", "all"]),
              help="Track(s) to run (repeatable; default all).")
@click.option("--trials", type=int, help="Random-search trials per seed (papers: 50).")
@click.option("--seeds", type=int, help="Number of seeds (0..K-1); scores are mean ± std over them.")
@click.option("--epochs", type=int, help="Epochs per model (papers: 100).")
@click.option("--topn", type=click.IntRange(1, 6), help="Fuse the top N features per modality, ranked by unimodal CV WAF.")
@click.option("--stratified/--baseline-folds", default=None, help="Stratified folds instead of the baseline's split.")
@click.option("--skip-missing", is_flag=True, default=None, help="Drop (and record) samples with failed or NaN features.")
@click.option("--device", help="auto, cpu, cuda, cuda:1 ...")
@click.option("--out", type=click.Path(file_okay=False), help="Output folder (default ./runs/<timestamp>).")
def run(config_path, dataset, reader, encoders, fusion, tracks, trials, seeds, epochs, topn, stratified, skip_missing,
        device, out):
    """Extract what is missing, corrupt the NOISE split, train, score every track and print the tables.

    With no arguments: the demo corpus (generated if missing), the offline encoder of each modality,
    every track, and a search budget that finishes in minutes on 2 CPU cores (printed below).
    """
    from rich.console import Console

    from merbench.runner.config import ConfigError
    from merbench.runner.report import print_report
    from merbench.runner.run import run as run_job

    console = Console(width=max(Console().width, 150))  # the papers' tables have 11 columns
    overrides = {"dataset": dataset, "reader": reader, "fusion": fusion, "trials": trials, "epochs": epochs,
                 "topn": topn, "stratified": stratified, "skip_missing": skip_missing, "device": device, "out": out}
    if encoders:
        from merbench import plugins

        grouped: dict[str, list[str]] = {}
        for name in encoders:
            grouped.setdefault(plugins.get("encoder", name).card.get("modality"), []).append(name)
        overrides["encoders"] = grouped
    if tracks:
        overrides["tracks"] = ["trainval", "semi", "noise", "ov"] if "all" in tracks else list(dict.fromkeys(tracks))
    if seeds is not None:
        overrides["seeds"] = list(range(seeds))
    try:
        from merbench.runner.config import build_config

        config = build_config(overrides, config_path)
        result = run_job(config, progress=True, log=lambda msg: console.log(msg))
    except (ConfigError, ValueError, KeyError, RuntimeError) as exc:
        raise click.ClickException(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__) from None
    print_report(result, console)
