"""The executor interface: map a function over tasks with retries, one progress display, and
cancellation; plus the objects a task sees (:class:`TaskContext`) and shares (:class:`Shared`).

A task function is a module-level ``fn(item, context) -> result`` (picklable, so that a cluster can
run it elsewhere). It reports progress with ``context.advance`` and what it is working on with
``context.at`` (named in the error when the task fails for good), reads shared objects with
``context.get`` and may hand CPU-side work (media decoding) to other workers with ``context.submit``.
"""

from __future__ import annotations

import abc

import os
from dataclasses import dataclass
from typing import Any, Callable, Sequence

#: environment variables a task sees as the driver set them (where the cache is, test hooks)
SHIPPED_ENV_PREFIX = "MERBENCH_"


class ExecutorError(RuntimeError):
    """The executor cannot start (unknown name, Ray not installed, cluster unreachable); one line."""


class TaskFailed(RuntimeError):
    """A task failed on every attempt; the message names the task, what it was processing, and why."""


@dataclass(frozen=True)
class Shared:
    """A value put where every task can read it once per machine (the Ray object store), by key."""

    key: str
    handle: Any  # the value itself (local) or its object reference (Ray)


class TaskContext(abc.ABC):
    """What a task function can call (see the module docstring); the local one acts in-process."""

    attempt: int = 0  # 0 on the first attempt, 1 on the first retry, ...

    def advance(self, n: int = 1, failed: int = 0) -> None:
        """``n`` more units done (clips, models), ``failed`` of them failed."""

    def at(self, what: str) -> None:
        """What the task is processing now (``batch 3: clip_0001 .. clip_0016``, ``trial 4, fold 2``)."""

    def get(self, shared: Shared) -> Any:
        return shared.handle

    @abc.abstractmethod
    def submit(self, fn: Callable, *args: Any):
        """Run ``fn(*args)`` on a CPU worker; returns an object whose ``result()`` waits for it."""
        ...


class Executor(abc.ABC):
    """Runs task functions; see the module docstring. Used as a context manager (start, stop)."""

    name = "executor"
    #: False: the callers keep their in-process paths, so the default numbers and speed never change
    distributed = False

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    @abc.abstractmethod
    def slots(self, gpu: bool = False) -> int:
        """Tasks that run at once: GPUs (``gpu=True``; 0 when there are none) or CPUs."""
        ...

    @abc.abstractmethod
    def share(self, value: Any, key: str) -> Shared:
        """``value`` readable by every task; the same ``key`` is put once (a row's features, not once per seed)."""
        ...

    @abc.abstractmethod
    def map(self, fn: Callable[[Any, TaskContext], Any], items: Sequence[Any], *, label: str,
            describe: Callable[[Any], str] = str, unit: str = "tasks", total: int | None = None, retries: int = 2,
            gpu: bool = False) -> list[Any]:
        """``[fn(item, context) for item in items]``, run as the executor runs tasks; results in item order.

        A task that raises (or whose worker dies) is retried up to ``retries`` times, then
        :class:`TaskFailed` names it (``describe(item)``) and what it was at. ``unit``: what the
        progress display counts: ``"tasks"`` (one per finished task) or the tasks' own
        ``context.advance`` units (``total`` of them). Ctrl-C cancels the tasks still running and
        re-raises; what finished stays (the tasks' own writes, e.g. cache parts). ``gpu``: each
        task takes one GPU.
        """
        ...


class SharedCache:
    """The last ``keep`` shared values by key: a key seen again is not put again (``puts`` counts puts);
    older ones are dropped, so a long sweep's store holds only the rows in use."""

    def __init__(self, keep: int = 4) -> None:
        self.keep, self.puts = keep, 0
        self._entries: dict[str, Shared] = {}

    def get(self, key: str, put: Callable[[], Any]) -> Shared:
        if key in self._entries:
            self._entries[key] = self._entries.pop(key)  # most recently used last
        else:
            self.puts += 1
            self._entries[key] = Shared(key, put())
            while len(self._entries) > self.keep:
                self._entries.pop(next(iter(self._entries)))
        return self._entries[key]

    def clear(self) -> None:
        self._entries.clear()


def shipped_env() -> dict[str, str]:
    """The driver's ``MERBENCH_*`` variables, set again around every task on a worker."""
    return {k: v for k, v in os.environ.items() if k.startswith(SHIPPED_ENV_PREFIX)}


def failure_message(label: str, what: str, attempts: int, at: str | None, cause: str) -> str:
    where = f" while at {at}" if at else ""
    return f"{label}: {what} failed after {attempts} attempt(s){where}: {cause}"


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Display:
    """The one progress display of a map: a rich bar (units done, rate, ETA, failed units, retries)."""

    def __init__(self, enabled: bool, label: str, total: int, unit: str) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        from merbench.util.progress import progress_bar

        self.bar = progress_bar(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TextColumn(unit), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                TextColumn("{task.fields[failed]} failed, {task.fields[retries]} retried"),
                                requested=enabled, transient=False)
        self.task = self.bar.add_task(label, total=total, failed=0, retries=0)
        self.failed = self.retries = 0

    def __enter__(self) -> "Display":
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.bar.__exit__(*exc)

    def advance(self, n: int, failed: int = 0) -> None:
        self.failed += failed
        self.bar.update(self.task, advance=n, failed=self.failed)

    def retried(self) -> None:
        self.retries += 1
        self.bar.update(self.task, retries=self.retries)
