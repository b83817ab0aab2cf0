"""Native libraries that print to the process's stderr (file descriptor 2) bypass Python's logging.
:func:`drop_native_lines` keeps their known chatter out of merbench's output and passes every other
line through unchanged."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from typing import Iterator, Sequence


@contextlib.contextmanager
def drop_native_lines(prefixes: Sequence[str]) -> Iterator[None]:
    """While the block runs, lines written to fd 2 that start with one of ``prefixes`` are dropped; the
    others are written to stderr when the block ends (also when it raises)."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (captured by a test runner): nothing to filter
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), fd)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, fd)
            os.close(saved)
            capture.seek(0)
            kept = [line for line in capture.read().decode("utf-8", "replace").splitlines(keepends=True)
                    if not line.startswith(tuple(prefixes))]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()
