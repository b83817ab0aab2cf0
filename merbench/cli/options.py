"""Command-line options shared by several commands."""

from __future__ import annotations

import click


def parse_params(pairs: tuple[str, ...], option: str = "--param", example: str = "max_frames=32") -> dict:
    """``key=value`` pairs (:func:`merbench.util.params.parse_pairs`) as click parameters."""
    from merbench.util.params import parse_pairs

    try:
        return parse_pairs(pairs, example=f"{option} {example}")
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


#: ``--results DIR`` of every command that reads or writes the results store (:mod:`merbench.results.store`)
results_option = click.option("--results", "results_root", type=click.Path(file_okay=False), default=None,
                              help="Results store folder (default $MERBENCH_RESULTS, else <cache>/results).")


def executor_options(command):
    """``--executor local|ray`` and ``--ray-address``: where a command's extraction and training run
    (see :mod:`merbench.executors`; the same numbers either way)."""
    command = click.option("--ray-address", default=None,
                           help="Join this Ray cluster (default: $MERBENCH_RAY_ADDRESS, else start a local Ray "
                                "instance for the command).")(command)
    return click.option("--executor", type=click.Choice(["local", "ray"]), default=None,
                        help="Where extraction and training run: this process (local, the default) or Ray.")(command)
