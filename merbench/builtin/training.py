"""Built-in fusions, metrics, training strategies and tracks, and the run/submit commands."""

from merbench.hookspecs import hookimpl
