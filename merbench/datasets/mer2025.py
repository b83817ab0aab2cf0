"""MER2025 track 1: the train csv, the 20,000 test candidates and the Chinese+English subtitles."""

from __future__ import annotations

from pathlib import Path

from merbench.contracts.dataset import Sample
from merbench.datasets.table import TableDataset, index_videos

VIDEO_DIRS = ("video", "videos", "video-labeled")


#: the test labels published after the challenge (``name,discrete``), read when the file is in the root
TEST_LABELS = "track1_test_dis.csv"


class Mer2025Dataset(TableDataset):
    """``track1_train_disdim.csv`` (``name,discrete[,valence]``) gives ``trainval``;
    ``track_all_candidates.csv`` (``name``) the ``unlabeled`` candidates; ``track1_subtitle_chieng.csv``
    (``name,chinese,english``) the subtitles. Videos are looked up by name in ``video/`` (or ``video_dir``).
    The published test labels (``track1_test_dis.csv`` in the root, or ``test_labels``: ``name,discrete``,
    or ``name,split,discrete``) give the ``test`` split, the scored candidates."""

    name = "mer2025"
    protocol = "mer2025"

    def __init__(self, root: str | Path, video_dir: str | Path | None = None, test_labels: str | Path | None = None) -> None:
        super().__init__(root)
        labels = self.root / "track1_train_disdim.csv"
        trainval = self._read_labels(labels, "trainval")
        self.has_valence = any(self._samples[n].valence is not None for n in trainval)
        self._split("trainval", trainval)
        candidates_file = self.root / "track_all_candidates.csv"
        candidates = [row["name"] for row in self._read_rows(candidates_file, ("name",)) if row["name"]]
        for name in candidates:
            self._add(Sample(name), candidates_file)
        self._split("unlabeled", candidates)
        folder = Path(video_dir) if video_dir else next((self.root / d for d in VIDEO_DIRS if (self.root / d).is_dir()), None)
        if folder is None:
            self._problem("error", self.root, f"no video folder ({', '.join(VIDEO_DIRS)})", "pass video_dir= or put the clips in video/")
        else:
            videos = index_videos(folder)
            for name in self._samples:
                self._update(name, video=videos.get(name, folder / f"{name}.mp4"))
        self._read_subtitles(self.root / "track1_subtitle_chieng.csv", {"chinese": "subtitle", "english": "subtitle_en"})
        published = Path(test_labels) if test_labels else self.root / TEST_LABELS
        if test_labels or published.is_file():
            self._read_test_labels(published, default_split="test")
