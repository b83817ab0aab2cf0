"""Mean ± standard deviation over seeds: one definition (sample std, ddof=1; 0 for one value) everywhere."""

from __future__ import annotations

import math
from typing import Iterable


def summarize(values: Iterable[float]) -> dict[str, float]:
    """Mean, sample standard deviation (ddof=1; 0 for one value), standard error, count."""
    vals = [float(v) for v in values]
    n = len(vals)
    if n == 0:
        raise ValueError("cannot summarise a metric with no values")
    mean = sum(vals) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1)) if n > 1 else 0.0
    return {"mean": mean, "std": std, "stderr": std / math.sqrt(n), "n": n}


def mean_std(values: Iterable[float], *, percent: bool = True, sep: str = "±") -> str:
    """``"61.37±1.50"``: mean and std of ``values`` (×100 with two decimals when ``percent``, else four
    decimals, as the papers print an MSE); the value alone for one seed, whose spread is unknown
    (not zero); ``"-"`` for none."""
    vals = [float(v) * (100.0 if percent else 1.0) for v in values]
    if not vals:
        return "-"
    s = summarize(vals)
    digits = 2 if percent else 4
    if s["n"] == 1:
        return f"{s['mean']:.{digits}f}"
    return f"{s['mean']:.{digits}f}{sep}{s['std']:.{digits}f}"
