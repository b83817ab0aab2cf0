"""``merbench data``: inspect datasets (``data check``) and make their label files pickle-free (``data convert``)."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("data")
def data() -> None:
    """Inspect datasets: counts, problems and the manifest hash; convert pickled label files."""


allow_pickle_option = click.option(
    "--allow-pickle", is_flag=True,
    help="Unpickle label files that hold pickled objects (the baseline's label-6way.npz). Unpickling can run "
         "code: only for files you trust; `merbench data convert` makes it needed once.")


@data.command("check")
@click.argument("spec")
@click.option("--reader", default=None, help="Dataset reader name (default: detected from the layout).")
@click.option("--deep", is_flag=True, help="Decode every clip instead of reading headers only.")
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE",
              help="Reader option, e.g. test_labels=PATH or ov_labels=PATH (repeatable).")
@allow_pickle_option
def check(spec: str, reader: str | None, deep: bool, options: tuple[str, ...], allow_pickle: bool) -> None:
    """Report counts per split and class, every problem on one line, and the manifest hash.

    SPEC is a dataset folder, a manifest .csv/.jsonl, or demo[:tiny|:standard]. Exits 1 when any
    problem is an error.
    """
    from rich.console import Console
    from rich.table import Table

    from merbench import EMOTIONS
    from merbench.datasets import open_dataset
    from merbench.datasets.check import count_table

    import sys

    console = Console() if sys.stdout.isatty() else Console(width=120)  # whole table in logs and pipes
    kwargs = {}
    for item in options:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--option")
        kwargs[key.strip()] = value.strip()
    if "allow_pickle" in kwargs:
        raise click.BadParameter("use the --allow-pickle flag", param_hint="--option")
    try:
        dataset = open_dataset(spec, reader=reader, allow_pickle=allow_pickle, **kwargs)
    except (FileNotFoundError, ValueError, KeyError) as exc:
        raise click.ClickException(str(exc).strip("'\"")) from None
    table = Table(title=f"{dataset.name}: {dataset.root}")
    for column in ["split", "samples", *EMOTIONS, "unlabeled"]:
        table.add_column(column, justify="left" if column == "split" else "right")
    for row in count_table(dataset):
        table.add_row(*row)
    console.print(table)
    problems = dataset.check(deep=deep)
    for problem in problems:
        click.echo(problem.line())
    errors = sum(p.severity == "error" for p in problems)
    click.echo(f"{errors} error(s), {len(problems) - errors} warning(s)")
    click.echo(f"manifest hash: {dataset.manifest_hash()}")
    if errors:
        raise SystemExit(1)


@data.command("convert")
@click.argument("root", type=click.Path(exists=True, path_type=Path))
@allow_pickle_option
def convert(root: Path, allow_pickle: bool) -> None:
    """Write ROOT/label-6way.csv, a pickle-free copy of the baseline's ROOT/label-6way.npz.

    The processed-layout reader prefers the copy, so --allow-pickle is needed for this command
    only, once. ROOT is a processed MER root (or the npz itself).
    """
    from merbench.datasets.processed import convert_labels

    try:
        path, counts = convert_labels(root, allow_pickle=allow_pickle)
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    sizes = ", ".join(f"{corpus} {n}" for corpus, n in counts.items())
    click.echo(f"wrote {path} ({sizes}); the reader now uses it and no longer unpickles anything")
