"""Running a suite: every cell through the runner into one result set, then the optional gate.

The result set is one folder (default ``<results>/bench/<suite>/<timestamp>/``) holding
``bench.yaml`` (the suite, its file, the overrides, the cells) and one sub-folder per cell with its
``run-config.yaml`` (``merbench run --config`` reruns the cell alone; the records name it as the
source of each departure from the protocol) and that run's records. Run again with the same ``out``, finished rows are read back by the
runner (same identity), so an interrupted bench resumes. With a baseline, the result set is
compared with it by :mod:`merbench.results.compare`; every bench run appends a line to the suite's
history (:mod:`merbench.bench.history`).
"""

from __future__ import annotations

import datetime as _dt
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from merbench.bench.suite import Cell, Suite

log = logging.getLogger("merbench.bench")


@dataclass
class CellRun:
    """One cell's run: where its records went, rows that failed, and the runner's result (for its tables)."""

    cell: Cell
    out: Path
    records: list[Path]
    failed: dict[str, str]
    wall_s: float
    result: Any  # merbench.runner.run.RunResult


@dataclass
class BenchRun:
    """The typed result of :func:`bench`."""

    suite: Suite
    out: Path
    started: str
    cells: list[CellRun] = field(default_factory=list)
    wall_s: float = 0.0
    comparison: Any = None  # merbench.results.compare.Comparison, with a baseline
    against: Path | None = None
    history: Path | None = None

    @property
    def records(self) -> list[Path]:
        return [p for c in self.cells for p in c.records]

    @property
    def failed(self) -> dict[str, str]:
        """``"<cell>/<row>" -> why`` for every row a cell could not train."""
        return {f"{c.cell.id}/{row}": why for c in self.cells for row, why in c.failed.items()}

    def gate_failed(self) -> bool:
        """With a baseline: a significantly worse main score, or a baseline record this run lacks."""
        return self.comparison is not None and self.comparison.failed(require_pairs=True)


def default_out(suite: Suite, results: str | Path | None = None) -> Path:
    from merbench.results.store import Store

    return Store(results).root / "bench" / suite.name / _dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def write_manifest(suite: Suite, out: Path, started: str) -> Path:
    """``<out>/bench.yaml``: which suite and overrides produced this result set, and its cells."""
    manifest = {"suite": suite.name, "source": str(suite.path), "started": started, "overrides": suite.overrides,
                "cells": [c.id for c in suite.cells]}
    return _write_yaml(out / "bench.yaml", manifest)


def _write_yaml(path: Path, data: Any) -> Path:
    import yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def run_cells(suite: Suite, out: Path, *, progress: bool = True, results: str | Path | None = None,
              on_cell: Callable[[CellRun], None] | None = None) -> list[CellRun]:
    """Each cell through :func:`merbench.runner.run.run` into ``<out>/<cell id>/``, in order, its run
    config written there first as ``run-config.yaml``."""
    from merbench.runner.run import run

    done = []
    for i, cell in enumerate(suite.cells, 1):
        log.info("cell %d/%d: %s", i, len(suite.cells), cell.id)
        t = time.perf_counter()
        target = out / cell.id
        config_path = _write_yaml(target / "run-config.yaml", cell.config)
        result = run({"out": str(target)}, config_path=config_path, progress=progress, results=results)
        cell_run = CellRun(cell, target, list(result.records), dict(result.failed), time.perf_counter() - t, result)
        done.append(cell_run)
        if on_cell is not None:
            on_cell(cell_run)
    return done


def bench(suite: Suite, *, out: str | Path | None = None, against: str | Path | None = None, k: float | None = None,
          tolerance: float | None = None, progress: bool = True, history: bool = True,
          results: str | Path | None = None, on_cell: Callable[[CellRun], None] | None = None) -> BenchRun:
    """Run every cell of ``suite`` into one result set, compare it with the baseline folder ``against``
    (read first, so an unreadable baseline fails before any work; a folder, or a run id or bench result
    set of the results store at ``results``) and append the history line.
    ``k`` and ``tolerance`` default to the suite's ``gate``, else 2 and 0."""
    from merbench.bench.history import append, entry, history_path
    from merbench.results.compare import compare_sets, load_result_set

    from merbench.results.store import Store

    baseline = load_result_set(Store(results).locate(str(against))) if against is not None else None
    started = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    target = Path(out).expanduser() if out is not None else default_out(suite, results)
    write_manifest(suite, target, started)
    t0 = time.perf_counter()
    result = BenchRun(suite, target, started, against=Path(against) if against is not None else None)
    result.cells = run_cells(suite, target, progress=progress, results=results, on_cell=on_cell)
    result.wall_s = time.perf_counter() - t0
    if baseline is not None:
        k = k if k is not None else suite.gate.get("k", 2.0)
        tolerance = tolerance if tolerance is not None else suite.gate.get("tolerance", 0.0)
        result.comparison = compare_sets(baseline, load_result_set(target), k=k, tolerance=tolerance)
    if history:
        result.history = append(history_path(suite.name, results), entry(result))
    return result
