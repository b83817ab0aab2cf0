"""The baseline code's processed layout: ``video/``, ``audio/``, ``openface_face/``, ``label-6way.npz``.

The baseline pickles its label dicts into ``label-6way.npz``, and unpickling a file can run any
code it carries. So the npz is read only with an explicit ``allow_pickle=True`` (``--allow-pickle``
on the command line, ``allow_pickle: true`` in a run config); ``merbench data convert ROOT
--allow-pickle`` writes the same labels once to the pickle-free ``label-6way.csv``, which the
reader prefers from then on.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Mapping

import numpy as np

from merbench.contracts.dataset import Sample
from merbench.datasets.table import TableDataset, index_videos
from merbench.util.textfile import read_text

LABELS_NPZ = "label-6way.npz"
#: The pickle-free copy of ``label-6way.npz`` (``corpus,name,emo,val`` rows in the npz's order).
LABELS_CSV = "label-6way.csv"
LABELS_CSV_COLUMNS = ("corpus", "name", "emo", "val")

Corpora = dict[str, dict[str, dict]]


class PickleNotAllowed(ValueError):
    """A label file holds pickled objects and the caller did not pass ``allow_pickle=True``."""


def _labels_root(path: str | Path) -> Path:
    path = Path(path).expanduser()
    return path.parent if path.suffix == ".npz" else path


def read_label_npz(path: str | Path, *, allow_pickle: bool = False) -> Corpora:
    """``{corpus: {name: {'emo': ..., 'val': ...}}}`` from the baseline's ``label-6way.npz``.

    Without ``allow_pickle`` a file holding pickled objects (every baseline file) is a one-line
    :class:`PickleNotAllowed` naming the file and the flag; nothing in it is unpickled."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=allow_pickle) as data:
            corpora = {k: data[k].item() for k in data.files if k.endswith("_corpus")}
    except ValueError as exc:
        if "allow_pickle" not in str(exc):
            raise
        root = _labels_root(path)
        raise PickleNotAllowed(
            f"{path}: holds pickled Python objects, and unpickling can run any code the file carries; "
            f"pass --allow-pickle (run config: allow_pickle: true) only if you trust it, or write the "
            f"pickle-free {LABELS_CSV} once with `merbench data convert {root} --allow-pickle`") from None
    return corpora


def write_label_csv(corpora: Mapping[str, Mapping[str, Mapping]], path: str | Path) -> Path:
    """Write ``corpora`` (as :func:`read_label_npz` returns) to the pickle-free CSV, keeping the order of
    corpora and of names (split order decides folds). Only ``emo`` and ``val`` are kept; a missing
    valence is an empty cell."""
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(LABELS_CSV_COLUMNS)
        for corpus, entries in corpora.items():
            if not isinstance(entries, Mapping):
                raise ValueError(f"{corpus}: expected a dict name -> {{'emo', 'val'}}, got {type(entries).__name__}")
            for name, entry in entries.items():
                val = entry.get("val")
                writer.writerow([corpus, str(name), "" if entry.get("emo") is None else str(entry.get("emo")),
                                 "" if val is None else repr(float(val))])
    os.replace(tmp, path)
    return path


def read_label_csv(path: str | Path) -> Corpora:
    """The corpora of a ``label-6way.csv`` written by :func:`write_label_csv`."""
    path = Path(path)
    corpora: Corpora = {}
    reader = csv.DictReader(io.StringIO(read_text(path, encoding="utf-8-sig"), newline=""))
    try:
        missing = [c for c in LABELS_CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)}; it has {', '.join(reader.fieldnames or []) or 'none'}")
        for row in reader:
            if any(row[c] is None for c in LABELS_CSV_COLUMNS):
                raise ValueError(f"{path}:{reader.line_num}: a row needs the {len(LABELS_CSV_COLUMNS)} cells {','.join(LABELS_CSV_COLUMNS)}")
            entry: dict = {"emo": row["emo"]}
            if row["val"].strip():
                try:
                    entry["val"] = float(row["val"])
                except ValueError:
                    raise ValueError(f"{path}:{reader.line_num}: field val: {row['val'][:40]!r} is not a number") from None
            corpus = corpora.setdefault(row["corpus"], {})
            if row["name"] in corpus:
                raise ValueError(f"{path}:{reader.line_num}: duplicate name {row['name']!r} in {row['corpus']}; "
                                 "keep one row per sample")
            corpus[row["name"]] = entry
    except csv.Error as exc:
        raise ValueError(f"{path}:{reader.line_num}: not a CSV label file ({exc})") from None
    return corpora


def convert_labels(root: str | Path, *, allow_pickle: bool = False) -> tuple[Path, dict[str, int]]:
    """Write ``ROOT/label-6way.csv`` from ``ROOT/label-6way.npz`` (``root`` may be the npz itself);
    returns its path and the number of samples per corpus. Unpickles only with ``allow_pickle``."""
    root = _labels_root(root)
    npz = root / LABELS_NPZ
    if not npz.is_file():
        raise FileNotFoundError(f"{npz}: no such file; pass a processed MER root (video/, audio/, {LABELS_NPZ})")
    corpora = read_label_npz(npz, allow_pickle=allow_pickle)
    bad = sorted(k for k, v in corpora.items() if not isinstance(v, dict))
    if bad or "train_corpus" not in corpora:
        raise ValueError(f"{npz}: not a MER {LABELS_NPZ} (corpora {', '.join(sorted(corpora)) or 'none'}; "
                         "expected train_corpus and test*_corpus dicts)")
    return write_label_csv(corpora, root / LABELS_CSV), {k: len(v) for k, v in corpora.items()}


