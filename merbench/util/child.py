"""A Python child process running one of our modules (``python -m <module> <read fd> <write fd>``),
talking pickles over two pipes.

Unlike ``multiprocessing``'s spawn, the child never re-imports the caller's ``__main__``, so a
script that calls merbench without an ``if __name__ == "__main__"`` guard is safe. The pickles
only ever travel between our own processes (never through a file).
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import BinaryIO, Mapping


def start_child(module: str, env: Mapping[str, str] | None = None) -> tuple[subprocess.Popen, BinaryIO, BinaryIO]:
    """Start ``python -m module <read fd> <write fd>``; returns (process, pipe to it, pipe from it)."""
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    process = subprocess.Popen([sys.executable, "-m", module, str(to_child_r), str(from_child_w)],
                               pass_fds=(to_child_r, from_child_w), env=dict(env or os.environ),
                               stdin=subprocess.DEVNULL)
    os.close(to_child_r)
    os.close(from_child_w)
    return process, os.fdopen(to_child_w, "wb"), os.fdopen(from_child_r, "rb")
