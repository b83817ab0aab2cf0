"""The run config: data (YAML/JSON) validated by ``run.schema.json``, resolved in layers.

Layers, each overriding the one before: the built-in run defaults (``builtin/run-defaults.yaml``:
demo corpus, offline encoders, fusion), the **protocol** preset's settings (the dataset's own
challenge protocol unless ``protocol`` names another), the dataset's suggested defaults (the demo's
small budget), the run config file, the command line. Every field a protocol sets and the run
changes is a **departure**: ``(field, protocol value, run value, source layer)``, printed above the
tables and stored in every record.
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from merbench.util.yamlfile import read_yaml

log = logging.getLogger(__name__)
SCHEMA_PATH = Path(__file__).with_name("run.schema.json")
DEFAULTS_PATH = Path(__file__).parent.parent / "builtin" / "run-defaults.yaml"
#: fields whose value is replaced, never merged key by key
_REPLACED = {"encoders", "search_space"}


class ConfigError(ValueError):
    """A run config that does not match the schema; the message names the file and field."""


@dataclass
class ResolvedConfig:
    """A run's full config, the protocol it follows and where it departs from it."""

    config: dict[str, Any]
    protocol: Any  # merbench.contracts.protocol.Protocol
    departures: list[dict[str, Any]] = field(default_factory=list)


Layer = tuple[str, Mapping[str, Any]]


def defaults() -> dict[str, Any]:
    return read_yaml(DEFAULTS_PATH, ConfigError)


def validate(config: Mapping[str, Any], where: str = "run config") -> None:
    import jsonschema

    from merbench.util.schema import first_error

    problem = first_error(jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))), config)
    if problem:
        raise ConfigError(f"{where}: {problem}")


def user_layers(overrides: Mapping[str, Any] | None = None, path: str | Path | None = None) -> list[Layer]:
    """The run config file at ``path`` (YAML or JSON), then ``overrides`` (None values dropped); each validated."""
    layers: list[Layer] = []
    if path is not None:
        data = read_yaml(path, ConfigError, what="run config") or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: a run config must be a mapping, got {type(data).__name__}")
        layers.append((str(path), data))
    if overrides:
        layers.append(("command line", {k: v for k, v in overrides.items() if v is not None}))
    for where, layer in layers:
        validate(layer, where)
    return layers


