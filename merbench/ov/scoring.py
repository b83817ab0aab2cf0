"""The MER-OV set-level metric, exactly as ``protocol.md`` states it.

For each sample, labels are lower-cased and mapped to synonym-group ids (each label to the first
member of its group; a label in no group maps to itself). With G(Y) the true groups and G(Ŷ)
the predicted ones: Accuracy_s = |G(Y) ∩ G(Ŷ)| / |G(Ŷ)|, Recall_s = |G(Y) ∩ G(Ŷ)| / |G(Y)|; an
empty prediction scores 0 and 0. Both are averaged over samples (summed in sorted name order, so
the float sum never depends on input order) and the rank score is their mean.

Scores are fractions in [0, 1]; tables print them ×100 like the papers.
"""

from __future__ import annotations

import ast
import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from merbench.contracts.metric import Metric
from merbench.ov.labels import parse_labels

Groups = Sequence[Sequence[str]]


def _norm(label: str) -> str:
    return str(label).strip().lower()


def synonym_map(groups: Groups) -> dict[str, str]:
    """label -> the first member of its group (lower-cased); the first group holding a label wins."""
    mapping: dict[str, str] = {}
    for group in groups:
        members = [_norm(m) for m in group if _norm(m)]
        for member in members:
            mapping.setdefault(member, members[0])
    return mapping


def to_group_ids(labels: Sequence[str], groups: Groups) -> set[str]:
    mapping = synonym_map(groups)
    normalised = (_norm(label) for label in labels)
    return {mapping.get(label, label) for label in normalised if label}


def sample_scores(truth: Sequence[str], prediction: Sequence[str], groups: Groups = ()) -> tuple[float, float]:
    """(Accuracy_s, Recall_s) of one sample. ``truth`` must not be empty (see :func:`score_openset`)."""
    true_ids = to_group_ids(truth, groups)
    if not true_ids:
        raise ValueError("the checked label set is empty; recall is undefined for this sample")
    pred_ids = to_group_ids(prediction, groups)
    if not pred_ids:
        return 0.0, 0.0
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
        """The rank score: mean of accuracy and recall."""
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
) -> OVScore:
    """Score ``predictions`` against ``truth`` (both name -> labels) under per-sample ``grouping``.

    Never crashes on, and never silently skips, an odd sample: a sample whose checked label set
    is empty is left out of the means and reported; a sample without a prediction scores as an
    empty prediction (0, 0) and is reported; a prediction for a name not in ``truth`` is reported
    and ignored; a sample with no grouping is reported (its labels then map to themselves).
    """
    grouping = grouping if grouping is not None else {}
    problems: list[str] = []
    per_sample: dict[str, tuple[float, float]] = {}
    for name in sorted(truth):
        true_labels = [label for label in truth[name] if _norm(label)]
        if not true_labels:
            problems.append(f"{name}: the checked label set is empty; sample left out of the means (fix its ov labels)")
            continue
        if name not in predictions:
            problems.append(f"{name}: no prediction; scored as an empty prediction (0, 0)")
        if grouping and name not in grouping:
            problems.append(f"{name}: no synonym grouping; its labels map to themselves")
        per_sample[name] = sample_scores(true_labels, predictions.get(name, ()), grouping.get(name, ()))
    for name in sorted(set(predictions) - set(truth)):
        problems.append(f"{name}: prediction for a sample that has no checked labels; ignored (unknown sample name)")
    if not per_sample:
        return OVScore(0.0, 0.0, per_sample, problems + ["no sample could be scored"])
    accuracy = sum(score[0] for score in per_sample.values()) / len(per_sample)
    recall = sum(score[1] for score in per_sample.values()) / len(per_sample)
    return OVScore(accuracy, recall, per_sample, problems)


# -- file formats ------------------------------------------------------------------------------------
_LABEL_KEYS = ("openset", "labels", "ov_labels", "prediction", "predictions")


def read_label_file(path: str | Path) -> dict[str, list[str]]:
    """name -> labels from the challenge CSV (``name,openset`` holding Python-style list strings),
    from JSONL (one ``{"name": ..., "openset"|"labels": [...]}`` per line) or from a JSON object
    ``{name: [labels]}``. Label strings go through :func:`~merbench.ov.labels.parse_labels`."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such label file; pass a .csv (name,openset), .jsonl or .json file")
    suffix = path.suffix.lower()
    out: dict[str, list[str]] = {}

    def labels_of(value: Any, where: str) -> list[str]:
        if isinstance(value, str):
            return parse_labels(value)
        if isinstance(value, (list, tuple)):
            return [_norm(v) for v in value if _norm(str(v))]
        raise ValueError(f"{where}: labels must be a list or a list string, got {type(value).__name__}")

    if suffix == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            columns = reader.fieldnames or []
            key = next((k for k in _LABEL_KEYS if k in columns), None)
            if "name" not in columns or key is None:
                raise ValueError(f"{path}: expected columns 'name,openset', found {columns}; write the challenge CSV format")
            for line, row in enumerate(reader, start=2):
                out[row["name"]] = labels_of(row[key] or "", f"{path}:{line}")
        return out
    if suffix == ".jsonl":
        with path.open(encoding="utf-8") as fh:
            for line, text in enumerate(fh, start=1):
                if not text.strip():
                    continue
                try:
                    row = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{line}: not JSON ({exc.msg}); each line must be one JSON object") from None
                key = next((k for k in _LABEL_KEYS if k in row), None)
                if "name" not in row or key is None:
                    raise ValueError(f"{path}:{line}: needs 'name' and 'openset' (or 'labels') keys, found {sorted(row)}")
                out[str(row["name"])] = labels_of(row[key], f"{path}:{line}")
        return out
    if suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a JSON object {{name: [labels]}}")
        return {str(name): labels_of(value, f"{path}: {name}") for name, value in data.items()}
    raise ValueError(f"{path}: unknown label file type {suffix!r}; use .csv (name,openset), .jsonl or .json")


def write_label_file(labels: Mapping[str, Sequence[str]], path: str | Path) -> Path:
    """Write name -> labels as the challenge CSV (``.csv``) or JSONL (anything else), in sorted name order."""
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


def literal_groups(text: str, where: str) -> list[list[str]]:
    """A stored grouping string (Python-style list of lists) as lists of lower-cased labels."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError) as exc:
        raise ValueError(f"{where}: grouping is not a Python-style list of lists ({exc})") from None
    if not isinstance(value, (list, tuple)) or not all(isinstance(g, (list, tuple)) for g in value):
        raise ValueError(f"{where}: grouping must be a list of lists of labels")
    return [[_norm(m) for m in g if _norm(str(m))] for g in value]


# -- registry metrics -------------------------------------------------------------------------------
class _OVMetric(Metric):
    label_type = "openset"
    higher_is_better = True
    aggregation = "mean±std"
    field_name = ""

    def __call__(self, y_true: Sequence[Any], y_pred: Sequence[Any], **context: Any) -> float:
        """``y_true``/``y_pred``: label lists aligned by position; ``names`` and ``grouping``
        (name -> groups) may come in ``context``; without names the positions are the names."""
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
