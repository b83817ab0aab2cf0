"""Media corruptions: the MER-NOISE recipe, robustness corruptions, corrupted datasets and sweeps.

``corrupt_dataset(dataset, split, steps, seed, out)`` writes a seeded, logged corrupted copy of a
split and returns it as a :class:`CorruptedDataset`; ``challenge_recipe(dataset)`` gives the
MER-NOISE steps; ``apply_steps(media, build_steps(steps), seed)`` corrupts one clip in memory
(train-time augmentation); :func:`merbench.corrupt.robustness.sweep` scores a model across levels.
"""

from merbench.corrupt.dataset import CorruptedDataset
from merbench.corrupt.pipeline import CorruptionError, corrupt_dataset, default_out
from merbench.corrupt.steps import apply_steps, build_steps, describe_steps, load_steps_file, normalize_steps, parse_step
from merbench.corrupt.recipe import challenge_recipe, noise_test_set

__all__ = ["CorruptedDataset", "CorruptionError", "apply_steps", "build_steps", "challenge_recipe",
           "corrupt_dataset", "default_out", "describe_steps", "load_steps_file", "noise_test_set", "normalize_steps", "parse_step"]
