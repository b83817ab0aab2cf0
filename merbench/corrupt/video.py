"""Video corruptions: pyramid blur (the MER-NOISE recipe), frame drop, occlusion and JPEG loss.

Each applies to the RGB frames and to the OpenFace face crops (uint8 (T, 112, 112, 3) BGR) of a
clip alike, because in the real challenge the crops were cut from the corrupted video. How the
strength carries over to the crops is documented per corruption.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from merbench.corrupt.base import DRAWN_NUMBER, BaseCorruption, CorruptionParamError, draw

#: Side of an OpenFace crop in pixels.
FACE_SIZE = 112


def pyramid_blur(image: np.ndarray, levels: int) -> np.ndarray:
    """``levels`` OpenCV ``pyrDown`` steps then as many ``pyrUp`` steps back to the exact input size
    (the baseline's blur by r = 2**levels)."""
    import cv2

    if levels == 0:
        return image
    sizes = []
    for _ in range(levels):
        sizes.append((image.shape[1], image.shape[0]))
        image = cv2.pyrDown(image)
    for size in reversed(sizes):
        image = cv2.pyrUp(image, dstsize=size)
    return image


def _blur_all(frames: np.ndarray | None, levels: int) -> np.ndarray | None:
    if frames is None or levels == 0 or len(frames) == 0:
        return frames
    return np.stack([pyramid_blur(f, levels) for f in frames])


class Blur(BaseCorruption):
    """Gaussian-pyramid blur with a factor r (a power of two) drawn once per video.

    Face crops: OpenFace resamples a face of F frame pixels to 112 px, so r frame pixels become
    r·112/F crop pixels. By default F is taken as 112 (faces about crop-sized, as in MER's TV
    close-ups and the demo corpus) and the crops get r itself. Given ``face_fraction`` (face height
    / frame height), F = face_fraction·H and the crops get the power of two nearest r·112/F (at
    least 1, so r = 1 never touches them).
    """

    name = "blur"
    modalities = ("video",)
    schema = {
        "type": "object",
        "properties": {
            "r": {"oneOf": [{"type": "integer", "minimum": 1},
                            {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1}],
                  "default": [1, 2, 4]},
            "face_fraction": {"oneOf": [{"type": "null"}, {"type": "number", "exclusiveMinimum": 0, "maximum": 1}],
                              "default": None},
        },
        "additionalProperties": False,
    }

    def check(self, params):
        for r in params["r"] if isinstance(params["r"], list) else [params["r"]]:
            if r & (r - 1):
                raise CorruptionParamError(f"corruption 'blur': r={r} is not a power of two (1, 2, 4, 8, ...)")

    @staticmethod
    def face_factor(r: int, frame_height: int | None, face_fraction: float | None) -> int:
        if r == 1 or not frame_height or face_fraction is None:
            return r
        scaled = r * FACE_SIZE / (face_fraction * frame_height)
        return 2 ** max(0, round(math.log2(scaled)))

    def corrupt(self, media, rng, params):
        r = int(draw(rng, params["r"]))
        height = media.frames.shape[1] if media.frames is not None and media.frames.ndim == 4 else None
        face_r = self.face_factor(r, height, params["face_fraction"])
        frames = _blur_all(media.frames, int(math.log2(r)))
        faces = _blur_all(media.faces, int(math.log2(face_r)))
        return media.with_(frames=frames, faces=faces), {"r": r, "face_r": face_r}


def _freeze_dropped(frames: np.ndarray, dropped: np.ndarray) -> np.ndarray:
    """Replace each dropped frame by the last kept one (the first frame is always kept)."""
    kept_index = np.where(dropped, 0, np.arange(len(frames)))
    np.maximum.accumulate(kept_index, out=kept_index)
    return frames[kept_index]


class FrameDrop(BaseCorruption):
    """Each frame after the first is dropped with probability ``p`` (drawn per video) and replaced by
    the last kept frame, so duration and audio sync are kept. Face crops drop the frames at the same
    relative times."""

    name = "frame-drop"
    modalities = ("video",)
    schema = {
        "type": "object",
        "properties": {"p": {**DRAWN_NUMBER, "default": 0.5}},
        "additionalProperties": False,
    }

    def corrupt(self, media, rng, params):
        p = float(draw(rng, params["p"]))
        if not 0.0 <= p < 1.0:
            raise CorruptionParamError(f"corruption 'frame-drop': p={p} must be in [0, 1)")
        timeline = media.frames if media.frames is not None else media.faces
        if timeline is None or len(timeline) == 0:
            return media, {"p": p, "dropped": []}
        dropped = rng.random(len(timeline)) < p
        dropped[0] = False
        frames = _freeze_dropped(media.frames, dropped) if media.frames is not None else None
        faces = media.faces
        if faces is not None and len(faces):
            face_times = np.minimum((np.arange(len(faces)) * len(timeline)) // len(faces), len(timeline) - 1)
            face_dropped = dropped[face_times]
            face_dropped[0] = False
            faces = _freeze_dropped(faces, face_dropped)
        return media.with_(frames=frames, faces=faces), {"p": p, "dropped": np.flatnonzero(dropped)}


class Occlusion(BaseCorruption):
    """A static grey square covering ``area`` of the picture (drawn per video) at a random place.
    The face crops get their own square covering the same fraction of the face (where a frame
    occluder lands on the face is unknown without the crop boxes)."""

    name = "occlusion"
    modalities = ("video",)
    schema = {
        "type": "object",
        "properties": {
            "area": {**DRAWN_NUMBER, "default": 0.25},
            "value": {"type": "integer", "minimum": 0, "maximum": 255, "default": 128},
        },
        "additionalProperties": False,
    }

    @staticmethod
    def _square(rng: np.random.Generator, height: int, width: int, area: float) -> list[int]:
        side = int(round(math.sqrt(area * height * width)))
        side = min(side, height, width)
        top = int(rng.integers(0, height - side + 1))
        left = int(rng.integers(0, width - side + 1))
        return [top, left, side]

    def _occlude(self, frames, rng, area, value):
        if frames is None or len(frames) == 0:
            return frames, None
        top, left, side = self._square(rng, frames.shape[1], frames.shape[2], area)
        out = frames.copy()
        out[:, top:top + side, left:left + side] = value
        return out, [top, left, side]

    def corrupt(self, media, rng, params):
        area = float(draw(rng, params["area"]))
        if not 0.0 <= area <= 1.0:
            raise CorruptionParamError(f"corruption 'occlusion': area={area} must be in [0, 1]")
        frames, frame_box = self._occlude(media.frames, rng, area, params["value"])
        faces, face_box = self._occlude(media.faces, rng, area, params["value"])
        return media.with_(frames=frames, faces=faces), {"area": area, "frame_box": frame_box, "face_box": face_box}


def _jpeg(frames: np.ndarray | None, quality: int, rgb: bool) -> np.ndarray | None:
    import cv2

    if frames is None or len(frames) == 0:
        return frames
    out = np.empty_like(frames)
    for i, frame in enumerate(frames):
        bgr = frame[..., ::-1] if rgb else frame
        ok, encoded = cv2.imencode(".jpg", np.ascontiguousarray(bgr), [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise ValueError(f"OpenCV could not JPEG-encode a frame of shape {frame.shape}")
        decoded = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
        out[i] = decoded[..., ::-1] if rgb else decoded
    return out


class Jpeg(BaseCorruption):
    """JPEG compression at a ``quality`` (1-100) drawn per video, applied to every frame and face crop
    (the crops at the same quality: JPEG works on fixed 8×8 blocks, whatever the image size)."""

    name = "jpeg"
    modalities = ("video",)
    schema = {
        "type": "object",
        "properties": {
            "quality": {"oneOf": [{"type": "integer", "minimum": 1, "maximum": 100},
                                  {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 100},
                                   "minItems": 1}],
                        "default": [10, 20, 30]},
        },
        "additionalProperties": False,
    }

    def corrupt(self, media, rng, params):
        quality = int(draw(rng, params["quality"]))
        return (media.with_(frames=_jpeg(media.frames, quality, rgb=True), faces=_jpeg(media.faces, quality, rgb=False)),
                {"quality": quality})
