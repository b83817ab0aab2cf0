"""Why two result records differ: the leaves of their ``identity.parts`` (and dataset manifest hash) that differ.

Records of equal ``identity.hash`` were computed the same way (see
:func:`merbench.runner.records.identity`); for others, :func:`explain` names each differing leaf as
``config.epochs: 20 → 3`` or ``features.egemaps.trainval: <key1> → <key2>``. What they were computed
*with* (:func:`environment_lines`: merbench's commit, CPU, torch build and kernels, package versions) is not
identity, but can change the last digits of float results, so the commands show it beside.
"""

from __future__ import annotations

import json
from typing import Any, Iterator, Mapping

SAME = "same identity"
ABSENT = "(absent)"
_MISSING = object()
_WIDTH = 100


def _show(value: Any) -> str:
    if value is _MISSING:
        return ABSENT
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= _WIDTH else text[:_WIDTH - 1] + "…"


def _leaves(a: Any, b: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    """(dotted path, value in a, value in b) for every leaf where ``a`` and ``b`` differ."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in sorted(set(a) | set(b), key=str):
            yield from _leaves(a.get(key, _MISSING), b.get(key, _MISSING), f"{path}.{key}" if path else str(key))
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and a != b:
        for i, (x, y) in enumerate(zip(a, b)):
            yield from _leaves(x, y, f"{path}[{i}]")
    elif a != b:
        yield path, a, b


def _identity(record: Mapping[str, Any], which: str) -> Mapping[str, Any]:
    identity = record.get("identity")
    if not isinstance(identity, Mapping) or "parts" not in identity:
        raise ValueError(f"record {which} ({record.get('name', '?')}) has no identity; it was written by an older "
                         "merbench: re-run its track")
    return identity


def explain(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """One line per differing leaf of the two records' identity parts and dataset manifest hash
    (``path: value in a → value in b``), or ``["same identity"]`` when they were computed alike."""
    ia, ib = _identity(a, "A"), _identity(b, "B")
    ma = (a.get("dataset") or {}).get("manifest_hash", _MISSING)
    mb = (b.get("dataset") or {}).get("manifest_hash", _MISSING)
    lines = [f"{path}: {_show(x)} → {_show(y)}" for path, x, y in _leaves(ia["parts"], ib["parts"], "")]
    if ma != mb:
        lines.append(f"dataset.manifest_hash: {_show(ma)} → {_show(mb)}")
    if not lines and ia.get("hash") != ib.get("hash"):
        lines.append(f"identity.hash: {_show(ia.get('hash', _MISSING))} → {_show(ib.get('hash', _MISSING))} "
                     "(equal parts: one record was edited, or hashed by another merbench)")
    return lines or [SAME]


def environment_lines(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """One ``path: value in a → value in b`` line per leaf where what the records were computed with
    differs: merbench's commit (``merbench.git_sha``; the identity holds only its version) and the
    ``environment`` (``environment.torch.cpu_capability: AVX512 → AVX2``); empty when they match.
    Records of one identity computed with other code or on another machine may differ in the last
    digits (docs/determinism.md)."""
    def computed_with(record: Mapping[str, Any]) -> dict[str, Any]:
        return {"merbench": {"git_sha": (record.get("merbench") or {}).get("git_sha")},
                "environment": record.get("environment") or {}}

    return [f"{path}: {_show(x)} → {_show(y)}" for path, x, y in _leaves(computed_with(a), computed_with(b), "")]
