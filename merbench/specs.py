"""Frozen specs that plugins register: what a component is called, what it is, how to build it.

A spec never imports the component: ``factory`` is a lazy ``"module:attr"`` string that the
registry resolves only when somebody asks for that component. That keeps plugin discovery (and
``merbench --help``) free of torch, transformers and media libraries.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping

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
        name: the name users type (``--encoder hubert-large``); unique per kind.
        factory: ``"package.module:attr"``; ``attr`` is a class or a callable that builds the
            component from keyword parameters.
        summary: one line for ``merbench plugins list``.
        card: free metadata (modality, dimension, hub id, licence, ...); frozen on creation.
        defaults: default keyword parameters passed to the factory.
        plugin: filled in by the plugin manager: the plugin that registered the spec.
        distribution: filled in by the plugin manager: ``"name version"`` of the
            distribution that ships the plugin, or ``"merbench (built-in)"``.
    """

    kind: str
    name: str
    factory: str
    summary: str = ""
    card: Mapping[str, Any] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    plugin: str = ""
    distribution: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown component kind {self.kind!r}; expected one of {sorted(KINDS)}")
        if ":" not in self.factory:
            raise ValueError(f"{self.kind} {self.name!r}: factory must be 'module:attr', got {self.factory!r}")
        object.__setattr__(self, "card", _freeze(dict(self.card)))
        object.__setattr__(self, "defaults", _freeze(dict(self.defaults)))

    def load(self) -> Callable[..., Any]:
        """Import and return the factory (the only place a plugin's heavy code is imported)."""
        module_name, _, attr = self.factory.partition(":")
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
        return obj

    def create(self, **params: Any) -> Any:
        """Build the component with ``defaults`` overridden by ``params``."""
        return self.load()(**{**thaw(self.defaults), **params})


#: The callback type every declaration hook receives.
Register = Callable[..., ComponentSpec]
