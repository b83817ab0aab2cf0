"""Built-in transcribers, declared through the public ``register_transcribers`` hook."""

from merbench.hookspecs import hookimpl


@hookimpl
def register_transcribers(register):
    pass
