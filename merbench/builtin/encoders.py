"""Built-in encoders and the feature-cache commands (extract, cache)."""

from merbench.hookspecs import hookimpl
