"""``merbench submit``: challenge CSVs from a run's record."""

from __future__ import annotations

import click


@click.command("submit")
@click.argument("record", type=click.Path(exists=True, dir_okay=False))
@click.option("--dataset", required=True, help="The dataset the run scored ('demo' or a path); names are checked against it.")
@click.option("--reader", help="Dataset reader when the layout is not auto-detected.")
@click.option("--split", default="unlabeled", show_default=True, help="Split to submit (MER-SEMI/NOISE: the unlabeled pool).")
@click.option("--format", "year", type=click.Choice(["mer2023", "mer2024", "mer2025"]), default="mer2024", show_default=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="CSV file to write.")
def submit(record, dataset, reader, split, year, out):
    """Write RECORD's predictions for SPLIT as a submission CSV, checking row count and names."""
    from merbench.datasets import open_dataset
    from merbench.results.submit import SubmissionError, write_submission

    try:
        ds = open_dataset(dataset, reader=reader)
        names = ds.splits().get(split)
        if names is None:
            raise SubmissionError(f"dataset {ds.root} has no split {split!r}; it has {sorted(ds.splits())}")
        path = write_submission(record, out, split=split, expected_names=names, year=year)
    except (SubmissionError, ValueError, KeyError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {len(names)} rows to {path}")
