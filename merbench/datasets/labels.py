"""Class names: every spelling the MER releases and papers use, normalised to :data:`merbench.EMOTIONS`."""

from __future__ import annotations

import math

from merbench import EMOTIONS

ALIASES = {
    "neutral": "neutral", "neutrality": "neutral", "calm": "neutral", "neu": "neutral",
    "angry": "angry", "anger": "angry", "ang": "angry",
    "happy": "happy", "happiness": "happy", "joy": "happy", "hap": "happy",
    "sad": "sad", "sadness": "sad",
    "worried": "worried", "worry": "worried", "anxious": "worried", "wor": "worried",
    "surprise": "surprise", "surprised": "surprise", "sur": "surprise",
}

#: Valence value the MER label files use for "no valence".
NO_VALENCE = -10.0


def normalise_emotion(label: object) -> str:
    """The canonical class of ``label`` (case and the aliases above ignored), or ``ValueError``."""
    key = str(label).strip().lower()
    if key in ALIASES:
        return ALIASES[key]
    raise ValueError(f"unknown emotion {label!r}; expected one of {', '.join(EMOTIONS)} (or an alias such as anger, worry, surprised)")


def parse_valence(value: object) -> float | None:
    """A valence in [-5, 5]; ``None`` for blanks, NaN and the files' -10 marker; ``ValueError`` otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"valence {_short(value)} is not a number") from None
    if math.isnan(v) or v == NO_VALENCE:
        return None
    if not -5.0 <= v <= 5.0:
        raise ValueError(f"valence {v} is outside [-5, 5]")
    return v


def _short(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_label_list(text: str) -> tuple[str, ...]:
    """Open-vocabulary labels from a CSV cell: ``"a, b"`` or a Python/JSON list literal; lower-cased."""
    import ast

    text = str(text or "").strip()
    if text.startswith("["):
        try:
            items = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            items = text.strip("[]").split(",")
        if not isinstance(items, (list, tuple, set)):
            items = [items]
    else:
        items = text.replace("，", ",").split(",")
    return tuple(dict.fromkeys(str(x).strip().strip("'\"").lower() for x in items if str(x).strip().strip("'\"")))
