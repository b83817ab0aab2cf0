"""mediapipe 0.10.21 face mesh, offline: 478 landmarks (x, y, z) per frame as geometric features.

Optional (``pip install 'merbench[mediapipe]'``): mediapipe pins numpy<2 and protobuf<5 and its
full dependency set is ~1 GB, so it is not part of the default install. Only 0.10.21 still ships
``mp.solutions`` with its models; later versions have neither. Landmarks are normalised to the
frame (x, y in [0, 1], z relative); frames without a face are skipped.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

from merbench.contracts.encoder import Encoder, EncoderOutput
from merbench.util.padding import pad_sequences

N_LANDMARKS = 478
INSTALL = "mediapipe-face-mesh needs the optional extra: pip install 'merbench[mediapipe]' (mediapipe==0.10.21)"


class FaceMeshEncoder(Encoder):
    modality = "visual"
    input_kind = "frames"
    version = "1"
    default_layers = "last"
    batch_size = 8

    def __init__(self, max_frames: int | None = 16) -> None:
        self.max_frames = max_frames
        self.mesh = None

    def load(self, device: str = "cpu") -> None:
        try:
            import mediapipe as mp

            solutions = mp.solutions
        except (ImportError, AttributeError):
            raise ImportError(INSTALL) from None
        self.mesh = solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=True)

    def encode(self, batch: list[np.ndarray]) -> EncoderOutput:
        tracks = []
        for frames in batch:
            points = []
            for frame in frames:
                result = self.mesh.process(np.ascontiguousarray(frame))
                if result.multi_face_landmarks:
                    marks = result.multi_face_landmarks[0].landmark
                    points.append(np.array([[m.x, m.y, m.z] for m in marks], np.float32).reshape(-1))
            tracks.append(np.stack(points) if points else np.zeros((0, N_LANDMARKS * 3), np.float32))
        lengths = np.array([len(t) for t in tracks], np.int64)
        hidden, _ = pad_sequences(tracks, min_length=1)
        return EncoderOutput(hidden_states=[hidden], lengths=lengths)

    def fingerprint(self) -> dict[str, Any]:
        try:
            mp_version = version("mediapipe")
        except PackageNotFoundError:
            mp_version = None
        return {"mediapipe": mp_version, "max_frames": self.max_frames, "refine_landmarks": True}