class ProcessedDataset(TableDataset):
    """``root/video/<n>.mp4|avi``, ``audio/<n>.wav`` (16 kHz mono), ``openface_face/<n>/<n>.npy``,
    ``transcription-merge.csv`` (``name,chinese[,english]``) and the labels: ``label-6way.csv``
    (pickle-free, preferred) or ``label-6way.npz`` (read only with ``allow_pickle=True``).

    ``train_corpus`` becomes ``trainval``; ``test1_corpus``.. become ``test1``.. with no label (the
    file's labels there are dummies) and together the ``unlabeled`` split. Optional files add what
    the layout lacks: ``test_labels`` (``name,split,discrete[,valence]``), ``ov_labels``
    (``name,openset``) and ``subtitles_en`` (``name,english``).
    """

    name = "mer-processed"

    def __init__(self, root: str | Path, test_labels: str | Path | None = None, ov_labels: str | Path | None = None,
                 subtitles_en: str | Path | None = None, allow_pickle: bool = False) -> None:
        super().__init__(root)
        labels, corpora = self._load_corpora(allow_pickle)
        self.has_valence = any(v.get("val") not in (None, -10, -10.0) for v in corpora.get("train_corpus", {}).values())
        unlabeled: list[str] = []
        for key in sorted(corpora, key=lambda k: (k != "train_corpus", k)):
            split = "trainval" if key == "train_corpus" else key.removesuffix("_corpus")
            names = []
            for name, entry in corpora[key].items():
                name = str(name)
                if "/" in name or "\\" in name or name in ("", ".", ".."):  # media paths are built from names
                    self._problem("error", labels, f"sample name {name[:60]!r} is not a plain file name",
                                  "fix the row: a name is a clip's file stem, without '/', '\\' or '..'")
                    continue
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

    def _load_corpora(self, allow_pickle: bool) -> tuple[Path, Corpora]:
        """(the label file read, its corpora); ``label-6way.csv`` when present, else the npz."""
        csv_path, npz_path = self.root / LABELS_CSV, self.root / LABELS_NPZ
        if csv_path.is_file():
            try:
                corpora = read_label_csv(csv_path)
            except (ValueError, OSError, csv.Error) as exc:
                self._problem("error", csv_path, f"cannot read ({str(exc).removeprefix(f'{csv_path}: ')})",
                              f"re-write it with `merbench data convert {self.root} --allow-pickle`")
                return csv_path, {}
            if npz_path.is_file() and npz_path.stat().st_mtime > csv_path.stat().st_mtime:
                self._problem("warning", csv_path, f"{LABELS_NPZ} is newer than this pickle-free copy, which is the one read",
                              f"re-run `merbench data convert {self.root} --allow-pickle` if the npz changed")
        elif not npz_path.is_file():
            self._problem("error", npz_path, "file not found",
                          f"is {self.root} a processed MER root (video/, audio/, {LABELS_NPZ})?")
            return npz_path, {}
        else:
            try:
                corpora = read_label_npz(npz_path, allow_pickle=allow_pickle)
            except PickleNotAllowed:
                raise
            except Exception as exc:  # any unpickling/zip failure means the same thing to the user
                self._problem("error", npz_path, f"cannot read ({type(exc).__name__}: {exc})",
                              f"re-create {LABELS_NPZ} from the label CSVs")
                return npz_path, {}
        source = csv_path if csv_path.is_file() else npz_path
        if "train_corpus" not in corpora:
            self._problem("error", source, f"no train_corpus; it has {', '.join(corpora) or 'none'}",
                          f"add the labelled training samples as corpus train_corpus")
        return source, {k: v for k, v in corpora.items() if isinstance(v, dict)}

    def _attach_media(self) -> None:
        videos = index_videos(self.root / "video")
        audio_dir, face_dir, video_dir = self.root / "audio", self.root / "openface_face", self.root / "video"
        if not any(d.is_dir() for d in (audio_dir, face_dir, video_dir)) and (self.root / "features").is_dir():
            self.features_only = True
            self._problem("warning", self.root, "no media: only imported features can be used; extraction will fail",
                          "`merbench cache import ROOT/features/<FEAT> --dataset ROOT`, then "
                          "`--encoder MODALITY=import:<FEAT>`; add video/ or audio/ to extract")
        for name in self._samples:
            fields = {}
            if video_dir.is_dir():
                fields["video"] = videos.get(name, video_dir / f"{name}.mp4")
            if audio_dir.is_dir():
                fields["audio"] = audio_dir / f"{name}.wav"
            if face_dir.is_dir():
                fields["faces"] = face_dir / name / f"{name}.npy"
            self._update(name, **fields)
