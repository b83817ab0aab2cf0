"""``merbench run``: a loop over the selected tracks, for every feature and modality combination.

Flow: resolve the config (protocol preset, dataset defaults, file, command line); open the dataset;
for each selected track component, the splits it needs (its test split corrupted with its recipe
where it has one); every encoder's features of those splits through the feature cache. Then for
each row of the papers' tables (each feature alone, then each modality combination) and each seed,
one cross-validation per (train split, selection metric) group: the same fold models give every
cross-validated track its score and every other track its test predictions; a track's further
strategies (e.g. pseudo-labelling with its unlabeled split) train on top. Each (track, row) is
scored with the track's metrics and its record written as soon as the row is done. Tracks with an
``evaluate`` hook run last, on the trained rows; their ``prepare`` hooks run in the background from
the start (:mod:`merbench.runner.background`). This module names no concrete component: tracks,
metrics, strategies, encoders and fusions all come from the registry and the config.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from merbench import EMOTIONS, plugins
from merbench.contracts.track import Track, TrackContext, TrackOutcome, check_metrics
from merbench.results.tables import score_label
from merbench.runner.background import Preparations
from merbench.runner.config import fusion_params, merge, resolve, user_layers
from merbench.runner.features import FeatureSet, SplitFeatures, build_table, load_split
from merbench.runner.records import model_identity
from merbench.training.protocol import CVResult, TrainConfig, cross_validate, cross_validate_many
from merbench.training.search import SPACES, sample_trials
from merbench.training.topn import rank_features, top_n
from merbench.util.names import closest

if TYPE_CHECKING:
    from merbench.results.store import Store

log = logging.getLogger("merbench.run")

SHORT = {"audio": "A", "text": "T", "visual": "V"}


class RunError(ValueError):
    """A run that cannot start (a track the dataset cannot serve, an unknown component); one line."""


@dataclass
class Row:
    """One row of the papers' tables: a set of features fused by the run's fusion."""

    key: str
    kind: str  # "feature" (Table 4) or "combination" (Table 5)
    modalities: list[str]
    encoders: list[str]
    cv: dict[str, dict[int, CVResult]] = field(default_factory=dict)  # CV group -> seed -> result
    results: dict[str, dict[int, CVResult]] = field(default_factory=dict)  # score label -> seed -> result
    histories: dict[str, dict[int, list]] = field(default_factory=dict)  # score label -> seed -> strategy history
    scores: dict[str, dict[int, dict[str, float]]] = field(default_factory=dict)  # score label -> seed -> metric -> value


@dataclass(frozen=True)
class Scored:
    """One scored column group of the tables: a track under one of its strategies."""

    label: str  # "<track>" for its first strategy, "<track>+<strategy>" for the others
    track: Track
    strategy: str
    heading: str
    group: str  # the cross-validation group whose fold models it scores


@dataclass(frozen=True)
class Group:
    """One cross-validation per row and seed: a train split and the metric that picks epochs and trials."""

    name: str
    train: str  # feature-set name of the train split
    selection: str
    tests: tuple[str, ...]  # feature-set names predicted by the fold models


@dataclass
class RunResult:
    config: dict[str, Any]
    protocol: dict[str, Any]
    departures: list[dict[str, Any]]
    out: Path
    rows: list[Row]
    scored: list[Scored]
    records: list[Path]
    outcomes: dict[str, TrackOutcome]
    ranking: dict[str, list[str]] | None
    timings: dict[str, float]
    notes: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # row key -> why it could not be trained


def run(config: Mapping[str, Any] | None = None, *, config_path: str | Path | None = None,
        progress: bool = True, results: str | Path | None = None) -> RunResult:
    """Run the selected tracks (see the module docstring). ``config`` holds run-config fields over
    the file at ``config_path``; both are layered over the protocol and the dataset's defaults.
    ``progress=False`` turns off every progress bar the run would draw. Every record is indexed in
    the results store at ``results`` (default :func:`merbench.paths.results_dir`), whose
    ``runs/<run-id>/`` is the output folder unless the config names one (``out``)."""
    from merbench.results.store import Store
    from merbench.util.progress import progress_scope

    with progress_scope(progress):
        return _run(config, config_path, progress, Store(results))


def _run(config: Mapping[str, Any] | None, config_path: str | Path | None, progress: bool, store: Store) -> RunResult:
    from merbench.runner.config import defaults

    t0 = time.perf_counter()
    layers = user_layers(config, config_path)
    where = merge(defaults(), {k: v for _, layer in layers for k, v in layer.items()
                               if k in ("dataset", "reader", "dataset_params", "allow_pickle", "out")})
    if where["out"]:
        _check_writable(Path(where["out"]))
    store.check()  # an index that cannot be written fails the run now, not after its first row
    out = Path(where["out"]) if where["out"] else store.new_run_dir()
    try:
        return _run_in(out, store, layers, where, progress, t0)
    except BaseException:
        if not where["out"] and out.is_dir() and not any(out.iterdir()):
            out.rmdir()  # a run that wrote nothing leaves no empty run folder behind
        raise


def _run_in(out: Path, store: Store, layers: list, where: Mapping[str, Any], progress: bool, t0: float) -> RunResult:
    from merbench.datasets import open_dataset

    dataset = open_dataset(where["dataset"], reader=where["reader"], allow_pickle=where["allow_pickle"],
                           **where["dataset_params"])
    timings: dict[str, float] = {"dataset": time.perf_counter() - t0}
    resolved = resolve(layers, dataset_protocol=dataset.protocol, dataset_defaults=dataset.run_defaults,
                       dataset_name=f"dataset {dataset.name}")
    manager = plugins.get_manager()
    amended = copy.deepcopy(resolved.config)
    manager.hook.merbench_configure(config=amended)
    changed = {k: v for k, v in amended.items() if resolved.config.get(k) != v}
    if changed:  # a plugin's amendments are a layer of their own: validated, and named as a departure's source
        resolved = resolve([*layers, ("plugins (merbench_configure)", changed)], dataset_protocol=dataset.protocol,
                           dataset_defaults=dataset.run_defaults, dataset_name=f"dataset {dataset.name}")
    config = resolved.config
    check_encoder_params(config)
    resolved.departures += pooling_departures(config)
    explicit = any("tracks" in layer for _, layer in layers)
    tracks, notes = select_tracks(config, dataset, explicit=explicit)
    log.info("protocol %s (%s v%s)%s", resolved.protocol.name, resolved.protocol.title, resolved.protocol.version,
             "" if not resolved.departures else f"; {len(resolved.departures)} departure(s)")
    from merbench.executors import open_executor

    # extraction and training go through the run's executor (in this process unless the config names another)
    with Preparations(tracks, config, dataset, enabled=config["background_preparation"]) as preparations, \
            open_executor(config["executor"], address=config["executor_address"], progress=progress) as executor:
        return _run_with(config, resolved, dataset, out, tracks, notes, timings, t0, executor, progress, store,
                         preparations)


def _run_with(config, resolved, dataset, out, tracks, notes, timings, t0, executor, progress, store,
              preparations) -> RunResult:
    """Features, training, scoring and records of a resolved run, with its work on ``executor``."""
    manager = plugins.get_manager()
    # -- features --------------------------------------------------------------------------------
    t = time.perf_counter()
    sets, groups, scored = plan(tracks, dataset, config)
    fusion_spec = plugins.get("fusion", config["fusion"])
    frames = fusion_spec.card.input_level == "frame"
    modality_of = {e: m for m, names in config["encoders"].items() for e in names}
    split_features: dict[str, SplitFeatures] = {}
    corrupted: dict[str, Any] = {}
    for fs in sets.values():
        source = dataset
        if fs.corruption is not None and config["corrupt"]:
            source = corrupted.get(fs.name) or _corrupt(dataset, fs, config, progress)
            corrupted[fs.name] = source
        log.info("features for %s: %s", fs.name, ", ".join(modality_of))
        split_features[fs.name] = load_split(source, fs.split, list(modality_of), frames=frames,
                                             skip_missing=config["skip_missing"], device=config["device"],
                                             params={e: encoder_params(config, e) for e in modality_of},
                                             executor=executor)
    timings["features"] = time.perf_counter() - t
    manager.hook.merbench_run_start(run={"config": config, "dataset": dataset, "out": out, "tracks": tracks})

    # -- training, scoring, one record per (track, row) as soon as the row is done ------------------
    t = time.perf_counter()
    trainer = RowTrainer(config, dataset, sets, groups, scored, split_features, modality_of, executor)
    rows = build_rows(config, None)
    feature_rows = [r for r in rows if r.kind == "feature"]
    progress_of = RowProgress(out, resolved, trainer, store, last_row_trained=any(t.evaluate for t in tracks),
                              feature_rows_trained=bool(config["topn"]))
    with progress_of.interrupts():
        combinations = [r for r in rows if r.kind == "combination"]
        for row in feature_rows if config["unimodal"] or config["topn"] else ():  # top-N ranks the features alone
            progress_of.run(row, last=not combinations and row is feature_rows[-1])
        ranking = None
        if config["topn"]:
            group = next(iter(groups.values()))
            ranking = rank_features({r.key: float(np.mean([res.baseline[group.selection]
                                                           for res in r.cv[group.name].values()]))
                                     for r in feature_rows}, {r.key: r.modalities[0] for r in feature_rows})
            rows = feature_rows + [r for r in build_rows(config, ranking) if r.kind == "combination"]
        combinations = [r for r in rows if r.kind == "combination"]
        for row in combinations:
            progress_of.run(row, last=row is combinations[-1])
    records = progress_of.records
    notes += progress_of.notes
    trained = [r for r in rows if r.cv]  # what evaluate hooks read: with only such tracks no row has scores
    rows = [r for r in rows if r.scores] if config["unimodal"] else [r for r in rows if r.kind == "combination"]
    timings["training"] = time.perf_counter() - t

    # -- tracks scored by their own code, on the trained rows ---------------------------------------
    outcomes: dict[str, TrackOutcome] = {}
    for track in tracks:
        if track.evaluate is None:
            continue
        t = time.perf_counter()
        prepared = preparations.result(track)
        context = TrackContext(track, config, dataset, trained, split_features, out,
                               lambda row, _track=track: trainer.probabilities(row, _track), progress, prepared,
                               model_identity=lambda row, _track=track: model_identity(row, trainer, resolved, _track))
        outcomes[track.name] = track.load_evaluate()(context)
        progress_of.keep(outcomes[track.name].records)
        timings[track.name] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    result = RunResult(config, resolved.protocol.as_dict(), resolved.departures, out, rows, scored, records, outcomes,
                       ranking, timings, notes, progress_of.failed)
    manager.hook.merbench_run_finish(run=result, records=[json.loads(Path(p).read_text()) for p in records])
    return result


class RowProgress:
    """Trains rows one by one, writing each row's records as soon as it is done, so that nothing
    finished is lost: a row whose records are already in ``out`` under the same identity hash (an
    earlier, interrupted or identical run) is read back instead of trained; a row that fails is
    reported with its cause while the others go on; an interrupt says what is done and how to resume."""

    def __init__(self, out: Path, resolved: Any, trainer: "RowTrainer", store: Store, *, last_row_trained: bool,
                 feature_rows_trained: bool) -> None:
        self.out, self.resolved, self.trainer, self.store = out, resolved, trainer, store
        #: an evaluate-hook track reads the last row's trained models, Top-N every feature row's
        self.last_row_trained, self.feature_rows_trained = last_row_trained, feature_rows_trained
        self.records: list[Path] = []
        self.notes: list[str] = []
        self.failed: dict[str, str] = {}
        self.done = self.resumed = 0

    def run(self, row: Row, *, last: bool = False) -> None:
        from merbench.runner.records import finished_scores, write_row_records

        must_train = (self.last_row_trained and last) or (self.feature_rows_trained and row.kind == "feature")
        if not must_train and not self.trainer.scored_for(row):
            return  # no track scores it and nothing reads its models (the run has only evaluate-hook tracks)
        finished = None if must_train else finished_scores(row, self.trainer, self.resolved, self.out)
        if finished is not None:
            row.scores, paths = finished
            self.keep(paths)
            self.resumed += 1
            log.info("%s: finished in an earlier run (same identity); its records are kept", row.key)
        else:
            try:
                self.trainer.train(row)
            except (ValueError, RuntimeError, KeyError, OSError) as exc:
                self.failed[row.key] = " ".join(str(exc).split()) or type(exc).__name__
                log.error("%s failed: %s; the other rows go on", row.key, self.failed[row.key])
                return
            self.keep(write_row_records(row, self.trainer, self.resolved, self.out))
        self.done += 1

    def keep(self, paths: Sequence[Path]) -> None:
        """Count ``paths`` among the run's records and index them in the results store at once: every
        record the run writes or reads back passes here. A record the index cannot take stays on disk."""
        from merbench.results.record import RecordError
        from merbench.results.store import StoreError

        self.records += paths
        for path in paths:
            try:
                self.store.add(path)
            except (StoreError, RecordError) as exc:
                log.warning("%s is written but not indexed (%s); `merbench results reindex %s` indexes it",
                            path, exc, Path(path).parent)

    @contextlib.contextmanager
    def interrupts(self):
        """On Ctrl-C or SIGTERM: one line saying how many rows finished, where their records are, how to resume."""
        import signal

        def terminate(signum, frame):
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, terminate) if _main_thread() else None
        try:
            yield
        except KeyboardInterrupt:
            log.error("interrupted: %d row(s) finished and their %d record(s) are in %s; run the same command "
                      "with --out %s to resume (finished rows are read back, not trained again)",
                      self.done, len(self.records), self.out, self.out)
            raise
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        if self.resumed:
            self.notes.append(f"{self.resumed} row(s) read back from {self.out} (finished earlier, same identity)")
        if self.failed:
            self.notes += [f"row {key} failed: {why}" for key, why in self.failed.items()]


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _check_writable(out: Path) -> None:
    """Fail before any work when the records could not be written (a finished row must never be lost)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".merbench-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise RunError(f"{out}: cannot write the run's records there ({exc.strerror or exc}); "
                       "pass --out with a writable folder") from None


