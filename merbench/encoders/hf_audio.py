"""Self-supervised speech models through transformers: wav2vec 2.0, HuBERT, WavLM (one class, AutoModel).

As the MER baseline: 16 kHz waveform cut into ``chunk_seconds`` chunks, every hidden state kept
(frames of a clip's chunks concatenated), default layer policy "sum of the last 4", mean over time.

Batch invariance (an item's features never depend on which clips share its batch, so a resumed
run equals an uninterrupted one): checkpoints with layer-norm feature extractors take padding with
an attention mask; group-norm ones (e.g. base wav2vec2/HuBERT) normalise over time, so padding
would change them, and they are batched only with chunks of exactly the same length.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from merbench.contracts.encoder import EncoderOutput
from merbench.encoders.hf import HFEncoder, checkpoint_path

MIN_SAMPLES = 400  # the conv front-end's receptive field (25 ms at 16 kHz)


class HFAudioEncoder(HFEncoder):
    modality = "audio"
    input_kind = "waveform"
    sample_rate = 16000
    version = "1"
    default_layers = "sum-last-4"

    def __init__(self, checkpoint: str, revision: str = "main", chunk_seconds: float | None = 10.0,
                 dtype: str = "float32", batch_size: int | None = None) -> None:
        super().__init__(checkpoint, revision, dtype, batch_size=batch_size)
        self.chunk_seconds = chunk_seconds

    def options(self) -> dict[str, Any]:
        return {"chunk_seconds": self.chunk_seconds, "sample_rate": self.sample_rate}

    def load(self, device: str = "cpu") -> None:
        from transformers import AutoFeatureExtractor, AutoModel

        path = checkpoint_path(self.checkpoint)
        kwargs = self.pretrained_kwargs()
        self.processor = AutoFeatureExtractor.from_pretrained(path, **kwargs)
        self.model = self.place(AutoModel.from_pretrained(path, **kwargs), device)
        self.masked = getattr(self.model.config, "feat_extract_norm", "layer") == "layer"

    def _chunks(self, batch: list[np.ndarray]) -> tuple[list[np.ndarray], list[int]]:
        chunks, owners = [], []
        for i, wav in enumerate(batch):
            if len(wav) < MIN_SAMPLES:
                raise ValueError(f"clip of {len(wav)} samples is shorter than {MIN_SAMPLES} (25 ms); check its audio")
            step = int(self.chunk_seconds * self.sample_rate) if self.chunk_seconds else len(wav)
            pieces = [wav[s:s + step] for s in range(0, len(wav), step)]
            if len(pieces) > 1 and len(pieces[-1]) < MIN_SAMPLES:  # a sliver: fold it into the previous chunk
                pieces[-2] = np.concatenate([pieces[-2], pieces.pop()])
            chunks += pieces
            owners += [i] * len(pieces)
        return chunks, owners

    def _groups(self, chunks: list[np.ndarray]) -> list[list[int]]:
        order = sorted(range(len(chunks)), key=lambda j: len(chunks[j]))
        if self.masked:
            return [order[s:s + self.batch_size] for s in range(0, len(order), self.batch_size)]
        by_length: dict[int, list[int]] = {}
        for j in order:
            by_length.setdefault(len(chunks[j]), []).append(j)
        return [g[s:s + self.batch_size] for g in by_length.values() for s in range(0, len(g), self.batch_size)]

    def encode(self, batch: list[np.ndarray]) -> EncoderOutput:
        import torch

        chunks, owners = self._chunks(batch)
        per_chunk: list[list[np.ndarray] | None] = [None] * len(chunks)
        for group in self._groups(chunks):
            inputs = self.processor([chunks[j] for j in group], sampling_rate=self.sample_rate, return_tensors="pt",
                                    padding=True, return_attention_mask=self.masked)
            values = inputs["input_values"].to(self.device, dtype=next(self.model.parameters()).dtype)
            mask = inputs.get("attention_mask") if self.masked else None
            with torch.inference_mode():
                out = self.model(values, attention_mask=None if mask is None else mask.to(self.device),
                                 output_hidden_states=True)
            lengths = self.model._get_feat_extract_output_lengths(torch.tensor([len(chunks[j]) for j in group]))
            layers = [h.float().cpu().numpy() for h in out.hidden_states]
            for k, j in enumerate(group):
                per_chunk[j] = [layer[k, : int(lengths[k])] for layer in layers]
        return _stitch(per_chunk, owners, len(batch))


def _stitch(per_chunk: list[list[np.ndarray]], owners: list[int], n_items: int) -> EncoderOutput:
    """Concatenate each item's chunks along time and pad the batch: L arrays (B, T, D)."""
    n_layers = len(per_chunk[0])
    items = [[np.concatenate([per_chunk[j][layer] for j in range(len(owners)) if owners[j] == i])
              for layer in range(n_layers)] for i in range(n_items)]
    lengths = np.array([len(item[0]) for item in items], np.int64)
    dim = items[0][0].shape[-1]
    hidden = [np.zeros((n_items, int(lengths.max()), dim), np.float32) for _ in range(n_layers)]
    for i, item in enumerate(items):
        for layer in range(n_layers):
            hidden[layer][i, : lengths[i]] = item[layer]
    return EncoderOutput(hidden_states=hidden, lengths=lengths)
