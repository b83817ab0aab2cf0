"""The one reading of a ``--device`` value: ``auto`` is cuda when a GPU is usable, else cpu."""

from __future__ import annotations

import glob
import re
import sys

_DEVICE = re.compile(r"cpu|cuda(:\d+)?|mps")


def resolve_device(device: str = "auto") -> str:
    """``"auto"`` -> ``"cuda"`` or ``"cpu"``; ``cpu``, ``cuda``, ``cuda:N`` or ``mps`` as given; else a
    one-line ValueError. Without an NVIDIA device node ``auto`` answers cpu without importing torch."""
    if device != "auto":
        if not _DEVICE.fullmatch(str(device)):
            raise ValueError(f"device {device!r}: expected auto, cpu, cuda, cuda:N or mps")
        return device
    if "torch" not in sys.modules and not glob.glob("/dev/nvidia[0-9]*"):
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
