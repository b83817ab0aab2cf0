"""Top-N feature selection (MER2024 Table 5): rank each modality's features by merbench's own unimodal CV WAF.

The ranking is computed from unimodal results of the same run (never a hand-edited list) and is
recorded with the scores it was computed from.
"""

from __future__ import annotations

from typing import Mapping


def rank_features(unimodal_waf: Mapping[str, float], modality_of: Mapping[str, str]) -> dict[str, list[str]]:
    """Modality -> feature names, best unimodal WAF first (ties broken by name for determinism)."""
    ranking: dict[str, list[str]] = {}
    for feature, modality in modality_of.items():
        if feature not in unimodal_waf:
            raise KeyError(f"no unimodal score for feature {feature!r}; score every feature before ranking")
        ranking.setdefault(modality, []).append(feature)
    return {m: sorted(fs, key=lambda f: (-unimodal_waf[f], f)) for m, fs in sorted(ranking.items())}


def top_n(ranking: Mapping[str, list[str]], n: int, modalities: list[str]) -> list[str]:
    """The best ``n`` features of each requested modality (fewer where a modality has fewer)."""
    if n < 1:
        raise ValueError(f"top-N needs N >= 1, got {n}")
    return [f for m in modalities for f in ranking[m][:n]]
