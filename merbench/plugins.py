"""The plugin manager: built-ins and third-party plugins, loaded the same way, into one registry.

Built-in plugins are the modules in :data:`DEFAULT_PLUGINS`; they implement the same hooks a
third-party plugin does. Third-party plugins are found through the ``merbench`` entry-point group.

Environment switches:

``MERBENCH_STRICT_PLUGINS=1``
    a third-party plugin that fails to load or register is fatal instead of a warning.
``MERBENCH_DISABLE_PLUGINS=a,b``
    skip these entry points (by entry-point name or distribution name).
``MERBENCH_PLUGINS=a,b``
    allow-list: load only these third-party plugins.
``MERBENCH_LOAD_ENTRYPOINTS=0``
    load built-ins only.
``MERBENCH_TRACE_PLUGINS=1``
    print every declaration hook's registrations and every lifecycle hook call to stderr.
"""

from __future__ import annotations

import difflib
import importlib
import os
import sys
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Iterable

import pluggy

from merbench import hookspecs
from merbench.specs import KINDS, ComponentSpec

ENTRY_POINT_GROUP = "merbench"
BUILTIN_DISTRIBUTION = "merbench (built-in)"

#: Built-in plugin modules, registered exactly like third-party plugins.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "merbench.builtin.commands",
    "merbench.builtin.datasets",
    "merbench.builtin.encoders",
    "merbench.builtin.corruptions",
    "merbench.builtin.training",
    "merbench.builtin.tracks",
    "merbench.builtin.ov",
)


class PluginError(RuntimeError):
    """A plugin could not be loaded, or two plugins claim one component name."""


