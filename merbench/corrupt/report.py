"""Summaries of a corruption log: what was drawn how often (SNRs, blur factors, rescaled clips)."""

from __future__ import annotations

from collections import Counter
from typing import Mapping

#: A field with at most this many distinct values is shown as counts, otherwise as a range.
MAX_LEVELS = 12


def summarize_log(clips: Mapping[str, list[dict]]) -> list[tuple[str, str, str]]:
    """``(step, field, summary)`` rows over all clips, for every scalar field the steps logged."""
    values: dict[tuple[int, str, str], list] = {}
    for steps in clips.values():
        for index, step in enumerate(steps):
            for field, value in step.items():
                if field != "name" and isinstance(value, (bool, int, float, str)):
                    values.setdefault((index, step["name"], field), []).append(value)
    rows = []
    for (_, step, field), seen in sorted(values.items()):
        counts = Counter(seen)
        if len(counts) <= MAX_LEVELS:
            ordered = sorted(counts.items(), key=lambda kv: (isinstance(kv[0], str), kv[0] if not isinstance(kv[0], str) else 0, str(kv[0])))
            summary = ", ".join(f"{value}: {n}" for value, n in ordered)
        else:
            summary = f"{min(seen):.4g} .. {max(seen):.4g} over {len(seen)} clips"
        rows.append((step, field, summary))
    return rows
