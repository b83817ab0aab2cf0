"""One way to turn a JSON-schema failure into a one-line message naming the field."""

from __future__ import annotations

from typing import Any


def first_error(validator: Any, instance: Any) -> str | None:
    """``"field a/b: <message>"`` for the first error (in path order) of ``validator`` on ``instance``, or None."""
    error = next(iter(sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.path])), None)
    if error is None:
        return None
    where = "/".join(str(p) for p in error.path) or "(root)"
    return _one_line(f"field {where}: {error.message}{_did_you_mean(error)}")


def _one_line(text: str) -> str:
    """Control characters (a field name may hold a newline) written as escapes, so the message stays one line."""
    return "".join(repr(c)[1:-1] if c < " " else c for c in text)


def _did_you_mean(error: Any) -> str:
    """For an unexpected field: " (did you mean 'epochs'?)" when a declared field is close to it."""
    from merbench.util.names import did_you_mean

    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return ""
    known = list((error.schema or {}).get("properties", {}))
    for key in error.instance:
        if key not in known:
            hint = did_you_mean(key, known)
            if hint:
                return hint
    return ""
