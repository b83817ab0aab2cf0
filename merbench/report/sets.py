"""A result set of the report: the records of a record file or a folder (:mod:`merbench.results.sets`),
with a name, and the predictions written beside each record (checked against the hash it keeps)."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from merbench.results.sets import Loaded

log = logging.getLogger(__name__)


class ReportError(ValueError):
    """A result set cannot be reported; the message names the file and the fix."""


@dataclass
class ResultSet:
    name: str
    source: str  # the file or folder
    records: list[Loaded]  # ``rel`` (the path under the folder) is each record's key on its page


def load_set(source: str | Path, name: str | None = None) -> ResultSet:
    """The records at ``source`` (a record file or a folder, searched recursively: MER-OV writes into ``ov/``);
    JSON files there that are no record are named in a warning and left out; a corrupt or invalid
    record, or none at all, is a :class:`ReportError` naming the file."""
    from merbench.results.record import RecordError
    from merbench.results.sets import load_records

    try:
        found = load_records(source)
    except RecordError as exc:
        raise ReportError(str(exc)) from None
    for path in found.ignored:
        log.warning("%s: not a result record (no track and scores), left out of the report", path)
    root = found.source
    return ResultSet(name or (root.resolve().name if root.is_dir() else root.stem), str(root), found.records)


def predictions(loaded: Loaded) -> list[dict[str, Any]]:
    """The prediction rows written beside the record, checked against the hash the record keeps."""
    ref = loaded.record.get("predictions")
    if not ref:
        return []
    path = loaded.path.parent / ref["path"]
    if not path.is_file():
        raise ReportError(f"{loaded.path}: its predictions {path.name} are missing; copy them beside the record or "
                          "re-run the track that wrote it")
    blob = path.read_bytes()
    if hashlib.sha256(blob).hexdigest() != ref["sha256"]:
        raise ReportError(f"{path}: does not match the sha256 its record {loaded.path.name} keeps (edited after the "
                          "run?); re-run the track that wrote it")
    return [json.loads(line) for line in blob.decode("utf-8").splitlines() if line.strip()]


def slug(text: str) -> str:
    """A file- and anchor-safe name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "x"
