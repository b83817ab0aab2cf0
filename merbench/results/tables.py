"""Rich tables shaped like the papers' (Tables 4 and 5 of MER2024): per feature (unimodal) and per
modality combination, one column per (scored track, metric), mean ± std over seeds (in % for the
metrics whose card says ``percent``, as is for others such as MSE).

Columns come from the tracks: each scored track contributes its ``columns`` (its metrics unless it
lists others, e.g. ``waf_unbiased``), headed ``<track heading> <METRIC>``.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from merbench.util.stats import mean_std


def _percent(key: str) -> bool:
    from merbench import plugins

    return plugins.get("metric", key.removesuffix("_unbiased")).card.percent


def metric_heading(key: str) -> str:
    """``waf`` -> ``WAF``; ``waf_unbiased`` -> ``WAF (unbiased)``."""
    base, unbiased = (key.removesuffix("_unbiased"), key.endswith("_unbiased"))
    return base.upper() + (" (unbiased)" if unbiased else "")


def columns(scored: Iterable[Any]) -> list[tuple[str, str, str]]:
    """``(score label, score key, heading)`` for every column of the scored tracks, in order."""
    return [(s.label, key, f"{s.heading} {metric_heading(key)}") for s in scored for key in s.track.shown_columns]


def summary_rows(rows: Iterable[Any], cols: Sequence[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """Plain dicts (row key, kind, ``"<label>.<key>"`` -> mean ± std string), for tables and JSON."""
    out = []
    for row in rows:
        entry: dict[str, Any] = {"key": row.key, "kind": row.kind}
        for label, key, _ in cols:
            vals = [s[key] for s in row.scores.get(label, {}).values() if key in s]
            if vals:
                entry[f"{label}.{key}"] = mean_std(vals, percent=_percent(key))
        out.append(entry)
    return out


def scores_table(rows: Iterable[Any], kind: str, title: str, scored: Iterable[Any]):
    """A :class:`rich.table.Table` of the rows of one ``kind`` ("feature" or "combination") over ``scored`` tracks."""
    from rich.table import Table

    cols = columns(scored)
    selected = [r for r in summary_rows(rows, cols) if r["kind"] == kind]
    present = [c for c in cols if any(f"{c[0]}.{c[1]}" in r for r in selected)]
    table = Table(title=title, title_justify="left")
    table.add_column("Features" if kind == "feature" else "Modalities", style="bold")
    for _, _, heading in present:
        table.add_column(heading, justify="right")
    for r in selected:
        table.add_row(r["key"], *(r.get(f"{label}.{key}", "-") for label, key, _ in present))
    return table
