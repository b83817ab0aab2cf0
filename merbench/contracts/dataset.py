"""Dataset contract: named samples with media paths, subtitles and labels, grouped in splits."""

from __future__ import annotations

import abc
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator, Mapping

from merbench.contracts.cards import DatasetCard  # noqa: F401  (each kind's card beside its contract)

#: Split names every reader uses where the data has them.
#: ``trainval`` labeled Train&Val (5-fold CV); ``semi``/``noise`` labeled test subsets of the MER-SEMI and
#: MER-NOISE tracks (the NOISE clips clean where the dataset has them clean); ``ov`` the MER-OV subset;
#: ``unlabeled`` the whole unlabeled pool (which contains the hidden test subsets); ``test1``.. for
#: MER2023-style fixed test sets, ``multi`` the labeled MER-MULTI clips of ``test1``.
STANDARD_SPLITS = ("trainval", "semi", "noise", "ov", "unlabeled", "test1", "test2", "test3", "multi")


@dataclass(frozen=True)
class Sample:
    """One clip. Paths are absolute; a missing modality is ``None``; labels use :data:`merbench.EMOTIONS`."""

    name: str
    video: Path | None = None
    audio: Path | None = None
    faces: Path | None = None  # OpenFace crops: uint8 (T, 112, 112, 3) BGR .npy
    subtitle: str | None = None  # original-language subtitle (Chinese in MER)
    subtitle_en: str | None = None
    label: str | None = None
    valence: float | None = None
    ov_labels: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Problem:
    """One finding of ``merbench data check``: where, what, and how to fix it."""

    severity: str  # "error" or "warning"
    path: str
    message: str
    fix: str

    def line(self) -> str:
        return f"{self.severity}: {self.path}: {self.message} ({self.fix})"


class Dataset(abc.ABC):
    """A corpus on disk. Subclasses read one layout; they never copy or modify the user's files."""

    #: registry name of the reader
    name: str = ""
    #: whether labeled samples carry valence (MER2023-style combined metric)
    has_valence: bool = False
    #: for a corrupted copy of a dataset: ``{"steps": [{name, version, params}], "seed": int}``; part of
    #: every feature-cache key so clean and corrupted features never mix
    corruption: dict | None = None
    #: the challenge protocol (a registered protocol preset) a run on this dataset follows by default
    protocol: str = "mer2024"
    #: run-config fields this dataset suggests over its protocol (the demo's small budget); printed as departures
    run_defaults: Mapping[str, object] = {}
    #: split names a track may ask for that this dataset serves from another of its splits (the demo's MER2023 test sets)
    split_aliases: Mapping[str, str] = {}

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()

    @abc.abstractmethod
    def splits(self) -> Mapping[str, list[str]]:
        """Split name -> sample names, in a fixed order."""

    @abc.abstractmethod
    def sample(self, name: str) -> Sample:
        """The sample called ``name``; raises ``KeyError`` naming the label file for an unknown name."""

    def resolve_split(self, split: str) -> str:
        """The split that serves ``split`` (itself, or the one :attr:`split_aliases` maps it to)."""
        return split if split in self.splits() else self.split_aliases.get(split, split)

    def resources(self) -> Mapping[str, Path]:
        """Extra files a track needs, e.g. ``noise_bank`` (folder of speech wavs), ``ov_grouping``."""
        return {}

    def samples(self, split: str) -> list[Sample]:
        splits = self.splits()
        if split not in splits:
            raise KeyError(f"dataset {self.root} has no split {split!r}; it has {sorted(splits)}")
        return [self.sample(n) for n in splits[split]]

    def iter_all(self) -> Iterator[Sample]:
        seen: set[str] = set()
        for names in self.splits().values():
            for n in names:
                if n not in seen:
                    seen.add(n)
                    yield self.sample(n)

    def check(self) -> list[Problem]:
        """Problems with the data; an empty list means ready to use. Readers extend this."""
        return []

    def manifest(self) -> dict:
        """Canonical description of the data: splits, labels, subtitles and media sizes."""
        entries = []
        for s in self.iter_all():
            entry = {k: v for k, v in asdict(s).items() if k not in ("video", "audio", "faces")}
            entries.append({**entry, "media": _media(s)})
        return {"reader": self.name, "splits": {k: list(v) for k, v in self.splits().items()}, "samples": entries}

    def manifest_hash(self) -> str:
        """sha256 of the canonical manifest; result records key on it."""
        if getattr(self, "_manifest_hash", None) is None:
            self._manifest_hash = _sha256(self.manifest())
        return self._manifest_hash

    def media_manifest(self, split: str | None = None) -> dict:
        """What extracted features and corrupted media depend on: the reader and, per clip (of
        ``split``, in its order; default every clip, by name), its name, subtitles and media files
        (name, size). Labels and split membership are left out, so adding published test labels or
        fixing a label keeps every feature cache."""
        samples = self.samples(split) if split is not None else sorted(self.iter_all(), key=lambda s: s.name)
        return {"reader": self.name, "split": split,
                "samples": [{"name": s.name, "subtitle": s.subtitle, "subtitle_en": s.subtitle_en, "media": _media(s)}
                            for s in samples]}

    def media_hash(self, split: str | None = None) -> str:
        """sha256 of :meth:`media_manifest`; feature caches key on it, corrupted sets record their split's."""
        hashes = self.__dict__.setdefault("_media_hashes", {})
        if split not in hashes:
            hashes[split] = _sha256(self.media_manifest(split))
        return hashes[split]

    def labels_hash(self, split: str) -> str:
        """sha256 of ``split``'s clips in order with their labels (emotion, valence, open-vocabulary
        labels): what a score on ``split`` depends on beyond its features. Result records' identities
        hold it for every labeled split they train or are scored on, since feature caches (keyed on
        the media) survive a label fix."""
        hashes = self.__dict__.setdefault("_labels_hashes", {})
        if split not in hashes:
            hashes[split] = _sha256({"reader": self.name, "split": split,
                                     "samples": [[s.name, s.label, s.valence, s.ov_labels] for s in self.samples(split)]})
        return hashes[split]


def _media(sample: Sample) -> dict:
    """Each modality's file as ``[name, size]`` (size None when absent on disk), or None without one."""
    media = {}
    for key in ("video", "audio", "faces"):
        p = getattr(sample, key)
        media[key] = None if p is None else [p.name, p.stat().st_size if p.exists() else None]
    return media


def _sha256(document: dict) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
