"""The generated demo corpus: a MER2024-shaped dataset with emotional speech, faces and subtitles.

``generate(out, size="tiny"|"small"|"standard", seed=0)`` writes it; :class:`DemoDataset` reads it.
"""

from merbench.datasets.demo.corpus import GENERATOR_VERSION, SIZES, generate

__all__ = ["GENERATOR_VERSION", "SIZES", "generate"]
