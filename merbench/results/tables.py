"""Tables shaped like the papers' (Tables 4 and 5 of MER2024): per feature (unimodal) and per
modality combination, one column per (scored track, metric), mean ± std over seeds (in % for the
metrics whose card says ``percent``, as is for others such as MSE).

Columns come from the tracks: each scored track contributes its ``columns`` (its metrics unless it
lists others, e.g. ``waf_unbiased``), headed ``<track heading> <METRIC>``. One model,
:class:`ScoreTable`, holds a table; :func:`rich_table` renders it for the terminal and
:mod:`merbench.results.export` as CSV, Markdown and LaTeX, so every form has the same rows and columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from merbench.util.stats import mean_std, summarize

#: the first column's heading per row kind ("record": a track's own table, one row per record)
ROW_HEADINGS = {"feature": "Features", "combination": "Modalities", "record": "Record"}


def percent_metric(key: str) -> bool:
    """Whether the score ``key`` (``waf``, ``waf_unbiased``) is a fraction shown in %, as its metric card
    says; a metric no plugin registers (a record from elsewhere) is shown as is."""
    from merbench import plugins

    base = key.removesuffix("_unbiased")
    if base not in plugins.get_registry().names("metric"):
        return False
    return bool(plugins.get("metric", base).card.percent)


def metric_heading(key: str) -> str:
    """``waf`` -> ``WAF``; ``waf_unbiased`` -> ``WAF (unbiased)``."""
    base, unbiased = (key.removesuffix("_unbiased"), key.endswith("_unbiased"))
    return base.upper() + (" (unbiased)" if unbiased else "")


def score_label(track: Any, strategy: str) -> tuple[str, str]:
    """``(score label, heading)`` of ``track`` scored under ``strategy``: the track's name and heading for
    its first strategy, ``<track>+<strategy>`` and ``<heading> +<strategy abbreviation>`` for the others."""
    if strategy == track.strategies[0]:
        return track.name, track.heading
    from merbench import plugins

    abbreviation = plugins.get("strategy", strategy).card.abbreviation or strategy
    return f"{track.name}+{strategy}", f"{track.heading} +{abbreviation}"


def columns(scored: Iterable[Any]) -> list[tuple[str, str, str]]:
    """``(score label, score key, heading)`` for every column of the scored tracks, in order."""
    return [(s.label, key, f"{s.heading} {metric_heading(key)}") for s in scored for key in s.track.shown_columns]


@dataclass(frozen=True)
class Column:
    """One column: a score key of one scored track (``label``), with its heading."""

    label: str
    key: str
    heading: str
    percent: bool


@dataclass(frozen=True)
class Cell:
    """One cell: the per-seed values of a column's score for a row (as scored: fractions, not %), and
    where they came from when a table is rebuilt from records (the record; not part of a cell's equality)."""

    values: tuple[float, ...]
    percent: bool
    source: Any = field(default=None, compare=False)

    @property
    def mean(self) -> float:
        """Mean over seeds, in the table's unit (×100 for a percent metric)."""
        return summarize(self._shown())["mean"]

    @property
    def std(self) -> float:
        """Sample standard deviation over seeds (ddof=1, 0 for one seed), in the table's unit."""
        return summarize(self._shown())["std"]

    def text(self, sep: str = "±") -> str:
        """``"61.37±1.50"`` (2 decimals for a percent metric, 4 for others), with ``sep`` between."""
        return mean_std(self.values, percent=self.percent, sep=sep)

    def _shown(self) -> list[float]:
        return [v * (100.0 if self.percent else 1.0) for v in self.values]


@dataclass(frozen=True)
class ScoreTable:
    """One of the papers' tables: the rows of one ``kind`` over the columns some row has a score in."""

    title: str
    name: str  # the tracks' ``table`` (e.g. mer2024)
    kind: str  # "feature" (Table 4) or "combination" (Table 5)
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, tuple[Cell | None, ...]], ...]  # (row key, one cell per column; None: no score)

    @property
    def row_heading(self) -> str:
        return ROW_HEADINGS[self.kind]


def score_table(rows: Iterable[Any], kind: str, title: str, scored: Iterable[Any], name: str = "") -> ScoreTable:
    """The :class:`ScoreTable` of the ``rows`` of one ``kind`` over the ``scored`` tracks. A row is anything
    with ``key``, ``kind`` and ``scores`` (score label -> seed -> score key -> value), as the runner's rows;
    a row rebuilt from records (:mod:`merbench.results.rows`) also has ``sources`` (score label -> record)."""
    cols = [Column(label, key, heading, percent_metric(key)) for label, key, heading in columns(scored)]
    cells = []
    for row in (r for r in rows if r.kind == kind):
        line, sources = [], getattr(row, "sources", {})
        for col in cols:
            vals = tuple(float(s[col.key]) for s in row.scores.get(col.label, {}).values() if col.key in s)
            line.append(Cell(vals, col.percent, sources.get(col.label)) if vals else None)
        cells.append((row.key, line))
    present = [i for i in range(len(cols)) if any(line[i] is not None for _, line in cells)]
    return ScoreTable(title, name, kind, tuple(cols[i] for i in present),
                      tuple((key, tuple(line[i] for i in present)) for key, line in cells))


def paper_tables(rows: Sequence[Any], scored: Sequence[Any], where: str = "") -> list[ScoreTable]:
    """Every table the run prints: per tracks' ``table``, the unimodal (Table 4-style) and the
    multimodal (Table 5-style) one over the tracks printed in it. Titles end with the table's name
    when there are several, and with ``where`` (e.g. ``attention on demo``) when given."""
    names = list(dict.fromkeys(s.track.table for s in scored))
    out = []
    for name in names:
        group = [s for s in scored if s.track.table == name]
        notes = [*([name] if len(names) > 1 else []), *([where] if where else [])]
        suffix = f" ({'; '.join(notes)})" if notes else ""
        out.append(score_table(rows, "feature", "Table 4-style: unimodal results per feature (mean±std over seeds; "
                                                f"fractions in %){suffix}", group, name))
        out.append(score_table(rows, "combination", f"Table 5-style: multimodal results per modality combination"
                                                    f"{suffix}", group, name))
    return out


def rich_table(table: ScoreTable):
    """A :class:`rich.table.Table` of ``table`` (cells ``mean±std``, ``-`` where a row has no score)."""
    from rich.table import Table

    out = Table(title=table.title, title_justify="left")
    out.add_column(table.row_heading, style="bold")
    for col in table.columns:
        out.add_column(col.heading, justify="right")
    for key, cells in table.rows:
        out.add_row(key, *(c.text() if c is not None else "-" for c in cells))
    return out


def scores_table(rows: Iterable[Any], kind: str, title: str, scored: Iterable[Any]):
    """A :class:`rich.table.Table` of the rows of one ``kind`` ("feature" or "combination") over ``scored`` tracks."""
    return rich_table(score_table(rows, kind, title, scored))
