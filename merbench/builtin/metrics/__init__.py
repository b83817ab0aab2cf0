"""Built-in metrics, declared through the public ``register_metrics`` hook."""

from merbench.hookspecs import hookimpl


@hookimpl
def register_metrics(register):
    pass
