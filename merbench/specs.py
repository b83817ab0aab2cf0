"""Frozen specs that plugins register: what a component is called, what it is, how to build it.

A spec never imports the component: ``factory`` is a lazy ``"module:attr"`` string that the
registry resolves only when somebody asks for that component. That keeps plugin discovery (and
``merbench --help``) free of torch, transformers and media libraries. Its ``card`` is the kind's
typed card (:mod:`merbench.contracts.cards`), validated when the spec is made.
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping, Protocol

from merbench.contracts import CONTRACTS
from merbench.contracts.cards import CARD_TYPES, Card, CardError, mirror_mismatches
from merbench.util.names import did_you_mean

#: Every kind of component a plugin may register, with the hook that declares it.
KINDS: Mapping[str, str] = MappingProxyType(
    {
        "dataset": "register_datasets",
        "encoder": "register_encoders",
        "fusion": "register_fusions",
        "corruption": "register_corruptions",
        "describer": "register_describers",
        "grouper": "register_groupers",
        "metric": "register_metrics",
        "transcriber": "register_transcribers",
        "strategy": "register_training_strategies",
        "track": "register_tracks",
        "protocol": "register_protocols",
        "command": "register_commands",
    }
)


_DOTTED = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
FACTORY_PATTERN = re.compile(rf"^{_DOTTED}:{_DOTTED}$")


class SpecError(ValueError):
    """A spec that cannot be registered: unknown kind, malformed factory string, or a card that does not fit."""


class ParamError(ValueError):
    """A component was given a parameter its factory does not take."""


class FactoryError(ImportError):
    """A component's factory could not be imported (its module or attribute is missing, or importing failed)."""


class ContractError(TypeError):
    """A factory built something that breaks its kind's contract: not an instance of the contract class,
    or with attributes that contradict its card."""


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Turn a frozen card back into plain dicts and lists (for JSON and YAML output)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class ComponentSpec:
    """One registered component.

    Attributes:
        kind: one of :data:`KINDS`.
        name: the name users type (``--encoder chinese-hubert-large``); unique per kind.
        factory: ``"package.module:attr"``; ``attr`` is a class or a callable that builds the
            component from keyword parameters.
        summary: one line for ``merbench plugins list``.
        card: the kind's typed card (:data:`merbench.contracts.cards.CARD_TYPES`), built from a dict of
            its fields when given one and validated; ``track`` cards stay free-form frozen mappings.
        defaults: default keyword parameters passed to the factory.
        plugin: filled in by the plugin manager: the plugin that registered the spec.
        distribution: filled in by the plugin manager: ``"name version"`` of the
            distribution that ships the plugin, or ``"merbench (built-in)"``.
    """

    kind: str
    name: str
    factory: str
    summary: str = ""
    card: Any = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    plugin: str = ""
    distribution: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise SpecError(f"unknown component kind {self.kind!r}; expected one of {sorted(KINDS)}")
        if not isinstance(self.factory, str) or not FACTORY_PATTERN.match(self.factory):
            raise SpecError(f"{self.kind} {self.name!r}: factory must be 'module:attr', got {self.factory!r}")
        card_type = CARD_TYPES.get(self.kind)
        if card_type is None:
            card = _freeze(dict(self.card or {}))
        else:
            try:
                card = card_type.from_value(self.card)
            except (CardError, TypeError) as exc:
                reason = str(exc).removeprefix(f"{self.kind} ")  # "encoder 'x': card lacks ...", not "encoder card"
                raise SpecError(f"{self.kind} {self.name!r}: {reason}") from None
        object.__setattr__(self, "card", card)
        object.__setattr__(self, "defaults", _freeze(dict(self.defaults)))

    @property
    def module(self) -> str:
        """The module part of :attr:`factory`."""
        return self.factory.partition(":")[0]

    def _label(self) -> str:
        return f"{self.kind} {self.name!r}" + (f" from {self.distribution}" if self.distribution else "")

    def load(self) -> Callable[..., Any]:
        """Import and return the factory (the only place a plugin's heavy code is imported)."""
        module_name, _, attr = self.factory.partition(":")
        try:
            obj: Any = importlib.import_module(module_name)
            for part in attr.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError) as exc:
            raise FactoryError(f"{self._label()}: cannot import its factory {self.factory!r}: "
                               f"{type(exc).__name__}: {exc}") from exc
        return obj

    def create(self, **params: Any) -> Any:
        """Build the component with ``defaults`` overridden by ``params``; check it against its contract
        class and card (:class:`ContractError`)."""
        factory = self.load()
        kwargs = {**thaw(self.defaults), **params}
        self._check_params(factory, kwargs)
        component = factory(**kwargs)
        self.check_component(component, overridden=params)
        return component

    def _check_params(self, factory: Callable[..., Any], kwargs: Mapping[str, Any]) -> None:
        """A parameter the factory's signature lacks is a :class:`ParamError` naming the ones it takes,
        instead of the factory's TypeError traceback (factories taking ``**kwargs`` take anything)."""
        try:
            accepted = inspect.signature(factory).parameters.values()
        except (TypeError, ValueError):  # no signature to read (a builtin): the factory itself decides
            return
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted):
            return
        names = [p.name for p in accepted if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]
        for key in kwargs:
            if key not in names:
                raise ParamError(f"{self._label()}: unknown parameter {key!r}{did_you_mean(key, names)}; it takes "
                                 f"{', '.join(names) or 'no parameters'}")

    def check_component(self, component: Any, overridden: Iterable[str] = ()) -> None:
        """Raise :class:`ContractError` unless ``component`` is an instance of its kind's contract class
        (kinds that have one) whose card-mirrored attributes equal the card's; attributes named in
        ``overridden`` (parameters the caller passed, e.g. ``default_layers``) may differ."""
        contract = contract_class(self.kind)
        if contract is not None and not isinstance(component, contract):
            raise ContractError(f"{self._label()}: factory {self.factory!r} built a {type(component).__name__}, "
                                f"not a {contract.__module__}.{contract.__qualname__}")
        if isinstance(self.card, Card):
            problems = mirror_mismatches(self.card, component, skip=overridden)
            if problems:
                raise ContractError(f"{self._label()}: the built {type(component).__name__} contradicts its card: "
                                    + "; ".join(problems))


def contract_class(kind: str) -> type | None:
    """The class every component of ``kind`` must be an instance of (imports its contract module), or None."""
    target = CONTRACTS.get(kind)
    if target is None:
        return None
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


class Register(Protocol):
    """The callback every declaration hook receives, bound to one component kind.

    ``name``: what users type, unique per kind; ``factory``: ``"module:attr"``, imported on use;
    ``summary``: one line for ``merbench plugins list``; ``card``: the kind's card, or a dict of its
    fields; ``defaults``: keyword parameters for the factory. Returns the registered spec. A spec that
    does not validate raises :class:`SpecError`, and the plugin's registration fails.
    """

    def __call__(self, name: str, factory: str, *, summary: str = "", card: Card | Mapping[str, Any] | None = None,
                 defaults: Mapping[str, Any] | None = None) -> ComponentSpec: ...
