"""The history of a suite's bench runs: one JSON line per run in ``<results>/bench/<suite>/history.jsonl``.

Each line holds the date, merbench's version and git sha, where the result set is, the overrides,
the wall time, each record's main score (``"<cell>/<record name>" -> {track, metric, mean}``), the
rows that failed and, with a baseline, the gate's verdict: enough to plot a suite's scores over
commits without opening the result sets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def history_path(suite: str, results: str | Path | None = None) -> Path:
    """``<results store>/bench/<suite>/history.jsonl``."""
    from merbench.results.store import Store

    return Store(results).root / "bench" / suite / "history.jsonl"


def entry(run: Any) -> dict[str, Any]:
    """The history line of a :class:`merbench.bench.run.BenchRun`."""
    from merbench import __version__
    from merbench.results.record import read_record
    from merbench.util.env import git_sha

    scores = {}
    for cell in run.cells:
        for path in cell.records:
            record = read_record(path)
            scores[f"{cell.cell.id}/{record['name']}"] = {"track": record["track"], **record["main_score"]}
    line: dict[str, Any] = {
        "date": run.started, "suite": run.suite.name, "merbench": __version__, "git_sha": git_sha(),
        "out": str(run.out), "overrides": run.suite.overrides, "cells": len(run.cells),
        "wall_s": round(run.wall_s, 1), "main_scores": scores, "failed": run.failed, "gate": None,
    }
    if run.comparison is not None:
        line["gate"] = {"against": str(run.against), "passed": not run.gate_failed(), "k": run.comparison.k,
                        "tolerance": run.comparison.tolerance,
                        "regressions": run.comparison.as_dict()["regressions"],
                        "missing": [f"{u.cell + '/' if u.cell else ''}{u.name}" for u in run.comparison.missing_in_b]}
    return line


def append(path: Path, line: dict[str, Any]) -> Path:
    """Append ``line`` to the JSON-lines file at ``path`` (created with its folders)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(line, sort_keys=True, ensure_ascii=False) + "\n")
    return path
