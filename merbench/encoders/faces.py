"""Face tracks for visual encoders: OpenFace crops when the dataset has them, else OpenCV Haar crops.

The baseline embeds OpenFace's aligned 112x112 crops frame by frame. For data without them we
detect the largest frontal face in evenly sampled frames (the baseline's frame sampling) with the
Haar cascade that ships in ``opencv-python-headless<5`` and crop it square with a margin.
Frames without a face are skipped; a clip with no face at all gives an empty track (T=0), which
pools to a zero vector as in the baseline.
"""

from __future__ import annotations

import threading

import numpy as np

from merbench.contracts.dataset import Sample
from merbench.media import MediaError, evenly_spaced, read_faces, read_frames

FACE_SIZE = 112
_local = threading.local()


def _cascade():
    """One classifier per thread: ``CascadeClassifier`` is not safe to share across threads."""
    if getattr(_local, "cascade", None) is None:
        import cv2

        path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
        cascade = cv2.CascadeClassifier(path)
        if cascade.empty():
            raise RuntimeError(f"{path}: OpenCV Haar cascade missing; install opencv-python-headless<5 (5.x ships none)")
        _local.cascade = cascade
    return _local.cascade


def detect_faces(frames_rgb: np.ndarray, size: int = FACE_SIZE, margin: float = 0.2) -> np.ndarray:
    """Largest face of each frame, cropped square with ``margin`` and resized: uint8 (T', size, size, 3) RGB."""
    import cv2

    crops = []
    for frame in frames_rgb:
        grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        min_side = max(24, min(grey.shape) // 8)
        boxes = _cascade().detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(min_side, min_side))
        if len(boxes) == 0:
            continue
        x, y, w, h = max(boxes, key=lambda b: b[2] * b[3])
        side = int(max(w, h) * (1 + margin))
        cx, cy = x + w // 2, y + h // 2
        x0, y0 = max(0, cx - side // 2), max(0, cy - side // 2)
        x1, y1 = min(frame.shape[1], x0 + side), min(frame.shape[0], y0 + side)
        crops.append(cv2.resize(frame[y0:y1, x0:x1], (size, size), interpolation=cv2.INTER_AREA))
    if not crops:
        return np.zeros((0, size, size, 3), np.uint8)
    return np.stack(crops)


def bgr_to_rgb(frames: np.ndarray) -> np.ndarray:
    """A contiguous copy of uint8 (T, H, W, 3) ``frames`` with the channels reversed.

    OpenCV's SIMD channel swap, viewing the track as one tall image: the same bytes as
    ``np.ascontiguousarray(frames[..., ::-1])`` at a thirtieth of the time, which made it most of a
    face track's decoding, on the cores the encoder runs on."""
    if frames.size == 0:
        return np.ascontiguousarray(frames[..., ::-1])
    import cv2

    t, h, w, c = frames.shape
    return cv2.cvtColor(np.ascontiguousarray(frames).reshape(t * h, w, c), cv2.COLOR_BGR2RGB).reshape(t, h, w, c)


def face_track(sample: Sample, max_frames: int | None = None) -> np.ndarray:
    """uint8 (T, H, W, 3) RGB face crops of ``sample``, at most ``max_frames`` evenly spaced."""
    if sample.faces is not None:
        faces = read_faces(sample.faces)
        if max_frames is not None:
            faces = faces[evenly_spaced(len(faces), max_frames)]
        return bgr_to_rgb(faces)  # OpenFace stores BGR
    if sample.video is None:
        raise MediaError(sample.name, "has neither OpenFace crops nor a video", "add openface_face/ or video/ to the dataset, or drop the visual modality")
    frames, _ = read_frames(sample.video, max_frames=max_frames)
    return detect_faces(frames)
