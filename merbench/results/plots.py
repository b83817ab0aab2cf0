"""Pictures of result records, each written as PNG and SVG (matplotlib's Agg canvas, no pyplot state).

* **confusion matrix** of a classifier record: its labelled predictions, pooled over its seeds (each
  sample counted once per seed), as counts and row-normalised (each true class sums to 1);
* **per-class F1** computed from that pooled matrix, with each class's support;
* **modality attention weights**: the fusion's mean input weight per true class (predictions rows
  that carry ``weights``, pooled over seeds; raw weights are shown as they are, softmax ones sum to 1);
* **robustness curves**: the main score against each corruption's level (records whose corruption is
  one step with a numeric level, as ``merbench robustness`` writes them) with the seeds' mean ± std
  band, the clean split as a dashed reference line;
* **leaderboard**: records' main metric, mean ± std over seeds as bars, best first;
* **epoch curves**: per seed, the chosen trial's validation score after each epoch, mean over the
  folds with a ± std band (cross-validated records, ``per_seed[i].folds[j].curve``).

What a picture shows is computed by plain functions (``confusion_counts``, ``per_class_f1``,
``class_weight_means``, ``robustness_series``, ``leaderboard_entries``, ``epoch_series``) apart from
the drawing, so tests check the numbers drawn. Output is deterministic: fixed font, size and dpi, no
date in the metadata and a fixed SVG hash salt, so the same records give byte-identical files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from merbench import EMOTIONS
from merbench.results.tables import percent_metric

FORMATS = ("png", "svg")
DPI = 100
#: matplotlib settings every picture is drawn under (the bundled DejaVu font: the same glyphs everywhere)
STYLE = {"font.family": "DejaVu Sans", "font.size": 9, "svg.hashsalt": "merbench", "svg.id": "merbench",
         "svg.fonttype": "none", "axes.grid": False, "figure.dpi": DPI, "savefig.dpi": DPI,
         "axes.spines.top": False, "axes.spines.right": False}
_METADATA = {"png": {"Software": "merbench"}, "svg": {"Date": None, "Creator": "merbench"}}


# -- what the pictures show ---------------------------------------------------------------------------
def confusion_counts(rows: Iterable[Mapping[str, Any]], classes: Sequence[str] = EMOTIONS) -> np.ndarray:
    """``(C, C)`` counts, true class by row and predicted class by column, of the rows with a label."""
    index = {c: i for i, c in enumerate(classes)}
    counts = np.zeros((len(classes), len(classes)), dtype=np.int64)
    for row in rows:
        if row.get("label") is not None and "pred" in row:
            counts[index[row["label"]], index[row["pred"]]] += 1
    return counts


def normalise_rows(counts: np.ndarray) -> np.ndarray:
    """Each true class's row divided by its total (a class without samples stays 0)."""
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros(counts.shape, dtype=float), where=totals > 0)


def per_class_f1(counts: np.ndarray) -> np.ndarray:
    """F1 per class from a confusion matrix: 2·TP / (2·TP + FP + FN), 0 where the class never occurs."""
    tp = np.diag(counts).astype(float)
    denominator = 2 * tp + (counts.sum(axis=0) - tp) + (counts.sum(axis=1) - tp)
    return np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)