def select_tracks(config: Mapping[str, Any], dataset: Any, *, explicit: bool) -> tuple[list[Track], list[str]]:
    """The config's tracks as components. A track the dataset cannot serve (a missing split, no valence)
    is an error when the user named it, and skipped with a note when it came from the protocol."""
    from merbench.contracts.track import track_from_mapping

    known_metrics = plugins.get_registry().names("metric")
    tracks, notes = [], []
    splits = dataset.splits()
    for entry in config["tracks"]:
        if isinstance(entry, Mapping):
            base = dict(plugins.create("track", entry["base"]).as_dict()) if "base" in entry else {}
            track = track_from_mapping({**base, **{k: v for k, v in entry.items() if k != "base"}}, "inline track")
        else:
            track = plugins.create("track", entry)
        check_metrics(track, known_metrics)
        wanted = [track.train_split, track.test_split, track.unlabeled_split if len(track.strategies) > 1 else None,
                  *track.predict_splits]
        missing = [s for s in wanted if s is not None and dataset.resolve_split(s) not in splits]
        problem = None
        if missing:
            problem = f"dataset {dataset.root} has no {missing[0]!r} split"
        elif "valence" in track.needs and not getattr(dataset, "has_valence", False):
            problem = f"dataset {dataset.root} has no valence labels"
        if problem and explicit:
            raise RunError(f"track {track.name!r}: {problem}; choose other tracks (merbench plugins list --kind track)")
        if problem:
            notes.append(f"track {track.name} skipped: {problem}")
            log.warning("track %s skipped: %s", track.name, problem)
            continue
        tracks.append(track)
    if not tracks:
        raise RunError(f"no selected track can run on {dataset.root}: {'; '.join(notes)}")
    return tracks, notes


