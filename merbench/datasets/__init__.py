"""Dataset readers for the MER layouts, a generic manifest, and the generated demo corpus.

``open_dataset(spec)`` is the entry point; readers are registered as ``dataset`` components by
:mod:`merbench.builtin.datasets`, so plugins can add layouts the same way.
"""

from merbench.datasets.labels import normalise_emotion
from merbench.datasets.open import detect_layout, open_dataset

__all__ = ["detect_layout", "normalise_emotion", "open_dataset"]
