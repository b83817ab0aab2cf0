"""Feature tables: the matrices a fusion trains on, with sample names, labels and input checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from merbench import EMOTIONS

#: Index of "no label" (unlabeled pool, test sets without labels).
UNLABELED = -1


class FeatureError(ValueError):
    """Features or labels that cannot be trained on; the message names the samples and the fix."""


def _preview(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


@dataclass
class FeatureTable:
    """Rows are samples. ``inputs`` maps an input name (a modality or a feature) to ``(N, D)`` float32
    (or ``(N, T, D)`` plus ``name + "__mask"`` for frame-level fusions)."""

    names: list[str]
    inputs: dict[str, np.ndarray]
    labels: np.ndarray  # int64 class indices into EMOTIONS, UNLABELED where unknown
    valence: np.ndarray | None = None  # float32, NaN where unknown
    source: str = ""  # for error messages: dataset/split the rows came from
    skipped: list[str] = field(default_factory=list)  # samples dropped by --skip-missing, and why

    def __post_init__(self) -> None:
        n = len(self.names)
        if len(set(self.names)) != n:
            dup = sorted({x for x in self.names if self.names.count(x) > 1})
            raise FeatureError(f"{self.source}: duplicate sample names {_preview(dup)}; each sample must appear once")
        for key, arr in self.inputs.items():
            if arr.shape[0] != n:
                raise FeatureError(f"{self.source}: input {key!r} has {arr.shape[0]} rows for {n} sample names; "
                                   "the feature matrix and the label list disagree (re-extract the features)")
        if len(self.labels) != n:
            raise FeatureError(f"{self.source}: {len(self.labels)} labels for {n} samples")

    def __len__(self) -> int:
        return len(self.names)

    @property
    def input_dims(self) -> dict[str, int]:
        return {k: int(v.shape[-1]) for k, v in self.inputs.items() if not k.endswith("__mask")}

    def subset(self, index: np.ndarray) -> "FeatureTable":
        index = np.asarray(index)
        return FeatureTable([self.names[i] for i in index], {k: v[index] for k, v in self.inputs.items()},
                            self.labels[index], None if self.valence is None else self.valence[index],
                            self.source, list(self.skipped))

    def bad_rows(self) -> dict[str, str]:
        """Sample name -> which input holds NaN/inf."""
        bad: dict[str, str] = {}
        for key, arr in self.inputs.items():
            flat = arr.reshape(arr.shape[0], -1)
            for i in np.flatnonzero(~np.isfinite(flat).all(axis=1)):
                bad.setdefault(self.names[i], key)
        return bad

    def check(self, skip_invalid: bool = False) -> "FeatureTable":
        """Raise :class:`FeatureError` on NaN/inf features; with ``skip_invalid`` drop those rows and
        list them in ``skipped`` instead (the run's record reports them)."""
        bad = self.bad_rows()
        if not bad:
            return self
        if not skip_invalid:
            described = [f"{n} ({k})" for n, k in sorted(bad.items())]
            raise FeatureError(f"{self.source}: NaN/inf features for {len(bad)} sample(s): {_preview(described)}; "
                               "delete those entries from the cache and re-extract, or pass --skip-missing")
        keep = np.array([n not in bad for n in self.names])
        table = self.subset(np.flatnonzero(keep))
        table.skipped += [f"{n}: NaN/inf in {k}" for n, k in sorted(bad.items())]
        return table


def standardizer(table: FeatureTable):
    """A function z-scoring every input of a table with ``table``'s per-dimension mean and std.

    Statistics come from the feature values of ``table`` only (never labels), over valid frames for
    frame-level inputs; constant dimensions are left centred. Hand-crafted features (eGeMAPS spans
    units from Hz to dB) otherwise train poorly with the baseline's MLPs."""
    stats: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for key, arr in table.inputs.items():
        if key.endswith("__mask"):
            continue
        if arr.ndim == 3:
            mask = table.inputs.get(key + "__mask")
            flat = arr[mask > 0] if mask is not None else arr.reshape(-1, arr.shape[-1])
        else:
            flat = arr
        mean = flat.mean(axis=0, dtype=np.float64)
        std = flat.std(axis=0, dtype=np.float64)
        stats[key] = (mean.astype(np.float32), np.where(std > 1e-8, std, 1.0).astype(np.float32))

    def apply(other: FeatureTable) -> FeatureTable:
        inputs = {k: ((v - stats[k][0]) / stats[k][1]).astype(np.float32) if k in stats else v
                  for k, v in other.inputs.items()}
        return FeatureTable(list(other.names), inputs, other.labels, other.valence, other.source, list(other.skipped))

    return apply


def label_indices(labels: Sequence[str | None], names: Sequence[str], source: str) -> np.ndarray:
    """Class names -> indices into :data:`merbench.EMOTIONS` (``None`` -> :data:`UNLABELED`)."""
    lookup = {e: i for i, e in enumerate(EMOTIONS)}
    out = np.full(len(labels), UNLABELED, dtype=np.int64)
    unknown = []
    for i, label in enumerate(labels):
        if label is None:
            continue
        key = str(label).strip().lower()
        if key not in lookup:
            unknown.append(f"{names[i]}={label!r}")
        else:
            out[i] = lookup[key]
    if unknown:
        raise FeatureError(f"{source}: labels outside {list(EMOTIONS)} for {_preview(unknown)}; fix the label file")
    return out


def require_labels(table: FeatureTable, num_classes: int = len(EMOTIONS)) -> None:
    """A table used for training/scoring must be fully labeled."""
    missing = [n for n, y in zip(table.names, table.labels) if y == UNLABELED]
    if missing:
        raise FeatureError(f"{table.source}: {len(missing)} sample(s) have no label: {_preview(missing)}; "
                           "label them or remove them from the split")


def check_fold_classes(labels: np.ndarray, folds: list[np.ndarray], source: str) -> None:
    """Every class present in the data must appear in every fold's training part, or the fold cannot learn it."""
    present = set(np.unique(labels[labels != UNLABELED]).tolist())
    for i, val in enumerate(folds):
        train = np.setdiff1d(np.arange(len(labels)), val)
        absent = present - set(np.unique(labels[train]).tolist())
        if absent:
            names = [EMOTIONS[a] for a in sorted(absent)]
            raise FeatureError(f"{source}: class(es) {names} absent from the training part of fold {i + 1}; "
                               "use stratified folds (--stratified) or fewer folds")

