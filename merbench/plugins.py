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
import importlib.util
import inspect
import os
import sys
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from types import MappingProxyType
from typing import Any, Iterable, Mapping

import pluggy

from merbench import hookspecs
from merbench.specs import KINDS, ComponentSpec, SpecError
from merbench.util.names import did_you_mean

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

#: Every hook name of :mod:`merbench.hookspecs`.
HOOK_NAMES: tuple[str, ...] = tuple(sorted(
    name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(fn, "merbench_spec")))


class PluginError(RuntimeError):
    """A plugin could not be loaded, or two plugins claim one component name."""


class UnknownComponentError(KeyError):
    """A user asked for a component no plugin registered; the message suggests close names."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class _Rejected(Exception):
    """Internal: a plugin failed a check; the message is the one-line reason."""


@dataclass(frozen=True)
class PluginFailure:
    """A third-party plugin that failed to load or register, and was left out."""

    plugin: str
    distribution: str
    error: str  # one line

    def line(self) -> str:
        return f"{self.plugin} ({self.distribution}): {self.error}"


@dataclass(frozen=True)
class LoadedPlugin:
    name: str
    distribution: str
    builtin: bool


def _frozen_specs(specs: Mapping[str, Mapping[str, ComponentSpec]] | None) -> Mapping[str, Mapping[str, ComponentSpec]]:
    specs = specs or {}
    return MappingProxyType({k: MappingProxyType(dict(specs.get(k, {}))) for k in KINDS})


@dataclass(frozen=True)
class Registry:
    """All registered components, by kind then name. Frozen: built once by the manager's :meth:`~PluginManager.load`.

    A card's ``aliases`` (encoder cards have them) are other names :meth:`get` accepts, matched
    case-insensitively; :meth:`canonical` turns one into the registered name. An alias that is
    another component's name, or that a second component claims too, is ignored and listed in
    ``shadowed`` (``merbench plugins doctor``).
    """

    specs: Mapping[str, Mapping[str, ComponentSpec]] = field(default_factory=lambda: _frozen_specs(None))
    plugins: tuple[LoadedPlugin, ...] = ()
    failures: tuple[PluginFailure, ...] = ()
    shadowed: tuple[str, ...] = ()
    #: kind -> casefolded alias -> registered name
    aliases: Mapping[str, Mapping[str, str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "specs", _frozen_specs(self.specs))
        for name in ("plugins", "failures", "shadowed"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        aliases, ignored = _alias_map(self.specs)
        object.__setattr__(self, "aliases", aliases)
        object.__setattr__(self, "shadowed", self.shadowed + tuple(ignored))

    def names(self, kind: str) -> list[str]:
        return sorted(self._kind(kind))

    def all(self, kind: str | None = None) -> list[ComponentSpec]:
        kinds = [kind] if kind else list(KINDS)
        return [self.specs[k][n] for k in kinds for n in sorted(self._kind(k))]

    def canonical(self, kind: str, name: str) -> str:
        """The registered name ``name`` stands for: itself, or the component it is an alias of."""
        specs = self._kind(kind)
        if name in specs:
            return name
        target = self.aliases[kind].get(name.casefold())
        if target is not None:
            return target
        close = difflib.get_close_matches(name, [*specs, *self.aliases[kind]], n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        known = ", ".join(sorted(specs)) or "none"
        raise UnknownComponentError(f"unknown {kind} {name!r}.{hint} Known {kind}s: {known}.")

    def get(self, kind: str, name: str) -> ComponentSpec:
        return self._kind(kind)[self.canonical(kind, name)]

    def create(self, kind: str, name: str, **params: Any) -> Any:
        return self.get(kind, name).create(**params)

    def _kind(self, kind: str) -> Mapping[str, ComponentSpec]:
        if kind not in self.specs:
            raise UnknownComponentError(f"unknown component kind {kind!r}; expected one of {sorted(KINDS)}")
        return self.specs[kind]


def _alias_map(specs: Mapping[str, Mapping[str, ComponentSpec]]) -> tuple[dict[str, dict[str, str]], list[str]]:
    """kind -> casefolded alias -> name, from the cards' ``aliases``; and a line per alias left out."""
    aliases: dict[str, dict[str, str]] = {kind: {} for kind in specs}
    ignored: list[str] = []
    for kind, named in specs.items():
        folded_names = {n.casefold(): n for n in named}
        for name, spec in named.items():
            for alias in getattr(spec.card, "aliases", None) or ():
                key = alias.casefold()
                if key == name.casefold():
                    continue
                if key in folded_names:
                    ignored.append(f"{kind} alias {alias!r} of {name!r} ignored: it is the name of {kind} "
                                   f"{folded_names[key]!r}")
                elif key in aliases[kind] and aliases[kind][key] != name:
                    ignored.append(f"{kind} alias {alias!r} of {name!r} ignored: it is already an alias of "
                                   f"{aliases[kind][key]!r}")
                else:
                    aliases[kind][key] = name
    return aliases, ignored


