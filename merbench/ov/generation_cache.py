"""SQLite cache of every (M)LLM generation, at :func:`merbench.paths.generations_db`.

The key is the sha256 of canonical JSON over the describer's fingerprint (model, revision and
decoding settings), the rendered prompt and a hash of the media the model consumes, so a re-run
with the same model, prompt, clip and settings is served from disk, and any change misses.
Results are committed after every batch: a killed run loses at most the batch in flight.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from merbench import paths
from merbench.contracts.describer import DescribeRequest, Describer

_SCHEMA = """
CREATE TABLE IF NOT EXISTS generations (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    revision TEXT,
    prompt TEXT NOT NULL,
    media_hash TEXT NOT NULL,
    settings TEXT NOT NULL,
    output TEXT NOT NULL,
    seconds REAL NOT NULL,
    created REAL NOT NULL
)
"""

_file_hashes: dict[tuple[str, int, int], str] = {}


def file_hash(path: Path) -> str:
    """sha256 of a file's bytes, memoised on (path, size, mtime) so big clips are read once per process."""
    stat = path.stat()
    memo = (str(path), stat.st_size, stat.st_mtime_ns)
    if memo not in _file_hashes:
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        _file_hashes[memo] = digest.hexdigest()
    return _file_hashes[memo]


def media_hash(request: DescribeRequest, inputs: Iterable[str]) -> str:
    """Hash of the media a model with ``inputs`` actually looks at; text-only models hash to ``"text"``."""
    parts = []
    for modality in ("audio", "video"):
        path = getattr(request, modality)
        if modality in inputs and path is not None:
            parts.append(f"{modality}:{file_hash(Path(path))}")
    return ";".join(parts) or "text"


def generation_key(fingerprint: dict[str, Any], prompt: str, media: str) -> str:
    blob = json.dumps({"describer": fingerprint, "prompt": prompt, "media": media}, sort_keys=True,
                      ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class GenerationCache:
    """A key -> generated text store; safe to share between processes (SQLite WAL)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else paths.generations_db()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(_SCHEMA)
            self._db.commit()
        except sqlite3.DatabaseError as exc:
            raise RuntimeError(
                f"{self.path}: generation cache unreadable ({exc}); move it away and re-run (generations are recomputed)"
            ) from None

    def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start:start + 500])
            marks = ",".join("?" * len(chunk))
            for key, output in self._db.execute(f"SELECT key, output FROM generations WHERE key IN ({marks})", chunk):
                found[key] = output
        return found

    def put_many(self, rows: Iterable[tuple[str, dict[str, Any], str, str, str, float]]) -> None:
        """rows of (key, fingerprint, prompt, media hash, output, seconds per generation)."""
        now = time.time()
        self._db.executemany(
            "INSERT OR REPLACE INTO generations VALUES (?,?,?,?,?,?,?,?,?)",
            [(key, str(fp.get("model", "")), fp.get("revision"), prompt, media, json.dumps(fp, sort_keys=True, default=str),
              output, seconds, now) for key, fp, prompt, media, output, seconds in rows],
        )
        self._db.commit()

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM generations").fetchone()[0]

    def close(self) -> None:
        self._db.close()


@dataclass
class GenerationStats:
    """What a cached generation pass did: cache hits, fresh generations and their wall time."""

    hits: int = 0
    generated: int = 0
    seconds: float = 0.0

    @property
    def clips_per_second(self) -> float | None:
        return self.generated / self.seconds if self.generated and self.seconds > 0 else None

    def as_dict(self) -> dict[str, Any]:
        return {"hits": self.hits, "generated": self.generated, "seconds": round(self.seconds, 3),
                "clips_per_second": self.clips_per_second}


def describe_cached(
    describer: Describer,
    requests: Sequence[DescribeRequest],
    *,
    cache: GenerationCache | None = None,
    batch_size: int = 16,
    on_batch: Callable[[int], None] | None = None,
) -> tuple[list[str], GenerationStats]:
    """``describer.describe(requests)`` through the cache: only missing generations run, in batches
    of ``batch_size``, each batch committed before the next starts. ``on_batch(n)`` reports progress."""
    cache = cache if cache is not None else GenerationCache()
    fingerprint = describer.fingerprint()
    inputs = tuple(getattr(describer, "inputs", ("text",)))
    media = [media_hash(r, inputs) for r in requests]
    keys = [generation_key(fingerprint, r.prompt, m) for r, m in zip(requests, media)]
    found = cache.get_many(keys)
    stats = GenerationStats(hits=sum(1 for k in keys if k in found))
    if on_batch and stats.hits:
        on_batch(stats.hits)
    todo = [i for i, key in enumerate(keys) if key not in found]
    # one generation per distinct key: duplicated prompts are generated once
    todo = list({keys[i]: i for i in reversed(todo)}.values())[::-1]
    for start in range(0, len(todo), batch_size):
        batch = todo[start:start + batch_size]
        began = time.perf_counter()
        texts = describer.describe([requests[i] for i in batch])
        elapsed = time.perf_counter() - began
        if len(texts) != len(batch):
            raise RuntimeError(f"describer {describer.name!r} returned {len(texts)} texts for {len(batch)} requests")
        cache.put_many((keys[i], fingerprint, requests[i].prompt, media[i], text, elapsed / len(batch))
                       for i, text in zip(batch, texts))
        found.update({keys[i]: text for i, text in zip(batch, texts)})
        stats.generated += len(batch)
        stats.seconds += elapsed
        if on_batch:
            on_batch(len(batch))
    return [found[key] for key in keys], stats
