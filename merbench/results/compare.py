"""Compare two result sets metric by metric, and gate on regressions of the main score.

A and B are each a record file or a folder of records (searched recursively: a run, a bench result
set). Records pair by ``(cell, track, name)``, where the cell is the record's folder relative to the
folder given (a bench cell; ``""`` for a record at the top or a single file); records left over
then pair by ``(track, name)`` when that names exactly one record on each side, so a single file
still pairs with its counterpart inside a result set. Whatever does not pair is listed.

For every pair and metric: both means ± std over seeds, the difference ``Δ = mean_B − mean_A``,
and the **Welch standard error** of that difference from the per-seed scores,
``SE = sqrt(s_A²/n_A + s_B²/n_B)`` (``s`` the sample standard deviation, ddof=1, of the per-seed
values). The difference is **significant** when ``|Δ| > max(k·SE, tolerance)``: ``k`` (default 2)
standard errors, and never less than the absolute floor ``tolerance`` (default 0). When a side has
fewer than two seeds its spread cannot be estimated and SE is taken as 0, as it is when every
seed of both sides scored alike; then only the floor applies: *any* change beyond ``tolerance`` is significant. A significant
change is *better* or *worse* by the metric's direction (the record's ``higher_is_better``, else
the registered metric's card); a metric of unknown direction is never better or worse.

The gate (:attr:`Comparison.regressions`) fails when a pair's **main score** (each A record's
``main_score.metric``, or the metrics passed as ``gate_metrics``) is significantly worse, or is
scored in A and missing from B.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from merbench.results.record import RecordError
from merbench.results.sets import Loaded, RecordSet, load_records
from merbench.results.tables import percent_metric
from merbench.util.stats import summarize


class CompareError(ValueError):
    """An input that cannot be compared (missing, unreadable, no records); one line naming the path."""


@dataclass(frozen=True)
class Side:
    """One side's summary of a metric: mean, sample std and count of its per-seed values."""

    mean: float
    std: float
    n: int


@dataclass(frozen=True)
class MetricDelta:
    """One metric of one pair: both sides, ``delta = B − A``, its Welch SE, and the verdict."""

    metric: str
    a: Side | None
    b: Side | None
    delta: float | None
    se: float | None
    threshold: float | None  # max(k·SE, tolerance): what |delta| must exceed to be significant
    significant: bool
    higher_is_better: bool | None
    verdict: str  # "better", "worse", "same" (not significant), "changed" (unknown direction), "missing"
    gated: bool  # this metric decides the gate for its pair (the main score unless gate metrics are given)


@dataclass(frozen=True)
class Pair:
    """Two records computed for the same (cell, track, name), their metrics, and what differs between them."""

    cell: str
    track: str
    name: str
    a_path: str
    b_path: str
    main_metric: str
    metrics: list[MetricDelta]
    differences: list[str]  # results.diff.explain lines (or why they cannot be given), then environment_lines

    @property
    def regressed(self) -> bool:
        """A gated metric significantly worse in B, or scored in A and missing from B."""
        return any(m.gated and (m.verdict == "worse" or (m.verdict == "missing" and m.a is not None))
                   for m in self.metrics)


@dataclass(frozen=True)
class Unpaired:
    side: str  # "A" or "B"
    cell: str
    track: str
    name: str
    path: str


@dataclass(frozen=True)
class Comparison:
    """The typed result of :func:`compare` (``merbench results compare`` and ``merbench bench --against``)."""

    a: str
    b: str
    k: float
    tolerance: float
    se_formula: str
    pairs: list[Pair]
    unpaired: list[Unpaired]
    ignored: list[str]

    @property
    def regressions(self) -> list[Pair]:
        """Pairs whose gated metric is significantly worse in B."""
        return [p for p in self.pairs if p.regressed]

    @property
    def missing_in_b(self) -> list[Unpaired]:
        return [u for u in self.unpaired if u.side == "A"]

    def failed(self, *, require_pairs: bool = False) -> bool:
        """True when a gated score regressed (or, with ``require_pairs``, an A record has no counterpart in B)."""
        return bool(self.regressions) or (require_pairs and bool(self.missing_in_b))

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["regressions"] = [f"{p.cell + '/' if p.cell else ''}{p.name}" for p in self.regressions]
        return out


