"""Track contract: what a track scores, declared as data (YAML validated by ``track.schema.json``).

A track names its splits, its metrics (names from the metric registry), the main metric (whose
direction comes from that metric's card), the metric that chooses the best epoch and trial, its
training strategies, an optional corruption of its test split, and the table it is printed in. The
runner executes every selected track the same way:

- ``test_split: null`` -- the track is scored by cross-validation on ``train_split`` (Train&Val);
- otherwise the cross-validated fold models predict ``test_split`` (fold-averaged logits) and the
  track's metrics score those predictions; ``corruption`` corrupts that split's media first;
- each strategy after the first (e.g. pseudo-labelling with ``unlabeled_split``) is scored as a
  variant of the track (``<track>+<strategy>``);
- ``predict_splits`` are splits the fold models also predict (fold-averaged, never scored), kept in
  the track's records for a challenge submission (MER2025 track 1: the 20,000 test candidates);
- ``evaluate: "module:attr"`` replaces the scoring with a code hook, called once after every row is
  trained (MER-OV: describe, extract labels, group, score); see :class:`TrackContext`;
- ``prepare: "module:attr"`` is work the evaluate hook needs that depends on the dataset and the
  config alone (MER-OV: the describer's generations). The runner starts it in a child process at
  the lowest CPU priority when the run starts, so it uses the cores that feature extraction and
  training leave idle, and hands its result to ``evaluate`` (``TrackContext.prepared``). It only
  warms what ``evaluate`` would otherwise compute itself: if it fails, the runner says so and
  ``evaluate`` does the work; see :class:`TrackPreparation`.

A plugin adds a track with ``register_tracks`` and a YAML file: ``register("my-track",
"merbench.contracts.track:load_track", defaults={"path": "/path/to/my-track.yaml"})``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from merbench.util.yamlfile import read_yaml
from typing import Any, Callable, Mapping, Sequence

SCHEMA_PATH = Path(__file__).with_name("track.schema.json")


class TrackError(ValueError):
    """A track definition does not match the schema or names an unknown metric; the message names the file."""


@dataclass(frozen=True)
class Track:
    """One evaluation track (see the module docstring); every field comes from the track's YAML."""

    name: str
    title: str
    version: int
    train_split: str
    metrics: tuple[str, ...]
    main_metric: str
    heading: str = ""
    test_split: str | None = None
    test_labels: bool = True
    unlabeled_split: str | None = None
    predict_splits: tuple[str, ...] = ()
    selection_metric: str = "waf"
    strategies: tuple[str, ...] = ("supervised",)
    corruption: Any = None
    needs: tuple[str, ...] = ()
    table: str = ""
    columns: tuple[str, ...] = ()
    evaluate: str | None = None
    prepare: str | None = None
    description: str = ""
    source: str = ""

    @property
    def cross_validated(self) -> bool:
        """Scored on the cross-validation folds of ``train_split`` rather than on a test split."""
        return self.test_split is None

    @property
    def shown_columns(self) -> tuple[str, ...]:
        """The score keys the tables show for this track (its metrics unless ``columns`` lists others)."""
        return self.columns or self.metrics

    def load_evaluate(self) -> Any:
        """Import the ``evaluate`` hook (``module:attr``): called with a :class:`TrackContext`, returns a :class:`TrackOutcome`."""
        return _import_hook(self.evaluate or "")

    def load_prepare(self) -> Any:
        """Import the ``prepare`` hook (``module:attr``): called with a :class:`TrackPreparation`,
        returns a picklable result (it crosses a process boundary)."""
        return _import_hook(self.prepare or "")

    def as_dict(self) -> dict[str, Any]:
        out = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()
               if k != "source" and not (k in ("columns", "prepare", "predict_splits") and not v)}
        return json.loads(json.dumps(out))


def _import_hook(pointer: str) -> Any:
    import importlib

    module, _, attr = pointer.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class TrackPreparation:
    """What a track's ``prepare`` hook receives, in a child process of the run: the track, the run's
    resolved config and the opened dataset (all picklable). It has no rows: nothing is trained yet."""

    track: Track
    config: Mapping[str, Any]
    dataset: Any


