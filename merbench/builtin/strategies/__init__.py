"""Built-in strategies, declared through the public ``register_training_strategies`` hook."""

from merbench.hookspecs import hookimpl


@hookimpl
def register_training_strategies(register):
    pass
