"""The one ``key=value`` grammar of the command line (``--param``, ``--encoder-param``, corruption steps).

A value is JSON when it parses as JSON (numbers, ``true``, ``null``, lists, quoted strings), else
YAML (``[a, b]``, ``{k: v}``), else the plain string; so ``lr=1e-3`` is a float, ``snr=[5,10]`` a
list and ``checkpoint=/models/hubert`` a path string.
"""

from __future__ import annotations

import json
from typing import Any, Iterable


def parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # not JSON, too deep, or a number over the int digit limit
        pass
    import yaml

    try:
        value = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError, RecursionError):  # as above
        return text
    return text if value is None and text.strip() else value


def parse_pairs(pairs: Iterable[str], *, example: str = "key=value") -> dict[str, Any]:
    """``["a=1", "b=x"]`` -> ``{"a": 1, "b": "x"}``; a pair without ``=`` or key is a one-line ValueError."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{pair!r}: expected key=value, e.g. {example}")
        params[key.strip()] = parse_value(value)
    return params
