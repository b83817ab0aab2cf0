"""Make the dataset fixtures available here even where the merbench pytest plugin does not load them."""

from merbench.testing.data import tiny_dataset, tiny_demo  # noqa: F401