def plan(tracks: Sequence[Track], dataset: Any, config: Mapping[str, Any]
         ) -> tuple[dict[str, FeatureSet], dict[str, Group], list[Scored]]:
    """The feature sets (split, corruption, labels) the tracks need, their cross-validation groups,
    and the scored columns (a track per strategy)."""
    sets: dict[str, FeatureSet] = {}

    def add(split: str, *, labeled: bool, corruption: Any = None) -> str:
        fs = FeatureSet.of(dataset.resolve_split(split), labeled=labeled, corruption=corruption)
        previous = sets.setdefault(fs.name, fs)
        if previous.labeled != fs.labeled:  # one split asked for with and without labels: keep them
            sets[fs.name] = FeatureSet(fs.name, fs.split, True, fs.corruption)
        return fs.name

    tests: dict[str, list[str]] = {}
    trains: dict[str, str] = {}
    scored: list[Scored] = []
    for track in tracks:
        group = group_name(track, config)
        trains[group] = add(track.train_split, labeled=True)
        group_tests = tests.setdefault(group, [])
        if track.test_split is not None:
            group_tests.append(add(track.test_split, labeled=track.test_labels, corruption=track.corruption))
        group_tests += [add(split, labeled=False) for split in track.predict_splits]
        for i, strategy in enumerate(track.strategies):
            if i and track.unlabeled_split:
                group_tests.append(add(track.unlabeled_split, labeled=False))
            if track.evaluate is None:
                label, heading = score_label(track, strategy)
                scored.append(Scored(label, track, strategy, heading, group))
    groups = {name: Group(name, trains[name], name.split("|", 1)[1], tuple(dict.fromkeys(t for t in tests[name]
                                                                                         if t != trains[name])))
              for name in tests}
    return sets, groups, scored


