"""``merbench report``: static HTML pages of result sets (folders of records), a leaderboard and an index."""

from __future__ import annotations

import click


@click.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Folder of the report (index.html, leaderboard.html, a page per result set).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def report(results, out, no_progress) -> None:
    """Write an offline HTML report of the result sets RESULTS (each a folder of records, e.g. a run's
    --out): the papers' tables, the protocol and its departures, pictures and provenance per record;
    a leaderboard across the sets and an index page."""
    from merbench.cli.console import errors_as_one_line
    from merbench.report.build import build_report, result_sets

    with errors_as_one_line():
        index = build_report(result_sets(results), out, progress=not no_progress)
    click.echo(f"report of {len(results)} result set(s): {index}")
