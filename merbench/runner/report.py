"""What ``merbench run`` prints: the protocol and each departure from it, the tables, where the records went."""

from __future__ import annotations

from typing import Any


def departure_lines(result: Any) -> list[str]:
    """``"trials: 2 (protocol 50; from dataset demo defaults)"`` per departure."""
    return [f"{d['field']}: {d['run']!r} (protocol {d['protocol']!r}; from {d['source']})" for d in result.departures]


def print_report(result: Any, console: Any) -> None:
    from merbench.results.tables import paper_tables, rich_table

    c, p = result.config, result.protocol
    console.print(f"[bold]merbench run[/] on {c['dataset']}: protocol [bold]{p['name']}[/] ({p['title']}, v{p['version']}); "
                  f"fusion {c['fusion']}, {c['trials']} trials x {c['folds']} folds, {c['epochs']} epochs, "
                  f"seeds {c['seeds']}, search space {c['search_space']}")
    lines = departure_lines(result)
    console.print(f"departures from {p['name']}: " + ("none" if not lines else str(len(lines))))
    for line in lines:
        console.print(f"  - {line}")
    for note in result.notes:
        console.print(f"note: {note}")
    tables = paper_tables(result.rows, result.scored)
    widest = max((len(t.columns) for t in tables), default=0)
    console.width = max(console.width, 20 + 15 * widest)  # room for every column's mean ± std, one width for all
    for table in tables:
        if table.rows:  # no unimodal rows when unimodal: false
            console.print(rich_table(table))
    if result.ranking:
        console.print(f"Top-N ranking (unimodal CV selection score): {result.ranking}")
    for outcome in result.outcomes.values():
        if outcome.table is not None:
            console.print(outcome.table)
    times = ", ".join(f"{k} {v:.0f}s" for k, v in result.timings.items())
    console.print(f"timings: {times}")
    console.print(f"{len(result.records)} records and their predictions in {result.out}")
