"""Whole-modality dropout: a clip loses its audio, its face track or its subtitle."""

from __future__ import annotations

import numpy as np

from merbench.corrupt.base import BaseCorruption

#: What "missing" means on disk, chosen so every reader and encoder still opens the clip:
#: audio becomes digital silence of the same length (the video keeps a valid, silent track),
#: the face track becomes empty (T = 0, what OpenFace gives when it finds no face) and the
#: subtitle becomes the empty string. Encoders turn the last two into zero vectors, as the baseline.
DROPPABLE = ("audio", "face", "subtitle")


class ModalityDropout(BaseCorruption):
    """Drop modalities: ``mode: one`` drops one of ``drop`` drawn per clip (with probability
    ``p``), ``mode: all`` drops all of them (with probability ``p``)."""

    name = "modality-dropout"
    modalities = ("audio", "video", "text")
    schema = {
        "type": "object",
        "properties": {
            "drop": {"type": "array", "items": {"enum": list(DROPPABLE)}, "minItems": 1, "uniqueItems": True,
                           "default": list(DROPPABLE)},
            "mode": {"enum": ["one", "all"], "default": "one"},
            "p": {"type": "number", "minimum": 0, "maximum": 1, "default": 1.0},
        },
        "additionalProperties": False,
    }

    def corrupt(self, media, rng, params):
        if rng.random() >= params["p"]:
            return media, {"dropped": []}
        choices = params["drop"]
        dropped = [choices[int(rng.integers(len(choices)))]] if params["mode"] == "one" else list(choices)
        changes = {}
        if "audio" in dropped and media.audio is not None:
            changes["audio"] = np.zeros_like(media.audio)
        if "face" in dropped and media.faces is not None:
            changes["faces"] = media.faces[:0]
        if "subtitle" in dropped:
            changes["subtitle"] = ""
        return media.with_(**changes), {"dropped": dropped}
