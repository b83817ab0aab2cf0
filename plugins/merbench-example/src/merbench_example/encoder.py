"""A small acoustic encoder: log band energies of 25 ms Hann-windowed frames, hop 10 ms."""

from __future__ import annotations

import numpy as np

from merbench.contracts.encoder import Encoder, EncoderOutput


class LogBandEnergy(Encoder):
    name = "log-band-energy"
    modality = "audio"
    input_kind = "waveform"
    sample_rate = 16000
    version = "1"

    def __init__(self, n_bands: int = 24) -> None:
        self.n_bands = n_bands
        self.win, self.hop = 400, 160

    def _frames(self, wav: np.ndarray) -> np.ndarray:
        wav = np.asarray(wav, dtype=np.float32)
        if len(wav) < self.win:
            wav = np.pad(wav, (0, self.win - len(wav)))
        n = 1 + (len(wav) - self.win) // self.hop
        idx = np.arange(self.win)[None, :] + self.hop * np.arange(n)[:, None]
        spec = np.abs(np.fft.rfft(wav[idx] * np.hanning(self.win), axis=1)) ** 2
        bands = np.array_split(spec, self.n_bands, axis=1)
        return np.log(np.stack([b.sum(axis=1) for b in bands], axis=1) + 1e-10).astype(np.float32)

    def encode(self, batch: list[np.ndarray]) -> EncoderOutput:
        feats = [self._frames(w) for w in batch]
        lengths = np.array([len(f) for f in feats])
        out = np.zeros((len(feats), lengths.max(), self.n_bands), dtype=np.float32)
        for i, f in enumerate(feats):
            out[i, : len(f)] = f
        return EncoderOutput(hidden_states=[out], lengths=lengths)

    def fingerprint(self) -> dict:
        return {"n_bands": self.n_bands, "win": self.win, "hop": self.hop, "sample_rate": self.sample_rate}
