"""Built-in describers, declared through the public ``register_describers`` hook."""

from merbench.hookspecs import hookimpl


@hookimpl
def register_describers(register):
    pass
