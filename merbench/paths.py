"""Where merbench keeps its files. One environment variable moves everything."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$MERBENCH_CACHE``, else ``~/.cache/merbench``: features, generations, demo data, results."""
    return Path(os.environ.get("MERBENCH_CACHE", Path.home() / ".cache" / "merbench")).expanduser()


def features_dir() -> Path:
    return cache_root() / "features"


def demo_dir() -> Path:
    return cache_root() / "demo"


def generations_db() -> Path:
    return cache_root() / "generations.sqlite"


def results_dir() -> Path:
    """The results store (records of every run and their SQLite index): ``$MERBENCH_RESULTS``, else
    ``<cache>/results``; ``--results DIR`` on the commands that read or write it overrides both."""
    return Path(os.environ.get("MERBENCH_RESULTS", cache_root() / "results")).expanduser()
