"""A generic manifest (CSV or JSONL) for any other corpus: MELD, IEMOCAP, CMU-MOSEI, SIMS ..."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from merbench.contracts.dataset import Sample
from merbench.datasets.labels import parse_label_list
from merbench.datasets.table import TableDataset
from merbench.util.textfile import TOO_DEEP, json_problem, read_text

COLUMNS = ("name", "video", "audio", "faces", "subtitle", "subtitle_en", "label", "valence", "split", "ov_labels")
#: Separator of several splits in one ``split`` cell, e.g. ``trainval;ov``.
SPLIT_SEPARATOR = ";"


class ManifestDataset(TableDataset):
    """One row per sample with columns :data:`COLUMNS` (only ``name`` is required). Media paths are
    relative to the manifest's folder. A sample without ``split`` goes to ``trainval`` when labeled,
    else ``unlabeled``. ``ov_labels`` is a comma-separated list or a JSON list."""

    name = "manifest"

    def __init__(self, root: str | Path) -> None:
        path = Path(root).expanduser().resolve()
        super().__init__(path.parent)
        self.manifest_file = path
        rows = self._load(path)
        splits: dict[str, list[str]] = {}
        for line, row in rows:
            if not isinstance(row, dict):
                self._problem("error", f"{path}:{line}", f"a row must be a JSON object, got {type(row).__name__}",
                              "write one {\"name\": ...} object per line")
                continue
            source = f"{path}:{line}"
            name = str(row.get("name") or "").strip()
            if not name:
                self._problem("error", source, "row has no name", "give every row a unique name")
                continue
            unknown = set(row) - set(COLUMNS)
            if unknown:
                self._problem("warning", source, f"unknown column(s) {', '.join(sorted(unknown))} ignored", f"use {', '.join(COLUMNS)}")
            label = self._label(row["label"], name, source) if row.get("label") not in (None, "") else None
            if row.get("label") not in (None, "") and label is None:
                continue
            ov = row.get("ov_labels")
            try:
                media = {key: self._path(row.get(key)) for key in ("video", "audio", "faces")}
            except ValueError as exc:
                self._problem("error", source, f"sample {name}: {exc}", "fix the media path")
                continue
            sample = Sample(
                name, **media,
                subtitle=_text(row.get("subtitle")), subtitle_en=_text(row.get("subtitle_en")), label=label,
                valence=self._valence(row.get("valence"), name, source),
                ov_labels=(tuple(ov) if isinstance(ov, list) else parse_label_list(ov)) if ov else None,
            )
            before = len(self._samples)
            self._add(sample, source)
            if len(self._samples) == before:
                continue
            cell = str(row.get("split") or "").strip()
            names = [s.strip() for s in cell.split(SPLIT_SEPARATOR) if s.strip()] or ["trainval" if label else "unlabeled"]
            for split in names:
                splits.setdefault(split, []).append(name)
        for split, names in splits.items():
            self._split(split, names)
        self.has_valence = any(s.valence is not None for s in self._samples.values())

    def _load(self, path: Path) -> list[tuple[int, dict]]:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: manifest not found")
        if path.suffix.lower() == ".jsonl":
            rows = []
            for i, text in enumerate(read_text(path).splitlines(), start=1):
                if not text.strip():
                    continue
                try:
                    rows.append((i, json.loads(text)))
                except (ValueError, *TOO_DEEP) as exc:  # ValueError: also a number over the int digit limit
                    self._problem("error", f"{path}:{i}", f"invalid JSON ({json_problem(exc)})", "fix or remove the line")
            return rows
        reader = csv.DictReader(io.StringIO(read_text(path, encoding="utf-8-sig"), newline=""))
        try:
            return [(reader.line_num, {k.strip(): v for k, v in row.items() if k}) for row in reader]
        except csv.Error as exc:
            raise ValueError(f"{path}:{reader.line_num}: not a CSV manifest ({exc})") from None

    def _path(self, value: object) -> Path | None:
        if value in (None, ""):
            return None
        if "\x00" in str(value):
            raise ValueError(f"media path {str(value)[:40]!r} holds a NUL byte")
        p = Path(str(value)).expanduser()
        return p if p.is_absolute() else (self.root / p).resolve()


def _text(value: object) -> str | None:
    return None if value is None else str(value)
