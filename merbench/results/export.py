"""Result records as the papers' tables, for a paper or a spreadsheet: CSV, Markdown and LaTeX.

The tables are those ``merbench run`` prints (:func:`merbench.results.tables.paper_tables`): per
tracks' ``table``, the unimodal and the multimodal one, with the same rows and columns, rebuilt
from records (each knows its track, strategy, row and per-seed scores). Cells are mean ± std over
seeds, percent metrics ×100 with 2 decimals as the papers print them (others, e.g. MSE, 4).

- ``csv``: one header for every table (``table``, ``kind``, ``row``, then ``<heading> mean`` and
  ``<heading> std`` per column), numbers unrounded (10 significant digits) in the tables' unit;
- ``md``: a ``###`` title and a pipe table per table;
- ``latex``: a ``table`` float per table with a booktabs ``tabular`` (``$\\pm$``, special characters escaped).

Records that are no row of these tables (e.g. MER-OV's) are left out and named in a warning.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from merbench.results.tables import ROW_HEADINGS, Column, ScoreTable, paper_tables, score_label

log = logging.getLogger("merbench.results.export")


class ExportError(ValueError):
    """Records that cannot make one table (none found, two for one cell); the message names the files."""


@dataclass
class RecordRow:
    """A table row rebuilt from records: the shape :func:`~merbench.results.tables.score_table` reads."""

    key: str
    kind: str
    order: tuple[int, str]
    scores: dict[str, dict[int, dict[str, float]]] = field(default_factory=dict)  # label -> seed -> key -> value
    sources: dict[str, Path] = field(default_factory=dict)  # label -> the record it came from


@dataclass(frozen=True)
class RecordScored:
    """A scored column group rebuilt from records (the runner's ``Scored``: label, track, heading)."""

    label: str
    track: Any
    heading: str
    order: tuple[int, int]
    source: Path


def record_files(path: str | Path) -> list[Path]:
    """``path`` itself when it is a file, else every ``*.json`` under it (recursively), sorted."""
    p = Path(path)
    if p.is_file():
        return [p]
    files = sorted(f for f in p.rglob("*.json") if f.is_file())
    if not files:
        raise ExportError(f"{p}: no result record (*.json) in it; point RESULTS at a run's output folder or a record")
    return files


def _row_order(config: Mapping[str, Any], kind: str, key: str, modalities: Iterable[str]) -> int:
    """Where the run put this row: features in the config's encoder order, combinations in its order."""
    encoders = config.get("encoders") or {}
    if kind == "feature":
        flat = [e for names in encoders.values() for e in names]
        return flat.index(key) if key in flat else len(flat)
    combos = [set(c) & set(encoders) for c in config.get("combinations") or []]
    return combos.index(set(modalities)) if set(modalities) in combos else len(combos)


def load_rows(paths: Iterable[Path]) -> tuple[list[RecordRow], list[RecordScored], list[Path]]:
    """The table rows and scored columns of the records at ``paths`` (in the run's order), and the
    records that are no table row. Two records for one (row, column), or one track scored two ways,
    are an error naming both files: export one run's records at a time."""
    from merbench.contracts.track import track_from_mapping
    from merbench.results.record import read_record

    rows: dict[tuple[str, str], RecordRow] = {}
    scored: dict[str, RecordScored] = {}
    skipped = []
    for path in paths:
        record = read_record(path)
        extra, config = record.get("extra") or {}, record["config"]
        if extra.get("kind") not in ROW_HEADINGS or "row" not in extra or not isinstance(config.get("track"), Mapping):
            skipped.append(path)
            continue
        track = track_from_mapping(config["track"], f"{path}: config.track")
        strategy = extra.get("strategy") or track.strategies[0]
        label, heading = score_label(track, strategy)
        names = [t for t in config.get("tracks", []) if isinstance(t, str)]
        order = (names.index(track.name) if track.name in names else len(names), track.strategies.index(strategy))
        seen = scored.setdefault(label, RecordScored(label, track, heading, order, path))
        if seen.track.as_dict() != track.as_dict():
            raise ExportError(f"{seen.source} and {path} score track {track.name!r} differently (its definition "
                              "changed between runs); export each run's records on their own")
        row = rows.setdefault((extra["kind"], extra["row"]), RecordRow(
            extra["row"], extra["kind"], (_row_order(config, extra["kind"], extra["row"], extra.get("modalities", [])),
                                          extra["row"])))
        if label in row.scores:
            raise ExportError(f"{row.sources[label]} and {path} both hold {label} of row {row.key!r}; "
                              "export each run's records on their own (one folder or file at a time)")
        row.scores[label] = {int(run["seed"]): dict(run["scores"]) for run in record["per_seed"]}
        row.sources[label] = path
    return (sorted(rows.values(), key=lambda r: (r.kind != "feature", r.order)),
            sorted(scored.values(), key=lambda s: s.order), skipped)


def record_tables(path: str | Path) -> list[ScoreTable]:
    """The papers' tables of the records at ``path`` (a record or a folder of them), those with rows."""
    files = record_files(path)
    rows, scored, skipped = load_rows(files)
    if skipped:
        log.warning("left out %d record(s) that are no row of the papers' tables: %s", len(skipped),
                    ", ".join(p.name for p in skipped))
    if not rows:
        raise ExportError(f"{path}: none of its {len(files)} record(s) is a row of the papers' tables "
                          "(records of merbench run's tracks are)")
    return [t for t in paper_tables(rows, scored) if t.rows]


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
