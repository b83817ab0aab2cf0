"""Built-in encoders, declared through the public ``register_encoders`` hook."""

from merbench.hookspecs import hookimpl


@hookimpl
def register_encoders(register):
    pass
