"""Built-in groupers, declared through the public ``register_groupers`` hook."""

from merbench.hookspecs import hookimpl


@hookimpl
def register_groupers(register):
    pass
