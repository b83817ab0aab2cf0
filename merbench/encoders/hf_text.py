"""Text encoders through transformers: BERT-family (BERT, RoBERTa, MacBERT, PERT, LERT, ELECTRA, XLNet)
and causal LMs (BLOOM, MOSS, ChatGLM, Baichuan: ``trust_remote_code`` for those that ship code).

Every hidden state is kept; the default layer policy is "sum of the last 4" and the cache averages
over the returned tokens. The subtitle read is ``text_field`` (``subtitle``: the original Chinese;
``subtitle_en``: English, the baseline's ``--language english``). Two poolings (``pooling=``):

``"baseline"`` -- what the MER baseline's text extraction script does: the tokenizer is loaded with
``use_fast=False`` (transformers falls back to the fast one where no slow one exists). Which leading
and trailing tokens to drop is decided once, from a probe sentence without spaces (今天天气真好):
the first start offset in 0, 1, 2 whose decoded tail (spaces removed) equals the probe (then no
end cut) or starts with it, then the first end offset in -1, -2 whose decoded slice equals the
probe; BERT-style tokenizers give [1:-1], most LLM tokenizers [0:] or [1:]; a tokenizer that cannot
reproduce the probe is an error, as in the script. The probe's forward pass also tells whether the
model returns hidden states batch-first or sequence-first (ChatGLM). Every sentence is then tokenised
alone (no padding, no truncation, no ``max_length``), run alone with the tokenizer's outputs and
every hidden state, cut to [start:end] and averaged over the remaining tokens; an empty sentence
(or one whose cut leaves no token) gives zeros. ``max_length`` and ``exclude_special_tokens`` play
no part.

``"merbench"`` (default, a named departure) -- sentences batched with padding and attention masks,
truncated to ``max_length``; the tokens dropped are those of the tokenizer's special-tokens mask
(``exclude_special_tokens=False`` averages over all tokens of the attention mask instead:
sentence-transformers' mean pooling, used by all-MiniLM-L6-v2). Valid tokens are packed to the
front of each row, so padding side and position never matter.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from merbench.contracts.encoder import EncoderOutput
from merbench.encoders.hf import HFEncoder, checkpoint_path
from merbench.util.padding import pad_sequences

TEXT_FIELDS = ("subtitle", "subtitle_en")
#: the baseline's probe sentence (no spaces): its tokenisation shows which special tokens to cut
PROBE = "今天天气真好"


def probe_span(tokenizer) -> tuple[int, int | None]:
    """(start, end) slice of the token sequence that holds the text, found on :data:`PROBE` as the baseline does."""
    ids = tokenizer(PROBE, return_tensors="pt")["input_ids"][0]
    start = 0
    for start in range(3):
        tail = tokenizer.decode(ids[start:]).replace(" ", "")
        if tail == PROBE:
            return start, None
        if tail.startswith(PROBE):
            break
    for end in (-1, -2):
        if tokenizer.decode(ids[start:end]).replace(" ", "") == PROBE:
            return start, end
    raise ValueError(f"pooling='baseline': the tokenizer does not give back the probe sentence {PROBE!r} "
                     f"(decoded {tokenizer.decode(ids)!r}), so its special tokens cannot be found; use pooling='merbench'")


class HFTextEncoder(HFEncoder):
    modality = "text"
    input_kind = "text"
    version = "1"
    batch_size = 16
    poolings = ("merbench", "baseline")

    def __init__(self, checkpoint: str, revision: str = "main", text_field: str = "subtitle",
                 exclude_special_tokens: bool = True, max_length: int = 512, default_layers: str = "sum-last-4",
                 dtype: str = "float32", trust_remote_code: bool = False, batch_size: int | None = None,
                 pooling: str | None = None) -> None:
        if text_field not in TEXT_FIELDS:
            raise ValueError(f"text_field must be one of {TEXT_FIELDS}, got {text_field!r}")
        super().__init__(checkpoint, revision, dtype, trust_remote_code=trust_remote_code, batch_size=batch_size,
                         pooling=pooling)
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
        baseline = self.pooling == "baseline"
        self.tokenizer = AutoTokenizer.from_pretrained(path, **({"use_fast": False} if baseline else {}), **kwargs)
        # a fast tokenizer sets its padding/truncation state on every call: concurrent calls (see
        # Encoder.concurrent_encode) would race on it ("Already borrowed"), so tokenising is serialised
        self._tokenize_lock = threading.Lock()
        if self.tokenizer.pad_token is None and not baseline:
            self.tokenizer.pad_token = self.tokenizer.eos_token or self.tokenizer.unk_token
        self.model = self.place(AutoModel.from_pretrained(path, **kwargs), device)
        if baseline:
            self.span = probe_span(self.tokenizer)
            probe = self._forward(PROBE)
            last = probe[-1]
            self.layers_dim = (len(probe), int(last.shape[-1]))
            if last.shape[1] == 1:
                self.batch_axis = 1
            elif last.shape[0] == 1:
                self.batch_axis = 0
            else:
                raise ValueError(f"pooling='baseline': hidden states of shape {tuple(last.shape)} for one sentence "
                                 "have no batch axis of size 1")

    def _forward(self, sentence: str):
        """Every hidden state of one sentence, tokenised alone (the baseline's call)."""
        import torch

        with self._tokenize_lock:
            enc = self.tokenizer(sentence, return_tensors="pt")
        with torch.inference_mode():
            return self.model(**{k: v.to(self.device) for k, v in enc.items()}, output_hidden_states=True).hidden_states

    def encode(self, batch: list[str]) -> EncoderOutput:
        if self.pooling == "baseline":
            return self._encode_baseline(batch)
        return self._encode_merbench(batch)

    def _encode_baseline(self, batch: list[str]) -> EncoderOutput:
        """One sentence per forward pass, the probe's [start:end] cut (see the module docstring)."""
        start, end = self.span
        items = []
        for sentence in batch:
            if not sentence:
                items.append(None)
                continue
            hidden = self._forward(sentence)
            items.append([(h[0] if self.batch_axis == 0 else h[:, 0])[start:end].float().cpu().numpy() for h in hidden])
        n_layers, dim = self.layers_dim
        lengths = np.array([0 if item is None else len(item[0]) for item in items], np.int64)
        empty = np.zeros((0, dim), np.float32)
        hidden = [pad_sequences([empty if item is None else item[layer] for item in items], min_length=1)[0]
                  for layer in range(n_layers)]
        return EncoderOutput(hidden_states=hidden, lengths=lengths)

    def _encode_merbench(self, batch: list[str]) -> EncoderOutput:
        """Padded batches with attention masks, special tokens from the tokenizer's mask."""
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
        keep = keep.numpy()
        packed = [pad_sequences([layer[i, keep[i]] for i in range(len(batch))], min_length=1)[0]
                  for layer in (h.float().cpu().numpy() for h in hidden)]
        return EncoderOutput(hidden_states=packed, lengths=lengths)
