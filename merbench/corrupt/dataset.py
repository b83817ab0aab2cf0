"""Read a corrupted split written by :func:`merbench.corrupt.corrupt_dataset` as a dataset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

from merbench.contracts.dataset import Dataset, Problem, Sample
from merbench.corrupt.pipeline import FORMAT, HEADER_FILE, LOG_FILE
from merbench.corrupt.steps import corruption_identity


class CorruptedDataset(Dataset):
    """A corrupted copy of one split: media from ``root``, labels from the clean dataset (kept in
    ``corruption.json``), subtitles as the corruption left them. ``corruption`` is set (its identity:
    where outside data such as a noise bank was read from is left out, see
    :func:`~merbench.corrupt.steps.corruption_identity`), and the manifests include the source's
    hashes and the corruption, so feature caches never mix clean and corrupted clips or two
    corruptions, and do not tell apart two copies of the same data."""

    name = "corrupted"

    def __init__(self, root: str | Path) -> None:
        super().__init__(root)
        header_path, log_path = self.root / HEADER_FILE, self.root / LOG_FILE
        if not header_path.exists():
            raise ValueError(f"{self.root}: no {HEADER_FILE}; this is not a folder written by `merbench corrupt`")
        header = json.loads(header_path.read_text(encoding="utf-8"))
        if header.get("format") != FORMAT:
            raise ValueError(f"{header_path}: format {header.get('format')!r} is not {FORMAT!r}; re-create it with this merbench")
        if not log_path.exists():
            raise ValueError(f"{self.root}: half-written corrupted set (no {LOG_FILE}); re-run the same "
                             "`merbench corrupt` command to finish it")
        self.log = json.loads(log_path.read_text(encoding="utf-8"))
        self.source = header["source"]
        self.split = self.source["split"]
        self.has_valence = bool(self.source.get("has_valence"))
        self.corruption = corruption_identity(header["corruption"])
        self._meta = {entry["name"]: entry for entry in header["samples"]}
        self._subtitles = {}
        for name in self._meta:
            clip_log = self.root / "log" / f"{name}.json"
            self._subtitles[name] = json.loads(clip_log.read_text(encoding="utf-8"))["subtitle"]

    def splits(self) -> Mapping[str, list[str]]:
        return {self.split: list(self._meta)}

    def sample(self, name: str) -> Sample:
        if name not in self._meta:
            raise KeyError(f"{self.root / HEADER_FILE}: no clip {name!r} in the corrupted {self.split!r} split")
        meta = self._meta[name]
        video = self.root / "video" / f"{name}.mp4"
        faces = self.root / "openface_face" / name / f"{name}.npy"
        return Sample(
            name=name,
            video=video if video.exists() else None,
            audio=self.root / "audio" / f"{name}.wav",
            faces=faces if faces.exists() else None,
            subtitle=self._subtitles[name],
            subtitle_en=meta.get("subtitle_en"),
            label=meta.get("label"),
            valence=meta.get("valence"),
            ov_labels=tuple(meta["ov_labels"]) if meta.get("ov_labels") else None,
        )

    def clip_log(self, name: str) -> list[dict]:
        """Every random choice made for clip ``name``, step by step."""
        return self.log["clips"][name]

    def manifest(self) -> dict:
        return {**super().manifest(), "source_manifest_hash": self.source["manifest_hash"],
                "corruption": self.corruption}

    def media_manifest(self, split: str | None = None) -> dict:
        source = self.source.get("media_hash") or self.source["manifest_hash"]  # sets made before media hashes
        return {**super().media_manifest(split), "source_media_hash": source, "corruption": self.corruption}

    def check(self) -> list[Problem]:
        problems = []
        for name in self._meta:
            s = self.sample(name)
            if not s.audio.exists():
                problems.append(Problem("error", str(s.audio), "corrupted audio missing",
                                        "re-run the same `merbench corrupt` command to rewrite it"))
        return problems
