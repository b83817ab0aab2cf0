"""Built-in media corruptions and the noise commands (corrupt, robustness)."""

from merbench.hookspecs import hookimpl