SE_FORMULA = "Welch: SE = sqrt(sA²/nA + sB²/nB), s the per-seed sample std (ddof=1); SE = 0 when a side has n < 2 (then only the tolerance judges)"


# -- reading ---------------------------------------------------------------------------------------
def load_result_set(source: str | Path) -> RecordSet:
    """Every record under ``source`` (:func:`merbench.results.sets.load_records`: a record file, or a folder
    searched recursively, its JSON files that are not records listed in ``ignored``); a corrupt or invalid
    record, or none at all, is a :class:`CompareError` naming the file."""
    try:
        found = load_records(source)
    except RecordError as exc:
        raise CompareError(str(exc)) from None
    keys = [r.key for r in found.records]
    duplicate = next((k for k in keys if keys.count(k) > 1), None)
    if duplicate is not None:  # only possible for a file and a folder of one name: cannot tell them apart
        raise CompareError(f"{found.source}: two records of track {duplicate[1]!r} named {duplicate[2]!r} in one folder")
    return found


# -- pairing and statistics ---------------------------------------------------------------------------
def pair_records(a: Sequence[Loaded], b: Sequence[Loaded]) -> tuple[list[tuple[Loaded, Loaded]], list[Loaded], list[Loaded]]:
    """Pairs by (cell, track, name), then the rest by (track, name) where unique on both sides;
    returns (pairs, left in A, left in B)."""
    by_key = {r.key: r for r in b}
    pairs, rest_a = [], []
    for ra in a:
        rb = by_key.pop(ra.key, None)
        if rb is None:
            rest_a.append(ra)
        else:
            pairs.append((ra, rb))
    rest_b = list(by_key.values())

    def loose(records: Iterable[Loaded]) -> dict[tuple[str, str], list[Loaded]]:
        out: dict[tuple[str, str], list[Loaded]] = {}
        for r in records:
            out.setdefault(r.key[1:], []).append(r)
        return out

    la, lb = loose(rest_a), loose(rest_b)
    matched = {k for k in la if len(la[k]) == 1 and len(lb.get(k, [])) == 1}
    pairs += [(la[k][0], lb[k][0]) for k in sorted(matched)]
    left_a = [r for r in rest_a if r.key[1:] not in matched]
    left_b = [r for r in rest_b if r.key[1:] not in matched]
    return pairs, left_a, left_b


def side(record: Mapping[str, Any], metric: str) -> Side | None:
    """Mean, sample std and count of ``metric``'s finite per-seed values (the record's own summary
    when its per-seed scores lack the metric), or None when the record has not scored it."""
    vals = [float(run["scores"][metric]) for run in record.get("per_seed") or []
            if metric in (run.get("scores") or {})]
    vals = [v for v in vals if math.isfinite(v)]
    if vals:
        s = summarize(vals)
        return Side(s["mean"], s["std"], int(s["n"]))
    summary = (record.get("scores") or {}).get(metric)
    if isinstance(summary, Mapping) and all(math.isfinite(float(summary.get(f, math.nan))) for f in ("mean", "std")):
        return Side(float(summary["mean"]), float(summary["std"]), int(summary.get("n", 1)))
    return None


def direction(metric: str, *records: Mapping[str, Any]) -> bool | None:
    """``higher_is_better`` of ``metric``: from the records' scores, else the registered metric's card
    (``waf_unbiased`` is ``waf``'s), else None (unknown)."""
    for record in records:
        summary = (record.get("scores") or {}).get(metric)
        if isinstance(summary, Mapping) and isinstance(summary.get("higher_is_better"), bool):
            return summary["higher_is_better"]
    card = _card(metric)
    return None if card is None else bool(card.higher_is_better)


