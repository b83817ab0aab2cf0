"""The MER-OV set-level metric, reproducing the official MER2024 scorer (``docs/protocol.md``, "The
official MER-OV scorer, exactly").

Challenge files are scored as written: a label cell is a Python-style list string, read by
:func:`parse_label_cell`, never by the LLM-output parser of :mod:`merbench.ov.labels` (which is for
free text only). The default ``parse="official"`` reads cells the way the official scorer does; its
rules, each with a test in ``merbench/ov/test_scoring.py``:

- a cell keeps the text between its first ``[`` and the next ``]`` (or the next ``[``, should one
  come first: ``"[a[b]"`` is ``a``), split on both ``'`` and ``"``;
  the pieces whose stripped text is neither empty nor ``,`` are the labels, as written (not
  stripped). So ``"['happy and satisfied']"`` is one label and ``"[\"don't believe\"]"`` is the two
  labels ``don`` and ``t believe``. An empty cell (or one a pandas CSV reader reads as missing,
  such as ``NA``) is ``[]``;
- a grouping string is split on ``[``/``]``, then each chunk on quotes, keeping pieces the same way;
- every member of a group maps to the group's first member; a label in several groups takes the
  mapping of the last of them; labels are lower-cased before mapping, groups are not; a label in
  no group maps to itself; both sides become sets;
- an empty prediction scores accuracy 0 and recall 0; only the samples that have a grouping are
  scored; Accuracy_s = |G(Y) ∩ G(Ŷ)| / |G(Ŷ)|, Recall_s = |G(Y) ∩ G(Ŷ)| / |G(Y)|, averaged as
  plain sums in sorted-name order; the rank score is the arithmetic mean of the two.

``parse="literal"`` reads the same cells as Python literals (:func:`ast.literal_eval`, never
``eval``), so ``"don't believe"`` stays one label; everything after the parsing is the same.
A cell that is not a list is a problem reported by sample and line, never scored as labels.

Scores are fractions in [0, 1]; tables print them ×100 like the papers.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Collection, Mapping, Sequence

from merbench.contracts.metric import Metric
from merbench.util.textfile import TOO_DEEP, json_problem, read_text

Groups = Sequence[Sequence[str]]

OFFICIAL = "official"
LITERAL = "literal"
#: How a list string in a challenge file is parsed (see the module docstring).
PARSE_MODES = (OFFICIAL, LITERAL)

#: Cell texts a pandas CSV reader (what the official scorer reads files with) takes as missing;
#: the official scorer turns a missing cell into an empty list.
MISSING_CELLS = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                           "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})
_QUOTES = re.compile("['\"]")
_BRACKETS = re.compile(r"[\[\]]")


class NotAList(ValueError):
    """A cell (or grouping string) that the chosen parse mode cannot read as a list."""


def _check_mode(parse: str) -> str:
    if parse not in PARSE_MODES:
        raise ValueError(f"unknown parse mode {parse!r}; choose one of {', '.join(PARSE_MODES)}")
    return parse


def _kept(pieces: Sequence[str]) -> list[str]:
    """The pieces that count as labels: stripped text neither empty nor ``,`` (kept as written)."""
    return [piece for piece in pieces if piece.strip() not in ("", ",")]


def _short(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def parse_label_cell(cell: str | None, parse: str = OFFICIAL) -> list[str]:
    """The labels of one challenge-file cell, as written (case and spaces kept); :class:`NotAList`
    when the cell is not a list string."""
    _check_mode(parse)
    if cell is None or cell in MISSING_CELLS:
        return []
    if parse == OFFICIAL:
        if "[" not in cell:
            raise NotAList(f"not a list string (no '['): {_short(cell)}")
        inside = cell.split("[")[1].split("]")[0]  # up to the next ']' or the next '[', whichever comes first
        return _kept(_QUOTES.split(inside))
    try:
        value = ast.literal_eval(cell.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise NotAList(f"not a Python list literal: {_short(cell)}") from None
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        raise NotAList(f"not a list of strings: {_short(cell)}")
    return _kept(list(value))


def parse_grouping_string(text: str, parse: str = OFFICIAL) -> list[list[str]]:
    """The synonym groups of one grouping string (a list of lists), members as written."""
    _check_mode(parse)
    if parse == OFFICIAL:
        chunks = [chunk for chunk in _BRACKETS.split(text) if chunk.strip() not in ("", ",")]
        return [_kept(_QUOTES.split(chunk)) for chunk in chunks]
    start, end = text.find("["), text.rfind("]")
    try:
        value = ast.literal_eval(text[start:end + 1]) if 0 <= start < end else None
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        value = None
    if not isinstance(value, (list, tuple)) or not all(
            isinstance(group, (list, tuple)) and all(isinstance(m, str) for m in group) for group in value):
        raise NotAList(f"not a Python list of lists of strings: {_short(text)}")
    return [_kept(list(group)) for group in value]


def synonym_map(groups: Groups) -> dict[str, str]:
    """member -> the first member of its group, members as written; a member of several groups
    takes the mapping of the last of them."""
    mapping: dict[str, str] = {}
    for group in groups:
        for member in group:
            mapping[member] = group[0]
    return mapping


def to_group_ids(labels: Sequence[str], groups: Groups) -> set[str]:
    """The set of group ids of ``labels``: each lower-cased, then mapped (itself when in no group)."""
    mapping = synonym_map(groups)
    return {mapping.get(label.lower(), label.lower()) for label in labels}


def sample_scores(truth: Sequence[str], prediction: Sequence[str], groups: Groups = ()) -> tuple[float, float]:
    """(Accuracy_s, Recall_s) of one sample. An empty prediction is (0, 0), whatever the truth;
    otherwise an empty ``truth`` is a ``ValueError`` (recall is undefined)."""
    pred_ids = to_group_ids(prediction, groups)
    if not pred_ids:
        return 0.0, 0.0
    true_ids = to_group_ids(truth, groups)
    if not true_ids:
        raise ValueError("the checked label set is empty; recall is undefined for this sample")
    hits = len(true_ids & pred_ids)
    return hits / len(pred_ids), hits / len(true_ids)


@dataclass
class OVScore:
    """Set-level scores over the scored samples, plus one line per sample that could not be scored as given."""

    accuracy: float
    recall: float
    per_sample: dict[str, tuple[float, float]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def avg(self) -> float:
        """The rank score: arithmetic mean of accuracy and recall (not F1)."""
        return (self.accuracy + self.recall) / 2

    @property
    def n_scored(self) -> int:
        return len(self.per_sample)

    def as_dict(self) -> dict[str, float]:
        return {"avg": self.avg, "accuracy": self.accuracy, "recall": self.recall}


def score_openset(
    truth: Mapping[str, Sequence[str]],
    predictions: Mapping[str, Sequence[str]],
    grouping: Mapping[str, Groups] | None = None,
    *,
    samples: Collection[str] | None = None,
) -> OVScore:
    """Score ``predictions`` against ``truth`` (both name -> labels) under per-sample ``grouping``.

    The scored samples are ``samples`` when given (a file grouper's own samples), else the samples
    of ``grouping`` (the official scorer loops over the samples that have a grouping), else those
    of ``truth``. Never crashes on, and never silently skips, an odd sample: a sample without a
    prediction scores as an empty prediction (0, 0); a checked label set that is empty scores
    (0, 0) against an empty prediction and is otherwise left out of the means (recall is
    undefined); a truth sample that is not scored, a grouping without checked labels and a
    prediction for an unknown name are left out. Each case is one line in ``problems``.
    """
    if samples is None:
        samples = grouping.keys() if grouping is not None else truth.keys()
    scored_names = set(samples)
    grouping = grouping if grouping is not None else {}
    problems: list[str] = []
    per_sample: dict[str, tuple[float, float]] = {}
    for name in sorted(scored_names | set(truth)):
        if name not in truth:
            problems.append(f"{name}: has a synonym grouping but no checked labels; ignored")
            continue
        if name not in scored_names:
            problems.append(f"{name}: no synonym grouping; not scored (only samples with a grouping are)")
            continue
        true_labels, predicted = truth[name], predictions.get(name, ())
        if name not in predictions:
            problems.append(f"{name}: no prediction; scored as an empty prediction (0, 0)")
        if not true_labels:
            if predicted:
                problems.append(f"{name}: the checked label set is empty; recall is undefined, sample left out "
                                "of the means (fix its ov labels)")
                continue
            problems.append(f"{name}: the checked label set is empty; scored (0, 0) like any empty prediction")
        per_sample[name] = sample_scores(true_labels, predicted, grouping.get(name, ()))
    for name in sorted(set(predictions) - set(truth)):
        problems.append(f"{name}: prediction for a sample that has no checked labels; ignored (unknown sample name)")
    if not per_sample:
        return OVScore(0.0, 0.0, per_sample, problems + ["no sample could be scored"])
    accuracy = recall = 0.0
    for name in sorted(per_sample):  # plain sums in sorted-name order: the float sum never depends on input order
        accuracy += per_sample[name][0]
        recall += per_sample[name][1]
    return OVScore(accuracy / len(per_sample), recall / len(per_sample), per_sample, problems)


def differing_samples(a: OVScore, b: OVScore) -> dict[str, tuple[tuple[float, float] | None, tuple[float, float] | None]]:
    """name -> (score in ``a``, score in ``b``) for every sample scored differently (or in one only)."""
    names = sorted(set(a.per_sample) | set(b.per_sample))
    return {n: (a.per_sample.get(n), b.per_sample.get(n)) for n in names if a.per_sample.get(n) != b.per_sample.get(n)}


# -- file formats ------------------------------------------------------------------------------------
_LABEL_KEYS = ("openset", "labels", "ov_labels", "prediction", "predictions")


@dataclass
class LabelFile:
    """A label file as read: name -> labels (as written), and one line per cell that could not be read."""

    path: Path
    parse: str
    labels: dict[str, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def read_label_file(path: str | Path, *, parse: str = OFFICIAL) -> LabelFile:
    """name -> labels from the challenge CSV (``name,openset`` holding Python-style list strings),
    from JSONL (one ``{"name": ..., "openset"|"labels": [...]}`` per line) or from a JSON object
    ``{name: [labels]}``.

    A list string is read with :func:`parse_label_cell` in mode ``parse``; a real JSON list is used
    as it is. Labels are kept as written (scoring lower-cases them). A cell that is not a list is
    reported by sample and line in ``problems`` and its sample is left out of ``labels``; a name
    given twice keeps its last row (as the official scorer's dict does) and is reported. A file
    that is not a label file at all is a one-line ``ValueError``.
    """
    _check_mode(parse)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such label file; pass a .csv (name,openset), .jsonl or .json file")
    suffix = path.suffix.lower()
    out = LabelFile(path, parse)
    seen: set[str] = set()

    def add(name: str, value: Any, where: str) -> None:
        if name in seen:
            out.problems.append(f"{where}: sample {name}: given again; the last row is used")
            out.labels.pop(name, None)
        seen.add(name)
        try:
            if isinstance(value, str) or value is None:
                out.labels[name] = parse_label_cell(value, parse)
            elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
                out.labels[name] = _kept(list(value))
            else:
                raise NotAList(f"labels must be a list of strings or a list string, got {_short(json.dumps(value))}")
        except NotAList as exc:
            out.problems.append(f"{where}: sample {name}: {exc}; not scored as labels")

    if suffix == ".csv":
        with io.StringIO(read_text(path, encoding="utf-8-sig"), newline="") as fh:
            reader = csv.DictReader(fh)
            columns = reader.fieldnames or []
            key = next((k for k in _LABEL_KEYS if k in columns), None)
            if "name" not in columns or key is None:
                raise ValueError(f"{path}: expected columns 'name,openset', found {columns}; write the challenge CSV format")
            for row in reader:
                add(row["name"], row[key], f"{path}:{reader.line_num}")
        return out
    if suffix == ".jsonl":
        with io.StringIO(read_text(path)) as fh:
            for line, text in enumerate(fh, start=1):
                if not text.strip():
                    continue
                try:
                    row = json.loads(text)
                except (ValueError, *TOO_DEEP) as exc:  # ValueError: also a number over the int digit limit
                    raise ValueError(f"{path}:{line}: not JSON ({json_problem(exc)}); each line must be one JSON object") from None
                key = next((k for k in _LABEL_KEYS if k in row), None) if isinstance(row, dict) else None
                if key is None or "name" not in row:
                    found = sorted(row) if isinstance(row, dict) else type(row).__name__
                    raise ValueError(f"{path}:{line}: needs 'name' and 'openset' (or 'labels') keys, found {found}")
                add(str(row["name"]), row[key], f"{path}:{line}")
        return out
    if suffix == ".json":
        try:
            data = json.loads(read_text(path))
        except (ValueError, *TOO_DEEP) as exc:  # ValueError: also a number over the int digit limit
            raise ValueError(f"{path}: not JSON ({json_problem(exc)} at line {getattr(exc, 'lineno', 1)})") from None
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a JSON object {{name: [labels]}}")
        for name, value in data.items():
            add(str(name), value, str(path))
        return out
    raise ValueError(f"{path}: unknown label file type {suffix!r}; use .csv (name,openset), .jsonl or .json")


def write_label_file(labels: Mapping[str, Sequence[str]], path: str | Path) -> Path:
    """Write name -> labels as the challenge CSV (``.csv``) or JSONL (anything else), in sorted name order.

    The CSV cell is the Python ``repr`` of the list, what the official scorer reads; note that it
    splits a label holding an apostrophe (``"don't"`` -> ``don``, ``t``) like any challenge file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        if path.suffix.lower() == ".csv":
            writer = csv.writer(fh)
            writer.writerow(["name", "openset"])
            for name in sorted(labels):
                writer.writerow([name, repr(list(labels[name]))])
        else:
            for name in sorted(labels):
                fh.write(json.dumps({"name": name, "openset": list(labels[name])}, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path


# -- registry metrics -------------------------------------------------------------------------------
class _OVMetric(Metric):
    label_type = "openset"
    higher_is_better = True
    aggregation = "mean±std"
    field_name = ""

    def __call__(self, y_true: Sequence[Any], y_pred: Sequence[Any], **context: Any) -> float:
        """``y_true``/``y_pred``: label lists aligned by position; ``names`` and ``grouping``
        (name -> groups) may come in ``context``; without names the positions are the names.
        With a grouping, only its samples are scored (the official rule)."""
        if len(y_true) != len(y_pred):
            raise ValueError(f"{self.name}: {len(y_true)} true label sets but {len(y_pred)} predictions")
        names = [str(n) for n in context.get("names", range(len(y_true)))]
        score = score_openset(dict(zip(names, y_true)), dict(zip(names, y_pred)), context.get("grouping"))
        return float(getattr(score, self.field_name))


class OVAccuracy(_OVMetric):
    name = "ov-accuracy"
    field_name = "accuracy"


class OVRecall(_OVMetric):
    name = "ov-recall"
    field_name = "recall"


class OVAvg(_OVMetric):
    name = "ov-avg"
    field_name = "avg"
