"""pytest plugin (entry point ``pytest11: merbench``): fixtures for testing merbench components.

The fixtures produce small deterministic inputs of every input kind an encoder or corruption takes,
and a generated tiny demo corpus (``tiny_demo``: its path; ``tiny_dataset``: the opened dataset).
"""

from __future__ import annotations

import numpy as np
import pytest

from merbench.testing.data import tiny_dataset, tiny_demo  # noqa: F401  (re-exported fixtures)


@pytest.fixture
def pseudo_audio() -> np.ndarray:
    """2 s of 16 kHz mono float32: a 220 Hz tone with vibrato and a little noise (deterministic)."""
    rng = np.random.default_rng(1234)
    t = np.arange(32000) / 16000.0
    wave = 0.3 * np.sin(2 * np.pi * (220 * t + 3 * np.sin(2 * np.pi * 5 * t)))
    return (wave + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


@pytest.fixture
def pseudo_faces() -> np.ndarray:
    """8 uint8 BGR face crops (8, 112, 112, 3) in the OpenFace layout: a shaded ellipse with eyes and mouth."""
    import cv2

    frames = np.zeros((8, 112, 112, 3), dtype=np.uint8)
    for i in range(8):
        img = np.full((112, 112, 3), 40, dtype=np.uint8)
        cv2.ellipse(img, (56, 58), (38, 48), 0, 0, 360, (150, 170, 200), -1)
        for x in (42, 70):
            cv2.circle(img, (x, 48), 5, (30, 30, 30), -1)
        cv2.ellipse(img, (56, 80), (16, 4 + i % 4), 0, 0, 180, (40, 40, 120), 2)
        frames[i] = img
    return frames


@pytest.fixture
def pseudo_frames(pseudo_faces: np.ndarray) -> np.ndarray:
    """8 uint8 RGB video frames (8, 160, 160, 3) with the face of :func:`pseudo_faces` in the middle."""
    frames = np.zeros((8, 160, 160, 3), dtype=np.uint8)
    frames[:, 24:136, 24:136] = pseudo_faces[..., ::-1]
    return frames


@pytest.fixture
def pseudo_media(pseudo_audio, pseudo_frames, pseudo_faces):
    """A :class:`merbench.contracts.corruption.Media` with every part filled."""
    from merbench.contracts.corruption import Media

    return Media(name="pseudo_0001", audio=pseudo_audio, sample_rate=16000, frames=pseudo_frames, fps=4.0,
                 faces=pseudo_faces, subtitle="今天真开心 (I am so happy today)")


@pytest.fixture
def fresh_plugin_manager(monkeypatch):
    """A newly loaded plugin manager (built-ins and installed entry points); the global one is restored after."""
    from merbench import plugins

    monkeypatch.setattr(plugins, "_manager", None)
    manager = plugins.get_manager()
    yield manager
    plugins.reset()
