"""``merbench results export``: result records as the papers' tables in CSV, Markdown or LaTeX."""

from __future__ import annotations

import click


@click.command("export")
@click.argument("results", type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(["csv", "md", "latex"]), required=True,
              help="csv: mean and std columns (machine-friendly); md: pipe tables; latex: booktabs tabulars.")
@click.option("--out", type=click.Path(dir_okay=False), help="File to write (default: standard output).")
def export(results: str, fmt: str, out: str | None) -> None:
    """Write the tables `merbench run` prints (mean ± std over seeds, percent metrics ×100) from RESULTS:
    a record file or a folder of records (searched recursively), one run's records at a time."""
    from pathlib import Path

    from merbench.cli.console import errors_as_one_line
    from merbench.results.export import export as render

    with errors_as_one_line():
        text = render(results, fmt)
        if out is None:
            click.echo(text, nl=False)
            return
        Path(out).write_text(text, encoding="utf-8")
    click.echo(f"wrote {fmt} tables to {out}", err=True)
