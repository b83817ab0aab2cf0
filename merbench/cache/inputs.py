"""Turn a dataset sample into the input an encoder takes (its ``input_kind``).

An encoder may define ``prepare(sample)`` to override this (e.g. a custom frame sampling).
"""

from __future__ import annotations

import os
from typing import Any

from merbench.contracts.dataset import Sample
from merbench.contracts.encoder import Encoder
from merbench.media import MediaError, read_audio, read_frames


def prepare(encoder: Encoder, sample: Sample) -> Any:
    """Decoded input of ``sample`` for ``encoder``; raises a one-line error (MediaError) when it cannot."""
    custom = getattr(encoder, "prepare", None)
    if custom is not None:
        return custom(sample)
    kind = encoder.input_kind
    if kind == "waveform":
        source = sample.audio or sample.video
        if source is None:
            raise MediaError(sample.name, "has no audio file and no video", "add audio/<name>.wav or the video to the dataset")
        return read_audio(source, encoder.sample_rate)
    if kind == "text":
        field = getattr(encoder, "text_field", "subtitle")
        return getattr(sample, field) or ""
    if kind == "faces":
        from merbench.encoders.faces import face_track

        return face_track(sample, getattr(encoder, "max_frames", None))
    if kind == "frames":
        if sample.video is None:
            raise MediaError(sample.name, "has no video", "add video/<name>.mp4 to the dataset or drop this encoder")
        frames, _ = read_frames(sample.video, max_frames=getattr(encoder, "max_frames", None))
        return frames
    raise ValueError(f"encoder {encoder.name!r} has unknown input_kind {kind!r}")


def input_size(encoder: Encoder, sample: Sample) -> int:
    """How big ``sample``'s input to ``encoder`` is, known without decoding: the size in bytes of the
    media file it reads, or the text's length. The extractor sorts clips by it into batches that need
    little padding; it only orders work, so an unreadable file counts 0 (its error comes when decoded).
    An encoder with a custom ``prepare`` may define ``input_size(sample)`` too."""
    custom = getattr(encoder, "input_size", None)
    if custom is not None:
        return int(custom(sample))
    if encoder.input_kind == "text":
        return len(getattr(sample, getattr(encoder, "text_field", "subtitle")) or "")
    path = (sample.audio or sample.video) if encoder.input_kind == "waveform" else sample.video
    try:
        return os.path.getsize(path) if path is not None else 0
    except OSError:
        return 0


def is_empty(item: Any) -> bool:
    """An empty transcript or face track: pooled to a zero vector without calling the encoder."""
    if isinstance(item, str):
        return not item.strip()
    return hasattr(item, "__len__") and len(item) == 0
