"""Shared machinery of the built-in corruptions: validated parameters and per-clip random choices.

Every built-in declares its parameters as a JSON schema (:attr:`BaseCorruption.schema`), so a
corruption configured from YAML, JSON or the command line is checked the same way, with one-line
errors. A parameter that is "drawn per clip" (an SNR, a blur factor) accepts a fixed number, a
list to draw from uniformly, or ``{"low": a, "high": b}`` for a uniform real in [a, b].
"""

from __future__ import annotations

import abc
from typing import Any

import jsonschema
import numpy as np

from merbench.contracts.corruption import Corruption, Media

#: JSON schema of a parameter drawn per clip (see :func:`draw`).
DRAWN_NUMBER = {
    "oneOf": [
        {"type": "number"},
        {"type": "array", "items": {"type": "number"}, "minItems": 1},
        {
            "type": "object",
            "properties": {"low": {"type": "number"}, "high": {"type": "number"}},
            "required": ["low", "high"],
            "additionalProperties": False,
        },
    ]
}


class CorruptionParamError(ValueError):
    """A corruption was given parameters its schema rejects; the message is one line."""


def draw(rng: np.random.Generator, spec: Any) -> float | int:
    """One value from a drawn-parameter spec: a number, a list (uniform choice) or ``{low, high}``."""
    if isinstance(spec, dict):
        return float(rng.uniform(spec["low"], spec["high"]))
    if isinstance(spec, (list, tuple)):
        return spec[int(rng.integers(len(spec)))]
    return spec


def to_jsonable(value: Any) -> Any:
    """Plain Python types for the corruption log (numpy scalars and arrays included)."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


class BaseCorruption(Corruption):
    """A corruption whose parameters are validated against :attr:`schema` (with defaults filled in).

    Subclasses implement :meth:`corrupt`; :meth:`apply` merges per-call overrides first.
    """

    #: JSON schema of the parameters (an object schema; ``default`` values are filled in)
    schema: dict = {"type": "object", "properties": {}, "additionalProperties": False}

    def __init__(self, **params: Any) -> None:
        self._params = self._validated(params)

    def params(self) -> dict[str, Any]:
        return dict(self._params)

    def apply(self, media: Media, rng: np.random.Generator, **params: Any) -> tuple[Media, dict[str, Any]]:
        merged = self._validated({**self._params, **params}) if params else self._params
        corrupted, log = self.corrupt(media, rng, merged)
        return corrupted, to_jsonable(log)

    @abc.abstractmethod
    def corrupt(self, media: Media, rng: np.random.Generator, params: dict[str, Any]) -> tuple[Media, dict[str, Any]]:
        """Corrupt ``media`` with validated ``params``; return it and the log of every random choice."""

    def _validated(self, params: dict[str, Any]) -> dict[str, Any]:
        filled = {k: v["default"] for k, v in self.schema.get("properties", {}).items() if "default" in v}
        filled.update(to_jsonable(params))
        try:
            jsonschema.validate(filled, self.schema)
        except jsonschema.ValidationError as exc:
            where = ".".join(str(p) for p in exc.absolute_path) or "parameters"
            raise CorruptionParamError(
                f"corruption {self.name!r}: bad {where}: {exc.message}; see `merbench plugins list` for its parameters"
            ) from None
        self.check(filled)
        return filled

    def check(self, params: dict[str, Any]) -> None:
        """Checks a JSON schema cannot express; raise :class:`CorruptionParamError`."""
