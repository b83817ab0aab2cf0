"""Transcribe a dataset's clips into a CSV, and overlay those transcripts on the dataset.

The user's files are never modified: transcripts live in their own CSV (``name,asr``) and
:class:`TranscribedDataset` fills a sample's subtitle from it only when the dataset has no checked
subtitle for that sample, as the challenge did. An empty transcript is kept as "" (no speech).
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Mapping

from merbench.contracts.dataset import Dataset, Problem, Sample
from merbench.contracts.transcriber import Transcriber


def transcribe_dataset(dataset: Dataset, transcriber: Transcriber, out: str | Path, names: Iterable[str] | None = None,
                       *, missing_only: bool = True, progress: bool = False) -> dict[str, int]:
    """Append ASR transcripts of ``names`` (default: every sample; with ``missing_only``, those without a
    checked subtitle) to ``out`` (CSV ``name,asr``, resumable: names already there are skipped).
    Unreadable clips are recorded as ``error`` lines on stderr-friendly counts, not fatal.
    Returns counts: transcribed, empty, skipped, failed."""
    from rich.progress import track

    from merbench.util.progress import progress_enabled
    from merbench.media import MediaError, read_audio

    out = Path(out)
    done = read_transcripts(out) if out.is_file() else {}
    wanted = list(names) if names is not None else [s.name for s in dataset.iter_all()]
    todo = [n for n in wanted if n not in done and not (missing_only and dataset.sample(n).subtitle is not None)]
    counts = {"transcribed": 0, "empty": 0, "skipped": len(wanted) - len(todo), "failed": 0}
    out.parent.mkdir(parents=True, exist_ok=True)
    new_file = not out.is_file()
    with out.open("a", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        if new_file:
            writer.writerow(["name", "asr"])
        for name in track(todo, description="transcribing", disable=not progress_enabled(progress)):
            sample = dataset.sample(name)
            source = sample.audio or sample.video
            try:
                if source is None:
                    raise MediaError(name, "sample has no audio or video", "nothing to transcribe")
                text = transcriber.transcribe([read_audio(source)])[0]
            except MediaError as exc:
                counts["failed"] += 1
                print(f"error: {exc}")
                continue
            writer.writerow([name, text])
            f.flush()  # a killed run keeps every finished transcript
            counts["empty" if not text else "transcribed"] += 1
    return counts


def read_transcripts(path: str | Path) -> dict[str, str]:
    with Path(path).open(newline="", encoding="utf-8") as f:
        return {row["name"]: row.get("asr") or "" for row in csv.DictReader(f)}


class TranscribedDataset(Dataset):
    """``dataset`` whose samples without a checked subtitle take their ASR transcript from ``transcripts``."""

    def __init__(self, dataset: Dataset, transcripts: str | Path) -> None:
        super().__init__(dataset.root)
        self.inner = dataset
        self.name = dataset.name
        self.has_valence = dataset.has_valence
        self.corruption = dataset.corruption
        self.transcripts_file = Path(transcripts)
        self.asr = read_transcripts(transcripts)

    def splits(self) -> Mapping[str, list[str]]:
        return self.inner.splits()

    def sample(self, name: str) -> Sample:
        sample = self.inner.sample(name)
        if sample.subtitle is None and name in self.asr:
            return replace(sample, subtitle=self.asr[name])
        return sample

    def resources(self) -> Mapping[str, Path]:
        return self.inner.resources()

    def check(self, *args, **kwargs) -> list[Problem]:
        return self.inner.check(*args, **kwargs)
