"""The feature-cache key: sha256 of canonical JSON over everything that changes the features.

Encoder name, the version of the distribution that ships it, its implementation version and its
fingerprint (checkpoint, resolved revision, options); the dataset's media hash
(:meth:`~merbench.contracts.dataset.Dataset.media_hash`: reader, clip names, subtitles and media
files); and the corruption (steps, parameters and seed, or null). Labels and splits are
deliberately *not* part of the key: they never change a feature, so adding published test labels
or fixing a label reuses every cache, and one file per dataset lets overlapping splits (MER-SEMI
and MER-NOISE are subsets of the unlabeled pool) share features instead of extracting them twice.
Records still name the full manifest hash, labels included.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

#: bump when the HDF5 layout changes; part of every key
SCHEMA_VERSION = 1


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def cache_key(encoder: dict[str, Any], media_hash: str, corruption: dict | None) -> dict[str, Any]:
    """The key document stored in every cache file's root attributes."""
    return {
        "schema": SCHEMA_VERSION,
        "encoder": encoder,
        "dataset": {"media_hash": media_hash},
        "corruption": corruption,
    }


def key_digest(key: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(key).encode()).hexdigest()
