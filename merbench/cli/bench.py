"""``merbench bench SUITE``: run a benchmark suite into one result set, optionally gated on a baseline
(:mod:`merbench.bench`)."""

from __future__ import annotations

import click

from merbench.cli.options import executor_options, results_option


@click.command("bench")
@click.argument("suite")
@click.option("--against", type=click.Path(),
              help="Baseline result set (a folder of records, or a run id of the results store): exit 1 when a main score is significantly worse "
                   "or a baseline record was not produced.")
@click.option("--out", type=click.Path(file_okay=False),
              help="Result set folder [default: <results>/bench/<suite>/<timestamp>]; the same folder resumes.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Run-config field for every cell (repeatable; dotted keys reach nested fields), e.g. epochs=1.")
@click.option("--k", "k", type=float, default=None,
              help="Significant when |Δ| > k × the Welch standard error [default: the suite's gate.k, else 2].")
@click.option("--tolerance", type=float, default=None,
              help="Absolute floor below which no difference is significant (the only test when SE is 0 or n < 2) "
                   "[default: the suite's gate.tolerance, else 0].")
@click.option("--list", "list_cells", is_flag=True, help="Print the suite's cells and their run configs, run nothing.")
@click.option("--no-history", is_flag=True, help="Do not append this run to <results>/bench/<suite>/history.jsonl.")
@click.option("--no-progress", is_flag=True, help="No progress bars.")
@results_option
@executor_options
def bench(suite, against, out, sets, k, tolerance, list_cells, no_history, no_progress, results_root, executor,
          ray_address):
    """Run every cell of SUITE (a name under benchmarks/suites, or a suite YAML file) and print its tables.

    Each cell is one `merbench run` config; all cells' records go into one result set, and a line
    with each record's main score goes to the suite's history. With --against, the result set is
    compared with the baseline (as `merbench results compare`) and the command exits 1 on a
    regression. Exit 2: the suite or the baseline cannot be read.
    """
    import json

    from merbench.bench.run import bench as run_bench
    from merbench.bench.suite import SuiteError, load_suite
    from merbench.cli.compare import unreadable
    from merbench.cli.console import console_for_tables, errors_as_one_line
    from merbench.results.compare import CompareError, print_comparison
    from merbench.results.store import StoreError
    from merbench.runner.report import print_report
    from merbench.util.params import parse_pairs

    console = console_for_tables()
    try:
        overrides = parse_pairs(sets, example="epochs=1")
        overrides.update({k: v for k, v in (("executor", executor), ("executor_address", ray_address)) if v})
        loaded = load_suite(suite, overrides)
    except (SuiteError, ValueError) as exc:
        raise unreadable(exc) from None
    if list_cells:
        for cell in loaded.cells:
            click.echo(f"{cell.id}: {json.dumps(cell.config, sort_keys=True)}")
        return

    def show(cell_run):
        index = loaded.cells.index(cell_run.cell) + 1
        console.rule(f"cell {index}/{len(loaded.cells)}: {cell_run.cell.id} ({cell_run.wall_s:.0f} s)")
        print_report(cell_run.result, console)

    with errors_as_one_line():
        try:
            result = run_bench(loaded, out=out, against=against, k=k, tolerance=tolerance, progress=not no_progress,
                               history=not no_history, results=results_root, on_cell=show)
        except (CompareError, StoreError) as exc:
            raise unreadable(exc) from None
        except KeyboardInterrupt:
            click.echo(f"Interrupted: finished rows stay in {out or 'the result set folder'}; re-run with --out "
                       "<that folder> to train only the rest", err=True)
            raise SystemExit(130) from None
    console.rule(f"bench {loaded.name}")
    console.print(f"{len(result.cells)} cell(s), {len(result.records)} record(s) in {result.out}; "
                  f"wall time {result.wall_s:.1f} s" + (f"; history: {result.history}" if result.history else ""),
                  markup=False, highlight=False)
    if result.comparison is not None:
        console.print(f"against {result.against}:", markup=False, highlight=False)
        print_comparison(result.comparison, console, require_pairs=True)
    if result.failed:
        raise click.ClickException(f"{len(result.failed)} row(s) could not be trained: {', '.join(result.failed)}")
    if result.gate_failed():
        raise SystemExit(1)
