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


def mean_std(values: Iterable[float], *, scale: float = 100.0, sep: str = "±") -> str:
    """``"61.37±1.50"``: the mean and std of ``values`` times ``scale``, two decimals; ``"-"`` for none."""
    vals = [float(v) * scale for v in values]
    if not vals:
        return "-"
    s = summarize(vals)
    return f"{s['mean']:.2f}{sep}{s['std']:.2f}"
