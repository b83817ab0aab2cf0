"""A result set: the records found under one folder (a run's ``--out``), or a given list of records."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

log = logging.getLogger(__name__)


class ReportError(ValueError):
    """A result set cannot be reported; the message names the file and the fix."""


@dataclass
class RecordFile:
    """One record and where it was read from; ``key`` is unique within its set (its path under the folder)."""

    path: Path
    key: str
    record: dict[str, Any]
    _predictions: list[dict[str, Any]] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.record.get("name") or self.record["track"]

    def predictions(self) -> list[dict[str, Any]]:
        """The prediction rows written beside the record, checked against the hash the record keeps."""
        if self._predictions is None:
            ref = self.record.get("predictions")
            if not ref:
                self._predictions = []
                return self._predictions
            path = self.path.parent / ref["path"]
            if not path.is_file():
                raise ReportError(f"{self.path}: its predictions {path.name} are missing; copy them beside the "
                                  "record or re-run the track that wrote it")
            blob = path.read_bytes()
            if hashlib.sha256(blob).hexdigest() != ref["sha256"]:
                raise ReportError(f"{path}: does not match the sha256 its record {self.path.name} keeps (edited "
                                  "after the run?); re-run the track that wrote it")
            self._predictions = [json.loads(line) for line in blob.decode("utf-8").splitlines() if line.strip()]
        return self._predictions


@dataclass
class ResultSet:
    name: str
    source: str  # the folder, or "N records"
    records: list[RecordFile]


def _looks_like_record(data: Any) -> bool:
    return isinstance(data, dict) and "track" in data and "scores" in data


def read_record_file(path: Path, key: str) -> RecordFile | None:
    """The record at ``path`` (validated), or None for a JSON file that is no record (logged)."""
    from merbench.results.record import RecordError, validate

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: not valid JSON ({exc}); re-run the track that wrote it or move it out of "
                          "the result set") from None
    if not _looks_like_record(data):
        log.warning("%s: not a result record (no track and scores), left out of the report", path)
        return None
    try:
        validate(data)
    except RecordError as exc:
        raise ReportError(f"{path}: {exc}; re-run the track that wrote it or move it out of the result set") from None
    return RecordFile(path, key, data)


def load_folder(folder: str | Path, name: str | None = None) -> ResultSet:
    """Every record under ``folder`` (its subfolders too: the MER-OV track writes into ``ov/``)."""
    root = Path(folder)
    if not root.is_dir():
        raise ReportError(f"{root}: not a folder; give a folder of result records (a run's --out)")
    records = [r for p in sorted(root.rglob("*.json")) if p.is_file()
               for r in [read_record_file(p, p.relative_to(root).with_suffix("").as_posix())] if r is not None]
    if not records:
        raise ReportError(f"{root}: holds no result records (*.json); give a run's --out folder")
    return ResultSet(name or root.resolve().name, str(root), records)


def load_paths(paths: Iterable[str | Path], name: str) -> ResultSet:
    """A result set of the given record files (keys: their file names, made unique)."""
    records, seen = [], set()
    for p in map(Path, paths):
        key = p.stem
        while key in seen:
            key += "_"
        record = read_record_file(p, key)
        if record is None:
            raise ReportError(f"{p}: not a result record; give the records' .json files")
        seen.add(key)
        records.append(record)
    if not records:
        raise ReportError(f"result set {name!r} has no records")
    return ResultSet(name, f"{len(records)} records", records)


def slug(text: str) -> str:
    """A file- and anchor-safe name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "x"
