"""CPU training shards in worker processes: one per core, started once and kept for the program's life.

Why processes: two threads training stacked models in one process share the GIL and one allocator.
Where a step is mostly Python and operator dispatch (a few models per shard: the demo, short
MER2024-sized searches) threads take turns; processes do not. On the 2-core project machine the
demo's `merbench run` trained in 102 s with processes against 169 s with threads, back to back, and a
MER2024-sized CV (5030 rows, 2 trials) in 13.5 s against 21-23 s; with 8 or more models of width 128
per shard the two tie. :mod:`merbench.training.plan` measures the plans once per machine and picks
one. The models are built in the caller (per-job seeds) and sent pickled; each worker runs one torch
thread, as a thread shard does, so a shard's results are bit-identical to the same shard trained in
a thread (``test_processes.py`` checks it).

A worker is ``python -m merbench.training.processes`` talking over two pipes
(:mod:`merbench.util.child`: it never re-imports the caller's ``__main__``). Starting a worker costs an interpreter and a torch import (~2-3 s on 2 cores), paid once;
:func:`shutdown` stops them (also at exit). Progress (models x epochs) comes back as messages.
"""

from __future__ import annotations

import atexit
import os
import pickle
import queue
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable


#: glibc malloc settings for the workers: a training step frees and re-allocates gradient buffers of
#: 10+ MB (a 768x256 weight's gradient stacked over 15 models is 12 MB), which glibc would otherwise
#: map and unmap afresh every step, page-faulting them in each time (~5% on the project machine: a
#: demo-sized CV of seed 1 took 18.6-20.0 s with, 19.6-20.7 s without, 3 runs each, alternated). Other allocators ignore these variables.
_ALLOCATOR = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(256 << 20)}


class WorkerDied(RuntimeError):
    pass


class _Worker:
    """One worker process and the pipe ends that talk to it."""

    def __init__(self) -> None:
        from merbench.util.child import start_child

        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", **_ALLOCATOR}
        self.process, self.send_pipe, self.receive_pipe = start_child("merbench.training.processes", env)

    def run(self, function: Callable, args: tuple, progress: Callable[[int], None] | None) -> Any:
        pickle.dump((function, args), self.send_pipe, protocol=pickle.HIGHEST_PROTOCOL)
        self.send_pipe.flush()
        while True:
            try:
                kind, payload = pickle.load(self.receive_pipe)
            except EOFError:
                raise WorkerDied(f"a training worker process stopped (exit status {self.process.wait()})") from None
            if kind == "progress":
                if progress is not None:
                    progress(payload)
            elif kind == "error":
                raise payload
            else:
                return payload

    def stop(self) -> None:
        for pipe in (self.send_pipe, self.receive_pipe):
            try:
                pipe.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


_IDLE: "queue.Queue[_Worker]" = queue.Queue()
_ALL: list[_Worker] = []
_LOCK = threading.Lock()


def _ensure(workers: int) -> None:
    with _LOCK:
        alive = [w for w in _ALL if w.process.poll() is None]
        if len(alive) != len(_ALL):
            _stop_all()
        while len(_ALL) < workers:
            worker = _Worker()
            _ALL.append(worker)
            _IDLE.put(worker)


def _stop_all() -> None:
    while not _IDLE.empty():
        _IDLE.get_nowait()
    for worker in _ALL:
        worker.stop()
    _ALL.clear()


def shutdown() -> None:
    """Stop the worker processes (the next :func:`run_shards` starts new ones)."""
    with _LOCK:
        _stop_all()


atexit.register(shutdown)


def run_shards(trainer, arrays: dict[str, Any], shards: list[tuple[int, list, list]], workers: int) -> list[list]:
    """``[trainer.fit_shard(arrays, jobs, models, g) for g, jobs, models in shards]``, run in ``workers``
    worker processes; ``trainer.progress`` is fed from them. Result states come back as numpy arrays
    and without ``module`` (the caller has the architecture)."""
    _ensure(workers)
    portable = trainer.portable()
    lock = threading.Lock()

    def progress(count: int) -> None:
        if trainer.progress is not None:
            with lock:
                trainer.progress(count)

    def run(shard: tuple[int, list, list]) -> list:
        group_index, jobs, models = shard
        worker = _IDLE.get()
        try:
            return worker.run(_fit_shard, (portable, arrays, jobs, models, group_index), progress)
        except BaseException:
            worker.stop()  # its state is unknown: the next run starts a fresh one
            raise
        finally:
            if worker.process.poll() is None:
                _IDLE.put(worker)

    try:
        with ThreadPoolExecutor(min(workers, len(shards))) as pool:
            return list(pool.map(run, shards))
    except WorkerDied:
        shutdown()
        raise


_REPLY: Callable[[str, Any], None] | None = None


def _fit_shard(trainer, arrays, jobs, models, group_index: int) -> list:
    """In a worker: train one shard; states as numpy arrays, so replies are plain pickles."""
    trainer.progress = lambda count: _REPLY("progress", count)
    results = trainer.fit_shard(arrays, jobs, models, group_index)
    for result in results:
        result.state = {k: v.numpy() for k, v in result.state.items()}
        result.module = None
    return results


def _serve(receive_fd: int, reply_fd: int) -> None:
    global _REPLY
    import torch

    torch.set_num_threads(1)
    receive, reply = os.fdopen(receive_fd, "rb"), os.fdopen(reply_fd, "wb")

    def send(kind: str, payload: Any) -> None:
        pickle.dump((kind, payload), reply, protocol=pickle.HIGHEST_PROTOCOL)
        reply.flush()

    _REPLY = send
    while True:
        try:
            function, args = pickle.load(receive)
        except EOFError:
            return
        try:
            result = function(*args)
        except Exception as exc:  # sent back and raised in the caller, with its traceback text
            import traceback

            exc.add_note("in a training worker process:\n" + traceback.format_exc())
            send("error", exc)
            continue
        send("result", result)


if __name__ == "__main__":
    from merbench.training import processes  # the module the pickled functions name, not this __main__ copy

    try:
        processes._serve(int(sys.argv[1]), int(sys.argv[2]))
    except (KeyboardInterrupt, BrokenPipeError):
        pass
