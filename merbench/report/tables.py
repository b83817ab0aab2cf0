"""The papers' mean ± std tables, rebuilt from records with the columns of :mod:`merbench.results.tables`.

A record of ``merbench run`` keeps its track (``config.track``), strategy, row key and kind
(``extra``), so its per-seed scores go back into the cells they were printed in: one table per
(track table, fusion, dataset of the run) and kind of row, one column per (scored track, metric).
Records that are no such row (MER-OV's) go into :func:`other_rows`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Sequence

from merbench.report.sets import RecordFile
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


def is_row_record(record: dict[str, Any]) -> bool:
    """A record of one table row of ``merbench run`` (it keeps its track, row key and kind)."""
    extra = record.get("extra") or {}
    return isinstance((record.get("config") or {}).get("track"), dict) and "row" in extra and "kind" in extra


def dataset_label(record: dict[str, Any]) -> str:
    """The dataset a record's run was given (``config.dataset``: NOISE records score a corrupted copy of
    it, whose own name is ``corrupted``), else the scored dataset's name."""
    spec = (record.get("config") or {}).get("dataset")
    return str(spec) if isinstance(spec, str) and spec else record["dataset"]["name"]


def column_of(track: dict[str, Any], strategy: str) -> tuple[str, str]:
    """The column group's label and heading, as the run names them (``Scored`` in merbench.runner.run)."""
    from merbench import plugins

    heading = track.get("heading") or track.get("title") or track["name"]
    if strategy == (track.get("strategies") or [strategy])[0]:
        return track["name"], heading
    abbreviation = strategy
    if strategy in plugins.get_registry().names("strategy"):
        abbreviation = plugins.get("strategy", strategy).card.abbreviation or strategy
    return f"{track['name']}+{strategy}", f"{heading} +{abbreviation}"


def _order(record: dict[str, Any]) -> tuple:
    """Columns in the run's track order (``config.tracks``), then strategy order."""
    track = record["config"]["track"]
    names = [t if isinstance(t, str) else t.get("name") for t in record["config"].get("tracks") or []]
    strategies = track.get("strategies") or []
    strategy = record["extra"].get("strategy")
    return (names.index(track["name"]) if track["name"] in names else len(names),
            strategies.index(strategy) if strategy in strategies else len(strategies), track["name"])


def _row_order(record: dict[str, Any]) -> tuple:
    """Rows as the run prints them: features in the config's encoder order, then combinations in its order."""
    config, extra = record["config"], record["extra"]
    if extra["kind"] == "feature":
        encoders = [e for names in (config.get("encoders") or {}).values() for e in names]
        return (0, encoders.index(extra["row"]) if extra["row"] in encoders else len(encoders), extra["row"])
    modalities = set(extra.get("modalities") or [])
    combos = [set(c) for c in config.get("combinations") or []]
    return (1, combos.index(modalities) if modalities in combos else len(combos), extra["row"])


def score_tables(records: Sequence[RecordFile]) -> list[Table]:
    """Table 4-style (unimodal, per feature) and Table 5-style (multimodal) tables of the row records."""
    from merbench.results.tables import columns, summary_rows

    groups: dict[tuple[str, str, str], list[RecordFile]] = {}
    for rf in records:
        if is_row_record(rf.record):
            r = rf.record
            key = (r["config"]["track"].get("table") or "", str(r["config"].get("fusion", "")), dataset_label(r))
            groups.setdefault(key, []).append(rf)
    tables = []
    ordered_groups = sorted(groups.items(), key=lambda kv: min(_order(m.record) for m in kv[1]))  # the run's track order
    for (table_name, fusion, dataset), members in ordered_groups:
        scored, rows, where = {}, {}, {}
        for rf in sorted(members, key=lambda m: _order(m.record)):
            r = rf.record
            track = r["config"]["track"]
            label, heading = column_of(track, r["extra"]["strategy"])
            shown = tuple(track.get("columns") or track["metrics"])
            scored.setdefault(label, SimpleNamespace(label=label, heading=heading,
                                                     track=SimpleNamespace(shown_columns=shown)))
            row_key = r["extra"]["row"]
            row = rows.setdefault(row_key, SimpleNamespace(key=row_key, kind=r["extra"]["kind"], scores={},
                                                           order=_row_order(r)))
            row.scores[label] = {run["seed"]: run["scores"] for run in r["per_seed"]}
            where[label, row_key] = rf.key
        cols = columns(scored.values())
        ordered = sorted(rows.values(), key=lambda row: row.order)
        summaries = summary_rows(ordered, cols)
        for kind, style, first in (("feature", "Table 4-style: unimodal results per feature", "Features"),
                                   ("combination", "Table 5-style: multimodal results per modality combination",
                                    "Modalities")):
            selected = [s for s in summaries if s["kind"] == kind]
            present = [c for c in cols if any(f"{c[0]}.{c[1]}" in s for s in selected)]
            if not selected or not present:
                continue
            title = f"{style} ({table_name or 'tracks'}; {fusion} on {dataset}; mean±std over seeds, fractions in %)"
            table = Table(title, first, [heading for _, _, heading in present])
            for s in selected:
                table.rows.append((s["key"], [Cell(s.get(f"{label}.{key}", "-"), where.get((label, s["key"])))
                                              for label, key, _ in present]))
            tables.append(table)
    return tables


def other_rows(records: Sequence[RecordFile]) -> Table | None:
    """Records that are no row of the score tables (MER-OV's, a plugin's): every score, mean ± std."""
    from merbench.results.plots import percent_metric

    others = [rf for rf in records if not is_row_record(rf.record)]
    if not others:
        return None
    metrics = list(dict.fromkeys(m for rf in others for m in rf.record["scores"]))
    table = Table("Other records (mean±std over seeds; fractions in %)", "Record", ["Track", *map(str.upper, metrics)])
    for rf in others:
        r = rf.record
        cells = [Cell(r["track"], rf.key)]
        for m in metrics:
            values = [run["scores"][m] for run in r["per_seed"] if m in run["scores"]]
            cells.append(Cell(mean_std(values, percent=percent_metric(m)), rf.key))
        table.rows.append((rf.name, cells))
    return table
