"""Feature tables for a run: cached encoder features per split, labels, and the bad-input checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from merbench.training.data import FeatureError, FeatureTable, label_indices
from merbench.util.padding import pad_sequences

#: frame-level fusions see at most this many evenly spaced frames per clip
MAX_FRAMES = 32


@dataclass(frozen=True)
class FeatureSet:
    """A split a run needs features of: its name in the run, the dataset split, labels or not, a corruption."""

    name: str
    split: str
    labeled: bool
    corruption: Any = None

    @classmethod
    def of(cls, split: str, *, labeled: bool, corruption: Any = None) -> "FeatureSet":
        """Named after the split, plus a digest of the corruption for a corrupted copy of it."""
        if corruption is None:
            return cls(split, split, labeled)
        import hashlib
        import json

        digest = hashlib.sha256(json.dumps(corruption, sort_keys=True).encode()).hexdigest()[:8]
        label = corruption if isinstance(corruption, str) else digest
        return cls(f"{split}~{label}", split, labeled, corruption)


@dataclass
class SplitFeatures:
    """Every requested encoder's features for one split of one dataset (rows in ``names`` order)."""

    dataset: Any
    split: str
    names: list[str]
    matrices: dict[str, Any] = field(default_factory=dict)  # encoder -> (N, D) or list of (T, D)
    skipped: dict[str, str] = field(default_factory=dict)  # sample -> why it was dropped (--skip-missing)


def load_split(dataset: Any, split: str, encoders: Sequence[str], *, frames: bool, skip_missing: bool,
               device: str, params: Mapping[str, Mapping[str, Any]] | None = None, executor=None) -> SplitFeatures:
    """Load (extracting what is missing) every encoder's features for ``split``.

    ``params``: encoder name -> factory parameters (``layers`` is the layer policy applied on reading).
    ``executor``: where missing clips are extracted (default: in this process).

    A clip whose extraction failed raises the cache's one-line error, unless ``skip_missing``: then it
    is dropped from the split and listed in ``skipped`` (the run's records report it)."""
    from merbench.cache import load_features, load_frames, resolve

    names = list(dataset.splits()[split])
    out = SplitFeatures(dataset, split, names)
    for encoder in encoders:
        kwargs = dict((params or {}).get(encoder, {}))
        layers = kwargs.pop("layers", None)
        if skip_missing:
            failed = resolve(dataset, encoder, **kwargs).store.failed()
            for n in names:
                if n in failed:
                    out.skipped.setdefault(n, f"{encoder} extraction failed: {failed[n]}")
        if frames:
            out.matrices[encoder] = load_frames(dataset, encoder, names, layers=layers, device=device,
                                                executor=executor, **kwargs)
        else:
            out.matrices[encoder] = load_features(dataset, encoder, names, layers=layers, device=device,
                                                  on_failed="zeros" if skip_missing else "error", executor=executor,
                                                  **kwargs)
    return out


def _frames_to_padded(seqs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    if not any(s.ndim == 2 and len(s) for s in seqs):
        raise FeatureError("every clip has an empty frame-level feature sequence; nothing to train on")
    seqs = [s[np.linspace(0, len(s) - 1, MAX_FRAMES).round().astype(int)] if len(s) > MAX_FRAMES else s for s in seqs]
    out, valid = pad_sequences(seqs, length=MAX_FRAMES)
    mask = valid.astype(np.float32)
    mask[:, 0] = 1.0  # an empty sequence attends to one zero frame, like the baseline's zero vector
    return out, mask


def build_table(split: SplitFeatures, inputs: dict[str, list[str]], *, labeled: bool, has_valence: bool,
                skip_missing: bool, frames: bool = False) -> FeatureTable:
    """A :class:`FeatureTable` whose input ``key`` is the concatenation of the listed encoders' features."""
    samples = [split.dataset.sample(n) for n in split.names]
    source = f"{split.dataset.root} [{split.split}]"
    labels = (label_indices([s.label for s in samples], split.names, source) if labeled
              else np.full(len(samples), -1, np.int64))
    valence = None
    if has_valence:
        valence = np.array([np.nan if s.valence is None or s.valence <= -10 else s.valence for s in samples], np.float32)
    matrices: dict[str, np.ndarray] = {}
    for key, encoders in inputs.items():
        if frames:
            padded = [_frames_to_padded(split.matrices[e]) for e in encoders]
            matrices[key] = np.concatenate([p[0] for p in padded], axis=-1)
            matrices[key + "__mask"] = padded[0][1]
        else:
            matrices[key] = np.concatenate([np.asarray(split.matrices[e], np.float32) for e in encoders], axis=-1)
    table = FeatureTable(list(split.names), matrices, labels, valence, source)
    if split.skipped:
        keep = np.array([n not in split.skipped for n in table.names])
        table = table.subset(np.flatnonzero(keep))
        table.skipped = [f"{n}: {why}" for n, why in split.skipped.items()]
    return table.check(skip_invalid=skip_missing)
