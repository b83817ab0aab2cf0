"""Self-supervised speech models through transformers: wav2vec 2.0, HuBERT, WavLM (one class, AutoModel).

Every hidden state is kept (frames of a clip's chunks concatenated); the default layer policy is
"sum of the last 4" and the cache averages over the returned frames. Two poolings (``pooling=``):

``"baseline"`` -- what the MER baseline's audio extraction script does, step by step: the 16 kHz
clip goes through the checkpoint's feature extractor *whole* (so a normalising extractor uses the
mean and variance of the whole clip); if the processed values are longer than one chunk (10 s,
160,000 samples) they are zero-padded at the end to a whole number of chunks and reshaped to
(chunks, 160,000); a clip of at most one chunk stays one row of its own length. All rows go
through the model as ONE batch, without attention mask, with every hidden state returned; the
utterance vector is the sum of the last 4 hidden states averaged over all frames of all rows,
*including the frames computed over the zero padding* of the last chunk. Here: one forward per clip
(the baseline's), ``lengths`` counts every frame, padding ones included; summing the layers after the
mean (the layer policy) equals the baseline's sum before it up to float rounding.

``"merbench"`` (default, a named departure) -- the waveform is cut into ``chunk_seconds`` chunks
first and each chunk goes through the feature extractor on its own (normalised on its own); a
trailing sliver under 25 ms is folded into the previous chunk; the padding that batching adds is
masked (layer-norm checkpoints) or avoided (group-norm ones), and the frames it produces are
dropped, so the last chunk's frames are only its own.

Batch invariance (an item's features never depend on which clips share its batch, so a resumed
run equals an uninterrupted one): with ``"merbench"``, checkpoints with layer-norm feature
extractors take padding with an attention mask; group-norm ones (e.g. base wav2vec2/HuBERT)
normalise over time, so padding would change them, and they are batched only with chunks of
exactly the same length. With ``"baseline"`` every clip is its own forward pass.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from merbench.contracts.encoder import EncoderOutput
from merbench.encoders.hf import HFEncoder, checkpoint_path
from merbench.util.padding import pad_sequences

MIN_SAMPLES = 400  # the conv front-end's receptive field (25 ms at 16 kHz)


class HFAudioEncoder(HFEncoder):
    modality = "audio"
    input_kind = "waveform"
    sample_rate = 16000
    version = "1"
    default_layers = "sum-last-4"
    poolings = ("merbench", "baseline")

    def __init__(self, checkpoint: str, revision: str = "main", chunk_seconds: float | None = 10.0,
                 dtype: str = "float32", batch_size: int | None = None, pooling: str | None = None) -> None:
        super().__init__(checkpoint, revision, dtype, batch_size=batch_size, pooling=pooling)
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
        # WavLM's attention in transformers hands torch a boolean padding mask beside its float
        # position bias; torch deprecates mixing the two on every masked forward. The call is inside
        # transformers, the numbers are unaffected, and nothing a user can change would silence it.
        warnings.filterwarnings("ignore", message="Support for mismatched key_padding_mask and attn_mask is deprecated",
                                category=UserWarning, module=r"torch\.nn\.functional")

    def _step(self, n_samples: int) -> int:
        return int(self.chunk_seconds * self.sample_rate) if self.chunk_seconds else n_samples

    def _chunks(self, batch: list[np.ndarray]) -> tuple[list[np.ndarray], list[int]]:
        chunks, owners = [], []
        for i, wav in enumerate(batch):
            if len(wav) < MIN_SAMPLES:
                raise ValueError(f"clip of {len(wav)} samples is shorter than {MIN_SAMPLES} (25 ms); check its audio")
            step = self._step(len(wav))
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
        if self.pooling == "baseline":
            return self._encode_baseline(batch)
        return self._encode_merbench(batch)

    def _encode_baseline(self, batch: list[np.ndarray]) -> EncoderOutput:
        """Whole-clip feature extractor, zero-padded chunks, one unmasked forward per clip, all frames kept."""
        import torch

        dtype = next(self.model.parameters()).dtype
        items = []
        for wav in batch:
            if len(wav) < MIN_SAMPLES:
                raise ValueError(f"clip of {len(wav)} samples is shorter than {MIN_SAMPLES} (25 ms); check its audio")
            values = self.processor(wav, sampling_rate=self.sample_rate, return_tensors="pt")["input_values"]
            n, step = values.shape[1], self._step(values.shape[1])
            if n > step:
                rows = -(-n // step)
                padded = torch.zeros((1, rows * step), dtype=values.dtype)
                padded[:, :n] = values
                values = padded.view(rows, step)
            with torch.inference_mode():
                hidden = self.model(values.to(self.device, dtype=dtype), output_hidden_states=True).hidden_states
            items.append([h.float().reshape(-1, h.shape[-1]).cpu().numpy() for h in hidden])
        return _pad(items)

    def _encode_merbench(self, batch: list[np.ndarray]) -> EncoderOutput:
        """Per-chunk feature extractor, padding masked and dropped (see the module docstring)."""
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
    return _pad([[np.concatenate([per_chunk[j][layer] for j in range(len(owners)) if owners[j] == i])
                  for layer in range(n_layers)] for i in range(n_items)])


def _pad(items: list[list[np.ndarray]]) -> EncoderOutput:
    """Items of L arrays (T_i, D) -> L arrays (B, T, D) padded to the longest, with the T_i as lengths."""
    n_layers = len(items[0])
    lengths = np.array([len(item[0]) for item in items], np.int64)
    hidden = [pad_sequences([item[layer] for item in items])[0] for layer in range(n_layers)]
    return EncoderOutput(hidden_states=hidden, lengths=lengths)
