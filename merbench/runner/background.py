"""Tracks' ``prepare`` hooks, each in a child process at the lowest CPU priority.

Feature extraction and training keep the cores busy most of the time but not all of it (a serial
stretch, a worker waiting for its last batch). A preparation started when the run starts uses
those idle cycles: at ``nice`` 19 the scheduler gives it a core only when nothing else wants one,
so it barely slows the main work. What it has not finished when its track is evaluated then runs
at full speed while the runner waits for it.

A separate process rather than a thread: a low-priority thread would hold the GIL while it waits
for a core, stalling the run's own threads. The child is started with ``spawn`` (the run's threads
make ``fork`` unsafe), so it imports what it needs itself: only what the hook's module imports,
and plugins installed through entry points (a plugin registered at run time in this process is
not there; its preparation fails and ``evaluate`` does the work).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from typing import Any, Mapping, Sequence

from merbench.contracts.track import Track, TrackPreparation

log = logging.getLogger(__name__)

#: the child's niceness: the lowest priority, so the run's own work is served first
NICENESS = 19


def _prepare_in_child(request: TrackPreparation, connection) -> None:
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    began = time.perf_counter()
    try:
        ok, value = True, request.track.load_prepare()(request)
    except BaseException as exc:  # reported to the parent, which says so and lets evaluate do the work
        ok, value = False, f"{type(exc).__name__}: {exc}".splitlines()[0]
    seconds = time.perf_counter() - began
    try:
        connection.send((ok, value, seconds))
    except Exception as exc:  # an unpicklable result
        connection.send((False, f"its result cannot be sent back ({type(exc).__name__}: {exc})".splitlines()[0],
                         seconds))
    connection.close()


class Preparation:
    """One track's ``prepare`` hook running in a child process; :meth:`result` waits for it."""

    def __init__(self, track: Track, config: Mapping[str, Any], dataset: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self.track = track
        self._connection, child_end = context.Pipe(duplex=False)
        self._process = context.Process(target=_prepare_in_child, name=f"merbench-prepare-{track.name}", daemon=True,
                                        args=(TrackPreparation(track, dict(config), dataset), child_end))
        self._process.start()
        child_end.close()

    def result(self) -> Any:
        """The hook's result; ``None`` (with a warning naming the reason) when it failed."""
        asked = time.perf_counter()
        try:
            ok, value, seconds = self._connection.recv()
        except EOFError:
            ok, value, seconds = False, f"its process ended without a result (exit code {self._process.exitcode})", None
        finally:
            self._process.join()
        if ok:
            log.info("track %s: prepared in the background in %.0f s (waited %.0f s for it)", self.track.name,
                     seconds, time.perf_counter() - asked)
            return value
        log.warning("track %s: its background preparation failed (%s); its evaluation does that work itself",
                    self.track.name, value)
        return None

    def cancel(self) -> None:
        """Stop the child if it still runs (the run failed or was interrupted)."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._connection.close()


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
