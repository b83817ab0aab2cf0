"""The conformance checks accept a good component and reject a broken one."""

import numpy as np
import pytest

from merbench.contracts.encoder import Encoder, EncoderOutput
from merbench.testing.conformance import check_encoder


class _MeanEncoder(Encoder):
    name, modality, input_kind = "mean", "audio", "waveform"

    def __init__(self, leak_batch: bool = False):
        self.leak_batch = leak_batch

    def encode(self, batch):
        frames = [np.asarray(w[: len(w) // 160 * 160]).reshape(-1, 160) for w in batch]
        lengths = np.array([len(f) for f in frames])
        out = np.zeros((len(batch), lengths.max(), 2), dtype=np.float32)
        for i, f in enumerate(frames):
            out[i, : len(f), 0] = f.mean(1)
            out[i, : len(f), 1] = len(batch) if self.leak_batch else f.std(1)
        return EncoderOutput([out], lengths)

    def fingerprint(self):
        return {"frame": 160}


def test_check_encoder_accepts_a_good_encoder(pseudo_audio):
    check_encoder(_MeanEncoder(), [pseudo_audio, pseudo_audio[:8000]])


def test_check_encoder_catches_batch_dependence(pseudo_audio):
    with pytest.raises(AssertionError, match="batched"):
        check_encoder(_MeanEncoder(leak_batch=True), [pseudo_audio, pseudo_audio[:8000]])
