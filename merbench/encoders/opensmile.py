"""openSMILE functionals (eGeMAPSv02, ComParE_2016, IS09, IS10) through the ``opensmile`` package.

openSMILE has no batch API, so a batch is spread over threads (its C library releases the GIL),
one ``Smile`` object per thread. Output: one layer; functionals are one frame per clip, low-level
descriptors (``feature_level="lld"``) one frame per 10 ms.
"""

from __future__ import annotations

import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from merbench.contracts.encoder import Encoder, EncoderOutput
from merbench.util.padding import pad_sequences

FEATURE_SETS = ("eGeMAPSv02", "ComParE_2016", "IS09", "IS10", "IS11", "IS12", "IS13", "GeMAPSv01b", "emobase")


class OpenSmileEncoder(Encoder):
    modality = "audio"
    input_kind = "waveform"
    sample_rate = 16000
    version = "1"
    default_layers = "last"
    batch_size = 32

    def __init__(self, feature_set: str = "eGeMAPSv02", feature_level: str = "functionals", threads: int = 2) -> None:
        if feature_set not in FEATURE_SETS:
            raise ValueError(f"unknown openSMILE feature set {feature_set!r}; choose one of {', '.join(FEATURE_SETS)}")
        if feature_level not in ("functionals", "lld"):
            raise ValueError(f"feature_level must be 'functionals' or 'lld', got {feature_level!r}")
        self.feature_set = feature_set
        self.feature_level = feature_level
        self.threads = max(1, int(threads))
        self._local = threading.local()
        self._pool: ThreadPoolExecutor | None = None

    def smile(self):
        """This thread's ``opensmile.Smile`` (built on first use)."""
        if getattr(self._local, "smile", None) is None:
            self._local.smile = build_smile(self.feature_set, self.feature_level)
        return self._local.smile

    def load(self, device: str = "cpu") -> None:
        # openSMILE warns and returns NaN for a clip shorter than one frame; merbench records NaN
        # features as that clip's failure (with the fix), so the raw warning would only repeat it
        warnings.filterwarnings("ignore", message="Segment too short, filling with NaN", category=UserWarning,
                                module=r"opensmile\.")
        self.smile()
        self._pool = ThreadPoolExecutor(max_workers=self.threads)

    def _one(self, wav: np.ndarray) -> np.ndarray:
        frame = self.smile().process_signal(np.asarray(wav, np.float32), self.sample_rate)
        return frame.to_numpy(dtype=np.float32)

    def encode(self, batch: list[np.ndarray]) -> EncoderOutput:
        if self._pool is None:
            self.load()
        feats = list(self._pool.map(self._one, batch))
        lengths = np.array([len(f) for f in feats], np.int64)
        out, _ = pad_sequences(feats, min_length=1)
        return EncoderOutput(hidden_states=[out], lengths=lengths)

    def fingerprint(self) -> dict[str, Any]:
        from importlib.metadata import version

        return {"feature_set": self.feature_set, "feature_level": self.feature_level,
                "opensmile": version("opensmile"), "sample_rate": self.sample_rate}


def build_smile(feature_set: str, feature_level: str = "functionals"):
    import opensmile

    level = opensmile.FeatureLevel.Functionals if feature_level == "functionals" else opensmile.FeatureLevel.LowLevelDescriptors
    return opensmile.Smile(feature_set=getattr(opensmile.FeatureSet, feature_set), feature_level=level)
