"""Import the baseline's feature folders (``features/<FEATDIR>/<name>.npy``) into the cache.

Each ``.npy`` holds ``(D,)`` (utterance level, FEATDIR ending ``UTT``) or ``(T, D)`` (frame level,
``FRA``). They are stored under the encoder name ``import:<FEATDIR>`` for this dataset, pooled as
one layer (the mean over T for frame-level arrays, whose frames are kept too), so
``load_features(dataset, "import:<FEATDIR>", names)`` gives back exactly what the folder holds.

Provenance: the import notes the folder it came from and a sha256 over the imported files (names
and bytes, sorted by name); :func:`merbench.cache.extract.resolve` puts both into the encoder
identity (its ``fingerprint``), so the cache key, and every record made from the features, name
them, and a re-import of other content is another key.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from merbench.cache.extract import IMPORT_PREFIX, resolve, resolve_import, write_import_provenance
from merbench.cache.store import CacheError
from merbench.contracts.dataset import Dataset

_BATCH = 256


def import_features(dataset: Dataset, folder: str | Path, name: str | None = None, *, replace: bool = False) -> str:
    """Import every ``<sample>.npy`` of ``folder`` that names a sample of ``dataset``.

    Returns the encoder name to read them with (``import:<name>``, name defaulting to the folder's).
    Files for unknown samples, or with a shape unlike the others, raise a one-line error before
    anything is written.
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise CacheError(f"{folder}: not a folder; give the baseline's features/<FEATDIR> folder")
    encoder_name = IMPORT_PREFIX + (name or folder.name)
    known = {s.name for s in dataset.iter_all()}
    files = sorted(folder.glob("*.npy"))
    if not files:
        raise CacheError(f"{folder}: no .npy files; expected one <sample>.npy per clip")
    unknown = [p.stem for p in files if p.stem not in known]
    if unknown:
        raise CacheError(f"{folder / (unknown[0] + '.npy')}: {len(unknown)} files name no sample of the dataset "
                         f"({dataset.root}); point --dataset at the corpus these features came from")
    earlier = resolve(dataset, encoder_name).store
    if earlier.exists():
        if not replace:
            raise CacheError(f"{earlier.path}: {encoder_name} is already imported for this dataset; pass replace=True (--replace)")
        for path in earlier.files():
            path.unlink()
    provenance = {"folder": str(folder.resolve()), "content_sha256": content_hash(files)}
    store = resolve_import(dataset, encoder_name, provenance).store
    for path in store.files():  # a half-written import of this same content
        path.unlink()
    store.source = f"import:{folder.resolve()}"
    dim = None
    with store.writing():
        for start in range(0, len(files), _BATCH):
            names, pooled, lengths, frames = [], [], [], []
            for p in files[start:start + _BATCH]:
                try:
                    arr = np.load(p, allow_pickle=False)
                except (ValueError, OSError, EOFError) as exc:
                    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                    raise CacheError(f"{p}: not a plain numpy array file ({reason}); re-save it with numpy.save "
                                     "as a float array (no pickled objects)") from None
                if arr.ndim not in (1, 2) or arr.shape[-1] == 0:
                    raise CacheError(f"{p}: shape {arr.shape}; expected (D,) or (T, D)")
                if dim is None:
                    dim = arr.shape[-1]
                if arr.shape[-1] != dim:
                    raise CacheError(f"{p}: feature size {arr.shape[-1]} differs from the folder's {dim}; the folder mixes features")
                arr = arr.astype(np.float32)
                names.append(p.stem)
                if arr.ndim == 1:
                    pooled.append(arr[None, :])
                    lengths.append(1)
                    frames.append(arr[None, None, :])
                else:
                    pooled.append((arr.mean(axis=0) if len(arr) else np.zeros(dim, np.float32))[None, :])
                    lengths.append(len(arr))
                    frames.append(arr[:, None, :])
            store.write_batch(names, np.stack(pooled), lengths, frames)
        store.compact()
    write_import_provenance(dataset, encoder_name, provenance)
    return encoder_name


def content_hash(files: list[Path]) -> str:
    """sha256 over the imported files, sorted by name: each one's name, size and bytes."""
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.name):
        data = path.read_bytes()
        digest.update(path.name.encode("utf-8") + b"\0" + len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()