def merge(base: dict[str, Any], layer: Mapping[str, Any]) -> dict[str, Any]:
    """``layer`` over ``base``: nested mappings merge key by key, other values (and :data:`_REPLACED`) replace."""
    out = dict(base)
    for key, value in layer.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping) and key not in _REPLACED:
            out[key] = merge(dict(out[key]), value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def protocol_name(layers: Sequence[Layer], dataset_protocol: str | None) -> str | None:
    """The protocol a run follows: the last layer's ``protocol``, else the dataset's own."""
    named = [layer["protocol"] for _, layer in layers if layer.get("protocol")]
    return named[-1] if named else dataset_protocol


def resolve(layers: Sequence[Layer], *, dataset_protocol: str | None = None,
            dataset_defaults: Mapping[str, Any] | None = None, dataset_name: str = "dataset") -> ResolvedConfig:
    """Defaults, protocol settings, ``dataset_defaults``, then ``layers``: validated, with the departures."""
    from merbench import plugins

    name = protocol_name(layers, dataset_protocol)
    if name is None:
        raise ConfigError("run config: no protocol given and the dataset names none; set protocol: <name> "
                          f"(registered: {', '.join(plugins.get_registry().names('protocol'))})")
    try:
        protocol = plugins.create("protocol", name)
    except plugins.UnknownComponentError as exc:
        raise ConfigError(f"run config: field protocol: {exc.args[0]}") from None
    stack: list[Layer] = [("defaults", defaults()), (f"protocol {protocol.name}", dict(protocol.settings))]
    if dataset_defaults:
        stack.append((f"{dataset_name} defaults", dict(dataset_defaults)))
    stack += list(layers)
    config: dict[str, Any] = {}
    for where, layer in stack:
        config = merge(config, layer)
    config["protocol"] = protocol.name
    if config.get("tracks") is None:
        config["tracks"] = list(protocol.tracks or _dataset_protocol_tracks(dataset_protocol, protocol.name))
    validate(config)
    config = canonical_encoders(config)
    return ResolvedConfig(config, protocol, departures(protocol.settings, config, stack[2:]))


def canonical_encoders(config: dict[str, Any]) -> dict[str, Any]:
    """The validated ``config`` with the registered name wherever ``encoders`` or ``encoder_params``
    use an alias (``hubert-large`` -> ``chinese-hubert-large``), so that caches, departures and
    records name one encoder one way. Names that are neither (typos, ``import:`` features) are left for the checks
    that report them. An encoder named twice in a modality, or given parameters under two names,
    is an error."""
    from merbench import plugins

    registry = plugins.get_registry()
    aliases: dict[str, list[str]] = {}  # registered name -> the aliases given for it

    def canonical(name: str) -> str:
        try:
            target = registry.canonical("encoder", name)
        except plugins.UnknownComponentError:
            return name
        if target != name and name not in aliases.get(target, []):
            aliases.setdefault(target, []).append(name)
        return target

    out = dict(config)
    out["encoders"] = {}
    for modality, names in config.get("encoders", {}).items():
        seen: dict[str, str] = {}
        for name in names:
            target = canonical(name)
            if target in seen:
                raise ConfigError(f"run config: field encoders.{modality} names {target} twice "
                                  f"({seen[target]!r} and {name!r}); give it once")
            seen[target] = name
        out["encoders"][modality] = list(seen)
    out["encoder_params"], given_as = {}, {}
    for name, values in config.get("encoder_params", {}).items():
        target = canonical(name)
        if target in out["encoder_params"]:
            raise ConfigError(f"run config: field encoder_params gives {target} parameters twice "
                              f"(as {given_as[target]!r} and {name!r}); merge them under {target!r}")
        out["encoder_params"][target], given_as[target] = values, name
    for target, names in aliases.items():
        log.info("encoder %s: %s of %s; the run and its records use %s", ", ".join(names),
                 "an alias" if len(names) == 1 else "aliases", target, target)
    return out


def _dataset_protocol_tracks(dataset_protocol: str | None, name: str) -> Sequence[str]:
    from merbench import plugins

    own = plugins.create("protocol", dataset_protocol) if dataset_protocol else None
    if own is None or not own.tracks:
        raise ConfigError(f"protocol {name!r} names no tracks and the dataset's protocol gives none; set tracks: [...]")
    return own.tracks


def fusion_params(config: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters the run's fusion is built with: the protocol's for that fusion, then ``fusion_params``."""
    return {**config.get("fusion_defaults", {}).get(config["fusion"], {}), **config["fusion_params"]}


def departures(settings: Mapping[str, Any], config: Mapping[str, Any], layers: Sequence[Layer]) -> list[dict[str, Any]]:
    """Every protocol setting the run changes: ``{"field", "protocol", "run", "source"}``.

    ``fusion_defaults`` is compared for the run's fusion only, against the parameters it is built with."""
    out = []
    for key, expected in settings.items():
        if key == "fusion_defaults":
            built = fusion_params(config)
            for param, value in (expected.get(config["fusion"]) or {}).items():
                if built.get(param) != value:
                    out.append({"field": f"fusion_params.{param}", "protocol": value, "run": built.get(param),
                                "source": _source(layers, "fusion_params", param)})
            continue
        if config.get(key) != expected:
            out.append({"field": key, "protocol": expected, "run": config.get(key), "source": _source(layers, key)})
    return out


def _source(layers: Sequence[Layer], key: str, sub: str | None = None) -> str:
    for where, layer in reversed(layers):
        if key in layer and (sub is None or sub in (layer[key] or {})):
            return where
    return "defaults"


def build_config(overrides: Mapping[str, Any] | None = None, path: str | Path | None = None) -> dict[str, Any]:
    """The full config for ``overrides`` and the file at ``path`` before the dataset is opened (its
    protocol taken as the :class:`~merbench.contracts.dataset.Dataset` default). ``merbench run``
    resolves again once it knows the dataset's own protocol and defaults."""
    from merbench.contracts.dataset import Dataset

    return resolve(user_layers(overrides, path), dataset_protocol=Dataset.protocol).config