def _env_list(var: str) -> set[str]:
    return {item.strip() for item in os.environ.get(var, "").split(",") if item.strip()}


def _truthy(var: str, default: str = "0") -> bool:
    return os.environ.get(var, default).strip().lower() in {"1", "true", "yes", "on"}


def _distribution_label(ep: metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "unknown distribution"
    return f"{dist.metadata['Name']} {dist.version}"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class PluginManager:
    """Loads plugins and collects their component specs into a :class:`Registry`."""

    def __init__(self, *, builtins: Iterable[str] = DEFAULT_PLUGINS, entry_points: bool | None = None) -> None:
        self.pm = pluggy.PluginManager("merbench")
        self.pm.add_hookspecs(hookspecs)
        self.strict = _truthy("MERBENCH_STRICT_PLUGINS")
        self._builtins = tuple(builtins)
        self._load_entry_points = _truthy("MERBENCH_LOAD_ENTRYPOINTS", "1") if entry_points is None else entry_points
        self._plugins: list[LoadedPlugin] = []
        self._failures: list[PluginFailure] = []
        self.registry = Registry()
        self.trace = _truthy("MERBENCH_TRACE_PLUGINS")
        if self.trace:
            self.pm.trace.root.setwriter(lambda msg: sys.stderr.write(msg))
            self.pm.enable_tracing()

    # -- loading -----------------------------------------------------------------------------
    def load(self) -> Registry:
        for module_name in self._builtins:
            self._register(importlib.import_module(module_name), module_name, BUILTIN_DISTRIBUTION, builtin=True)
        if self._load_entry_points:
            self._load_third_party()
        specs, shadowed = self._collect()
        try:
            self.pm.check_pending()  # every impl left names a hook of hookspecs.py (third-party ones were checked)
        except pluggy.PluginValidationError as exc:
            raise PluginError(_one_line(exc)) from None
        self.registry = Registry(specs, tuple(self._plugins), tuple(self._failures), tuple(shadowed))
        return self.registry

    def register_plugin(self, plugin: object, name: str, distribution: str) -> bool:
        """Register a third-party plugin object directly (tests, notebooks); call before :meth:`load`.
        Returns False where it failed a check (it is then listed in the registry's failures)."""
        return self._register(plugin, name, distribution, builtin=False)

    def _load_third_party(self) -> None:
        allow, deny = _env_list("MERBENCH_PLUGINS"), _env_list("MERBENCH_DISABLE_PLUGINS")
        installed: set[str] = set()
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = _distribution_label(ep)
            dist_name = dist.split(" ")[0]
            installed.update((ep.name, dist_name))
            if ep.name in deny or dist_name in deny:
                continue
            if allow and ep.name not in allow and dist_name not in allow:
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin must not take merbench down with it
                self._fail(ep.name, dist, f"import failed: {type(exc).__name__}: {_one_line(exc)}")
                continue
            if self.pm.is_registered(plugin):
                continue
            self._register(plugin, ep.name, dist, builtin=False)
        for name in sorted(allow - installed):  # a typo in the allow-list would otherwise silently load nothing
            self._fail(name, "MERBENCH_PLUGINS",
                       f"MERBENCH_PLUGINS names {name!r}, but no installed plugin has that entry point or distribution "
                       f"name{did_you_mean(name, installed)}; installed: {', '.join(sorted(installed)) or 'none'}")

    def _register(self, plugin: object, name: str, distribution: str, *, builtin: bool) -> bool:
        """``pm.register`` plus the checks pluggy leaves to the host; a plugin failing one is unregistered."""
        try:
            try:
                self.pm.register(plugin, name=name)
            except pluggy.PluginValidationError as exc:
                raise _Rejected(self._signature_problem(plugin) or _one_line(exc)) from None
            problem = self._undecorated_hook(plugin) or self._unknown_hook(plugin)
            if problem:
                raise _Rejected(problem)
        except _Rejected as exc:
            if self.pm.has_plugin(name):
                self.pm.unregister(name=name)
            self._reject(name, distribution, str(exc), builtin)
            return False
        self._plugins.append(LoadedPlugin(name, distribution, builtin))
        return True

    def _signature_problem(self, plugin: object) -> str | None:
        """The first ``@hookimpl`` taking an argument its spec lacks, as one line."""
        for attr in dir(plugin):
            opts = self.pm.parse_hookimpl_opts(plugin, attr)
            if opts is None:
                continue
            hook_name = opts.get("specname") or attr
            caller = getattr(self.pm.hook, hook_name, None)
            spec = getattr(caller, "spec", None)
            if spec is None:
                continue
            impl = pluggy.HookImpl(plugin, "", getattr(plugin, attr), opts)
            allowed = set(spec.argnames) | set(spec.kwargnames)
            extra = [a for a in impl.argnames if a not in allowed]
            if extra:
                return (f"{hook_name}({', '.join(impl.argnames)}): argument {extra[0]!r} is not in the hook spec "
                        f"{hook_name}({', '.join(spec.argnames)}){did_you_mean(extra[0], spec.argnames)}")
        return None

    def _undecorated_hook(self, plugin: object) -> str | None:
        """A function named like a hook but without ``@hookimpl``: pluggy would silently ignore it."""
        for hook_name in HOOK_NAMES:
            fn = getattr(plugin, hook_name, None)
            if fn is not None and inspect.isroutine(fn) and self.pm.parse_hookimpl_opts(plugin, hook_name) is None:
                return (f"{hook_name} has no @hookimpl decorator (missing @hookimpl), so it would never be called; "
                        "decorate it with merbench.hookspecs.hookimpl")
        return None

    def _unknown_hook(self, plugin: object) -> str | None:
        """A ``@hookimpl`` whose name no spec declares (what ``pm.check_pending()`` reports), attributed to ``plugin``."""
        for caller in self.pm.get_hookcallers(plugin) or []:
            if caller.has_spec():
                continue
            if any(impl.plugin is plugin and not impl.optionalhook for impl in caller.get_hookimpls()):
                return f"unknown hook {caller.name!r}{did_you_mean(caller.name, HOOK_NAMES)}: merbench.hookspecs declares no such hook"
        return None

    def _reject(self, plugin: str, distribution: str, error: str, builtin: bool) -> None:
        if builtin:
            raise PluginError(f"built-in plugin {plugin!r}: {error}")
        self._fail(plugin, distribution, error)

    def _fail(self, plugin: str, distribution: str, error: str) -> None:
        failure = PluginFailure(plugin, distribution, _one_line(error))
        if self.strict:
            raise PluginError(f"plugin {plugin!r} from {distribution} failed: {failure.error}")
        self._failures.append(failure)
        warnings.warn(
            f"merbench plugin {plugin!r} from {distribution} failed and was skipped: {failure.error} "
            "(see `merbench plugins doctor`; MERBENCH_STRICT_PLUGINS=1 makes this fatal)",
            RuntimeWarning,
            stacklevel=3,
        )

    # -- collecting specs --------------------------------------------------------------------
    def _collect(self) -> tuple[dict[str, dict[str, ComponentSpec]], list[str]]:
        specs: dict[str, dict[str, ComponentSpec]] = {k: {} for k in KINDS}
        shadowed: list[str] = []
        # Built-ins first, so they win name clashes; then registration order (deterministic messages).
        for loaded in sorted(self._plugins, key=lambda p: not p.builtin):
            try:
                collected = self._declarations(loaded)
            except _Rejected as exc:
                self.pm.unregister(name=loaded.name)
                self._plugins.remove(loaded)
                self._reject(loaded.name, loaded.distribution, str(exc), loaded.builtin)
                continue
            for spec in collected:
                self._add(spec, specs, shadowed)
        return specs, shadowed

    def _declarations(self, loaded: LoadedPlugin) -> list[ComponentSpec]:
        """Call each declaration hook ``loaded`` implements, through pluggy, with a ``register`` bound
        to its kind and to this plugin; every spec must validate, or the plugin is rejected."""
        plugin = self.pm.get_plugin(loaded.name)
        others = [p for n, p in self.pm.list_name_plugin() if n != loaded.name and p is not None]
        collected: list[ComponentSpec] = []
        for kind, hook_name in KINDS.items():
            caller = getattr(self.pm.hook, hook_name)
            if not any(impl.plugin is plugin for impl in caller.get_hookimpls()):
                continue
            errors: list[str] = []
            start = len(collected)

            def register(name: str, factory: str, *, summary: str = "", card: Any = None,
                         defaults: Mapping[str, Any] | None = None, _kind: str = kind) -> ComponentSpec:
                try:
                    spec = ComponentSpec(_kind, name, factory, summary, card, defaults or {}, loaded.name,
                                         loaded.distribution)
                    if not loaded.builtin:
                        _check_importable(spec)
                    if any(s.kind == _kind and s.name == name for s in collected):
                        raise SpecError(f"{_kind} {name!r} is registered twice")
                except SpecError as exc:
                    errors.append(str(exc))
                    raise
                collected.append(spec)
                return spec

            try:
                self.pm.subset_hook_caller(hook_name, remove_plugins=others)(register=register)
            except Exception as exc:
                if not errors:
                    raise _Rejected(f"{hook_name} raised {type(exc).__name__}: {_one_line(exc)}") from None
            if errors:  # also when the plugin caught the SpecError itself
                raise _Rejected(f"{hook_name}: {errors[0]}")
            if self.trace:
                names = ", ".join(s.name for s in collected[start:]) or "nothing"
                sys.stderr.write(f"merbench: {loaded.name}.{hook_name}() registered {names}\n")
        return collected

    def _add(self, spec: ComponentSpec, specs: dict[str, dict[str, ComponentSpec]], shadowed: list[str]) -> None:
        first = specs[spec.kind].get(spec.name)
        if first is None:
            specs[spec.kind][spec.name] = spec
            return
        if first.distribution == BUILTIN_DISTRIBUTION:
            shadowed.append(f"{spec.kind} {spec.name!r} from {spec.distribution} ignored: the built-in wins")
            return
        raise PluginError(
            f"{spec.kind} {spec.name!r} is registered by two plugins: {first.plugin!r} ({first.distribution}) "
            f"and {spec.plugin!r} ({spec.distribution}); uninstall one or disable it with MERBENCH_DISABLE_PLUGINS"
        )

    # -- lifecycle hooks ----------------------------------------------------------------------
    @property
    def hook(self) -> Any:
        return self.pm.hook


def _check_importable(spec: ComponentSpec) -> None:
    """A third-party factory's module must be findable; finding it imports its parent packages, never the
    module itself (the plugin's own package is imported already)."""
    try:
        found = importlib.util.find_spec(spec.module)
    except Exception as exc:  # a missing parent package, or one that fails to import
        raise SpecError(f"{spec.kind} {spec.name!r}: factory {spec.factory!r} is not importable: "
                        f"{type(exc).__name__}: {_one_line(exc)}") from None
    if found is None:
        raise SpecError(f"{spec.kind} {spec.name!r}: factory {spec.factory!r} is not importable: "
                        f"no module named {spec.module!r}")


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


def distribution_of(kind: str, component: Any) -> str:
    """The ``"name version"`` of the distribution whose code ``component`` is (``"merbench <version>"``
    for a built-in): the one that registered its class as a ``kind``, else the one whose registered
    factories live in the same top-level package (a factory function that returns the object); else
    ``"unregistered (<module>)"``."""
    cls = type(component)
    registry = get_registry()
    by_factory = [s for s in registry.all(kind) if s.factory == f"{cls.__module__}:{cls.__qualname__}"]
    package = cls.__module__.split(".")[0]
    by_package = [s for s in registry.all() if s.factory.split(":")[0].split(".")[0] == package]
    spec = next(iter(by_factory or by_package), None)
    return f"unregistered ({cls.__module__})" if spec is None else versioned_distribution(spec)


def versioned_distribution(spec: ComponentSpec) -> str:
    """``spec.distribution``, with merbench's version in place of "built-in"."""
    from merbench import __version__

    return f"merbench {__version__}" if spec.distribution == BUILTIN_DISTRIBUTION else spec.distribution
