"""``merbench results compare A B``: metric-by-metric differences and the regression gate
(:mod:`merbench.results.compare`)."""

from __future__ import annotations

import json

import click

from merbench.cli.options import results_option


def unreadable(exc: BaseException) -> click.ClickException:
    """An input that cannot be read: one line, exit status 2 (1 is the gate's)."""
    from merbench.cli.console import one_line

    error = click.ClickException(one_line(exc))
    error.exit_code = 2
    return error


@click.command("compare")
@click.argument("a", type=click.Path())
@click.argument("b", type=click.Path())
@click.option("--k", "k", type=float, default=2.0, show_default=True,
              help="A difference is significant when |Δ| > k × its Welch standard error (and > --tolerance).")
@click.option("--tolerance", type=float, default=0.0, show_default=True,
              help="Absolute floor: no difference up to this is significant (the only test when SE is 0 or n < 2). "
                   "In the metric's own units (0.01 = one point of WAF).")
@click.option("--metric", "metrics", multiple=True,
              help="Compare only this metric, and gate on it instead of the main score (repeatable).")
@click.option("--require-pairs", is_flag=True,
              help="Also fail when a record of A has no counterpart in B (a row that was not run).")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON instead of tables.")
@results_option
def compare(a, b, k, tolerance, metrics, require_pairs, as_json, results_root):
    """Compare result sets A (baseline) and B (candidate): each a record file, a folder of records, or a
    run id or record of the results store (as `merbench results ls` names them).

    Records pair by (cell folder, track, record name). Per pair and metric: both means ± std over
    seeds, Δ = B − A, its Welch standard error sqrt(sA²/nA + sB²/nB) from the per-seed scores, and
    whether |Δ| > max(k·SE, tolerance); below the tables, what differs between paired records.

    Exits 1 when a pair's main score (or --metric) is significantly worse in B, 0 otherwise, and 2
    when an input cannot be read.
    """
    from merbench.cli.console import console_for_tables
    from merbench.results.compare import CompareError, compare as run_compare, print_comparison
    from merbench.results.store import Store, StoreError

    try:
        store = Store(results_root)
        a, b = store.locate(a), store.locate(b)
        result = run_compare(a, b, k=k, tolerance=tolerance, metrics=list(metrics) or None,
                             gate_metrics=list(metrics) or None)
    except (CompareError, StoreError) as exc:
        raise unreadable(exc) from None
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    else:
        print_comparison(result, console_for_tables(), require_pairs=require_pairs)
    if result.failed(require_pairs=require_pairs):
        raise SystemExit(1)
