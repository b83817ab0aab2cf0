"""Reading a result set: one record file, or every ``*.json`` under a folder, recursively (a run's
``--out`` with its ``ov/``, a bench result set with a folder per cell, the store's ``imported/<name>/``).

The one loader of ``results compare``, ``results export``, ``report`` and the store's import. A JSON
file under the folder that does not claim to be a record (:func:`~merbench.results.record.claims_record`:
``demo.json``, a manifest) is listed in :attr:`RecordSet.ignored`. A file that is not valid JSON, or a
record that breaks the schema, is a :class:`~merbench.results.record.RecordError` naming the file, or,
with ``skip_invalid``, listed with why in :attr:`RecordSet.invalid` (the store's import names and skips them).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from merbench.results.record import NotARecordError, RecordError, parse_record, read_bytes


@dataclass(frozen=True)
class Loaded:
    """A record read from a result set: its file, its cell (its folder relative to the set; ``""`` at the
    top or for a single file), its content and the sha256 of its bytes."""

    path: Path
    cell: str
    record: dict[str, Any]
    sha256: str

    @property
    def name(self) -> str:
        return str(self.record.get("name") or self.record["track"])

    @property
    def key(self) -> tuple[str, str, str]:
        """``(cell, track, name)``: how ``results compare`` pairs records."""
        return self.cell, str(self.record["track"]), self.name

    @property
    def rel(self) -> str:
        """Its path within the set without ``.json`` (``ov/ov-smollm-openset``): unique within the set."""
        return f"{self.cell}/{self.path.stem}" if self.cell else self.path.stem


@dataclass
class RecordSet:
    """The records found under one source, and the JSON files there that are not (valid) records."""

    source: Path
    records: list[Loaded] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)  # JSON that does not claim to be a record
    invalid: list[tuple[Path, str]] = field(default_factory=list)  # (file, why), with skip_invalid only


def json_files(folder: Path) -> list[Path]:
    """Every ``*.json`` file under ``folder``, recursively, sorted."""
    return sorted(p for p in folder.rglob("*.json") if p.is_file())


def load_file(path: str | Path, cell: str = "") -> Loaded:
    """The record at ``path`` (:func:`~merbench.results.record.parse_record`'s errors, naming the file)."""
    p = Path(path)
    blob = read_bytes(p)
    return Loaded(p, cell, parse_record(p, blob), hashlib.sha256(blob).hexdigest())


def load_records(source: str | Path, *, skip_invalid: bool = False, allow_empty: bool = False) -> RecordSet:
    """The records at ``source``: a record file (which must be one), or a folder searched recursively
    (see the module docstring). No record at all is an error unless ``allow_empty``."""
    root = Path(source).expanduser()
    if not root.exists():
        raise RecordError(f"{root}: no such record file or folder; pass a record .json or a folder of records")
    single = root.is_file()
    found = RecordSet(root)
    for path in [root] if single else json_files(root):
        cell = "" if single or path.parent == root else path.parent.relative_to(root).as_posix()
        try:
            found.records.append(load_file(path, cell))
        except NotARecordError:
            if single:
                raise
            found.ignored.append(path)
        except RecordError as exc:
            if not skip_invalid:
                raise
            found.invalid.append((path, str(exc).removeprefix(f"{path}: ")))
    if not found.records and not allow_empty:
        raise RecordError(f"{root}: no result records found (*.json, searched recursively); give a record file or "
                          "a folder of records (a run's --out)")
    return found