def _card(metric: str) -> Any:
    from merbench import plugins

    try:
        return plugins.get("metric", metric.removesuffix("_unbiased")).card
    except plugins.UnknownComponentError:
        return None


def welch_se(a: Side, b: Side) -> float:
    """``sqrt(sA²/nA + sB²/nB)``; 0 when a side has n < 2 (its spread cannot be estimated), which leaves
    only the tolerance floor to judge the difference."""
    if a.n < 2 or b.n < 2:
        return 0.0
    return math.sqrt(a.std ** 2 / a.n + b.std ** 2 / b.n)


def metric_delta(metric: str, ra: Mapping[str, Any], rb: Mapping[str, Any], *, k: float, tolerance: float,
                 gated: bool) -> MetricDelta:
    a, b = side(ra, metric), side(rb, metric)
    hib = direction(metric, ra, rb)
    if a is None or b is None:
        return MetricDelta(metric, a, b, None, None, None, False, hib, "missing", gated)
    delta = b.mean - a.mean
    se = welch_se(a, b)
    threshold = max(k * se, tolerance)
    significant = abs(delta) > threshold
    if not significant:
        verdict = "same"
    elif hib is None:
        verdict = "changed"
    else:
        verdict = "better" if (delta > 0) == hib else "worse"
    return MetricDelta(metric, a, b, delta, se, threshold, significant, hib, verdict, gated)


def _differences(ra: Mapping[str, Any], rb: Mapping[str, Any]) -> list[str]:
    from merbench.results.diff import environment_lines, explain

    try:
        lines = explain(ra, rb)
    except ValueError as exc:  # a record without identity (an older merbench): say so in place of the fields
        lines = [f"cannot tell what differs: {exc}"]
    return lines + environment_lines(ra, rb)


def compare_sets(a: RecordSet, b: RecordSet, *, k: float = 2.0, tolerance: float = 0.0,
                 metrics: Sequence[str] | None = None, gate_metrics: Sequence[str] | None = None) -> Comparison:
    """Compare two loaded result sets (see the module docstring). ``metrics`` limits the metrics shown
    (default: every metric either record scored); ``gate_metrics`` replaces each record's main score
    as what the gate judges."""
    if k < 0 or tolerance < 0 or not (math.isfinite(k) and math.isfinite(tolerance)):
        raise CompareError(f"k ({k}) and tolerance ({tolerance}) must be finite and not negative")
    pairs, left_a, left_b = pair_records(a.records, b.records)
    out = []
    for ra, rb in pairs:
        main = str((ra.record.get("main_score") or {}).get("metric") or "")
        gate = set(gate_metrics) if gate_metrics else {main}
        names = list(metrics) if metrics else sorted(set(ra.record["scores"]) | set(rb.record["scores"]))
        deltas = [metric_delta(m, ra.record, rb.record, k=k, tolerance=tolerance, gated=m in gate) for m in names]
        out.append(Pair(ra.cell, *ra.key[1:], str(ra.path), str(rb.path), main, deltas,
                        _differences(ra.record, rb.record)))
    unpaired = [Unpaired(side, r.cell, *r.key[1:], str(r.path)) for side, left in (("A", left_a), ("B", left_b))
                for r in left]
    return Comparison(str(a.source), str(b.source), float(k), float(tolerance), SE_FORMULA, out, unpaired,
                      [str(p) for p in [*a.ignored, *b.ignored]])


def compare(a: str | Path, b: str | Path, **options: Any) -> Comparison:
    """Read both result sets and compare them (:func:`compare_sets` takes the options)."""
    return compare_sets(load_result_set(a), load_result_set(b), **options)


# -- rendering ------------------------------------------------------------------------------------------
_MARKS = {"better": ("↑", "green"), "worse": ("↓", "red"), "same": ("=", "dim"), "changed": ("≠", "yellow"),
          "missing": ("-", "dim")}


