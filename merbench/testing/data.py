"""Dataset fixtures for merbench's own tests and for plugin authors: a generated tiny demo corpus.

``tiny_demo`` generates once per test session (about 10 s on 2 cores) into pytest's temporary
folder; ``tiny_dataset`` opens it with the demo reader. The lead's pytest plugin re-exports these.
"""

from __future__ import annotations

from pathlib import Path

import pytest

__all__ = ["tiny_dataset", "tiny_demo"]


@pytest.fixture(scope="session")
def tiny_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a generated tiny demo corpus (~40 clips, seed 0, every split and resource)."""
    from merbench.datasets.demo import generate

    # a fixed folder under the session's base temp: packages that re-export this fixture from their own
    # conftest get distinct fixture definitions, but generate() returns a complete corpus as it is
    return generate(tmp_path_factory.getbasetemp() / "merbench-demo" / "tiny-seed0", size="tiny", seed=0)


@pytest.fixture(scope="session")
def tiny_dataset(tiny_demo: Path):
    """The tiny demo corpus opened with the ``demo`` reader (processed layout)."""
    from merbench.datasets.demo.reader import DemoDataset

    return DemoDataset(tiny_demo)