def group_name(track: Track, config: Mapping[str, Any]) -> str:
    """Tracks with one train split and one selection metric share their fold models."""
    return f"{track.train_split}|{config['selection_metric'] or track.selection_metric}"


def _corrupt(dataset: Any, fs: FeatureSet, config: Mapping[str, Any], progress: bool) -> Any:
    from merbench.corrupt.pipeline import corrupt_dataset
    from merbench.corrupt.recipe import corruption_steps

    log.info("corrupting the %s split (%s, seed %s)", fs.split, fs.corruption, config["corruption_seed"])
    return corrupt_dataset(dataset, fs.split, corruption_steps(dataset, fs.corruption), config["corruption_seed"],
                           progress=progress)


def encoder_params(config: Mapping[str, Any], encoder: str) -> dict[str, Any]:
    """Factory parameters of ``encoder`` in this run: the protocol's pooling where the encoder's card
    lists it, then the config's ``encoder_params`` for that encoder."""
    params: dict[str, Any] = {}
    pooling = config.get("pooling")
    if pooling is not None and encoder in plugins.get_registry().names("encoder"):
        if pooling in plugins.get("encoder", encoder).card.poolings:
            params["pooling"] = pooling
    return {**params, **config["encoder_params"].get(encoder, {})}


def check_encoder_params(config: Mapping[str, Any]) -> None:
    """``encoder_params`` for a name that is no encoder at all (a typo) fail the run, instead of
    being silently ignored; those for a registered encoder this run does not use (a suite's shared
    parameters, say) are only named in a warning."""
    used = [e for names in config["encoders"].values() for e in names]
    known = plugins.get_registry().names("encoder")
    for name in config["encoder_params"]:
        if name in used:
            continue
        if name not in known:
            match = closest(name, used + known)
            hint = f"; did you mean {match!r}?" if match else ""
            raise RunError(f"encoder_params names {name!r}, which is neither an encoder of this run "
                           f"({', '.join(used)}) nor a registered encoder{hint}")
        log.warning("encoder_params for %s are unused: it is not an encoder of this run (%s)", name, ", ".join(used))


