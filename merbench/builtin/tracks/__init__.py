"""Built-in tracks, declared through the public ``register_tracks`` hook."""

from merbench.hookspecs import hookimpl


@hookimpl
def register_tracks(register):
    pass
