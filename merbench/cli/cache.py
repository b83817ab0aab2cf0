"""``merbench cache``: list, verify, remove and import feature-cache entries (thin wrappers of
:mod:`merbench.cache`), and list or prune the corrupted media sets (:mod:`merbench.corrupt.pipeline`)."""

from __future__ import annotations

import json
from pathlib import Path

import click


def _stores(target: str | None):
    """Cache files named by a path, an encoder name, a key prefix, or (None) all of them."""
    from merbench.cache import FeatureStore, list_stores

    if target is None:
        return [FeatureStore(p) for p in list_stores()]
    path = Path(target).expanduser()
    if path.suffix == ".h5" and (path.exists() or path.with_name(path.name + ".parts").exists()):
        return [FeatureStore(path)]
    by_encoder = list_stores(target)
    if by_encoder:
        return [FeatureStore(p) for p in by_encoder]
    matches = [FeatureStore(p) for p in list_stores() if p.stem.startswith(target)]
    if not matches:
        raise click.ClickException(f"{target}: no cache file, encoder or key prefix matches; see `merbench cache ls`")
    return matches


@click.group()
def cache() -> None:
    """The HDF5 feature cache under $MERBENCH_CACHE/features/<encoder>/<key16>.h5, and the corrupted
    media sets under $MERBENCH_CACHE/corrupted/ (`corrupted`)."""


@cache.command("ls")
@click.argument("target", required=False)
@click.option("--failed", "show_failed", is_flag=True, help="List failed clips and their errors.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def ls(target, show_failed, as_json):
    """List cache entries (all, or of TARGET: an encoder, a key prefix or a file)."""
    from rich.console import Console
    from rich.table import Table

    stores = _stores(target)
    rows = []
    for store in stores:
        info = store.summary()
        key = store.stored_key()
        info.update(encoder=key["encoder"]["name"], media=key["dataset"]["media_hash"][:12],
                    corrupted=key["corruption"] is not None)
        if show_failed:
            info["failed_clips"] = store.failed()
        rows.append(info)
    if as_json:
        click.echo(json.dumps(rows, indent=1, ensure_ascii=False))
        return
    table = Table(title="merbench feature cache")
    for column in ("encoder", "key", "clips", "failed", "layers x dim", "dataset", "corrupted", "MB"):
        table.add_column(column)
    for info in rows:
        table.add_row(info["encoder"], Path(info["path"]).stem, str(info["clips"]), str(info["failed"]),
                      "x".join(map(str, info["layers_dim"] or [])), info["media"], "yes" if info["corrupted"] else "",
                      f"{info['bytes'] / 1e6:.1f}")
    console = Console()
    console.print(table)
    for info in rows:
        for name, error in info.get("failed_clips", {}).items():
            console.print(f"{info['encoder']}: {name}: {error}", markup=False, soft_wrap=True)


@cache.command()
@click.argument("target", required=False)
@click.option("--dataset", "dataset_spec", default=None, help="Also check that every clip of this dataset is present.")
def verify(target, dataset_spec):
    """Check cache files: readable, keys match, no duplicates, no NaN/inf (and complete, with --dataset)."""
    expected = None
    if dataset_spec:
        from merbench.datasets import open_dataset

        expected = [s.name for s in open_dataset(dataset_spec).iter_all()]
    from merbench.cli.console import errors_as_one_line

    problems = []
    stores = _stores(target)
    with errors_as_one_line():
        for store in stores:
            problems += store.verify(expected)
    for line in problems:
        click.echo(line)
    if problems:
        raise click.ClickException(f"{len(problems)} problems in {len(stores)} cache files")
    click.echo(f"ok: {len(stores)} cache files verified")


@cache.command()
@click.argument("target")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def rm(target, yes):
    """Remove cache entries named by TARGET (a file, an encoder, or a key prefix)."""
    import shutil

    stores = _stores(target)
    if not yes:
        click.confirm(f"remove {len(stores)} cache entries ({', '.join(s.path.stem for s in stores)})?", abort=True)
    for store in stores:
        for path in store.files():
            path.unlink(missing_ok=True)
        if store.parts_dir.exists():
            shutil.rmtree(store.parts_dir)
        store.path.with_name(store.path.name + ".lock").unlink(missing_ok=True)
    click.echo(f"removed {len(stores)} cache entries")


@cache.command()
@click.option("--rm-stale", is_flag=True, help="Remove the stale sets (see below).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def corrupted(rm_stale, yes, as_json):
    """List the corrupted sets under $MERBENCH_CACHE/corrupted/ (MER-NOISE's media).

    A set is stale when its folder is not at the key this version gives it: made under an earlier
    keying (or named by hand), so no run of this version reads it. Its features stay in the feature
    cache until removed with `merbench cache rm`."""
    import shutil

    from rich.table import Table

    from merbench.cli.console import console_for_tables
    from merbench.corrupt.pipeline import cached_sets, corrupted_root

    sets = cached_sets()
    if as_json and not rm_stale:
        click.echo(json.dumps(sets, indent=1))
        return
    if not rm_stale:
        table = Table(title=f"corrupted sets in {corrupted_root()}")
        for column in ("folder", "split", "clips", "finished", "source media", "stale", "MB"):
            table.add_column(column, no_wrap=column == "folder")
        for info in sets:
            table.add_row(info["name"], str(info["split"]), str(info["clips"]), str(info["finished"]),
                          (info["media"] or "")[:12], "yes" if info["stale"] else "", f"{info['bytes'] / 1e6:.1f}")
        console_for_tables().print(table)
        return
    stale = [info for info in sets if info["stale"]]
    if stale and not yes:
        click.confirm(f"remove {len(stale)} stale corrupted sets ({', '.join(i['name'] for i in stale)}, "
                      f"{sum(i['bytes'] for i in stale) / 1e6:.1f} MB)?", abort=True)
    for info in stale:
        shutil.rmtree(info["path"])
    click.echo(f"removed {len(stale)} stale corrupted sets")


@cache.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--dataset", "dataset_spec", required=True, help="The dataset these features belong to.")
@click.option("--reader", default=None, help="Dataset reader name when the layout is not auto-detected.")
@click.option("--name", default=None, help="Name to import as (default: the folder's, e.g. eGeMAPS_UTT).")
@click.option("--replace", is_flag=True, help="Replace an earlier import of the same name.")
def import_(folder, dataset_spec, reader, name, replace):
    """Import the baseline's features/<FEATDIR>/<name>.npy folder; read it back as encoder import:<FEATDIR>."""
    from merbench.cache import import_features
    from merbench.datasets import open_dataset

    from merbench.cli.console import errors_as_one_line

    with errors_as_one_line():
        encoder = import_features(open_dataset(dataset_spec, reader=reader), folder, name, replace=replace)
    click.echo(f"imported {folder} as encoder {encoder!r}")
