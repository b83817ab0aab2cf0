"""The MER2023 release: ``train-label.csv`` with valence, three test folders, Chinese+English subtitles."""

from __future__ import annotations

from pathlib import Path

from merbench.contracts.dataset import Sample
from merbench.datasets.table import TableDataset, index_videos

#: Test folders of the release: MER-MULTI, MER-NOISE (already corrupted), MER-SEMI's unlabeled pool.
TEST_DIRS = {"test1": "test1", "test2": "test2", "test3": "test3"}
TRAIN_DIRS = ("train", "video-train", "video")


class Mer2023Dataset(TableDataset):
    """``train-label.csv`` (``name,discrete,valence``) over the videos of ``train/``; ``test1/`` (MULTI),
    ``test2/`` (NOISE) and ``test3/`` (SEMI) as unlabeled splits, ``test3`` also as ``unlabeled``;
    ``transcription-engchi-polish.csv`` (``name,chinese,english``). ``test_labels`` (``name,split,discrete,valence``)
    adds the test labels published after the challenge."""

    name = "mer2023"
    protocol = "mer2023"
    #: test2 (MER-NOISE) is released already corrupted: score it as it is
    run_defaults = {"corrupt": False}
    has_valence = True

    def __init__(self, root: str | Path, test_labels: str | Path | None = None) -> None:
        super().__init__(root)
        labels = self.root / "train-label.csv"
        trainval = self._read_labels(labels, "trainval")
        self._split("trainval", trainval)
        train_dir = next((self.root / d for d in TRAIN_DIRS if (self.root / d).is_dir()), self.root / TRAIN_DIRS[0])
        videos = index_videos(train_dir)
        for name in trainval:
            self._update(name, video=videos.get(name, train_dir / f"{name}.mp4"))
        for split, folder in TEST_DIRS.items():
            found = index_videos(self.root / folder)
            for name, path in found.items():
                self._add(Sample(name, video=path), path)
            if found:
                self._split(split, list(found))
        if "test3" in self._splits:
            self._split("unlabeled", self._splits["test3"])
        transcripts = self.root / "transcription-engchi-polish.csv"
        self._read_subtitles(transcripts, {"chinese": "subtitle", "english": "subtitle_en"})
        if test_labels:
            self._read_test_labels(Path(test_labels))
