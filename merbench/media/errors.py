"""The one error type of media I/O."""

from __future__ import annotations

from pathlib import Path

#: the fix of a media file that FFmpeg cannot decode to its end
CORRUPT_FIX = "the file is corrupt or truncated: re-download it or re-encode it with ffmpeg"


class MediaError(ValueError):
    """A clip that cannot be read. ``str()`` is one line: ``"<path>: <what went wrong>; <how to fix>"``."""

    def __init__(self, path: str | Path, problem: str, fix: str) -> None:
        self.path = str(path)
        self.problem = " ".join(str(problem).split())
        self.fix = " ".join(str(fix).split())
        super().__init__(f"{self.path}: {self.problem}; {self.fix}")


def require_file(path: str | Path) -> Path:
    """``path`` as a Path, or a :class:`MediaError` when it is missing or empty."""
    p = Path(path)
    if not p.is_file():
        raise MediaError(p, "file not found", "check the dataset root, or re-run `merbench data check` to list missing media")
    if p.stat().st_size == 0:
        raise MediaError(p, "file is empty (0 bytes)", "re-copy or re-download the file")
    return p
