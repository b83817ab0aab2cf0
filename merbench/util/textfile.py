"""One way to read a text data file: a one-line ``error`` naming the file instead of a ``UnicodeDecodeError``."""

from __future__ import annotations

from pathlib import Path

#: what a JSON/YAML parser raises, besides its own error, on input nested deeper than the stack allows
TOO_DEEP = (RecursionError, MemoryError)


def read_text(path: str | Path, error: type[Exception] = ValueError, *, encoding: str = "utf-8") -> str:
    """The text of ``path``; bytes that are not ``encoding`` are ``error("<path>: not UTF-8 text (byte N)...")``."""
    file = Path(path)
    try:
        return file.read_text(encoding=encoding)
    except UnicodeDecodeError as exc:
        raise error(f"{file}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None


def json_problem(exc: BaseException) -> str:
    """The short reason of a failed ``json.loads``: its message, that the input nests too deeply, or
    the first clause of another ``ValueError`` (a number over Python's int digit limit)."""
    if isinstance(exc, TOO_DEEP):
        return "nested too deeply"
    return getattr(exc, "msg", None) or str(exc).split(":")[0]
