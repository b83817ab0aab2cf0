"""The papers' tables rebuilt from result records (``results export``, the report's pages).

A record of ``merbench run`` keeps its track (``config.track``), strategy, row key and kind
(``extra``), so its per-seed scores go back into the cell the run printed them in: :func:`record_rows`
rebuilds the run's rows and scored columns, and :func:`record_tables` hands them to
:func:`merbench.results.tables.paper_tables`, so a table from records is the very table the run printed
(each cell also names the record it came from). Records that are no such row (MER-OV's, or those of a
plugin's track that scores itself) make a table per track instead, one row per record
(:func:`track_tables`). The records are :class:`merbench.results.sets.Loaded` (anything with ``path``,
``record`` and, to group by run, ``cell``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from merbench.results.tables import (ROW_HEADINGS, Cell, Column, ScoreTable, metric_heading, paper_tables,
                                     percent_metric, score_label)


class RowsError(ValueError):
    """Records that cannot make one table (two for one cell, a track defined two ways); names both files."""


@dataclass
class RecordRow:
    """A table row rebuilt from records: the shape :func:`~merbench.results.tables.score_table` reads."""

    key: str
    kind: str
    order: tuple[int, str]
    scores: dict[str, dict[int, dict[str, float]]] = field(default_factory=dict)  # label -> seed -> key -> value
    sources: dict[str, Any] = field(default_factory=dict)  # label -> the record it came from


@dataclass(frozen=True)
class RecordScored:
    """A scored column group rebuilt from records (the runner's ``Scored``: label, track, heading)."""

    label: str
    track: Any
    heading: str
    order: tuple[int, int]
    source: Any  # the first record of it


def is_row_record(record: Mapping[str, Any]) -> bool:
    """A record of one row of the papers' tables of ``merbench run`` (it keeps its track, row key and kind of row)."""
    extra, config = record.get("extra") or {}, record.get("config") or {}
    return (extra.get("kind") in ROW_HEADINGS and extra.get("kind") != "record" and "row" in extra
            and isinstance(config.get("track"), Mapping))


def dataset_label(record: Mapping[str, Any]) -> str:
    """The dataset a record's run was given (``config.dataset``: NOISE records score a corrupted copy of
    it, whose own name is ``corrupted``), else the scored dataset's name."""
    spec = (record.get("config") or {}).get("dataset")
    return str(spec) if isinstance(spec, str) and spec else str(record["dataset"]["name"])


def _scored(loaded: Any) -> tuple[Any, str, str, str]:
    """``(track, strategy, score label, heading)`` of a row record, as the run named its column group."""
    from merbench.contracts.track import track_from_mapping

    record = loaded.record
    track = track_from_mapping(record["config"]["track"], f"{loaded.path}: config.track")
    strategy = record["extra"].get("strategy") or track.strategies[0]
    return (track, strategy, *score_label(track, strategy))


def record_label(loaded: Any) -> str:
    """The scored column a record belongs to: its track, ``+strategy`` for a further strategy; a record that
    is no table row, its track."""
    return _scored(loaded)[2] if is_row_record(loaded.record) else str(loaded.record["track"])


def _row_order(config: Mapping[str, Any], kind: str, key: str, modalities: Iterable[str]) -> int:
    """Where the run put this row: features in the config's encoder order, combinations in its order."""
    encoders = config.get("encoders") or {}
    if kind == "feature":
        flat = [e for names in encoders.values() for e in names]
        return flat.index(key) if key in flat else len(flat)
    combos = [set(c) & set(encoders) for c in config.get("combinations") or []]
    return combos.index(set(modalities)) if set(modalities) in combos else len(combos)


def record_rows(records: Iterable[Any]) -> tuple[list[RecordRow], list[RecordScored]]:
    """The table rows and scored columns of the row records among ``records``, in the run's order. Two
    records for one (row, column), or one track scored two ways, are a :class:`RowsError` naming both files."""
    rows: dict[tuple[str, str], RecordRow] = {}
    scored: dict[str, RecordScored] = {}
    for loaded in records:
        record = loaded.record
        if not is_row_record(record):
            continue
        extra, config = record["extra"], record["config"]
        track, strategy, label, heading = _scored(loaded)
        names = [t for t in config.get("tracks", []) if isinstance(t, str)]
        order = (names.index(track.name) if track.name in names else len(names), track.strategies.index(strategy))
        seen = scored.setdefault(label, RecordScored(label, track, heading, order, loaded))
        if seen.track.as_dict() != track.as_dict():
            raise RowsError(f"{seen.source.path} and {loaded.path} score track {track.name!r} differently (its "
                            "definition changed between runs); give each run's records on their own")
        row = rows.setdefault((extra["kind"], extra["row"]), RecordRow(
            extra["row"], extra["kind"], (_row_order(config, extra["kind"], extra["row"], extra.get("modalities", [])),
                                          extra["row"])))
        if label in row.scores:
            raise RowsError(f"{row.sources[label].path} and {loaded.path} both hold {label} of row {row.key!r}; "
                            "give each run's records on their own (one folder or file at a time)")
        row.scores[label] = {int(run["seed"]): dict(run["scores"]) for run in record["per_seed"]}
        row.sources[label] = loaded
    return (sorted(rows.values(), key=lambda r: (r.kind != "feature", r.order)),
            sorted(scored.values(), key=lambda s: s.order))


def record_tables(records: Sequence[Any], *, by_run: bool = False) -> list[ScoreTable]:
    """The papers' tables of the row records among ``records`` (those tables that have rows). With
    ``by_run``, one set of tables per (cell, fusion, dataset of the run), titled with it: a report page
    may hold several runs (a bench result set's cells) or fusions; else the records must be one run's."""
    if not by_run:
        return [t for t in paper_tables(*record_rows(records)) if t.rows]
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for loaded in records:
        if is_row_record(loaded.record):
            fusion = str(loaded.record["config"].get("fusion") or "")
            groups.setdefault((loaded.cell, fusion, dataset_label(loaded.record)), []).append(loaded)
    tables = []
    for (cell, fusion, dataset), members in sorted(groups.items(), key=lambda kv: kv[0]):
        where = f"{fusion} on {dataset}" if fusion else dataset
        tables += [t for t in paper_tables(*record_rows(members), where=f"{cell}: {where}" if cell else where)
                   if t.rows]
    return tables


def track_tables(records: Sequence[Any]) -> list[ScoreTable]:
    """A table per track of the records among ``records`` that are no row of the papers' tables (a
    track that scores itself, as MER-OV does): one row per record, named by it, in name order, and a
    column per metric its seeds were scored with, the main metric first (mean ± std over seeds,
    percent metrics ×100). A record name given twice is a :class:`RowsError` naming both files."""
    groups: dict[str, list[Any]] = {}
    for loaded in records:
        if not is_row_record(loaded.record):
            groups.setdefault(str(loaded.record["track"]), []).append(loaded)
    tables = []
    for track, members in groups.items():
        members = sorted(members, key=lambda m: str(m.record.get("name") or m.path.stem))
        keys = list(dict.fromkeys(k for m in members for run in m.record["per_seed"] for k in run["scores"]))
        mains = {(m.record.get("main_score") or {}).get("metric") for m in members}
        keys.sort(key=lambda k: k not in mains)  # stable: the main metric first, the rest as scored
        cols = tuple(Column(track, key, metric_heading(key), percent_metric(key)) for key in keys)
        rows, seen = [], {}
        for m in members:
            name = str(m.record.get("name") or m.path.stem)
            if name in seen:
                raise RowsError(f"{seen[name].path} and {m.path} are both record {name!r} of track {track}; "
                                "give each run's records on their own (one folder or file at a time)")
            seen[name] = m
            cells = []
            for col in cols:
                values = tuple(float(run["scores"][col.key]) for run in m.record["per_seed"] if col.key in run["scores"])
                cells.append(Cell(values, col.percent, m) if values else None)
            rows.append((name, tuple(cells)))
        tables.append(ScoreTable(f"{track}: one row per record (mean±std over seeds; fractions in %)", track,
                                 "record", cols, tuple(rows)))
    return tables
