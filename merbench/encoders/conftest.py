"""Tiny seeded transformers models of every family, built once per test session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """``tiny_model(family) -> folder``: built on first use, then reused."""
    from merbench.encoders.tiny_models import build

    root = tmp_path_factory.mktemp("tiny-models")
    built: dict[str, str] = {}

    def get(family: str) -> str:
        if family not in built:
            built[family] = str(build(family, root / family))
        return built[family]

    return get
