"""Turn a dataset sample into the input an encoder takes (its ``input_kind``).

An encoder may define ``prepare(sample)`` to override this (e.g. a custom frame sampling).
"""

from __future__ import annotations

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


def is_empty(item: Any) -> bool:
    """An empty transcript or face track: pooled to a zero vector without calling the encoder."""
    if isinstance(item, str):
        return not item.strip()
    return hasattr(item, "__len__") and len(item) == 0
