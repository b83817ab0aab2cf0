"""Reads a generated demo corpus through the processed or raw reader, plus its extras."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

from merbench.contracts.dataset import Dataset, Problem, Sample
from merbench.datasets.mer2024 import Mer2024Dataset
from merbench.datasets.processed import ProcessedDataset

#: The splits of the demo, in order (``unlabeled`` holds ``semi`` and ``noise``; ``ov`` is inside ``trainval``).
DEMO_SPLITS = ("trainval", "semi", "noise", "ov", "unlabeled")


class DemoDataset(Dataset):
    """A corpus written by :func:`merbench.datasets.demo.generate`; ``layout`` picks which twin to read."""

    name = "demo"
    has_valence = True
    #: a budget that finishes in minutes on 2 CPU cores (the papers': 50 trials, 100 epochs, 3 seeds;
    #: MER-OV describes every clip of its split, the demo 16)
    run_defaults = {"trials": 2, "epochs": 20, "seeds": [0, 1], "track_params": {"ov": {"limit": 16}}}
    #: MER2023's MER-MULTI test set served by the demo's SEMI clips (the demo has no third test set)
    split_aliases = {"multi": "semi"}

    def __init__(self, root: str | Path, layout: str = "processed", allow_pickle: bool = False) -> None:
        super().__init__(root)
        info_path = self.root / "demo.json"
        if not info_path.is_file():
            raise FileNotFoundError(f"{info_path}: not a demo corpus; generate one with `merbench demo-data --out {self.root}`")
        self.info = json.loads(info_path.read_text())
        extras = self.root / "extras"
        options = dict(test_labels=extras / "test-labels.csv", ov_labels=extras / "ov-labels.csv",
                       subtitles_en=extras / "subtitles-english.csv")
        readers = {"processed": ProcessedDataset, "raw": Mer2024Dataset}
        if layout not in readers:
            raise ValueError(f"unknown demo layout {layout!r}; choose processed or raw")
        self.layout = layout
        if layout == "processed":  # reads the pickle-free label-6way.csv every demo writes; the npz only if allowed
            options["allow_pickle"] = allow_pickle
        self._inner = readers[layout](self.root / layout, **options)
        self._resources = {"noise_bank": extras / "noise_bank", "ov_grouping": extras / "ov-grouping.json",
                           "ov_vocabulary": extras / "ov-vocabulary.json"}

    def splits(self) -> Mapping[str, list[str]]:
        inner = self._inner.splits()
        return {s: inner.get(s, []) for s in DEMO_SPLITS}

    def sample(self, name: str) -> Sample:
        return self._inner.sample(name)

    def resources(self) -> Mapping[str, Path]:
        return dict(self._resources)

    def check(self, deep: bool = False) -> list[Problem]:
        problems = self._inner.check(deep=deep)
        for key, path in self._resources.items():
            if not path.exists():
                problems.append(Problem("error", str(path), f"demo resource {key} is missing", "re-generate the demo corpus"))
        return problems

    def manifest(self) -> dict:
        return {**super().manifest(), "demo": self._generation()}

    def media_manifest(self, split: str | None = None) -> dict:
        return {**super().media_manifest(split), "demo": self._generation()}

    def _generation(self) -> dict:
        """How the corpus was generated and, where recorded, the sha256 of its media bytes."""
        generation = {k: self.info[k] for k in ("size", "seed", "version")}
        if "media_sha256" in self.info:  # the bytes of every file (corpora made before it keep their hash)
            generation["media_sha256"] = self.info["media_sha256"]
        return generation
