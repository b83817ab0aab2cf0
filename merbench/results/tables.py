"""Rich tables shaped like the MER2024 papers' Tables 4 and 5: WAF and ACC (mean ± std over seeds, in %)
per feature (unimodal) and per modality combination, for Train&Val, MER-SEMI (with and without
pseudo-labelling) and MER-NOISE."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np

#: (score key in a row, column heading)
COLUMNS = (("trainval", "Train&Val"), ("semi", "SEMI"), ("semi+pseudo-label", "SEMI +PL"), ("noise", "NOISE"))


def mean_std(values: Iterable[float]) -> str:
    vals = np.asarray(list(values), float) * 100
    if not len(vals):
        return "-"
    std = vals.std(ddof=1) if len(vals) > 1 else 0.0
    return f"{vals.mean():.2f}±{std:.2f}"


def summary_rows(rows: Iterable[Any]) -> list[dict[str, Any]]:
    """Plain dicts (row key, kind, per column 'waf'/'acc' strings), for tables and JSON."""
    out = []
    for row in rows:
        entry: dict[str, Any] = {"key": row.key, "kind": row.kind}
        for key, _ in COLUMNS:
            per_seed: Mapping[int, Mapping[str, float]] = row.scores.get(key, {})
            for metric in ("waf", "acc", "waf_unbiased"):
                vals = [s[metric] for s in per_seed.values() if metric in s]
                if vals:
                    entry[f"{key}.{metric}"] = mean_std(vals)
        out.append(entry)
    return out


def scores_table(rows: Iterable[Any], kind: str, title: str):
    """A :class:`rich.table.Table` of the rows of one ``kind`` ("feature" or "combination")."""
    from rich.table import Table

    selected = [r for r in summary_rows(rows) if r["kind"] == kind]
    present = [(k, h) for k, h in COLUMNS if any(f"{k}.waf" in r for r in selected)]
    table = Table(title=title, title_justify="left")
    table.add_column("Features" if kind == "feature" else "Modalities", style="bold")
    for key, heading in present:
        table.add_column(f"{heading} WAF", justify="right")
        table.add_column(f"{heading} ACC", justify="right")
        if key == "trainval":
            table.add_column("Train&Val WAF (unbiased)", justify="right")
    for r in selected:
        cells = [r["key"]]
        for key, _ in present:
            cells += [r.get(f"{key}.waf", "-"), r.get(f"{key}.acc", "-")]
            if key == "trainval":
                cells.append(r.get("trainval.waf_unbiased", "-"))
        table.add_row(*cells)
    return table
