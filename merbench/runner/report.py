"""What ``merbench run`` prints: the budget, the papers' tables, MER-OV rows and where the records went."""

from __future__ import annotations

from typing import Any


def print_report(result: Any, console: Any) -> None:
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
        from merbench.ov.track import format_table

        console.print(format_table(result.ov_rows))
    times = ", ".join(f"{k} {v:.0f}s" for k, v in result.timings.items())
    console.print(f"timings: {times}")
    console.print(f"{len(result.records)} records and their predictions in {result.out}")
