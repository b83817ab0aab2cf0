"""Every hook a merbench plugin can implement. This module is the plugin API's reference.

Declaration hooks (``register_*``) receive a ``register`` callback bound to one component kind
(:class:`merbench.specs.Register`)::

    register(name, factory="pkg.module:attr", summary="...", card=EncoderCard(...) or {...}, defaults={...})

``factory`` is imported only when the component is used, so a plugin module should import
nothing heavy at top level. ``card`` is the kind's typed card (:mod:`merbench.contracts.cards`,
light to import), or a dict of its fields; it is validated at registration. Each declaration hook
returns nothing; register as many components as you like. Lifecycle hooks let a plugin watch or
extend a run without owning a component.

Implementations must be decorated with :data:`hookimpl` and may take any subset of the spec's
arguments, by the spec's names: ``pm.register`` rejects an argument the spec lacks, and merbench
rejects a hook name no spec declares and an undecorated ``register_*`` function (each reported by
``merbench plugins doctor``).

The contracts the factories must honour live in :mod:`merbench.contracts`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # type-only imports keep this module free of heavy dependencies
    from merbench.runner.run import RunResult
    from merbench.specs import Register

hookspec = pluggy.HookspecMarker("merbench")
hookimpl = pluggy.HookimplMarker("merbench")


@hookspec
def register_datasets(register: Register) -> None:
    """Declare dataset readers; factories build a :class:`merbench.contracts.dataset.Dataset` from ``root``.

    :param register: registers one ``dataset`` component; its card is a :class:`~merbench.contracts.cards.DatasetCard`.
    """


@hookspec
def register_encoders(register: Register) -> None:
    """Declare feature extractors; factories build a :class:`merbench.contracts.encoder.Encoder`.

    :param register: registers one ``encoder`` component; its card is an
        :class:`~merbench.contracts.cards.EncoderCard` (``modality`` and ``dim`` required).
    """


@hookspec
def register_fusions(register: Register) -> None:
    """Declare fusion models; factories build a :class:`merbench.contracts.fusion.Fusion` ``torch.nn.Module``.

    :param register: registers one ``fusion`` component; its card is a :class:`~merbench.contracts.cards.FusionCard`.
    """


@hookspec
def register_corruptions(register: Register) -> None:
    """Declare media corruptions; factories build a :class:`merbench.contracts.corruption.Corruption`.

    :param register: registers one ``corruption`` component; its card is a
        :class:`~merbench.contracts.cards.CorruptionCard` (``modalities`` required).
    """


@hookspec
def register_describers(register: Register) -> None:
    """Declare (M)LLM describers; factories build a :class:`merbench.contracts.describer.Describer`.

    :param register: registers one ``describer`` component; its card is a :class:`~merbench.contracts.cards.DescriberCard`.
    """


@hookspec
def register_groupers(register: Register) -> None:
    """Declare open-vocabulary label groupers; factories build a :class:`merbench.contracts.grouper.Grouper`.

    :param register: registers one ``grouper`` component; its card is a :class:`~merbench.contracts.cards.GrouperCard`.
    """


@hookspec
def register_metrics(register: Register) -> None:
    """Declare metrics; factories build a :class:`merbench.contracts.metric.Metric`.

    :param register: registers one ``metric`` component; its card is a
        :class:`~merbench.contracts.cards.MetricCard` (``label_type`` and ``higher_is_better`` required).
    """


@hookspec
def register_transcribers(register: Register) -> None:
    """Declare speech recognisers that fill missing subtitles; see :class:`merbench.contracts.transcriber.Transcriber`.

    :param register: registers one ``transcriber`` component; its card is a :class:`~merbench.contracts.cards.TranscriberCard`.
    """


@hookspec
def register_training_strategies(register: Register) -> None:
    """Declare training strategies (e.g. semi-supervised pseudo-labelling); see :class:`merbench.contracts.strategy.Strategy`.

    :param register: registers one ``strategy`` component; its card is a :class:`~merbench.contracts.cards.StrategyCard`.
    """


@hookspec
def register_tracks(register: Register) -> None:
    """Declare evaluation tracks; factories return a :class:`merbench.contracts.track.Track` (usually
    ``merbench.contracts.track:load_track`` with ``defaults={"path": "<track>.yaml"}``).

    :param register: registers one ``track`` component; its card is a free-form dict.
    """


@hookspec
def register_protocols(register: Register) -> None:
    """Declare protocol presets; factories return a :class:`merbench.contracts.protocol.Protocol`
    (usually ``merbench.contracts.protocol:load_protocol`` with ``defaults={"path": "<protocol>.yaml"}``).

    :param register: registers one ``protocol`` component; its card is a free-form dict.
    """


@hookspec
def register_commands(register: Register) -> None:
    """Declare ``merbench`` sub-commands; factories are click commands, imported only when invoked.

    :param register: registers one ``command`` component; its card is an (empty) :class:`~merbench.contracts.cards.CommandCard`.
    """


@hookspec
def merbench_configure(config: dict[str, Any]) -> None:
    """Inspect or amend a run's validated configuration before anything is built.

    :param config: the run's configuration (``merbench.runner.config``); amend it in place. It is
        validated again after every plugin has seen it.
    """


@hookspec
def merbench_run_start(run: dict[str, Any]) -> None:
    """Called once a run's components are built and before the first track is scored.

    :param run: ``{"config": the run's configuration, "dataset": the opened Dataset, "out": the output folder (Path)}``.
    """


@hookspec
def merbench_record(record: dict[str, Any]) -> None:
    """Called with each result record before it is validated and written; a plugin may add fields under ``extra``.

    :param record: the result record (``merbench.results.record``); add your fields under ``record["extra"]``.
    """


@hookspec
def merbench_run_finish(run: RunResult, records: list[dict[str, Any]]) -> None:
    """Called after a run wrote all its records (upload, notify, plot ...).

    :param run: the finished run: its configuration, output folder, table rows and timings.
    :param records: every result record the run wrote, as written (JSON dicts).
    """