def class_weight_means(rows: Iterable[Mapping[str, Any]],
                       classes: Sequence[str] = EMOTIONS) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The fusion's inputs, the mean weight per (true class, input) ``(C, K)`` (NaN for a class without
    rows) and the rows counted per class, over the labelled rows that carry ``weights``."""
    rows = [r for r in rows if r.get("label") is not None and r.get("weights")]
    inputs = list(dict.fromkeys(k for r in rows for k in r["weights"]))
    sums = np.zeros((len(classes), len(inputs)))
    n = np.zeros(len(classes), dtype=np.int64)
    for row in rows:
        c = classes.index(row["label"])
        sums[c] += [row["weights"][k] for k in inputs]
        n[c] += 1
    means = np.divide(sums, n[:, None], out=np.full(sums.shape, np.nan), where=n[:, None] > 0)
    return inputs, means, n


@dataclass
class Series:
    """One line of a picture: x values, means and the spread (std over seeds or folds) at each."""

    label: str
    x: list[float]
    mean: list[float]
    std: list[float]


@dataclass
class RobustnessAxis:
    """The records of one corruption at several levels of one parameter, one series per model row."""

    corruption: str
    param: str
    metric: str
    series: list[Series] = field(default_factory=list)
    clean: dict[str, tuple[float, float]] = field(default_factory=dict)  # row label -> (mean, std) uncorrupted


def _seed_summary(record: Mapping[str, Any], metric: str) -> tuple[float, float]:
    from merbench.util.stats import summarize

    s = summarize([run["scores"][metric] for run in record["per_seed"] if metric in run["scores"]])
    return s["mean"], s["std"]


def _row_label(record: Mapping[str, Any]) -> str:
    extra = record.get("extra") or {}
    return str(extra.get("row") or record.get("name") or record["track"])


def _test_split(record: Mapping[str, Any]) -> Any:
    return ((record.get("config") or {}).get("track") or {}).get("test_split", record["dataset"].get("split"))


def _level(record: Mapping[str, Any]) -> tuple[str, dict[str, float]] | None:
    """``(corruption name, its numeric parameters)`` when the record's corruption is one step, else None."""
    corruption = record["dataset"].get("corruption")
    steps = (corruption or {}).get("steps") or []
    if len(steps) != 1:
        return None
    numeric = {k: float(v) for k, v in (steps[0].get("params") or {}).items()
               if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return (steps[0]["name"], numeric) if numeric else None


def robustness_series(records: Sequence[Mapping[str, Any]]) -> list[RobustnessAxis]:
    """Per corruption, the main score of each model row against the level of the parameter that varies
    (mean ± std over seeds, levels ascending), with the row's uncorrupted record of the same test split
    as the clean reference. Records with a multi-step or list-valued corruption (the MER-NOISE recipe)
    are not levels of a sweep and are left out."""
    groups: dict[tuple, list[tuple[dict[str, float], Mapping[str, Any]]]] = {}
    for record in records:
        level = _level(record)
        if level is not None:
            key = (level[0], record["main_score"]["metric"], str(_test_split(record)))
            groups.setdefault(key, []).append((level[1], record))
    axes = []
    for (corruption, metric, split), members in sorted(groups.items()):
        params = sorted({p for values, _ in members for p in values})
        varying = [p for p in params if len({values.get(p) for values, _ in members}) > 1]
        chosen = varying if varying else params
        if len(chosen) != 1:
            continue  # no single level parameter: not a sweep axis
        param = chosen[0]
        axis = RobustnessAxis(corruption, param, metric)
        by_row: dict[str, list[tuple[float, float, float]]] = {}
        for values, record in members:
            if param in values and metric in record["scores"]:
                by_row.setdefault(_row_label(record), []).append((values[param], *_seed_summary(record, metric)))
        for row, points in sorted(by_row.items()):
            points.sort()
            axis.series.append(Series(row, [p[0] for p in points], [p[1] for p in points], [p[2] for p in points]))
        for record in sorted(records, key=lambda r: r.get("name") or ""):
            row = _row_label(record)
            if (record["dataset"].get("corruption") is None and row in by_row and row not in axis.clean
                    and str(_test_split(record)) == split and metric in record["scores"]):
                axis.clean[row] = _seed_summary(record, metric)
        axes.append(axis)
    return axes


@dataclass
class Entry:
    """One bar of a leaderboard."""

    label: str
    mean: float
    std: float
    n: int
    group: str = ""


def leaderboard_entries(records: Iterable[tuple[str, Mapping[str, Any]]], metric: str) -> list[Entry]:
    """``(group, record)`` pairs scored with ``metric``, best first (by the metric's direction; ties by label)."""
    entries, higher = [], True
    for group, record in records:
        summary = record["scores"].get(metric)
        if summary is None:
            continue
        higher = summary.get("higher_is_better", True)
        entries.append(Entry(record.get("name") or record["track"], summary["mean"], summary["std"], summary["n"], group))
    return sorted(entries, key=lambda e: (-e.mean if higher else e.mean, e.group, e.label))


def epoch_series(record: Mapping[str, Any], metric: str) -> list[Series]:
    """Per seed, the mean over folds of the validation ``metric`` after each epoch (± std over folds,
    ddof=1), from the folds' curves; empty when the record keeps none."""
    out = []
    for run in record["per_seed"]:
        curves = [f["curve"][metric] for f in run.get("folds") or [] if metric in (f.get("curve") or {})]
        if not curves or len({len(c) for c in curves}) != 1:
            continue
        values = np.asarray(curves, dtype=float)
        std = values.std(axis=0, ddof=1) if len(values) > 1 else np.zeros(values.shape[1])
        out.append(Series(f"seed {run['seed']}", list(range(1, values.shape[1] + 1)), values.mean(axis=0).tolist(),
                          std.tolist()))
    return out


# -- drawing ------------------------------------------------------------------------------------------
def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig, stem: Path) -> list[Path]:
    """``stem.png`` and ``stem.svg``; returns their paths."""
    import matplotlib

    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    with matplotlib.rc_context(STYLE):
        for fmt in FORMATS:
            path = stem.with_name(f"{stem.name}.{fmt}")
            fig.savefig(path, format=fmt, dpi=DPI, metadata=_METADATA[fmt])
            paths.append(path)
    return paths


