"""Result records as the papers' tables, for a paper or a spreadsheet: CSV, Markdown and LaTeX.

The tables are those ``merbench run`` prints (:func:`merbench.results.tables.paper_tables`): per
tracks' ``table``, the unimodal and the multimodal one, with the same rows and columns, rebuilt
from records (:mod:`merbench.results.rows`: each knows its track, strategy, row and per-seed scores). Cells are mean ± std over
seeds, percent metrics ×100 with 2 decimals as the papers print them (others, e.g. MSE, 4).

- ``csv``: one header for every table (``table``, ``kind``, ``row``, then ``<heading> mean`` and
  ``<heading> std`` per column), numbers unrounded (10 significant digits) in the tables' unit;
- ``md``: a ``###`` title and a pipe table per table;
- ``latex``: a ``table`` float per table with a booktabs ``tabular`` (``$\\pm$``, special characters escaped).

Records that are no row of these tables (MER-OV's, whose table the track prints itself) follow, a
table per track with one row per record (:func:`merbench.results.rows.track_tables`).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Callable, Iterable

from merbench.results.tables import Column, ScoreTable


class ExportError(ValueError):
    """Records that cannot make one table (no row among them, two for one cell); the message names the files."""


def record_tables(path: str | Path) -> list[ScoreTable]:
    """The tables of the records at ``path`` (a record or a folder of them): the papers' tables of
    those that are their rows, then a table per track of the others."""
    from merbench.results.rows import RowsError, record_tables as tables_of, track_tables
    from merbench.results.sets import load_records

    records = load_records(path).records
    try:
        return tables_of(records) + track_tables(records)
    except RowsError as exc:
        raise ExportError(str(exc)) from None


def _number(value: float) -> str:
    return f"{value:.10g}"


def to_csv(tables: Iterable[ScoreTable]) -> str:
    """One CSV for every table: ``table,kind,row`` then a mean and a std column per (track, metric) column."""
    tables = list(tables)
    cols: dict[tuple[str, str], Column] = {}
    for table in tables:
        for col in table.columns:
            cols.setdefault((col.label, col.key), col)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["table", "kind", "row",
                     *(f"{c.heading} {part}" for c in cols.values() for part in ("mean", "std"))])
    for table in tables:
        where = {(c.label, c.key): i for i, c in enumerate(table.columns)}
        for key, cells in table.rows:
            values = []
            for ident in cols:
                cell = cells[where[ident]] if ident in where else None
                values += [_number(cell.mean), _number(cell.std)] if cell is not None else ["", ""]
            writer.writerow([table.name, table.kind, key, *values])
    return buf.getvalue()


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def to_markdown(tables: Iterable[ScoreTable]) -> str:
    """A ``###`` title and a GitHub pipe table per table (mean ± std cells, ``-`` where a row has no score)."""
    parts = []
    for table in tables:
        head = [table.row_heading, *(c.heading for c in table.columns)]
        lines = [f"### {_md(table.title)}", "", "| " + " | ".join(_md(h) for h in head) + " |",
                 "|" + "|".join([":---"] + ["---:"] * len(table.columns)) + "|"]
        for key, cells in table.rows:
            lines.append("| " + " | ".join([_md(key), *(c.text(" ± ") if c else "-" for c in cells)]) + " |")
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


_LATEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
          "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "±": r"$\pm$", "×": r"$\times$"}


def latex_escape(text: str) -> str:
    """``text`` safe in LaTeX body text: its special characters escaped, ``±`` and ``×`` as math."""
    return "".join(_LATEX.get(ch, ch) for ch in text)


def to_latex(tables: Iterable[ScoreTable]) -> str:
    """A ``table`` float per table: caption, booktabs ``tabular`` (``\\usepackage{booktabs}``), cells
    mean $\\pm$ std."""
    parts = []
    for table in tables:
        head = [table.row_heading, *(c.heading for c in table.columns)]
        lines = [r"\begin{table}[t]", r"\centering", rf"\caption{{{latex_escape(table.title)}}}",
                 rf"\begin{{tabular}}{{l{'r' * len(table.columns)}}}", r"\toprule",
                 " & ".join(latex_escape(h) for h in head) + r" \\", r"\midrule"]
        for key, cells in table.rows:
            lines.append(" & ".join([latex_escape(key), *(c.text(r" $\pm$ ") if c else "-" for c in cells)]) + r" \\")
        lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


#: ``--format`` -> renderer of a list of tables
FORMATS: dict[str, Callable[[Iterable[ScoreTable]], str]] = {"csv": to_csv, "md": to_markdown, "latex": to_latex}


def export(path: str | Path, fmt: str) -> str:
    """The papers' tables of the records at ``path`` in format ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return FORMATS[fmt](record_tables(path))
