"""Built-in dataset readers, speech transcribers and the data commands (demo-data, data, transcribe)."""

from merbench.hookspecs import hookimpl
