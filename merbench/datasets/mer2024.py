"""The MER2024 raw release: ``video-labeled/``, ``label-disdim.csv``, the unlabeled pool, checked subtitles."""

from __future__ import annotations

from pathlib import Path

from merbench.contracts.dataset import Sample
from merbench.datasets.table import TableDataset, index_videos

UNLABELED_DIR = "video-unlabeled-with-test2noise"


class Mer2024Dataset(TableDataset):
    """``label-disdim.csv`` (``name,discrete[,valence]``) gives ``trainval`` over ``video-labeled/``;
    every clip of ``video-unlabeled-with-test2noise/`` is in ``unlabeled`` (the hidden MER-SEMI and
    MER-NOISE clips among them, the NOISE ones already corrupted in the real release);
    ``label-transcription.csv`` (``name,chinese``) holds the checked subtitles. Audio comes from the
    videos' tracks. ``test_labels``, ``ov_labels`` and ``subtitles_en`` as for :class:`ProcessedDataset`.
    """

    name = "mer2024"

    def __init__(self, root: str | Path, test_labels: str | Path | None = None, ov_labels: str | Path | None = None,
                 subtitles_en: str | Path | None = None) -> None:
        super().__init__(root)
        labels = self.root / "label-disdim.csv"
        trainval = self._read_labels(labels, "trainval")
        self.has_valence = any(self._samples[n].valence is not None for n in trainval)
        self._split("trainval", trainval)
        labeled = index_videos(self.root / "video-labeled")
        for name in trainval:
            self._update(name, video=labeled.get(name, self.root / "video-labeled" / f"{name}.mp4"))
        for name in set(labeled) - set(trainval):
            self._problem("warning", labeled[name], f"video {name!r} has no label in label-disdim.csv",
                          "add its label or move it to the unlabeled folder")
        pool = index_videos(self.root / UNLABELED_DIR)
        if not pool:
            self._problem("warning", self.root / UNLABELED_DIR, "no unlabeled videos", "extract the unlabeled archive here for MER-SEMI/NOISE")
        for name, path in pool.items():
            self._add(Sample(name, video=path), path)
        self._split("unlabeled", list(pool))
        self._read_release_text(self.root / "label-transcription.csv", subtitles_en, test_labels, ov_labels)
