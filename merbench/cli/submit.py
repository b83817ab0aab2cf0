"""``merbench submit``: challenge CSVs from a run's record."""

from __future__ import annotations

import click


@click.command("submit")
@click.argument("record", type=click.Path(exists=True, dir_okay=False))
@click.option("--dataset", required=True, help="The dataset the run scored ('demo' or a path); names are checked against it.")
@click.option("--reader", help="Dataset reader when the layout is not auto-detected.")
@click.option("--split", help="Split to submit (MER-SEMI/NOISE: the unlabeled pool, the default; MER-OV: the record's split).")
@click.option("--format", "year", type=click.Choice(["mer2023", "mer2024", "mer2025"]),
              help="Discrete submissions: mer2023 (name,discrete,valence) or mer2024/mer2025 (name,discrete; the "
                   "default). A MER-OV record is written as name,openset.")
@click.option("--seed", type=int, help="MER-OV: the seed whose label sets to submit (needed when the record holds several).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="CSV file to write.")
def submit(record, dataset, reader, split, year, seed, out):
    """Write RECORD's predictions for SPLIT as a submission CSV, checking row count and names."""
    from merbench.datasets import open_dataset
    from merbench.results.submit import SubmissionError, openset_split, write_openset_submission, write_submission

    try:
        ov_split = openset_split(record)
        openset = ov_split is not None
        if openset and year == "mer2023":
            raise SubmissionError(f"{record}: a MER-OV record; MER2023 has no open-vocabulary track (leave out --format)")
        if not openset and seed is not None:
            raise SubmissionError(f"{record}: --seed is for MER-OV records; discrete submissions average every seed")
        ds = open_dataset(dataset, reader=reader)
        split = split or ov_split or "unlabeled"
        names = ds.splits().get(split)
        if names is None:
            raise SubmissionError(f"dataset {ds.root} has no split {split!r}; it has {sorted(ds.splits())}")
        if openset:
            path, used, changed = write_openset_submission(record, out, expected_names=names, seed=seed)
            for line in changed:
                click.echo(f"warning: {line}", err=True)
            click.echo(f"wrote {len(names)} rows to {path} (MER-OV, seed {used})")
            return
        path = write_submission(record, out, split=split, expected_names=names, year=year or "mer2024")
    except (SubmissionError, ValueError, KeyError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {len(names)} rows to {path}")