def _draw(draw, width: float, height: float, stem: Path) -> list[Path]:
    import matplotlib

    with matplotlib.rc_context(STYLE):
        fig = _figure(width, height)
        draw(fig)
        return _save(fig, stem)


def _scale(metric: str) -> tuple[float, str]:
    return (100.0, f"{metric.upper()} (%)") if percent_metric(metric) else (1.0, metric.upper())


def plot_confusion(counts: np.ndarray, title: str, stem: Path, classes: Sequence[str] = EMOTIONS) -> list[Path]:
    """Counts (left) and row-normalised (right) confusion matrices, true class by row."""
    normalised = normalise_rows(counts)

    def draw(fig):
        fig.suptitle(title)
        for ax, data, fmt, heading in zip(fig.subplots(1, 2), (counts, normalised), ("{:d}", "{:.2f}"),
                                          ("counts", "row-normalised")):
            top = data.max() if data.max() > 0 else 1
            ax.imshow(data, cmap="Blues", vmin=0, vmax=top)
            ax.set_title(heading)
            ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
            ax.set_yticks(range(len(classes)), classes)
            ax.set_xlabel("predicted")
            ax.set_ylabel("true")
            for i in range(len(classes)):
                for j in range(len(classes)):
                    value = int(data[i, j]) if fmt == "{:d}" else float(data[i, j])
                    ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=7,
                            color="white" if data[i, j] > 0.6 * top else "black")

    return _draw(draw, 9.0, 4.4, stem)


def plot_f1(counts: np.ndarray, title: str, stem: Path, classes: Sequence[str] = EMOTIONS) -> list[Path]:
    """Per-class F1 bars from a pooled confusion matrix, each class labelled with its support."""
    f1 = per_class_f1(counts)
    support = counts.sum(axis=1)

    def draw(fig):
        ax = fig.subplots()
        bars = ax.bar(range(len(classes)), 100 * f1, color="#4c72b0")
        ax.bar_label(bars, [f"{100 * v:.1f}" for v in f1], fontsize=7)
        ax.set_xticks(range(len(classes)), [f"{c}\n(n={n})" for c, n in zip(classes, support)])
        ax.set_ylim(0, 105)
        ax.set_ylabel("F1 (%)")
        ax.set_title(title)

    return _draw(draw, 6.4, 3.4, stem)


