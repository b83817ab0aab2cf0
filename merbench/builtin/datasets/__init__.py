"""Built-in datasets, declared through the public ``register_datasets`` hook."""

from merbench.hookspecs import hookimpl


@hookimpl
def register_datasets(register):
    pass
