"""A tiny dataset of synthetic wav clips with subtitles, for the cache and encoder tests."""

from __future__ import annotations

import numpy as np

from merbench.contracts.dataset import Dataset, Sample


class WavDataset(Dataset):
    """``n`` short synthetic speech-like clips (1-3 s), one of them with an empty subtitle."""

    name = "wav-test"

    def __init__(self, root, n: int = 6, broken: tuple[str, ...] = ()) -> None:
        import soundfile

        super().__init__(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.names = [f"clip{i:02d}" for i in range(n)]
        self.broken = set(broken)
        rng = np.random.default_rng(0)
        for i, name in enumerate(self.names):
            path = self.root / f"{name}.wav"
            if name in self.broken:
                path.write_bytes(b"not a wav file")
                continue
            t = np.arange(16000 * (1 + i % 3)) / 16000
            wave = 0.2 * np.sin(2 * np.pi * (150 + 30 * i) * t * (1 + 0.1 * np.sin(2 * np.pi * 3 * t)))
            soundfile.write(path, (wave + 0.01 * rng.standard_normal(t.size)).astype(np.float32), 16000)

    def splits(self):
        return {"trainval": self.names[: len(self.names) // 2], "semi": self.names[len(self.names) // 2:]}

    def sample(self, name):
        i = self.names.index(name)
        return Sample(name=name, audio=self.root / f"{name}.wav", subtitle="" if i == 0 else f"今天第{i}次很开心",
                      subtitle_en="" if i == 0 else f"I am happy for the {i}th time today", label="happy")
