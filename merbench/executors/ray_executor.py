"""The Ray executor: tasks are Ray tasks on a cluster (joined by address) or on a local instance.

* Retries: Ray's own (``max_retries``, ``retry_exceptions``): a task whose worker dies, or that
  raises, runs again; the task functions resume (extraction shards skip their finished batches).
* Progress: tasks report to one small actor; the driver polls it and draws the one rich display.
* Shared objects: ``ray.put`` once per key (a row's feature table), read zero-copy by every task
  on a machine.
* Ctrl-C: the tasks still running are cancelled (``ray.cancel(force=True)``); what finished stays.
* ``MERBENCH_*`` variables of the driver (the cache folder, above all) are set around every task,
  so workers write where the driver reads. Across machines that folder must be a shared filesystem
  (docs/scale.md).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any, Callable, Sequence

from merbench.executors.base import (Display, Executor, ExecutorError, Shared, SharedCache, TaskContext, TaskFailed,
                                     failure_message, one_line, shipped_env)

log = logging.getLogger("merbench.executors")
#: seconds between two polls of the progress actor
_POLL = 0.2


class _Reporter:
    """The progress actor: units done and failed since the last poll, attempts per task, what each is at."""

    def __init__(self) -> None:
        self.units = self.failed = 0
        self.attempts: dict[int, int] = {}
        self.where: dict[int, str] = {}
        self.new_retries: list[tuple[int, int]] = []

    def start(self, index: int) -> int:
        attempt = self.attempts.get(index, 0)
        self.attempts[index] = attempt + 1
        if attempt:
            self.new_retries.append((index, attempt))
        return attempt

    def advance(self, n: int, failed: int) -> None:
        self.units += n
        self.failed += failed

    def at(self, index: int, what: str) -> None:
        self.where[index] = what

    def poll(self) -> tuple[int, int, list[tuple[int, int]], dict[int, str]]:
        out = (self.units, self.failed, self.new_retries, dict(self.where))
        self.units = self.failed = 0
        self.new_retries = []
        return out


class _Pending:
    """``submit``'s handle: ``result()`` waits for the Ray task."""

    def __init__(self, ref: Any) -> None:
        self.ref = ref

    def result(self) -> Any:
        import ray

        return ray.get(self.ref)

    def cancel(self) -> None:
        import ray

        ray.cancel(self.ref, force=True)


class _RayContext(TaskContext):
    def __init__(self, reporter: Any, index: int, attempt: int, env: dict[str, str]) -> None:
        self.reporter, self.index, self.attempt, self.env = reporter, index, attempt, env

    def advance(self, n: int = 1, failed: int = 0) -> None:
        self.reporter.advance.remote(n, failed)

    def at(self, what: str) -> None:
        self.reporter.at.remote(self.index, what)

    def get(self, shared: Shared) -> Any:
        import ray

        return ray.get(shared.handle)

    def submit(self, fn: Callable, *args: Any) -> _Pending:
        import ray

        remote = ray.remote(_call).options(num_cpus=1, max_retries=2, retry_exceptions=True)
        return _Pending(remote.remote(fn, self.env, *args))


def _with_env(env: dict[str, str], fn: Callable, *args: Any) -> Any:
    """``fn(*args)`` with the driver's ``MERBENCH_*`` variables (and none of the worker's own)."""
    previous = {k: v for k, v in os.environ.items() if k.startswith("MERBENCH_")}
    for k in previous:
        del os.environ[k]
    os.environ.update(env)
    try:
        return fn(*args)
    finally:
        for k in env:
            os.environ.pop(k, None)
        os.environ.update(previous)


def _call(fn: Callable, env: dict[str, str], *args: Any) -> Any:
    return _with_env(env, fn, *args)


def _run_task(fn: Callable, item: Any, index: int, reporter: Any, env: dict[str, str]) -> Any:
    import ray

    attempt = ray.get(reporter.start.remote(index))
    return _with_env(env, fn, item, _RayContext(reporter, index, attempt, env))


