"""``merbench results``: inspect result records (``results diff``: why two records differ;
``results compare``: metric by metric, with the regression gate, from :mod:`merbench.cli.compare`)."""

from __future__ import annotations

import click


@click.group("results")
def results() -> None:
    """Inspect result records."""


@results.command("diff")
@click.argument("a", type=click.Path(exists=True, dir_okay=False))
@click.argument("b", type=click.Path(exists=True, dir_okay=False))
def diff(a: str, b: str) -> None:
    """Name what differs between the identities of records A and B (`path: A's value → B's value`).

    Exits 0 with "same identity" when they were computed the same way, 1 when they differ, 2 when
    a record cannot be read.
    """
    from merbench.results.diff import SAME, explain
    from merbench.results.record import RecordError, read_record

    try:
        lines = explain(read_record(a), read_record(b))
    except (RecordError, ValueError) as exc:
        error = click.ClickException(str(exc))
        error.exit_code = 2
        raise error from None
    for line in lines:
        click.echo(line)
    if lines != [SAME]:
        raise SystemExit(1)


from merbench.cli.compare import compare as _compare  # noqa: E402  (its own module: one command per file)

results.add_command(_compare)
