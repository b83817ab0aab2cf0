"""The baseline code's processed layout: ``video/``, ``audio/``, ``openface_face/``, ``label-6way.npz``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from merbench.contracts.dataset import Sample
from merbench.datasets.table import TableDataset, index_videos


class ProcessedDataset(TableDataset):
    """``root/video/<n>.mp4|avi``, ``audio/<n>.wav`` (16 kHz mono), ``openface_face/<n>/<n>.npy``,
    ``transcription-merge.csv`` (``name,chinese[,english]``) and ``label-6way.npz``.

    ``train_corpus`` becomes ``trainval``; ``test1_corpus``.. become ``test1``.. with no label (the
    file's labels there are dummies) and together the ``unlabeled`` split. Optional files add what
    the layout lacks: ``test_labels`` (``name,split,discrete[,valence]``), ``ov_labels``
    (``name,openset``) and ``subtitles_en`` (``name,english``).
    """

    name = "mer-processed"

    def __init__(self, root: str | Path, test_labels: str | Path | None = None, ov_labels: str | Path | None = None,
                 subtitles_en: str | Path | None = None) -> None:
        super().__init__(root)
        labels = self.root / "label-6way.npz"
        corpora = self._load_corpora(labels)
        self.has_valence = any(v.get("val") not in (None, -10, -10.0) for v in corpora.get("train_corpus", {}).values())
        unlabeled: list[str] = []
        for key in sorted(corpora, key=lambda k: (k != "train_corpus", k)):
            split = "trainval" if key == "train_corpus" else key.removesuffix("_corpus")
            names = []
            for name, entry in corpora[key].items():
                name = str(name)
                if split == "trainval":
                    label = self._label(entry.get("emo"), name, labels)
                    if label is None:
                        continue
                    self._add(Sample(name, label=label, valence=self._valence(entry.get("val"), name, labels)), labels)
                else:  # test corpora carry a dummy label
                    self._add(Sample(name), labels)
                    unlabeled.append(name)
                names.append(name)
            self._split(split, names)
        if unlabeled:
            self._split("unlabeled", unlabeled)
        self._attach_media()
        self._read_release_text(self.root / "transcription-merge.csv", subtitles_en, test_labels, ov_labels)

    def _load_corpora(self, path: Path) -> dict[str, dict]:
        if not path.is_file():
            self._problem("error", path, "file not found", f"is {self.root} a processed MER root (video/, audio/, label-6way.npz)?")
            return {}
        try:
            data = np.load(path, allow_pickle=True)  # the baseline pickles dicts into the npz
            corpora = {k: data[k].item() for k in data.files if k.endswith("_corpus")}
        except Exception as exc:  # any unpickling/zip failure means the same thing to the user
            self._problem("error", path, f"cannot read ({type(exc).__name__}: {exc})", "re-create label-6way.npz from the label CSVs")
            return {}
        if "train_corpus" not in corpora:
            self._problem("error", path, f"no train_corpus; it has {', '.join(data.files)}", "this is not a MER label-6way.npz")
        return {k: v for k, v in corpora.items() if isinstance(v, dict)}

    def _attach_media(self) -> None:
        videos = index_videos(self.root / "video")
        audio_dir, face_dir, video_dir = self.root / "audio", self.root / "openface_face", self.root / "video"
        for name in self._samples:
            fields = {}
            if video_dir.is_dir():
                fields["video"] = videos.get(name, video_dir / f"{name}.mp4")
            if audio_dir.is_dir():
                fields["audio"] = audio_dir / f"{name}.wav"
            if face_dir.is_dir():
                fields["faces"] = face_dir / name / f"{name}.npy"
            self._update(name, **fields)
