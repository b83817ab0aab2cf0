"""One way to read a YAML data file: a one-line error naming the file (and line) instead of a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def read_yaml(path: str | Path, error: type[Exception] = ValueError, *, what: str = "file") -> Any:
    """The parsed content of ``path``; ``error`` names the file, and the line of a YAML syntax error."""
    import yaml

    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{file}: no such {what}") from None
    except UnicodeDecodeError as exc:
        raise error(f"{file}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise error(f"{file}{line}: not valid YAML ({getattr(exc, 'problem', None) or str(exc).splitlines()[0]})") from None
    except (RecursionError, MemoryError):
        raise error(f"{file}: not valid YAML (nested too deeply)") from None
    except ValueError as exc:  # a value PyYAML's constructors reject, e.g. an int over Python's digit limit
        raise error(f"{file}: not valid YAML ({str(exc).split(':')[0]})") from None
