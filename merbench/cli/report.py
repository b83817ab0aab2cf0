"""``merbench report``: static HTML pages of result sets (folders of records, or the results store's runs),
a leaderboard and an index."""

from __future__ import annotations

import click

from merbench.cli.options import results_option


@click.command()
@click.argument("results", nargs=-1)
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Folder of the report (index.html, leaderboard.html, a page per result set).")
@results_option
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def report(results, out, results_root, no_progress) -> None:
    """Write an offline HTML report of the result sets RESULTS (each a folder of records, e.g. a run's
    --out, a record file, or a run id or record of the results store, as `merbench results ls` names
    them; none: every run of the store): the papers' tables, the protocol and its departures, pictures
    and provenance per record; a leaderboard across the sets and an index page."""
    from merbench.cli.console import errors_as_one_line
    from merbench.report.build import build_report, result_sets

    with errors_as_one_line():
        sets = result_sets(results, results_root)
        index = build_report(sets, out, progress=not no_progress)
    click.echo(f"report of {len(sets)} result set(s): {index}")