@dataclass
class TrackContext:
    """What a track's ``evaluate`` hook receives: the run so far, after every row was trained.

    ``rows`` are the runner's trained rows, in training order (each with ``key``, ``kind``, ``modalities``, ``encoders``, the
    per-seed cross-validation results ``supervised`` and the scores so far), ``split_features`` the
    features of every split by name, ``train_names`` the rows of the train split in table order.
    ``probabilities(row)`` gives, per seed, ``name -> class probabilities`` (over
    :data:`merbench.EMOTIONS`) of that row's trained classifier for every sample of the train split
    (out of fold) and of the track's test split (fold-averaged); ``model_identity(row)`` the
    ``{"hash", "parts"}`` of what determines them (config, training, features by cache key), for
    the records the hook writes from them. The hook returns a :class:`TrackOutcome`.
    """

    track: Track
    config: Mapping[str, Any]
    dataset: Any
    rows: Sequence[Any]
    split_features: Mapping[str, Any]
    out: Path
    probabilities: Callable[[Any], dict[int, dict[str, list[float]]]]
    progress: bool = True
    prepared: Any = None  # what the track's prepare hook returned (None without one, or when it failed)
    model_identity: Callable[[Any], Mapping[str, Any]] | None = None


@dataclass
class TrackOutcome:
    """What an ``evaluate`` hook returns: written record paths, a renderable table, and plain rows."""

    records: list[Path] = field(default_factory=list)
    table: Any = None
    rows: list[dict[str, Any]] = field(default_factory=list)


def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def track_from_mapping(data: Mapping[str, Any], where: str = "track") -> Track:
    """Validate ``data`` against the schema and build the :class:`Track`; a one-line error names ``where``."""
    import jsonschema

    from merbench.util.schema import first_error

    problem = first_error(jsonschema.Draft202012Validator(_schema()), data)
    if problem:
        raise TrackError(f"{where}: {problem}")
    if data["main_metric"] not in data["metrics"]:
        raise TrackError(f"{where}: main_metric {data['main_metric']!r} is not in metrics {list(data['metrics'])}")
    if len(data.get("strategies", [])) > 1 and data.get("test_split") is None:
        raise TrackError(f"{where}: a cross-validated track (test_split: null) takes one strategy")
    fields = {k: tuple(v) if isinstance(v, list) and k != "corruption" else v for k, v in data.items()}
    fields.setdefault("heading", data["title"])
    return Track(**fields, source=where)


def load_track(path: str | Path) -> Track:
    """The track defined by the YAML file at ``path`` (the factory of every YAML-declared track)."""
    file = Path(path)
    data = read_yaml(file, TrackError, what="track file")
    if not isinstance(data, dict):
        raise TrackError(f"{file}: a track file must hold a mapping")
    return track_from_mapping(data, str(file))


#: what the trainer computes on every validation fold (``merbench.training.protocol``): all a
#: cross-validated track (``test_split: null``) can report; any registered metric scores a test split
FOLD_METRICS = ("waf", "acc", "mse", "combined")
#: what can pick the best epoch per fold and the best trial (``merbench.training.trainer.selection_score``)
SELECTION_METRICS = ("waf", "combined")


def check_metrics(track: Track, known: Sequence[str]) -> None:
    """Every metric a track names must be registered (``known``) and scorable where the track uses it
    (a selection metric the trainer can select by; on a cross-validated track, metrics the folds
    compute): a one-line error otherwise, before any feature is extracted."""
    wanted = [*track.metrics, track.selection_metric,
              *(c.removesuffix("_unbiased") for c in track.columns)]
    missing = sorted({m for m in wanted if m not in known})
    if missing:
        raise TrackError(f"track {track.name!r} ({track.source}) names unknown metric(s) {missing}; "
                         f"registered metrics: {', '.join(sorted(known))}")
    if track.selection_metric not in SELECTION_METRICS:
        raise TrackError(f"track {track.name!r} ({track.source}): selection_metric {track.selection_metric!r} cannot "
                         f"pick epochs and trials; use one of {', '.join(SELECTION_METRICS)}")
    if track.cross_validated and track.evaluate is None:
        unscored = sorted({m for m in wanted if m not in FOLD_METRICS})
        if unscored:
            raise TrackError(f"track {track.name!r} ({track.source}) is cross-validated (test_split: null), whose folds "
                             f"score only {', '.join(FOLD_METRICS)}, not {unscored}; give it a test_split")
