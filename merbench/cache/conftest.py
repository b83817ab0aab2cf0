"""Fixtures: a private cache root per test and a tiny wav dataset inside it."""

from __future__ import annotations

import pytest

from merbench.cache.test_helpers import WavDataset


@pytest.fixture
def cache_root(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("MERBENCH_CACHE", str(root))
    return root


@pytest.fixture
def wav_dataset(tmp_path, cache_root):
    return WavDataset(tmp_path / "data")