def pooling_departures(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The run's encoders that cannot pool as the protocol says (their card offers poolings but not
    the protocol's, or the features were imported): each keeps its own pooling, a departure."""
    pooling = config.get("pooling")
    if pooling is None:
        return []
    out = []
    known = plugins.get_registry().names("encoder")
    for encoder in (e for names in config["encoders"].values() for e in names):
        if "pooling" in config["encoder_params"].get(encoder, {}):
            continue  # asked for explicitly: compared with the protocol below
        if encoder not in known:
            out.append({"field": f"pooling ({encoder})", "protocol": pooling, "run": "as the features were made",
                        "source": "imported features"})
        else:
            offered = plugins.get("encoder", encoder).card.poolings
            if offered and pooling not in offered:  # an encoder without a pooling choice departs from nothing
                out.append({"field": f"pooling ({encoder})", "protocol": pooling, "run": offered[0],
                            "source": f"encoder card (offers {', '.join(offered)})"})
    for encoder, params in config["encoder_params"].items():
        if "pooling" in params and params["pooling"] != pooling:
            out.append({"field": f"pooling ({encoder})", "protocol": pooling, "run": params["pooling"],
                        "source": "encoder_params"})
    return out


def build_rows(config: Mapping[str, Any], ranking: dict[str, list[str]] | None) -> list[Row]:
    encoders = config["encoders"]
    rows = [Row(e, "feature", [m], [e]) for m, names in encoders.items() for e in names]
    seen: set[tuple[str, ...]] = set()
    for combo in config["combinations"]:
        mods = [m for m in SHORT if m in combo and m in encoders]
        # a combination may collapse onto another without some modality; one modality is a unimodal row's
        if not mods or tuple(mods) in seen or (len(mods) < 2 and config["unimodal"]):
            continue
        seen.add(tuple(mods))
        chosen = top_n(ranking, config["topn"], mods) if ranking else [encoders[m][0] for m in mods]
        key = "+".join(SHORT[m] for m in mods) + (f" (top{config['topn']})" if ranking else "")
        rows.append(Row(key, "combination", mods, chosen))
    return rows


def wants_valence(config: Mapping[str, Any], dataset: Any, scored: Sequence[Scored]) -> bool:
    """Whether the fusion gets a valence head: ``valence: auto`` when a scored metric reads valence."""
    if not getattr(dataset, "has_valence", False) or config["valence"] is False:
        return False
    if config["valence"] is True:
        return True
    metrics = {m for s in scored for m in (*s.track.metrics, s.track.selection_metric)}
    metrics.add(config["selection_metric"] or "")
    return any("valence" in plugins.get("metric", m).card.label_type for m in metrics if m)


@dataclass(frozen=True)
class FusionFactory:
    """``build(params)``: a fresh fusion module of the run's fusion for one trial's parameters. A plain
    picklable object, so a cluster worker builds the same modules (from its own registry)."""

    fusion: str
    input_dims: Mapping[str, int]
    with_valence: bool
    params: Mapping[str, Any]

    def __call__(self, params: Mapping[str, Any]):
        return plugins.create("fusion", self.fusion, input_dims=dict(self.input_dims), num_classes=len(EMOTIONS),
                              with_valence=self.with_valence, **{**self.params, **params})


class RowTrainer:
    """Trains one row for every seed and CV group, and scores every scored column of it."""

    def __init__(self, config, dataset, sets, groups, scored, split_features, modality_of, executor=None) -> None:
        self.config, self.dataset, self.sets, self.groups = config, dataset, sets, groups
        self.scored, self.split_features, self.modality_of = scored, split_features, modality_of
        self.executor = executor  # a distributed one trains every seed's (trial, fold) models on its workers
        spec = plugins.get("fusion", config["fusion"])
        self.frames = spec.card.input_level == "frame"
        self.branches = spec.card.branches
        self.with_valence = wants_valence(config, dataset, scored)
        name = config["search_space"]
        if isinstance(name, str) and name not in SPACES:
            raise RunError(f"unknown search_space {name!r}; choose one of {sorted(SPACES)} or give a mapping")
        self.space = SPACES[name] if isinstance(name, str) else name
        self.fusion_params = fusion_params(config)

    def train_config(self, group: Group) -> TrainConfig:
        c = self.config
        return TrainConfig(epochs=c["epochs"], batch_size=c["batch_size"], weight_decay=c["weight_decay"],
                           folds=c["folds"], stratified=c["stratified"], unbiased=c["unbiased"],
                           standardize=c["standardize"], select=group.selection, device=c["device"])

    def inputs(self, row: Row) -> dict[str, list[str]]:
        if self.branches == "feature":
            return {e: [e] for e in row.encoders}
        grouped: dict[str, list[str]] = {}
        for e in row.encoders:
            grouped.setdefault(self.modality_of[e], []).append(e)
        return grouped

    def train(self, row: Row) -> None:
        inputs = self.inputs(row)
        tables = {name: build_table(self.split_features[name], inputs, labeled=fs.labeled, has_valence=self.with_valence,
                                    skip_missing=self.config["skip_missing"], frames=self.frames)
                  for name, fs in self.sets.items()}
        build = FusionFactory(self.config["fusion"], next(iter(tables.values())).input_dims, self.with_valence,
                              dict(self.fusion_params))
        distributed = self.executor is not None and self.executor.distributed
        for group in self.groups.values():
            train_config = self.train_config(group)
            train, tests = tables[group.train], {k: tables[k] for k in group.tests}
            seeds = self.config["seeds"]
            trials_of = {seed: sample_trials(self.space, self.config["trials"], seed) for seed in seeds}
            together = None
            if distributed:  # every seed's models in one map of cluster tasks
                log.info("%s: seeds %s, %s trials x %s folds, %s epochs, on %s", row.key, seeds, self.config["trials"],
                         train_config.folds, train_config.epochs, self.executor.name)
                together = cross_validate_many([dict(table=train, build=build, trials=trials_of[seed], config=train_config,
                                                     seed=seed, test_tables=tests) for seed in seeds],
                                               executor=self.executor, label=row.key)
            for i, seed in enumerate(seeds):
                trials = trials_of[seed]
                if together is not None:
                    supervised = together[i]
                else:
                    log.info("%s: seed %s, %s trials x %s folds, %s epochs", row.key, seed, self.config["trials"],
                             train_config.folds, train_config.epochs)
                    supervised = cross_validate(train, build, trials, config=train_config, seed=seed, test_tables=tests)
                row.cv.setdefault(group.name, {})[seed] = supervised
                for s in (s for s in self.scored_for(row) if s.group == group.name):
                    result = supervised
                    if s.strategy != s.track.strategies[0]:
                        result = self._strategy(s, train, tests, tables, build, trials, train_config, seed,
                                                supervised, row)
                    row.results.setdefault(s.label, {})[seed] = result
                    row.scores.setdefault(s.label, {})[seed] = self.score(s.track, tables, result)

    def scored_for(self, row: Row) -> list[Scored]:
        """The scored columns ``row`` gets: a track's further strategies only on the rows ``strategy_rows`` names."""
        return [s for s in self.scored if s.strategy == s.track.strategies[0]
                or self.config["strategy_rows"] == "all" or row.kind == "combination"]

    def _strategy(self, s: Scored, train, tests, tables, build, trials, train_config, seed, supervised, row):
        strategy = plugins.create("strategy", s.strategy, **self.config["strategy_params"].get(s.strategy, {}))

        def trainer(labeled, *, extra_train=None, trials=None, test_tables=None):
            if extra_train is None and trials is None and all(k in supervised.test_logits for k in test_tables or {}):
                return supervised  # the supervised round was trained above, with the pool among its test sets
            return cross_validate(labeled, build, trials or sample_trials(self.space, self.config["trials"], seed),
                                  config=train_config, seed=seed, test_tables={**tests, **(test_tables or {})},
                                  extra_train=extra_train, executor=self.executor)

        pool = self.unlabeled_set(s.track)
        unlabeled = tables[pool] if pool else None
        result = strategy.fit(trainer, train, unlabeled)
        row.histories.setdefault(s.label, {})[seed] = getattr(strategy, "history", None)
        return result

    def _set_name(self, split: str, *, labeled: bool, corruption: Any = None) -> str:
        return FeatureSet.of(self.dataset.resolve_split(split), labeled=labeled, corruption=corruption).name

    def test_set(self, track: Track) -> str | None:
        if track.test_split is None:
            return None
        return self._set_name(track.test_split, labeled=track.test_labels, corruption=track.corruption)

    def probabilities(self, row: Row, track: Track) -> dict[int, dict[str, list[float]]]:
        """Per seed, ``name -> class probabilities`` of ``row``'s classifier in ``track``'s CV group:
        out-of-fold for the train split's samples, fold-averaged for the track's test split."""
        from merbench.util.probs import softmax

        group = self.groups[group_name(track, self.config)]
        train_sf = self.split_features[group.train]
        train_names = [n for n in train_sf.names if n not in train_sf.skipped]
        test = self.test_set(track)
        out: dict[int, dict[str, list[float]]] = {}
        for seed, result in row.cv[group.name].items():
            probs = dict(zip(result.test_names[test], softmax(result.test_logits[test]).tolist())) if test else {}
            probs.update(zip(train_names, softmax(result.oof_logits).tolist()))
            out[seed] = probs
        return out

    def unlabeled_set(self, track: Track) -> str | None:
        if not track.unlabeled_split:
            return None
        return self._set_name(track.unlabeled_split, labeled=False)

    def predicted_sets(self, track: Track) -> list[str]:
        """The feature sets of ``track``'s ``predict_splits``: predicted by its fold models, unscored."""
        return [self._set_name(split, labeled=False) for split in track.predict_splits]

    def score(self, track: Track, tables: Mapping[str, Any], result: CVResult) -> dict[str, float]:
        """The track's metrics of ``result``: its CV scores, or its fold-averaged predictions of the test split."""
        keys = set(track.metrics) | {c.removesuffix("_unbiased") for c in track.columns}
        if track.cross_validated:
            out = {m: v for m, v in result.baseline.items() if m in keys}
            out.update({f"{m}_unbiased": v for m, v in (result.unbiased or {}).items() if m in keys})
            return out
        name = self.test_set(track)
        return score_predictions(tables[name], result.test_logits[name], result.test_valence.get(name), track.metrics)


def score_predictions(table: Any, logits: np.ndarray, valence: np.ndarray | None, metrics: Sequence[str]) -> dict[str, float]:
    """Each metric of ``metrics`` on argmax predictions (and valence, for metrics that read it)."""
    y_true = [EMOTIONS[i] for i in table.labels]
    y_pred = [EMOTIONS[i] for i in logits.argmax(1)]
    context = {}
    if valence is not None and table.valence is not None:
        has = np.isfinite(table.valence)
        context = {"valence_true": table.valence[has], "valence_pred": valence[has]}
    out = {}
    for m in metrics:
        metric = plugins.create("metric", m)
        if metric.label_type == "valence":
            out[m] = metric(context["valence_true"], context["valence_pred"]) if context else float("nan")
        elif "valence" in metric.label_type and not context:
            out[m] = float("nan")
        else:
            out[m] = metric(y_true, y_pred, **context)
    return {k: float(v) for k, v in out.items() if np.isfinite(v)}
