"""The one progress layer: every bar merbench draws asks :func:`progress_enabled`.

Bars show only when the caller asked for them, no enclosing :func:`progress_scope` turned them off
(``merbench ... --no-progress``, or a library call with ``progress=False``), and stderr is a
terminal (a log file or CI gets the log lines, not redrawn bars)."""

from __future__ import annotations

import contextlib
import contextvars
import sys
from typing import Any, Iterator

_ENABLED: contextvars.ContextVar[bool] = contextvars.ContextVar("merbench_progress", default=True)


def progress_enabled(requested: bool = True) -> bool:
    return bool(requested) and _ENABLED.get() and sys.stderr.isatty()


@contextlib.contextmanager
def progress_scope(enabled: bool) -> Iterator[None]:
    """Within the block, bars show only if ``enabled`` (and every enclosing scope allows them)."""
    token = _ENABLED.set(_ENABLED.get() and bool(enabled))
    try:
        yield
    finally:
        _ENABLED.reset(token)


def progress_bar(*columns: Any, requested: bool = True, **kwargs: Any):
    """A :class:`rich.progress.Progress` on stderr, disabled unless :func:`progress_enabled`."""
    from rich.console import Console
    from rich.progress import Progress

    kwargs.setdefault("transient", True)
    return Progress(*columns, console=Console(stderr=True), disable=not progress_enabled(requested), **kwargs)
