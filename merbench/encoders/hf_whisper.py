"""Whisper through transformers: encoder states, or the baseline's decoder-state variant.

The MER baseline feeds Whisper's 30 s log-mel window to the whole model with two decoder start
tokens and keeps the decoder's hidden states (``states="decoder"``, the default of the registered
whisper-base/-large-v2); ``states="encoder"`` keeps the encoder's states over the clip's frames
(20 ms each). Clips longer than 30 s are truncated by Whisper's feature extractor.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from merbench.contracts.encoder import EncoderOutput
from merbench.encoders.hf import HFEncoder, checkpoint_path

SAMPLES_PER_STATE = 320  # 10 ms hop x 2 (conv stride)
MAX_STATES = 1500


class WhisperEncoder(HFEncoder):
    modality = "audio"
    input_kind = "waveform"
    sample_rate = 16000
    version = "1"
    default_layers = "last"

    def __init__(self, checkpoint: str, revision: str = "main", states: str = "decoder", dtype: str = "float32",
                 batch_size: int | None = None) -> None:
        if states not in ("encoder", "decoder"):
            raise ValueError(f"states must be 'encoder' or 'decoder', got {states!r}")
        super().__init__(checkpoint, revision, dtype, batch_size=batch_size)
        self.states = states

    def options(self) -> dict[str, Any]:
        return {"states": self.states}

    def load(self, device: str = "cpu") -> None:
        from transformers import AutoFeatureExtractor, WhisperModel

        path = checkpoint_path(self.checkpoint)
        kwargs = self.pretrained_kwargs()
        self.processor = AutoFeatureExtractor.from_pretrained(path, **kwargs)
        self.model = self.place(WhisperModel.from_pretrained(path, **kwargs), device)

    def encode(self, batch: list[np.ndarray]) -> EncoderOutput:
        import torch

        feats = self.processor(list(batch), sampling_rate=self.sample_rate, return_tensors="pt").input_features
        feats = feats.to(self.device, dtype=next(self.model.parameters()).dtype)
        with torch.inference_mode():
            if self.states == "encoder":
                hidden = self.model.encoder(feats, output_hidden_states=True).hidden_states
                lengths = np.minimum(MAX_STATES, -(-np.array([len(w) for w in batch]) // SAMPLES_PER_STATE))
            else:
                start = self.model.config.decoder_start_token_id
                decoder_ids = torch.full((len(batch), 2), start, dtype=torch.long, device=self.device)
                hidden = self.model(feats, decoder_input_ids=decoder_ids, output_hidden_states=True).decoder_hidden_states
                lengths = np.full(len(batch), 2)
        return EncoderOutput(hidden_states=[h.float().cpu().numpy() for h in hidden], lengths=lengths.astype(np.int64))
