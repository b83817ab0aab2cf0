"""The report's tables: the papers' mean ± std tables rebuilt from records (:mod:`merbench.results.rows`,
one set per cell, fusion and dataset of the run), each cell linked to its record's section, and the
records that are no row of them (MER-OV's) in :func:`other_rows`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from merbench.results.rows import is_row_record
from merbench.results.sets import Loaded
from merbench.results.tables import ScoreTable
from merbench.util.stats import mean_std


@dataclass
class Cell:
    text: str
    record: str | None = None  # key of the record the value comes from (a link to its section)


@dataclass
class Table:
    title: str
    first: str  # the heading of the row-key column
    headings: list[str]
    rows: list[tuple[str, list[Cell]]] = field(default_factory=list)


def page_table(table: ScoreTable) -> Table:
    """One of the papers' tables as the page shows it: ``mean±std`` cells linked to their records, ``-`` where a
    row has no score."""
    return Table(table.title, table.row_heading, [c.heading for c in table.columns],
                 [(key, [Cell(c.text(), c.source.rel if c.source is not None else None) if c is not None else Cell("-")
                         for c in cells]) for key, cells in table.rows])


def score_tables(records: Sequence[Loaded]) -> list[Table]:
    """Table 4-style (unimodal, per feature) and Table 5-style (multimodal) tables of the row records, per
    cell, fusion and dataset of their run (two records of one cell there: a one-line error naming both)."""
    from merbench.results.rows import record_tables

    return [page_table(t) for t in record_tables(records, by_run=True)]


def other_rows(records: Sequence[Loaded]) -> Table | None:
    """Records that are no row of the score tables (MER-OV's, a plugin's): every score, mean ± std."""
    from merbench.results.tables import percent_metric

    others = [rf for rf in records if not is_row_record(rf.record)]
    if not others:
        return None
    metrics = list(dict.fromkeys(m for rf in others for m in rf.record["scores"]))
    table = Table("Other records (mean±std over seeds; fractions in %)", "Record", ["Track", *map(str.upper, metrics)])
    for rf in others:
        r = rf.record
        cells = [Cell(r["track"], rf.rel)]
        for m in metrics:
            values = [run["scores"][m] for run in r["per_seed"] if m in run["scores"]]
            cells.append(Cell(mean_std(values, percent=percent_metric(m)), rf.rel))
        table.rows.append((rf.name, cells))
    return table
