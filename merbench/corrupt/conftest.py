"""Fixtures of the corruption tests: a small dataset on disk in the processed layout."""

from __future__ import annotations

import numpy as np
import pytest

from merbench.contracts.dataset import Dataset, Sample
from merbench.media import write_video, write_wav


class FolderDataset(Dataset):
    """Clips in the processed layout with labels in memory (what a reader gives merbench)."""

    name = "test-folder"

    def __init__(self, root, names, broken=()):
        super().__init__(root)
        self._names, self._broken = list(names), set(broken)

    def splits(self):
        return {"noise": self._names}

    def sample(self, name):
        audio = self.root / "audio" / f"{name}.wav"
        return Sample(name=name, video=self.root / "video" / f"{name}.mp4",
                      audio=self.root / "broken.wav" if name in self._broken else audio,
                      faces=self.root / "openface_face" / name / f"{name}.npy",
                      subtitle=f"字幕 {name}", label="happy", ov_labels=("happy", "excited"))

    def resources(self):
        return {"noise_bank": self.root / "bank"}


@pytest.fixture(scope="module")
def clean_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("clean")
    rng = np.random.default_rng(0)
    t = np.arange(24000) / 16000
    for i in range(4):
        name = f"clip_{i}"
        audio = (0.2 * np.sin(2 * np.pi * (180 + 40 * i) * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 2 * t))).astype(np.float32)
        frames = rng.integers(0, 256, (6, 64, 80, 3), dtype=np.uint8)
        write_wav(root / "audio" / f"{name}.wav", audio)
        write_video(root / "video" / f"{name}.mp4", frames, 4.0, audio=audio)
        (root / "openface_face" / name).mkdir(parents=True)
        np.save(root / "openface_face" / name / f"{name}.npy", rng.integers(0, 256, (5, 112, 112, 3), dtype=np.uint8))
    write_wav(root / "bank" / "talk-a.wav", (0.1 * rng.standard_normal(20000)).astype(np.float32))
    write_wav(root / "bank" / "talk-b.wav", (0.1 * rng.standard_normal(9000)).astype(np.float32))
    (root / "broken.wav").write_bytes(b"not a wav")
    return root
