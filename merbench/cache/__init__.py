"""The keyed HDF5 feature cache: extract any registered encoder over any dataset, resumably.

Public API::

    extract(dataset, "egemaps")                              # -> Path of the cache file
    load_features(dataset, "egemaps", names)                 # -> float32 (N, D), rows in `names` order
    load_frames(dataset, "whisper-tiny-en", names)           # -> [float32 (T, D), ...]
    import_features(dataset, "features/eGeMAPS_UTT")         # baseline .npy folders -> "import:eGeMAPS_UTT"

Engine modules: :mod:`~merbench.cache.inputs` turns a sample into an encoder's input,
:mod:`~merbench.cache.pooling` selects layers and pools over time, :mod:`~merbench.cache.key` keys
the cache, :mod:`~merbench.cache.store` stores it, :mod:`~merbench.cache.extract` runs the loop.
"""

from merbench.cache.extract import ExtractionError, extract, load_features, load_frames, resolve
from merbench.cache.imports import import_features
from merbench.cache.store import CacheError, FeatureStore, list_stores

__all__ = [
    "CacheError",
    "ExtractionError",
    "FeatureStore",
    "extract",
    "import_features",
    "list_stores",
    "load_features",
    "load_frames",
    "resolve",
]
