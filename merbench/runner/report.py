"""What ``merbench run`` prints: the budget, the papers' tables, MER-OV rows and where the records went."""

from __future__ import annotations

from typing import Any


def print_report(result: Any, console: Any) -> None:
    from rich.table import Table

    from merbench.results.tables import scores_table

    c = result.config
    console.print(f"[bold]merbench run[/] on {c['dataset']}: fusion {c['fusion']}, {c['trials']} trials x "
                  f"{c['folds']} folds, {c['epochs']} epochs, seeds {c['seeds']}, search space {c['search_space']}"
                  f" (papers: --trials 50 --epochs 100 --seeds 3)")
    console.print(scores_table(result.rows, "feature", "Table 4-style: unimodal results per feature (%, mean±std over seeds)"))
    console.print(scores_table(result.rows, "combination", "Table 5-style: multimodal results per modality combination"))
    if result.ranking:
        console.print(f"Top-N ranking (unimodal Train&Val WAF): {result.ranking}")
    if result.ov_rows:
        table = Table(title="MER-OV (set-level accuracy/recall, %)", title_justify="left")
        for col in ("model", "grouping", "avg", "accuracy", "recall"):
            table.add_column(col, justify="left" if col in ("model", "grouping") else "right")
        for r in result.ov_rows:
            fmt = lambda k: f"{r[k]:.2f}" + (f"±{r[k + '_std']:.2f}" if r.get(k + "_std") is not None else "")
            table.add_row(str(r["model"]), str(r["grouping"]), fmt("avg"), fmt("accuracy"), fmt("recall"))
        console.print(table)
    times = ", ".join(f"{k} {v:.0f}s" for k, v in result.timings.items())
    console.print(f"timings: {times}")
    console.print(f"{len(result.records)} records and their predictions in {result.out}")
