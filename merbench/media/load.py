"""Decode the parts of one :class:`~merbench.contracts.dataset.Sample` into a :class:`Media`."""

from __future__ import annotations

from typing import Iterable

from merbench.contracts.corruption import Media
from merbench.contracts.dataset import Sample
from merbench.media.audio import read_audio
from merbench.media.faces import read_faces
from merbench.media.video import read_frames

PARTS = ("audio", "frames", "faces", "subtitle")


def load_media(sample: Sample, parts: Iterable[str] = PARTS, max_frames: int | None = None,
               sample_rate: int = 16000) -> Media:
    """The decoded media of ``sample``. Audio comes from ``sample.audio`` or else the video's track;
    a part the sample has no source for is ``None``; an unreadable source raises :class:`MediaError`."""
    parts = tuple(parts)
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown media parts {sorted(unknown)}; choose from {PARTS}")
    fields: dict = {"name": sample.name, "sample_rate": sample_rate}
    if "audio" in parts:
        source = sample.audio or sample.video
        fields["audio"] = None if source is None else read_audio(source, sample_rate)
    if "frames" in parts and sample.video is not None:
        fields["frames"], fields["fps"] = read_frames(sample.video, max_frames)
    if "faces" in parts and sample.faces is not None:
        fields["faces"] = read_faces(sample.faces)
    if "subtitle" in parts:
        fields["subtitle"] = sample.subtitle
    return Media(**fields)
