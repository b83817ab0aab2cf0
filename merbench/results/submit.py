"""Challenge submission CSVs from a run's predictions, with row-count and name checks.

MER2023: ``name,discrete,valence``; MER2024/MER2025: ``name,discrete``. Predictions of every seed are
averaged (class probabilities, and valence) before the argmax.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Sequence

import numpy as np

from merbench import EMOTIONS

FORMATS = {"mer2023": ("name", "discrete", "valence"), "mer2024": ("name", "discrete"), "mer2025": ("name", "discrete")}


class SubmissionError(ValueError):
    """The predictions cannot make a valid submission; the message says which names and how to fix it."""


def _preview(names: Sequence[str]) -> str:
    return ", ".join(list(names)[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def write_submission(record_path: str | Path, out: str | Path, *, split: str, expected_names: Sequence[str],
                     year: str = "mer2024") -> Path:
    """Write ``out`` from the predictions of the record at ``record_path`` for ``split`` (e.g. ``unlabeled``).

    Raises :class:`SubmissionError` when a name of ``expected_names`` has no prediction, a predicted
    name is not expected, or (MER2023) a prediction has no valence."""
    if year not in FORMATS:
        raise SubmissionError(f"unknown submission format {year!r}; choose one of {sorted(FORMATS)}")
    record_path = Path(record_path)
    record = json.loads(record_path.read_text(encoding="utf-8"))
    if not record.get("predictions"):
        raise SubmissionError(f"{record_path}: the record has no predictions; re-run the track")
    probs: dict[str, list[np.ndarray]] = {}
    valence: dict[str, list[float]] = {}
    with open(record_path.parent / record["predictions"]["path"], encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row.get("split") != split:
                continue
            probs.setdefault(row["name"], []).append(np.asarray(row["probs"], float))
            if "valence" in row:
                valence.setdefault(row["name"], []).append(float(row["valence"]))
    if not probs:
        raise SubmissionError(f"{record_path}: no predictions for split {split!r}; pick the record of a track that predicts it")
    expected = list(dict.fromkeys(expected_names))
    missing = [n for n in expected if n not in probs]
    unexpected = sorted(set(probs) - set(expected))
    if missing:
        raise SubmissionError(f"{record_path}: {len(missing)} of {len(expected)} {split} samples have no prediction: "
                              f"{_preview(missing)}; re-run without --skip-missing or fix their features")
    if unexpected:
        raise SubmissionError(f"{record_path}: predictions for {len(unexpected)} names not in the {split} split: "
                              f"{_preview(unexpected)}; the record belongs to another dataset")
    columns = FORMATS[year]
    if "valence" in columns and any(n not in valence for n in expected):
        raise SubmissionError(f"{record_path}: MER2023 submissions need valence, and this run has none; "
                              "train on a dataset with valence labels")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for n in expected:
            row = [n, EMOTIONS[int(np.mean(probs[n], axis=0).argmax())]]
            if "valence" in columns:
                row.append(f"{float(np.mean(valence[n])):.4f}")
            writer.writerow(row)
    with open(tmp, encoding="utf-8") as fh:
        written = sum(1 for _ in fh) - 1
    if written != len(expected):
        raise SubmissionError(f"{tmp}: wrote {written} rows for {len(expected)} samples")
    tmp.replace(out)
    return out
