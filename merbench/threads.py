"""CPU threading shared by the trainer and the extractor.

PyTorch's CPU kernels for small batched work (the stacked models' matmuls, a small encoder's
forward pass) gain little from intra-op threads, so both run one worker thread per core instead,
each with one intra-op thread.
"""

from __future__ import annotations

import contextlib
from typing import Iterator


def cpu_workers() -> int:
    """Worker threads for CPU work: torch's intra-op thread count (respects ``torch.set_num_threads``
    and ``OMP_NUM_THREADS``)."""
    import torch

    return torch.get_num_threads()


@contextlib.contextmanager
def one_torch_thread_per_worker() -> Iterator[None]:
    """Intra-op threads down to one while worker threads run (one core each), restored afterwards.

    The setting is process-wide: torch work elsewhere in the process runs single-threaded meanwhile.
    """
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
