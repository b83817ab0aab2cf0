"""Challenge submission CSVs from a run's predictions, with row-count and name checks.

MER2023: ``name,discrete,valence``; MER2024/MER2025: ``name,discrete``. Predictions of every seed are
averaged (class probabilities, and valence) before the argmax. MER-OV (an ``ov`` record):
``name,openset``, each cell the Python-style list string the official scorer reads, from one seed
(label sets cannot be averaged).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Sequence

import numpy as np

from merbench import EMOTIONS
from merbench.ov.scoring import read_label_file, write_label_file

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
    for row in _prediction_rows(record_path, record):
        if row.get("split") != split or "probs" not in row:
            continue
        probs.setdefault(row["name"], []).append(np.asarray(row["probs"], float))
        if "valence" in row:
            valence.setdefault(row["name"], []).append(float(row["valence"]))
    if not probs:
        raise SubmissionError(f"{record_path}: no predictions for split {split!r}; pick the record of a track that predicts it")
    expected = _checked_names(record_path, split, probs, expected_names,
                              fix="re-run without --skip-missing or fix their features")
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


def openset_split(record_path: str | Path) -> str | None:
    """The split of the record at ``record_path`` when it predicts label sets (MER-OV: ``openset``
    rows); ``None`` when it predicts class probabilities. A file that is no result record is a
    :class:`SubmissionError`."""
    record_path = Path(record_path)
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        first = next(_prediction_rows(record_path, record), {}) if record.get("predictions") else {}
    except (ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise SubmissionError(f"{record_path}: not a result record with predictions ({type(exc).__name__}: {exc}); "
                              "pass a record JSON of <results>/runs/<run-id>") from None
    return (record.get("dataset") or {}).get("split", "ov") if "openset" in first else None


def write_openset_submission(record_path: str | Path, out: str | Path, *, expected_names: Sequence[str],
                             seed: int | None = None) -> tuple[Path, int, list[str]]:
    """Write ``out`` (``name,openset``) from seed ``seed`` of the MER-OV record at ``record_path``.

    ``seed`` may be left out when the record holds one. Returns the file, the seed and one line per
    label that the official scorer will read differently from what was predicted (its parser splits
    a cell on quotes, so "don't know" becomes ``don`` and ``t know``); the file holds the labels as
    predicted, as any challenge file would. Raises :class:`SubmissionError` on missing or unexpected
    names, like :func:`write_submission`."""
    record_path = Path(record_path)
    record = json.loads(record_path.read_text(encoding="utf-8"))
    if not record.get("predictions"):
        raise SubmissionError(f"{record_path}: the record has no predictions; re-run the track")
    split = openset_split(record_path)
    if split is None:
        raise SubmissionError(f"{record_path}: its predictions are class probabilities, not label sets; "
                              "write it with --format mer2023/mer2024/mer2025")
    by_seed: dict[int, dict[str, list[str]]] = {}
    for row in _prediction_rows(record_path, record):
        by_seed.setdefault(int(row["seed"]), {})[row["name"]] = list(row["openset"])
    if not by_seed:
        raise SubmissionError(f"{record_path}: no open-set predictions; re-run the track")
    if seed is None:
        if len(by_seed) > 1:
            raise SubmissionError(f"{record_path}: the record holds seeds {sorted(by_seed)}; label sets cannot be "
                                  "averaged, so choose one with --seed")
        seed = next(iter(by_seed))
    if seed not in by_seed:
        raise SubmissionError(f"{record_path}: no predictions of seed {seed}; the record holds seeds {sorted(by_seed)}")
    labels = by_seed[seed]
    limit = record.get("config", {}).get("limit")
    expected = _checked_names(record_path, split, labels, expected_names,
                              fix=f"the run described only {limit} (track_params: {{ov: {{limit: {limit}}}}}); "
                                  "re-run with limit: null" if limit else "re-run the ov track")
    path = write_label_file({n: labels[n] for n in expected}, _csv_path(out))
    read_back = read_label_file(path).labels
    changed = [f"sample {n}: {labels[n]} will be read by the official scorer as {read_back.get(n)}"
               for n in expected if read_back.get(n) != labels[n]]
    return path, seed, changed


def _csv_path(out: str | Path) -> Path:
    out = Path(out)
    if out.suffix.lower() != ".csv":
        raise SubmissionError(f"{out}: a MER-OV submission is a .csv file (name,openset); name it *.csv")
    return out


def _prediction_rows(record_path: Path, record: dict):
    with open(record_path.parent / record["predictions"]["path"], encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def _checked_names(record_path: Path, split: str, predicted: Sequence[str], expected_names: Sequence[str], *,
                   fix: str) -> list[str]:
    """``expected_names`` without repeats, once every one of them has a prediction and no prediction is for another name."""
    expected = list(dict.fromkeys(expected_names))
    missing = [n for n in expected if n not in predicted]
    unexpected = sorted(set(predicted) - set(expected))
    if missing:
        raise SubmissionError(f"{record_path}: {len(missing)} of {len(expected)} {split} samples have no prediction: "
                              f"{_preview(missing)}; {fix}")
    if unexpected:
        raise SubmissionError(f"{record_path}: predictions for {len(unexpected)} names not in the {split} split: "
                              f"{_preview(unexpected)}; the record belongs to another dataset")
    return expected
