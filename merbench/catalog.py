"""``registry.yaml``: the curated catalog of encoder model cards and known community plugins.

The catalog documents components; it is never the load path (that is the plugin registry,
:mod:`merbench.plugins`). ``merbench encoders`` prints it, and a test keeps the two in agreement.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

CATALOG_PATH = Path(__file__).with_name("registry.yaml")
SCHEMA_PATH = Path(__file__).with_name("registry.schema.json")


class CatalogError(ValueError):
    """registry.yaml does not match its schema; the message names the entry and field."""


def load_catalog(path: str | Path = CATALOG_PATH) -> dict[str, Any]:
    """Read and validate the catalog."""
    import jsonschema

    from merbench.util.schema import first_error
    from merbench.util.yamlfile import read_yaml

    p = Path(path)
    data = read_yaml(p, CatalogError, what="catalog")
    problem = first_error(jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))), data)
    if problem:
        raise CatalogError(f"{p}: {problem}")
    names = [e["name"] for e in data["encoders"]]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise CatalogError(f"{p}: encoder names listed twice: {', '.join(duplicates)}")
    return data


@lru_cache(maxsize=1)
def catalog() -> dict[str, Any]:
    return load_catalog()


def encoder_cards(modality: str | None = None) -> list[dict[str, Any]]:
    return [e for e in catalog()["encoders"] if modality in (None, e["modality"])]
