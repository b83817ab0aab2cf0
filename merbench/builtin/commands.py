"""The core ``merbench`` sub-commands, declared through the public ``register_commands`` hook.

Commands that belong to one part of the harness (``extract``, ``corrupt``, ``ov`` ...) are declared by
that part's built-in plugin module instead.
"""

from merbench.hookspecs import hookimpl


@hookimpl
def register_commands(register):
    register("plugins", "merbench.cli.plugins:plugins", summary="List installed plugins and diagnose failures.")
    register("encoders", "merbench.cli.encoders:encoders", summary="Show the encoder model cards of registry.yaml.")
    register("results", "merbench.cli.results:results",
             summary="The results store: ls, show, rm, import, reindex; diff two records; export their tables.")
    register("bench", "merbench.cli.bench:bench", summary="Run a benchmark suite, optionally gated on a baseline.")
    register("report", "merbench.cli.report:report", summary="Write an offline HTML report of result sets.")
