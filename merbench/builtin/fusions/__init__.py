"""Built-in fusions, declared through the public ``register_fusions`` hook."""

from merbench.hookspecs import hookimpl


@hookimpl
def register_fusions(register):
    pass
