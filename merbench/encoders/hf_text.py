"""Text encoders through transformers: BERT-family (BERT, RoBERTa, MacBERT, PERT, LERT, ELECTRA, XLNet)
and causal LMs (BLOOM, MOSS, ChatGLM, Baichuan: ``trust_remote_code`` for those that ship code).

As the MER baseline: every hidden state kept, tokens averaged without special tokens, default
layer policy "sum of the last 4". ``exclude_special_tokens=False`` averages over all tokens of the
attention mask instead (sentence-transformers' mean pooling, used by all-MiniLM-L6-v2). The
subtitle read is ``text_field`` (``subtitle``: the original Chinese; ``subtitle_en``: English).
Valid tokens are packed to the front of each row, so padding side and position never matter.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from merbench.contracts.encoder import EncoderOutput
from merbench.encoders.hf import HFEncoder, checkpoint_path

TEXT_FIELDS = ("subtitle", "subtitle_en")


class HFTextEncoder(HFEncoder):
    modality = "text"
    input_kind = "text"
    version = "1"
    batch_size = 16

    def __init__(self, checkpoint: str, revision: str = "main", text_field: str = "subtitle",
                 exclude_special_tokens: bool = True, max_length: int = 512, default_layers: str = "sum-last-4",
                 dtype: str = "float32", trust_remote_code: bool = False, batch_size: int | None = None) -> None:
        if text_field not in TEXT_FIELDS:
            raise ValueError(f"text_field must be one of {TEXT_FIELDS}, got {text_field!r}")
        super().__init__(checkpoint, revision, dtype, trust_remote_code=trust_remote_code, batch_size=batch_size)
        self.text_field = text_field
        self.exclude_special_tokens = exclude_special_tokens
        self.max_length = int(max_length)
        self.default_layers = default_layers

    def options(self) -> dict[str, Any]:
        return {"text_field": self.text_field, "exclude_special_tokens": self.exclude_special_tokens,
                "max_length": self.max_length}

    def load(self, device: str = "cpu") -> None:
        from transformers import AutoModel, AutoTokenizer

        path = checkpoint_path(self.checkpoint)
        kwargs = self.pretrained_kwargs()
        self.tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
        # a fast tokenizer sets its padding/truncation state on every call: concurrent calls (see
        # Encoder.concurrent_encode) would race on it ("Already borrowed"), so tokenising is serialised
        self._tokenize_lock = threading.Lock()
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token or self.tokenizer.unk_token
        self.model = self.place(AutoModel.from_pretrained(path, **kwargs), device)

    def encode(self, batch: list[str]) -> EncoderOutput:
        import torch

        with self._tokenize_lock:
            enc = self.tokenizer(list(batch), padding=True, truncation=True, max_length=self.max_length,
                                 return_tensors="pt", return_special_tokens_mask=True)
        keep = enc["attention_mask"].bool()
        if self.exclude_special_tokens:
            keep &= ~enc["special_tokens_mask"].bool()
        inputs = {k: v.to(self.device) for k, v in enc.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
        with torch.inference_mode():
            hidden = self.model(**inputs, output_hidden_states=True).hidden_states
        lengths = keep.sum(dim=1).numpy().astype(np.int64)
        packed = []
        for layer in hidden:
            layer = layer.float().cpu().numpy()
            out = np.zeros((len(batch), max(1, int(lengths.max())), layer.shape[-1]), np.float32)
            for i in range(len(batch)):
                out[i, : lengths[i]] = layer[i, keep[i].numpy()]
            packed.append(out)
        return EncoderOutput(hidden_states=packed, lengths=lengths)
