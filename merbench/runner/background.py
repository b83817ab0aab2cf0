"""Tracks' ``prepare`` hooks, each in a child process at the lowest CPU priority.

Feature extraction and training keep the cores busy most of the time but not all of it (a serial
stretch, a worker waiting for its last batch). A preparation started when the run starts uses
those idle cycles: at ``nice`` 19 the scheduler gives it a core only when nothing else wants one,
so it barely slows the main work. What it has not finished when its track is evaluated then runs
at full speed while the runner waits for it.

A separate process rather than a thread: a low-priority thread would hold the GIL while it waits
for a core, stalling the run's own threads. The child is ``python -m merbench.runner.background``
(:mod:`merbench.util.child`: it never re-imports the caller's ``__main__``), so it imports what it
needs itself: the hook's module, and plugins installed through entry points (a plugin registered
at run time in this process is not there; its preparation fails and ``evaluate`` does the work).
"""

from __future__ import annotations

import logging
import os
import pickle
import threading
import time
from typing import Any, Mapping, Sequence

from merbench.contracts.track import Track, TrackPreparation

log = logging.getLogger(__name__)

#: the child's niceness: the lowest priority, so the run's own work is served first
NICENESS = 19


def _serve(receive_fd: int, reply_fd: int) -> None:
    """The child: read the request, lower its own priority, run the hook, send (ok, value, seconds)."""
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    with os.fdopen(receive_fd, "rb") as receive:
        request: TrackPreparation = pickle.load(receive)
    began = time.perf_counter()
    try:
        ok, value = True, request.track.load_prepare()(request)
    except BaseException as exc:  # reported to the parent, which says so and lets evaluate do the work
        ok, value = False, f"{type(exc).__name__}: {exc}".splitlines()[0]
    seconds = time.perf_counter() - began
    try:
        reply = pickle.dumps((ok, value, seconds), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # an unpicklable result
        reply = pickle.dumps((False, f"its result cannot be sent back ({type(exc).__name__}: {exc})".splitlines()[0],
                              seconds))
    with os.fdopen(reply_fd, "wb") as out:
        out.write(reply)


class Preparation:
    """One track's ``prepare`` hook running in a child process; :meth:`result` waits for it."""

    def __init__(self, track: Track, config: Mapping[str, Any], dataset: Any) -> None:
        from merbench.util.child import start_child

        self.track = track
        self._process, send, self._receive = start_child("merbench.runner.background")
        request = pickle.dumps(TrackPreparation(track, dict(config), dataset), protocol=pickle.HIGHEST_PROTOCOL)
        # the request (the dataset's sample index: ~1 MB for the demo) exceeds a pipe's buffer: written
        # by a thread, so the run goes on while the child starts and reads it
        self._sender = threading.Thread(target=_send_and_close, args=(send, request), daemon=True)
        self._sender.start()

    def result(self) -> Any:
        """The hook's result; ``None`` (with a warning naming the reason) when it failed."""
        asked = time.perf_counter()
        try:
            ok, value, seconds = pickle.load(self._receive)
        except (EOFError, pickle.UnpicklingError):  # the child died before or while writing its result
            ok, value, seconds = False, f"its process ended without a result (exit code {self._process.wait()})", None
        finally:
            self._process.wait()
        if ok:
            log.info("track %s: prepared in the background in %.0f s (waited %.0f s for it)", self.track.name,
                     seconds, time.perf_counter() - asked)
            return value
        log.warning("track %s: its background preparation failed (%s); its evaluation does that work itself",
                    self.track.name, value)
        return None

    def cancel(self) -> None:
        """Stop the child if it still runs (the run failed or was interrupted)."""
        if self._process.poll() is None:
            self._process.terminate()
        self._process.wait()
        self._sender.join()
        self._receive.close()


def _send_and_close(pipe, data: bytes) -> None:
    try:
        with pipe:
            pipe.write(data)
    except OSError:  # the child is gone: its result() reports how it ended
        pass


class Preparations:
    """The ``prepare`` hooks of the selected tracks, started on entering; children still running on
    leaving (an error or an interrupt in the run) are stopped."""

    def __init__(self, tracks: Sequence[Track], config: Mapping[str, Any], dataset: Any, *, enabled: bool) -> None:
        self._wanted = [t for t in tracks if t.prepare and t.evaluate] if enabled else []
        self._config, self._dataset = config, dataset
        self._running: dict[str, Preparation] = {}

    def __enter__(self) -> "Preparations":
        for track in self._wanted:
            self._running[track.name] = Preparation(track, self._config, self._dataset)
        return self

    def __exit__(self, *exc) -> None:
        for preparation in self._running.values():
            preparation.cancel()

    def result(self, track: Track) -> Any:
        """What ``track``'s preparation returned (waiting for it); ``None`` without one or when it failed."""
        preparation = self._running.get(track.name)
        return None if preparation is None else preparation.result()


if __name__ == "__main__":
    import sys

    from merbench.runner import background  # the module the hooks' pickles name, not this __main__ copy

    try:
        background._serve(int(sys.argv[1]), int(sys.argv[2]))
    except (KeyboardInterrupt, BrokenPipeError):
        pass