class UnknownComponentError(KeyError):
    """A user asked for a component no plugin registered; the message suggests close names."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


@dataclass(frozen=True)
class PluginFailure:
    """A third-party plugin that failed to load or register."""

    plugin: str
    distribution: str
    error: str


@dataclass(frozen=True)
class LoadedPlugin:
    name: str
    distribution: str
    builtin: bool


@dataclass
class Registry:
    """All registered components, by kind then name. Frozen once the manager has loaded."""

    specs: dict[str, dict[str, ComponentSpec]] = field(default_factory=lambda: {k: {} for k in KINDS})
    plugins: list[LoadedPlugin] = field(default_factory=list)
    failures: list[PluginFailure] = field(default_factory=list)
    shadowed: list[str] = field(default_factory=list)

    def names(self, kind: str) -> list[str]:
        return sorted(self._kind(kind))

    def all(self, kind: str | None = None) -> list[ComponentSpec]:
        kinds = [kind] if kind else list(KINDS)
        return [self.specs[k][n] for k in kinds for n in sorted(self._kind(k))]

    def get(self, kind: str, name: str) -> ComponentSpec:
        specs = self._kind(kind)
        if name in specs:
            return specs[name]
        close = difflib.get_close_matches(name, list(specs), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        known = ", ".join(sorted(specs)) or "none"
        raise UnknownComponentError(f"unknown {kind} {name!r}.{hint} Known {kind}s: {known}.")

    def create(self, kind: str, name: str, **params: Any) -> Any:
        return self.get(kind, name).create(**params)

    def _kind(self, kind: str) -> dict[str, ComponentSpec]:
        if kind not in self.specs:
            raise UnknownComponentError(f"unknown component kind {kind!r}; expected one of {sorted(KINDS)}")
        return self.specs[kind]


def _env_list(var: str) -> set[str]:
    return {item.strip() for item in os.environ.get(var, "").split(",") if item.strip()}


def _truthy(var: str, default: str = "0") -> bool:
    return os.environ.get(var, default).strip().lower() in {"1", "true", "yes", "on"}


def _distribution_label(ep: metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "unknown distribution"
    return f"{dist.metadata['Name']} {dist.version}"


class PluginManager:
    """Loads plugins and collects their component specs into a :class:`Registry`."""

    def __init__(self, *, builtins: Iterable[str] = DEFAULT_PLUGINS, entry_points: bool | None = None) -> None:
        self.pm = pluggy.PluginManager("merbench")
        self.pm.add_hookspecs(hookspecs)
        self.strict = _truthy("MERBENCH_STRICT_PLUGINS")
        self._builtins = tuple(builtins)
        self._load_entry_points = _truthy("MERBENCH_LOAD_ENTRYPOINTS", "1") if entry_points is None else entry_points
        self._distributions: dict[str, str] = {}
        self._builtin_names: set[str] = set()
        self.registry = Registry()
        self.trace = _truthy("MERBENCH_TRACE_PLUGINS")
        if self.trace:
            self.pm.trace.root.setwriter(lambda msg: sys.stderr.write(msg))
            self.pm.enable_tracing()

    # -- loading -----------------------------------------------------------------------------
    def load(self) -> Registry:
        for module_name in self._builtins:
            module = importlib.import_module(module_name)
            self.pm.register(module, name=module_name)
            self._builtin_names.add(module_name)
            self._distributions[module_name] = BUILTIN_DISTRIBUTION
            self.registry.plugins.append(LoadedPlugin(module_name, BUILTIN_DISTRIBUTION, True))
        if self._load_entry_points:
            self._load_third_party()
        self._collect()
        return self.registry

    def register_plugin(self, plugin: object, name: str, distribution: str) -> None:
        """Register a plugin object directly (tests, notebooks); call before :meth:`load`."""
        self.pm.register(plugin, name=name)
        self._distributions[name] = distribution
        self.registry.plugins.append(LoadedPlugin(name, distribution, False))

    def _load_third_party(self) -> None:
        allow, deny = _env_list("MERBENCH_PLUGINS"), _env_list("MERBENCH_DISABLE_PLUGINS")
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = _distribution_label(ep)
            dist_name = dist.split(" ")[0]
            if ep.name in deny or dist_name in deny:
                continue
            if allow and ep.name not in allow and dist_name not in allow:
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin must not take merbench down with it
                self._fail(ep.name, dist, f"{type(exc).__name__}: {exc}")
                continue
            if self.pm.is_registered(plugin):
                continue
            self.pm.register(plugin, name=ep.name)
            self._distributions[ep.name] = dist
            self.registry.plugins.append(LoadedPlugin(ep.name, dist, False))

    def _fail(self, plugin: str, distribution: str, error: str) -> None:
        failure = PluginFailure(plugin, distribution, error)
        if self.strict:
            raise PluginError(f"plugin {plugin!r} from {distribution} failed: {error}")
        self.registry.failures.append(failure)
        warnings.warn(
            f"merbench plugin {plugin!r} from {distribution} failed and was skipped: {error} "
            "(see `merbench plugins doctor`; MERBENCH_STRICT_PLUGINS=1 makes this fatal)",
            RuntimeWarning,
            stacklevel=2,
        )

    # -- collecting specs --------------------------------------------------------------------
    def _collect(self) -> None:
        owners: dict[tuple[str, str], str] = {}
        # Registration order (built-ins first, so they win name clashes); deterministic error messages.
        for loaded in sorted(self.registry.plugins, key=lambda p: not p.builtin):
            plugin_name = loaded.name
            plugin = self.pm.get_plugin(plugin_name)
            for kind, hook_name in KINDS.items():
                impl = getattr(plugin, hook_name, None)
                if impl is None:
                    continue
                collected: list[ComponentSpec] = []

                def register(name: str, factory: str, *, summary: str = "", card: dict | None = None,
                             defaults: dict | None = None, _kind: str = kind, _plugin: str = plugin_name) -> ComponentSpec:
                    spec = ComponentSpec(_kind, name, factory, summary, card or {}, defaults or {},
                                         _plugin, self._distributions.get(_plugin, "unknown distribution"))
                    collected.append(spec)
                    return spec

                try:
                    impl(register=register)
                except Exception as exc:
                    if plugin_name in self._builtin_names:
                        raise
                    self._fail(plugin_name, self._distributions.get(plugin_name, "?"), f"{hook_name}: {type(exc).__name__}: {exc}")
                    continue
                if self.trace:
                    names = ", ".join(s.name for s in collected) or "nothing"
                    sys.stderr.write(f"merbench: {plugin_name}.{hook_name}() registered {names}\n")
                for spec in collected:
                    self._add(spec, owners)

    def _add(self, spec: ComponentSpec, owners: dict[tuple[str, str], str]) -> None:
        key = (spec.kind, spec.name)
        previous = owners.get(key)
        if previous is None:
            owners[key] = spec.plugin
            self.registry.specs[spec.kind][spec.name] = spec
            return
        if previous in self._builtin_names:
            self.registry.shadowed.append(
                f"{spec.kind} {spec.name!r} from {spec.distribution} ignored: the built-in wins"
            )
            return
        if previous == spec.plugin:
            raise PluginError(f"plugin {spec.plugin!r} registers {spec.kind} {spec.name!r} twice")
        first = self.registry.specs[spec.kind][spec.name]
        raise PluginError(
            f"{spec.kind} {spec.name!r} is registered by two plugins: {first.plugin!r} ({first.distribution}) "
            f"and {spec.plugin!r} ({spec.distribution}); uninstall one or disable it with MERBENCH_DISABLE_PLUGINS"
        )

    # -- lifecycle hooks ----------------------------------------------------------------------
    @property
    def hook(self) -> Any:
        return self.pm.hook


_manager: PluginManager | None = None


def get_manager() -> PluginManager:
    """The process-wide manager, loaded on first use."""
    global _manager
    if _manager is None:
        manager = PluginManager()
        manager.load()
        _manager = manager
    return _manager


def get_registry() -> Registry:
    return get_manager().registry


def reset() -> None:
    """Forget the loaded manager (tests that install or break plugins call this)."""
    global _manager
    _manager = None


def get(kind: str, name: str) -> ComponentSpec:
    return get_registry().get(kind, name)


def create(kind: str, name: str, **params: Any) -> Any:
    """Build a registered component: ``create("encoder", "egemaps")``."""
    return get_registry().create(kind, name, **params)