class RayExecutor(Executor):
    name = "ray"
    distributed = True

    def __init__(self, address: str | None = None, *, progress: bool = True, num_cpus: int | None = None) -> None:
        self.address, self.progress, self.num_cpus = address, progress, num_cpus
        self.startup_seconds = 0.0
        self._owned = False
        self._shared = SharedCache()

    # -- start, stop ------------------------------------------------------------------------------
    def __enter__(self) -> "RayExecutor":
        try:
            import ray
        except ImportError:
            raise ExecutorError("the ray executor needs Ray: pip install 'merbench[ray]'") from None
        start = time.perf_counter()
        if not ray.is_initialized():
            try:
                if self.address:
                    ray.init(address=self.address, log_to_driver=False)
                else:
                    ray.init(num_cpus=self.num_cpus, include_dashboard=False, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = f"the Ray cluster at {self.address}" if self.address else "a local Ray instance"
                raise ExecutorError(f"cannot start or join {where}: {one_line(exc)}; check --ray-address / "
                                    "MERBENCH_RAY_ADDRESS (`ray status` on the head node)") from None
            self._owned = True
        self.startup_seconds = time.perf_counter() - start
        resources = ray.cluster_resources()
        log.info("ray: %s CPU(s), %s GPU(s)%s", int(resources.get("CPU", 0)), int(resources.get("GPU", 0)),
                 f" (started in {self.startup_seconds:.1f} s)" if self._owned else "")
        return self

    def __exit__(self, *exc: Any) -> None:
        self._shared.clear()
        if self._owned:
            import ray

            ray.shutdown()
            self._owned = False

    # -- the interface ----------------------------------------------------------------------------
    def slots(self, gpu: bool = False) -> int:
        import ray

        resources = ray.cluster_resources()
        return int(resources.get("GPU", 0)) if gpu else max(1, int(resources.get("CPU", 1)))

    @property
    def puts(self) -> int:
        return self._shared.puts

    def share(self, value: Any, key: str) -> Shared:
        import ray

        return self._shared.get(key, lambda: ray.put(value))

    def map(self, fn, items: Sequence[Any], *, label: str, describe=str, unit: str = "tasks",
            total: int | None = None, retries: int = 2, gpu: bool = False) -> list[Any]:
        import ray
        from ray.exceptions import RayError, RayTaskError

        count_units = unit != "tasks"
        remote = ray.remote(_run_task).options(num_cpus=1, num_gpus=1 if gpu else 0, max_retries=retries,
                                               retry_exceptions=True)
        reporter = ray.remote(_Reporter).options(num_cpus=0).remote()
        env = shipped_env()
        refs = [remote.remote(fn, item, i, reporter, env) for i, item in enumerate(items)]
        index_of = {ref: i for i, ref in enumerate(refs)}
        results: list[Any] = [None] * len(items)
        pending = list(refs)
        where: dict[int, str] = {}
        size = total if count_units and total is not None else len(items)
        try:
            with Display(self.progress, label, size, unit) as display:
                while pending:
                    ready, pending = ray.wait(pending, num_returns=len(pending), timeout=_POLL)
                    units, failed, retried, where = ray.get(reporter.poll.remote())
                    if count_units:
                        display.advance(units, failed)
                    for i, attempt in retried:
                        display.retried()
                        log.warning("%s: %s lost or failed%s; attempt %d", label, describe(items[i]),
                                    f" at {where[i]}" if i in where else "", attempt + 1)
                    for ref in ready:
                        i = index_of[ref]
                        try:
                            results[i] = ray.get(ref)
                        except RayError as exc:
                            cause = exc.cause if isinstance(exc, RayTaskError) and exc.cause is not None else exc
                            text = one_line(cause) if cause is not exc else one_line(exc).split(". ")[0]
                            raise TaskFailed(failure_message(label, describe(items[i]), retries + 1, where.get(i),
                                                             text)) from None
                        if not count_units:
                            display.advance(1)
        except BaseException:  # Ctrl-C or a task that failed for good: stop the rest, keep what finished
            for ref in pending:
                ray.cancel(ref, force=True)
            raise
        finally:
            ray.kill(reporter)
        return results