def _fmt(value: float | None, metric: str, *, signed: bool = False) -> str:
    if value is None:
        return "-"
    pct = percent_metric(metric)
    v = value * 100 if pct else value
    return f"{v:+.2f}" if signed and pct else f"{v:+.4f}" if signed else f"{v:.2f}" if pct else f"{v:.4f}"


def _side_text(side: Side | None, metric: str) -> str:
    if side is None:
        return "-"
    return f"{_fmt(side.mean, metric)}±{_fmt(side.std, metric)} (n={side.n})"


def tables(result: Comparison) -> list[Any]:
    """One :class:`rich.table.Table` per track: a line per (pair, metric); the gated metric marked ``*``."""
    from rich.table import Table

    by_track: dict[str, list[Pair]] = {}
    for pair in result.pairs:
        by_track.setdefault(pair.track, []).append(pair)
    out = []
    for track, pairs in by_track.items():
        table = Table(title=f"{track}: B − A (k={result.k:g}, tolerance={result.tolerance:g}; fractions in %)",
                      title_justify="left")
        for heading, justify in (("Record", "left"), ("Metric", "left"), ("A mean±std", "right"),
                                 ("B mean±std", "right"), ("Δ (B−A)", "right"), ("SE", "right"),
                                 ("threshold", "right"), ("", "center")):
            table.add_column(heading, justify=justify)
        for pair in pairs:
            label = f"{pair.cell}/{pair.name}" if pair.cell else pair.name
            for i, m in enumerate(pair.metrics):
                mark, style = _MARKS[m.verdict]
                arrow = "" if m.higher_is_better is None else (" (↑ better)" if m.higher_is_better else " (↓ better)")
                table.add_row(label if i == 0 else "", f"{m.metric}{' *' if m.gated else ''}{arrow}",
                              _side_text(m.a, m.metric), _side_text(m.b, m.metric),
                              _fmt(m.delta, m.metric, signed=True), _fmt(m.se, m.metric), _fmt(m.threshold, m.metric),
                              f"[{style}]{mark} {m.verdict}[/]", end_section=i == len(pair.metrics) - 1)
        out.append(table)
    return out


def report_lines(result: Comparison, *, require_pairs: bool = False) -> list[str]:
    """The text below the tables: what differs between paired records (pairs with the same differences
    grouped), the unpaired and ignored files, and the gate's verdict."""
    lines = [f"SE: {result.se_formula}; significant when |Δ| > max(k·SE, tolerance); * = gated metric"]
    groups: dict[tuple[str, ...], list[str]] = {}
    for pair in result.pairs:
        groups.setdefault(tuple(pair.differences), []).append(f"{pair.cell}/{pair.name}" if pair.cell else pair.name)
    for diffs, names in groups.items():
        lines.append(f"what differs ({len(names)} pair(s): {', '.join(names)}):")
        lines += [f"  {d}" for d in diffs]
    for u in result.unpaired:
        where = "B" if u.side == "A" else "A"
        lines.append(f"unpaired: {u.side} has {u.cell + '/' if u.cell else ''}{u.name} (track {u.track}), "
                     f"{where} has no counterpart ({u.path})")
    for path in result.ignored:
        lines.append(f"ignored (not a result record): {path}")
    regressions = result.regressions
    if regressions:
        lines.append(f"REGRESSION: {len(regressions)} pair(s) significantly worse on (or missing) the gated score: "
                     + ", ".join(f"{p.cell + '/' if p.cell else ''}{p.name}" for p in regressions))
    if require_pairs and result.missing_in_b:
        lines.append(f"MISSING: {len(result.missing_in_b)} record(s) of A have no counterpart in B")
    if not result.failed(require_pairs=require_pairs):
        lines.append(f"gate passed: {len(result.pairs)} pair(s), none significantly worse on the gated score")
    return lines


def print_comparison(result: Comparison, console: Any, *, require_pairs: bool = False) -> None:
    for table in tables(result):
        console.print(table)
    for line in report_lines(result, require_pairs=require_pairs):
        console.print(line, markup=False, highlight=False)
