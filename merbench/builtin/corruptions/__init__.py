"""Built-in corruptions, declared through the public ``register_corruptions`` hook."""

from merbench.hookspecs import hookimpl


@hookimpl
def register_corruptions(register):
    pass
