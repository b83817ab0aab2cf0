"""Parse the open-vocabulary labels out of what an LLM actually wrote.

Real outputs come as Python or JSON lists, bare comma lists, numbered lines, with Chinese
punctuation, curly quotes, code fences, duplicates, or nothing at all. Apostrophes inside a label
("don't believe") must survive, so a list that is not valid Python is split on separators and only
the quotes at each item's edges are removed.
"""

from __future__ import annotations

import ast
import json
import re

#: full-width and typographic characters folded to ASCII before parsing
_FOLD = str.maketrans({
    "，": ",", "、": ",", "；": ",", ";": ",", "：": ":", "【": "[", "】": "]", "［": "[", "］": "]",
    "（": "(", "）": ")", "“": '"', "”": '"', "‘": "'", "’": "'", "「": '"', "」": '"', "。": ".",
})
_FENCE = re.compile(r"```[a-zA-Z]*")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*")
_PAREN = re.compile(r"\(([^()]*)\)")
_AND = re.compile(r"\s+(?:and|or|&)\s+")
_EDGE = " \t\r\n\"'`.!?*()[]{}<>"
#: starts of phrases that name who feels, not what is felt ("the speaker's emotional state")
_SUBJECTS = ("the ", "he ", "she ", "they ", "i ", "we ", "speaker", "character")
#: quantifying lead-ins around a label: "a mix of sadness", "a hint of relief", "a sense of loss"
_HEDGE = re.compile(r"^(?:(?:a|an|some)\s+)?(?:(?:mix|hint|sense|feeling|touch|bit|degree|state|lot|little)\s+of\s+)+")
#: connective words a split can leave at a label's edges: "including guilt", "but also pride",
#: "emotion of loneliness", "anger and", "fear of" (the label is what remains)
_LEADING = re.compile(r"^(?:(?:including|but also|also|but|and|or|emotions?\s+of|feelings?\s+of)\s+)+")
_TRAILING = re.compile(r"(?:\s+(?:and|or|of|but|with|to))+$")
_STOPWORDS = {"the", "and", "or", "it", "this", "that", "some", "mix", "emotions", "emotion", "feelings", "including"}
#: answers meaning "no label"
_NONE = {"", "none", "n/a", "na", "null", "empty", "unknown", "no emotion", "no emotions", "nothing"}


def _top_level_lists(text: str) -> list[str]:
    """The outermost ``[...]`` segments of ``text``, in order (nested lists stay inside their parent)."""
    segments, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "[":
            if depth == 0:
                start = i
            depth += 1
        elif char == "]" and depth:
            depth -= 1
            if depth == 0:
                segments.append(text[start:i + 1])
    return segments


def _items_from_literal(segment: str) -> list | None:
    for loads in (ast.literal_eval, json.loads):
        try:
            value = loads(segment)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        if isinstance(value, (list, tuple, set)):
            return list(value)
        if isinstance(value, str):
            return [value]
    return None


def _flatten(items: list) -> list[str]:
    out: list[str] = []
    for item in items:
        if isinstance(item, (list, tuple, set)):
            out.extend(_flatten(list(item)))
        elif item is not None:
            out.append(str(item))
    return out


def _line_labels(line: str) -> str:
    """The label part of one answer line: after a short "who:" heading, or inside "who (labels)"."""
    line = _BULLET.sub("", line).strip()
    head, colon, tail = line.partition(":")
    if colon and len(head.split()) <= 8:
        line = tail
    inside = [chunk for chunk in _PAREN.findall(line) if re.search(r"[^\W\d_]", chunk)]
    return ", ".join(inside) if inside else _PAREN.sub("", line)


def _split_bare(text: str) -> list[str]:
    parts: list[str] = []
    for line in text.splitlines():
        for piece in _line_labels(line).split(","):
            parts.extend(_AND.split(piece))
    return parts


def _clean(label: str, max_words: int) -> str | None:
    label = _BULLET.sub("", label).strip(_EDGE).strip().lower()
    label = _HEDGE.sub("", re.sub(r"\s+", " ", label)).strip(_EDGE)
    label = _TRAILING.sub("", _LEADING.sub("", label)).strip(_EDGE)
    if label in _NONE or label in _STOPWORDS or len(label.split(" ")) > max_words or label.startswith(_SUBJECTS) or len(label) < 3 and label.isascii():
        return None
    return label


def parse_labels(text: str | None, *, max_words: int = 4) -> list[str]:
    """Labels in ``text``, lower-cased, de-duplicated in first-seen order; ``[]`` when there are none.

    The last bracketed list in the text wins (models often explain first and answer last);
    without brackets each line is a comma separated list, read after a short "who:" heading or
    inside "who (labels)" parentheses.
    Items longer than ``max_words`` words are prose, not labels, and are dropped.
    """
    if not text:
        return []
    text = _FENCE.sub("", text.translate(_FOLD)).strip()
    lists = _top_level_lists(text)
    if lists:
        segment = lists[-1]
        literal = _items_from_literal(segment)
        raw = _flatten(literal) if literal is not None else _split_bare(segment.replace("[", ",").replace("]", ","))
        if literal is not None:  # a literal item may still be "happy, sad" or "happy and sad"
            raw = [part for item in raw for part in _split_bare(item)]
    else:
        raw = _split_bare(text)
    labels: list[str] = []
    for item in raw:
        label = _clean(item, max_words)
        if label and label not in labels:
            labels.append(label)
    return labels


def parse_groups(text: str | None) -> list[list[str]]:
    """A list of synonym groups (a Python/JSON list of lists) from an LLM answer or a stored string.

    Labels are lower-cased; an unreadable answer gives ``[]`` so the caller can report the sample.
    """
    if not text:
        return []
    text = _FENCE.sub("", text.translate(_FOLD)).strip()
    match = re.search(r"\[\s*\[.*\]\s*\]", text, flags=re.S)
    if match is None:
        return []
    value = _items_from_literal(match.group(0))
    if value is None:  # e.g. unquoted words: [[happy, joyful], [sad]]
        inner = re.findall(r"\[([^\[\]]*)\]", match.group(0))
        value = [_split_bare(chunk) for chunk in inner]
    groups: list[list[str]] = []
    for group in value:
        members = group if isinstance(group, (list, tuple, set)) else [group]
        cleaned = [c for c in (_clean(str(m), max_words=8) for m in members) if c]
        if cleaned:
            groups.append(list(dict.fromkeys(cleaned)))
    return groups
