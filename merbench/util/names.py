"""The closest known name to a mistyped one, for "did you mean" hints in one-line errors."""

from __future__ import annotations

import difflib
from typing import Iterable


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The choice most like ``name`` (difflib's ratio of at least 0.6), or None."""
    close = difflib.get_close_matches(str(name), list(choices), n=1)
    return close[0] if close else None


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest choice to ``name``, or ``""`` when none is close."""
    match = closest(name, choices)
    return f" (did you mean {match!r}?)" if match else ""