def plot_weights(inputs: Sequence[str], means: np.ndarray, counts: np.ndarray, title: str, stem: Path,
                 classes: Sequence[str] = EMOTIONS) -> list[Path]:
    """Grouped bars: per true class, the fusion's mean weight of each input."""
    width = 0.8 / max(1, len(inputs))

    def draw(fig):
        ax = fig.subplots()
        x = np.arange(len(classes))
        for k, name in enumerate(inputs):
            ax.bar(x + (k - (len(inputs) - 1) / 2) * width, np.nan_to_num(means[:, k]), width, label=name)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xticks(x, [f"{c}\n(n={n})" for c, n in zip(classes, counts)])
        ax.set_ylabel("mean weight")
        ax.set_title(title)
        ax.legend(title="input", fontsize=7, loc="best")

    return _draw(draw, 7.0, 3.4, stem)


def _band(ax, series: Series, scale: float, **style) -> None:
    x, mean, std = np.asarray(series.x), scale * np.asarray(series.mean), scale * np.asarray(series.std)
    (line,) = ax.plot(x, mean, marker="o", markersize=3, label=series.label, **style)
    ax.fill_between(x, mean - std, mean + std, color=line.get_color(), alpha=0.2, linewidth=0)


def plot_robustness(axes: Sequence[RobustnessAxis], title: str, stem: Path) -> list[Path]:
    """One panel per corruption: the main score against its level (mean ± std band over seeds), the
    clean split dashed."""
    scale, ylabel = _scale(axes[0].metric)

    def draw(fig):
        fig.suptitle(title)
        panels = fig.subplots(1, len(axes), sharey=True, squeeze=False)[0]
        for ax, axis in zip(panels, axes):
            for i, series in enumerate(axis.series):
                color = f"C{i}"
                _band(ax, series, scale, color=color)
                if series.label in axis.clean:
                    mean, std = (scale * v for v in axis.clean[series.label])
                    ax.axhline(mean, color=color, linestyle="--", linewidth=1, label=f"{series.label} clean")
                    ax.axhspan(mean - std, mean + std, color=color, alpha=0.08, linewidth=0)
            ax.set_xticks(sorted({x for series in axis.series for x in series.x}))
            ax.set_xlabel(f"{axis.corruption}: {axis.param}")
            ax.set_title(axis.corruption)
            ax.legend(fontsize=7, loc="best")
        panels[0].set_ylabel(ylabel)

    return _draw(draw, 4.6 * len(axes), 3.4, stem)


def plot_leaderboard(entries: Sequence[Entry], metric: str, title: str, stem: Path) -> list[Path]:
    """Horizontal bars of ``entries`` (best on top), mean ± std over seeds, coloured by group."""
    scale, xlabel = _scale(metric)
    groups = list(dict.fromkeys(e.group for e in entries))

    def draw(fig):
        ax = fig.subplots()
        y = np.arange(len(entries))[::-1]
        colors = [f"C{groups.index(e.group) % 10}" for e in entries]
        ax.barh(y, [scale * e.mean for e in entries], xerr=[scale * e.std for e in entries], color=colors,
                capsize=3, error_kw={"linewidth": 0.8})
        ax.set_yticks(y, [e.label for e in entries], fontsize=7)
        ax.set_xlabel(f"{xlabel}, mean ± std over seeds")
        ax.set_title(title)
        if len(groups) > 1:
            from matplotlib.patches import Patch

            ax.legend([Patch(color=f"C{i % 10}") for i in range(len(groups))], groups, fontsize=7, loc="lower right")

    return _draw(draw, 7.5, 1.2 + 0.28 * len(entries), stem)


def plot_epochs(series: Sequence[Series], metric: str, title: str, stem: Path) -> list[Path]:
    """Validation ``metric`` after each epoch: per seed, the mean over folds with a ± std band."""
    scale, ylabel = _scale(metric)

    def draw(fig):
        ax = fig.subplots()
        for i, s in enumerate(series):
            _band(ax, s, scale, color=f"C{i}")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"validation {ylabel}")
        ax.set_title(title)
        ax.legend(fontsize=7, loc="best")

    return _draw(draw, 6.4, 3.4, stem)
