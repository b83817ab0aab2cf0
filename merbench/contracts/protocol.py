"""Protocol contract: a named, versioned preset of run-config fields (YAML validated by ``protocol.schema.json``).

A protocol only sets defaults: the run config file and the command line override any field, and
the run prints (and records) every field whose value departs from the protocol's. ``tracks`` is
the protocol's default track list; a protocol without one takes the tracks of the dataset's own
protocol (``Dataset.protocol``). ``settings`` may hold any run-config field, checked by the run
schema when a run uses the protocol.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from merbench.util.yamlfile import read_yaml
from typing import Any, Mapping

SCHEMA_PATH = Path(__file__).with_name("protocol.schema.json")


class ProtocolError(ValueError):
    """A protocol file does not match the schema; the message names the file."""


@dataclass(frozen=True)
class Protocol:
    name: str
    title: str
    version: int
    settings: Mapping[str, Any] = field(default_factory=dict)
    tracks: tuple[str, ...] | None = None
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "version": self.version,
                "tracks": list(self.tracks) if self.tracks else None, "settings": json.loads(json.dumps(self.settings))}


def load_protocol(path: str | Path) -> Protocol:
    """The protocol defined by the YAML file at ``path`` (the factory of every YAML-declared protocol)."""
    import jsonschema

    from merbench.util.schema import first_error

    file = Path(path)
    data = read_yaml(file, ProtocolError, what="protocol file")
    problem = first_error(jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))), data)
    if problem:
        raise ProtocolError(f"{file}: {problem}")
    tracks = tuple(data["tracks"]) if data.get("tracks") else None
    return Protocol(data["name"], data["title"], data["version"], dict(data["settings"]), tracks, str(file))
