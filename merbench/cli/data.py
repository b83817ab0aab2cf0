"""``merbench data``: inspect datasets (``data check``)."""

from __future__ import annotations

import click


@click.group("data")
def data() -> None:
    """Inspect datasets: counts, problems and the manifest hash."""


@data.command("check")
@click.argument("spec")
@click.option("--reader", default=None, help="Dataset reader name (default: detected from the layout).")
@click.option("--deep", is_flag=True, help="Decode every clip instead of reading headers only.")
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE",
              help="Reader option, e.g. test_labels=PATH or ov_labels=PATH (repeatable).")
def check(spec: str, reader: str | None, deep: bool, options: tuple[str, ...]) -> None:
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
    try:
        dataset = open_dataset(spec, reader=reader, **kwargs)
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
