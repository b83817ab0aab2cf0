"""The local executor: tasks run one after another in this process (what merbench did before executors).

Callers check :attr:`Executor.distributed` and keep their own in-process paths (threaded decoding,
thread-sharded training) for it, so ``--executor local`` changes nothing; its :meth:`map` serves code
written against the interface (the sharded extraction, the chunked training), with the same
retries and reports as a cluster, without one.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Sequence

from merbench.executors.base import Display, Executor, Shared, SharedCache, TaskContext, TaskFailed, failure_message, one_line

log = logging.getLogger("merbench.executors")


class _LocalContext(TaskContext):
    def __init__(self, display: Display, count_units: bool, attempt: int, pool: ThreadPoolExecutor) -> None:
        self.display, self.count_units, self.attempt, self.pool = display, count_units, attempt, pool
        self.where: str | None = None

    def advance(self, n: int = 1, failed: int = 0) -> None:
        if self.count_units:
            self.display.advance(n, failed)

    def at(self, what: str) -> None:
        self.where = what

    def submit(self, fn: Callable, *args: Any) -> Future:
        return self.pool.submit(fn, *args)


class LocalExecutor(Executor):
    name = "local"
    distributed = False

    def __init__(self, progress: bool = True, decode_threads: int = 2) -> None:
        self.progress = progress
        self.decode_threads = decode_threads
        self._shared = SharedCache()

    def slots(self, gpu: bool = False) -> int:
        return 0 if gpu else 1

    @property
    def puts(self) -> int:
        return self._shared.puts

    def share(self, value: Any, key: str) -> Shared:
        return self._shared.get(key, lambda: value)

    def map(self, fn, items: Sequence[Any], *, label: str, describe=str, unit: str = "tasks",
            total: int | None = None, retries: int = 2, gpu: bool = False) -> list[Any]:
        count_units = unit != "tasks"
        results = []
        with Display(self.progress, label, total if count_units and total is not None else len(items), unit) as display, \
                ThreadPoolExecutor(self.decode_threads) as pool:
            for item in items:
                for attempt in range(retries + 1):
                    context = _LocalContext(display, count_units, attempt, pool)
                    try:
                        results.append(fn(item, context))
                        break
                    except Exception as exc:  # retried like a cluster task; KeyboardInterrupt is not caught
                        if attempt == retries:
                            raise TaskFailed(failure_message(label, describe(item), attempt + 1, context.where,
                                                             one_line(exc))) from exc
                        display.retried()
                        log.warning("%s: %s failed (%s); retrying", label, describe(item), one_line(exc))
                if not count_units:
                    display.advance(1)
        return results
