"""The shared shape of every reader: samples and splits parsed once from label files into tables."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Iterable, Mapping

from merbench.contracts.dataset import Dataset, Problem, Sample
from merbench.datasets.labels import normalise_emotion, parse_label_list, parse_valence
from merbench.util.textfile import TOO_DEEP, json_problem, read_text

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".webm")


class TableDataset(Dataset):
    """A dataset whose readers fill :attr:`_samples` and :attr:`_splits` in ``__init__``.

    Parsing never stops at a bad row: the row is skipped and a :class:`Problem` recorded, which
    ``merbench data check`` prints. Readers call :meth:`_add` per sample and :meth:`_split` per split.
    """

    def __init__(self, root: str | Path) -> None:
        super().__init__(root)
        self._samples: dict[str, Sample] = {}
        self._splits: dict[str, list[str]] = {}
        self._problems: list[Problem] = []
        self._resources: dict[str, Path] = {}

    # -- the Dataset contract --------------------------------------------------------------------
    def splits(self) -> Mapping[str, list[str]]:
        return self._splits

    def sample(self, name: str) -> Sample:
        try:
            return self._samples[name]
        except KeyError:
            raise KeyError(f"{self.root}: no sample {name!r} in the {self.name} label files") from None

    def resources(self) -> Mapping[str, Path]:
        return dict(self._resources)

    def check(self, deep: bool = False) -> list[Problem]:
        """Problems found while parsing, then per-sample media and subtitle problems."""
        from merbench.datasets.check import check_samples

        return list(self._problems) + check_samples(self, deep=deep, allow_no_media=self.features_only)

    #: True for a layout with features (``features/``) and labels but no media at all: usable with
    #: imported features only; the reader says so once instead of one error per sample
    features_only = False

    # -- helpers for readers ---------------------------------------------------------------------
    def _problem(self, severity: str, path: str | Path, message: str, fix: str) -> None:
        self._problems.append(Problem(severity, str(path), message, fix))

    def _add(self, sample: Sample, source: str | Path) -> None:
        if sample.name in self._samples:
            self._problem("warning", source, f"duplicate name {sample.name!r}; the first row is kept",
                          "remove the duplicate row")
            return
        self._samples[sample.name] = sample

    def _update(self, name: str, **fields) -> None:
        from dataclasses import replace

        self._samples[name] = replace(self._samples[name], **fields)

    def _split(self, split: str, names: Iterable[str]) -> None:
        self._splits[split] = list(dict.fromkeys(names))

    def _label(self, raw: object, name: str, source: Path) -> str | None:
        try:
            return normalise_emotion(raw)
        except ValueError as exc:
            self._problem("error", source, f"sample {name}: {exc}", "fix the label, or drop the row")
            return None

    def _valence(self, raw: object, name: str, source: Path) -> float | None:
        try:
            return parse_valence(raw)
        except ValueError as exc:
            self._problem("error", source, f"sample {name}: {exc}", "fix the valence, or set it to -10 (no valence)")
            return None

    def _read_rows(self, path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
        """Rows of a CSV as dicts; a missing file or column is recorded as a problem and gives no rows."""
        if not path.is_file():
            self._problem("error", path, "file not found", f"is {self.root} the {self.name} root?")
            return []
        try:
            text = read_text(path, encoding="utf-8-sig")
        except ValueError as exc:
            self._problem("error", path, str(exc).removeprefix(f"{path}: "), "save the file as UTF-8")
            return []
        reader = csv.DictReader(io.StringIO(text, newline=""))
        try:
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in required if c not in header]
            if missing:
                self._problem("error", path, f"missing column(s) {', '.join(missing)}; it has {', '.join(header) or 'none'}",
                              "use the release's original file, or rename the columns")
                return []
            rows = []
            for row in reader:
                extra = row.pop(None, None)  # cells beyond the header
                if extra:
                    self._problem("warning", f"{path}:{reader.line_num}", f"{len(extra)} cell(s) beyond the header ignored",
                                  "quote cells that hold commas")
                rows.append({(k or "").strip(): (v or "").strip() for k, v in row.items()})
            return rows
        except csv.Error as exc:
            self._problem("error", f"{path}:{reader.line_num}", f"not a CSV file ({exc})", "use the release's original file")
            return []

    def _read_labels(self, path: Path, split: str, name_column: str = "name", label_column: str = "discrete",
                     valence_column: str = "valence") -> list[str]:
        """Labeled rows of ``path`` into samples (media filled by the reader later); returns their names."""
        names = []
        for row in self._read_rows(path, (name_column, label_column)):
            name = row[name_column]
            if not name:
                continue
            label = self._label(row[label_column], name, path)
            valence = self._valence(row.get(valence_column), name, path) if valence_column in row else None
            if label is None:
                continue
            self._add(Sample(name, label=label, valence=valence), path)
            names.append(name)
        return names

    def _read_release_text(self, transcripts: Path, subtitles_en: str | Path | None, test_labels: str | Path | None,
                           ov_labels: str | Path | None) -> None:
        """The checked ``name,chinese[,english]`` transcripts of a release, then the optional extra files
        a user passes for what the release lacks (English subtitles, hidden test labels, OV labels)."""
        if transcripts.is_file():
            self._read_subtitles(transcripts, {"chinese": "subtitle", "english": "subtitle_en"})
        else:
            self._problem("warning", transcripts, "no subtitles", "add the file, or fill it with `merbench transcribe`")
        if subtitles_en:
            self._read_subtitles(Path(subtitles_en), {"english": "subtitle_en"})
        if test_labels:
            self._read_test_labels(Path(test_labels))
        if ov_labels:
            self._read_ov_labels(Path(ov_labels))

    def _read_test_labels(self, path: Path, default_split: str | None = None) -> None:
        """``name,split,discrete[,valence]`` labels of hidden test subsets (published after a challenge);
        a reader with ``default_split`` also takes files without the ``split`` column (MER2025's
        ``name,discrete``), whose rows all belong to that split."""
        by_split: dict[str, list[str]] = {}
        rows = self._read_rows(path, ("name", "discrete") if default_split else ("name", "split", "discrete"))
        for row in rows:
            name = row["name"]
            if name not in self._samples:
                self._problem("error", path, f"unknown name {name!r}", "the test labels belong to another dataset or release")
                continue
            label = self._label(row["discrete"], name, path)
            if label is None:
                continue
            self._update(name, label=label, valence=self._valence(row.get("valence"), name, path))
            by_split.setdefault(row.get("split") or default_split, []).append(name)
        for split, names in by_split.items():
            self._split(split, names)

    def _read_ov_labels(self, path: Path, split: str = "ov") -> None:
        """Open-vocabulary label lists (challenge CSV ``name,openset``)."""
        names = []
        for row in self._read_rows(path, ("name", "openset")):
            name = row["name"]
            if name not in self._samples:
                self._problem("error", path, f"unknown name {name!r}", "the OV labels belong to another dataset or release")
                continue
            labels = parse_label_list(row["openset"])
            if not labels:
                self._problem("warning", path, f"sample {name}: empty open-vocabulary label list", "add its labels or drop the row")
            self._update(name, ov_labels=labels)
            names.append(name)
        self._split(split, names)

    def _read_subtitles(self, path: Path, columns: Mapping[str, str]) -> None:
        """Fill subtitles from ``path``; ``columns`` maps CSV column -> Sample field (``subtitle``/``subtitle_en``).
        A row whose text is empty records an empty transcript ("")."""
        rows = self._read_rows(path, ("name",))
        present = [c for c in columns if rows and c in rows[0]]
        if rows and not present:
            self._problem("error", path, f"none of the columns {', '.join(columns)}", "use the release's original file")
        for row in rows:
            if row["name"] in self._samples:
                self._update(row["name"], **{columns[c]: row[c] for c in present})


def index_videos(folder: Path) -> dict[str, Path]:
    """Stem -> video file for every video in ``folder`` (empty when the folder is missing)."""
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.iterdir()) if p.suffix.lower() in VIDEO_SUFFIXES}

