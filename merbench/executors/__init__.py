"""Executors: where merbench's independent pieces of work run.

``local`` runs everything in this process, exactly as merbench always has; ``ray`` hands the pieces
(extraction shards, training chunks) to a Ray cluster: an existing one (``--ray-address`` /
``MERBENCH_RAY_ADDRESS``) or a local instance started and stopped with the command. Both implement
:class:`~merbench.executors.base.Executor`: map a function over tasks with retries, one progress
display and cancellation on Ctrl-C. The library paths that can distribute work (the sharded
extraction in :mod:`merbench.cache.distributed`, the chunked training in
:func:`merbench.training.trainer.fit_distributed`) are written against that interface only; which
executor a command uses is data (the ``executor`` run-config field, ``--executor``).
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

from merbench.executors.base import Executor, ExecutorError, Shared, TaskContext, TaskFailed
from merbench.executors.local import LocalExecutor

#: executor names a command accepts (``--executor``, the ``executor`` run-config field)
EXECUTORS = ("local", "ray")
#: where a command joins an existing Ray cluster when ``--ray-address`` is not given
ADDRESS_ENV = "MERBENCH_RAY_ADDRESS"

__all__ = ["EXECUTORS", "Executor", "ExecutorError", "LocalExecutor", "Shared", "TaskContext", "TaskFailed",
           "open_executor"]


@contextlib.contextmanager
def open_executor(name: str | None = "local", *, address: str | None = None, progress: bool = True,
                  num_cpus: int | None = None) -> Iterator[Executor]:
    """The executor ``name``, started for the block and stopped after it (a Ray instance this call
    started is shut down; a cluster it joined is only disconnected from)."""
    name = name or "local"
    if name == "local":
        yield LocalExecutor(progress=progress)
        return
    if name != "ray":
        raise ExecutorError(f"unknown executor {name!r}; use one of {', '.join(EXECUTORS)}")
    from merbench.executors.ray_executor import RayExecutor

    with RayExecutor(address or os.environ.get(ADDRESS_ENV) or None, progress=progress, num_cpus=num_cpus) as executor:
        yield executor
