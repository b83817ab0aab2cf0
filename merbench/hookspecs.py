"""Every hook a merbench plugin can implement. This module is the plugin API's reference.

Declaration hooks (``register_*``) receive a ``register`` callback bound to one component kind::

    register(name, factory="pkg.module:attr", summary="...", card={...}, defaults={...})

``factory`` is imported only when the component is used, so a plugin module should import
nothing heavy at top level. Each declaration hook returns nothing; register as many components
as you like. Lifecycle hooks let a plugin watch or extend a run without owning a component.

The contracts the factories must honour live in :mod:`merbench.contracts`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # type-only imports keep this module free of heavy dependencies
    from merbench.specs import Register

hookspec = pluggy.HookspecMarker("merbench")
hookimpl = pluggy.HookimplMarker("merbench")


@hookspec
def register_datasets(register: "Register") -> None:
    """Declare dataset readers; factories build a :class:`merbench.contracts.dataset.Dataset` from ``root``."""


@hookspec
def register_encoders(register: "Register") -> None:
    """Declare feature extractors; factories build a :class:`merbench.contracts.encoder.Encoder`."""


@hookspec
def register_fusions(register: "Register") -> None:
    """Declare fusion models; factories build a :class:`merbench.contracts.fusion.Fusion` ``torch.nn.Module``."""


@hookspec
def register_corruptions(register: "Register") -> None:
    """Declare media corruptions; factories build a :class:`merbench.contracts.corruption.Corruption`."""


@hookspec
def register_describers(register: "Register") -> None:
    """Declare (M)LLM describers; factories build a :class:`merbench.contracts.describer.Describer`."""


@hookspec
def register_groupers(register: "Register") -> None:
    """Declare open-vocabulary label groupers; factories build a :class:`merbench.contracts.grouper.Grouper`."""


@hookspec
def register_metrics(register: "Register") -> None:
    """Declare metrics; factories build a :class:`merbench.contracts.metric.Metric`."""


@hookspec
def register_transcribers(register: "Register") -> None:
    """Declare speech recognisers that fill missing subtitles; see :class:`merbench.contracts.transcriber.Transcriber`."""


@hookspec
def register_training_strategies(register: "Register") -> None:
    """Declare training strategies (e.g. semi-supervised pseudo-labelling); see :class:`merbench.contracts.strategy.Strategy`."""


@hookspec
def register_tracks(register: "Register") -> None:
    """Declare evaluation tracks; factories return a :class:`merbench.contracts.track.Track` (usually
    ``merbench.contracts.track:load_track`` with ``defaults={"path": "<track>.yaml"}``)."""


@hookspec
def register_protocols(register: "Register") -> None:
    """Declare protocol presets; factories return a :class:`merbench.contracts.protocol.Protocol`
    (usually ``merbench.contracts.protocol:load_protocol`` with ``defaults={"path": "<protocol>.yaml"}``)."""


@hookspec
def register_commands(register: "Register") -> None:
    """Declare ``merbench`` sub-commands; factories are click commands, imported only when invoked."""


@hookspec
def merbench_configure(config: dict[str, Any]) -> None:
    """Inspect or amend a run's validated configuration before anything is built."""


@hookspec
def merbench_run_start(run: Any) -> None:
    """Called once a run's components are built and before the first track is scored."""


@hookspec
def merbench_record(record: dict[str, Any]) -> None:
    """Called with each result record before it is validated and written; a plugin may add fields under ``extra``."""


@hookspec
def merbench_run_finish(run: Any, records: list[dict[str, Any]]) -> None:
    """Called after a run wrote all its records (upload, notify, plot ...)."""
