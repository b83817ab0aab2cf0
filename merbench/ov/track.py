"""The MER-OV track: baselines and a describer scored with the set-level metric, as MER2024 Table 6.

Pipeline for a describer: describe each clip (its input type's prompt, subtitle given) -> extract
labels from the description with the papers' extraction prompt (same model unless ``extractor``
names another) -> parse -> group true ∪ predicted labels per sample with each grouper -> score.
Every generation goes through the SQLite cache, so a re-run costs only the model load.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from merbench.contracts.dataset import Dataset
from merbench.contracts.describer import DescribeRequest, Describer
from merbench.contracts.grouper import Grouper
from merbench.ov import baselines
from merbench.ov.generation_cache import GenerationCache, GenerationStats, describe_cached
from merbench.ov.labels import parse_labels
from merbench.ov.prompts import PROMPT_VERSION, describe_prompt, extract_prompt
from merbench.ov.scoring import score_openset
from merbench.util.stats import summarize

log = logging.getLogger(__name__)

METRICS = ("ov-avg", "ov-accuracy", "ov-recall")

@dataclass
class OVRow:
    """One line of the table: a system (model + inputs) under one grouping, summarised over seeds."""

    model: str
    inputs: tuple[str, ...]
    grouping: str
    per_seed: list[dict[str, Any]]
    predictions: dict[int, dict[str, list[str]]]
    problems: list[str] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    record_path: str | None = None

    def summary(self, metric: str) -> tuple[float, float]:
        s = summarize(run["scores"][metric] for run in self.per_seed)
        return s["mean"], s["std"]

    def as_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {"model": self.model, "L": "text" in self.inputs,
                               "V": bool({"video", "visual"} & set(self.inputs)),
                               "A": "audio" in self.inputs, "grouping": self.grouping,
                               "seeds": [run["seed"] for run in self.per_seed],
                               "n": self.per_seed[0]["n"] if self.per_seed else 0}
        for metric, key in zip(METRICS, ("avg", "accuracy", "recall")):
            row[key], row[f"{key}_std"] = self.summary(metric)
        row.update(problems=self.problems, timings=self.timings, record=self.record_path, **self.extra)
        return row


def _build(kind: str, spec: Any, **params: Any) -> Any:
    if isinstance(spec, str):
        from merbench import plugins

        return plugins.create(kind, spec, **params)
    return spec


def make_grouper(spec: str | Grouper, dataset: Dataset) -> tuple[str, Grouper]:
    """A grouper and its table label; ``"file"`` means the dataset's shipped ``ov_grouping``."""
    if not isinstance(spec, str):
        return getattr(spec, "name", type(spec).__name__), spec
    if spec == "file":
        resources = dataset.resources()
        if "ov_grouping" not in resources:
            raise ValueError(
                f"dataset {dataset.root} ships no ov_grouping resource; pass a grouping file "
                "(grouper=FileGrouper(path)) or use the 'offline' grouper"
            )
        return "shipped", _build("grouper", "file", path=resources["ov_grouping"])
    return spec, _build("grouper", spec)


def describe_requests(describer: Describer, samples: Sequence[Any], *, english_subtitles: bool = True) -> list[DescribeRequest]:
    """One describe request per sample: the prompt for the describer's inputs with the clip's subtitle
    (the English translation when ``english_subtitles`` and the sample has one)."""
    inputs = tuple(getattr(describer, "inputs", ("text",)))
    requests = []
    for s in samples:
        subtitle = (s.subtitle_en or s.subtitle) if english_subtitles else (s.subtitle or s.subtitle_en)
        requests.append(DescribeRequest(name=s.name, prompt=describe_prompt(inputs, subtitle), video=s.video,
                                        audio=s.audio, subtitle=subtitle))
    return requests


def describe_and_extract(
    describer: Describer,
    samples: Sequence[Any],
    *,
    extractor: Describer | None = None,
    cache: GenerationCache | None = None,
    english_subtitles: bool = True,
    on_batch: Callable[[int], None] | None = None,
) -> tuple[dict[str, list[str]], dict[str, str], dict[str, GenerationStats]]:
    """(predictions, descriptions, stats per step) for ``samples`` with ``describer`` then ``extractor``."""
    requests = describe_requests(describer, samples, english_subtitles=english_subtitles)
    descriptions, describe_stats = describe_cached(describer, requests, cache=cache, on_batch=on_batch)
    if extractor is None:
        extractor = describer.with_decoding(max_new_tokens=24) if hasattr(describer, "with_decoding") else describer
    extract_requests = [DescribeRequest(name=r.name, prompt=extract_prompt(d)) for r, d in zip(requests, descriptions)]
    answers, extract_stats = describe_cached(extractor, extract_requests, cache=cache, on_batch=on_batch)
    predictions = {r.name: parse_labels(a) for r, a in zip(requests, answers)}
    return predictions, {r.name: d for r, d in zip(requests, descriptions)}, {"describe": describe_stats, "extract": extract_stats}


def _score_row(model: str, inputs: tuple[str, ...], predictions_by_seed: Mapping[int, Mapping[str, list[str]]],
               truth: Mapping[str, list[str]], grouping_name: str, grouper: Grouper) -> OVRow:
    per_seed, problems = [], []
    # a file grouper scores only its own samples (the official rule); the split may be a --limit subset
    own = getattr(grouper, "samples", None)
    scored = None if own is None else [n for n in own if n in truth]
    for seed, predictions in predictions_by_seed.items():
        union = {n: list(dict.fromkeys([*truth[n], *predictions.get(n, [])])) for n in truth}
        score = score_openset(truth, predictions, grouper.group(union), samples=scored)
        per_seed.append({"seed": int(seed), "n": score.n_scored,
                         "scores": {"ov-avg": score.avg, "ov-accuracy": score.accuracy, "ov-recall": score.recall}})
        problems.extend(p for p in score.problems if p not in problems)
        problems.extend(p for p in getattr(grouper, "problems", []) if p not in problems)
    return OVRow(model, inputs, grouping_name, per_seed, {int(k): dict(v) for k, v in predictions_by_seed.items()},
                 problems)


def run_ov_track(
    dataset: Dataset,
    *,
    describer: str | Describer | None = "smollm2",
    grouper: str | Grouper | Sequence[str | Grouper] | None = None,
    seeds: Sequence[int] = (0, 1, 2),
    classifier_probs: Mapping[str, Sequence[float]] | Mapping[int, Mapping[str, Sequence[float]]] | None = None,
    out: str | Path | None = None,
    split: str = "ov",
    limit: int | None = None,
    extractor: str | Describer | None = None,
    describer_params: Mapping[str, Any] | None = None,
    cache: GenerationCache | str | Path | None = None,
    english_subtitles: bool = True,
    classifier_top_k: int = 2,
    classifier_threshold: float = 0.2,
    classifier_inputs: Sequence[str] = ("text", "audio", "video"),
    progress: bool = False,
    prepared: Mapping[str, Any] | None = None,
    classifier_identity: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Score Empty, Random, the classifier baseline (when ``classifier_probs`` is given) and
    ``describer`` (``None`` skips it) on ``split``, under each grouper; returns one row per system
    and grouping (``model, L, V, A, grouping, avg, accuracy, recall`` and their ``*_std`` over seeds, ``n``).
    ``grouper=None`` uses the dataset's shipped grouping (``"file"``, shown as "shipped") when it
    has one, and the ``"offline"`` grouper always.

    ``classifier_probs``: name -> probabilities over :data:`merbench.EMOTIONS`, or seed -> that
    (one trained classifier per seed), trained on ``classifier_inputs``. ``limit`` scores only the first ``limit`` clips of the
    split (every row on the same clips). With ``out`` a result record (and its predictions) is
    written per row and its path given in the row's ``record``. ``prepared``: the generation
    statistics of :func:`prepare_track` when it generated ahead into the same cache; the describer
    row's record keeps them (``prepared``), since this call then only reads the cache.
    ``classifier_identity``: the ``{"hash", "parts"}`` of what made ``classifier_probs`` (a run's
    trained row); its hash is part of the classifier record's identity.
    """
    samples = dataset.samples(split)[: limit if limit else None]
    if not samples:
        raise ValueError(f"dataset {dataset.root}: split {split!r} is empty; nothing to score for MER-OV")
    truth = {s.name: list(s.ov_labels or ()) for s in samples}
    names = list(truth)
    seeds = [int(s) for s in seeds] or [0]
    cache = GenerationCache(cache) if isinstance(cache, (str, Path)) else cache
    if grouper is None:  # the dataset's published grouping where it ships one, and always the offline grouper
        grouper = ("file", "offline") if "ov_grouping" in dataset.resources() else ("offline",)
    groupers = [make_grouper(g, dataset) for g in ([grouper] if isinstance(grouper, (str, Grouper)) else grouper)]

    systems: list[tuple[str, tuple[str, ...], dict[int, dict[str, list[str]]], dict[str, Any]]] = [
        ("Empty", (), {0: baselines.empty_predictions(names)}, {}),
        ("Random", (), {s: baselines.random_predictions(names, s) for s in seeds}, {}),
    ]
    if classifier_probs is not None:
        by_seed = classifier_probs if all(isinstance(k, int) for k in classifier_probs) else {0: classifier_probs}
        missing = sorted({n for n in names for probs in by_seed.values() if n not in probs})
        predictions = {int(seed): baselines.classifier_predictions(
            {n: probs[n] for n in names if n in probs}, top_k=classifier_top_k, threshold=classifier_threshold)
            for seed, probs in by_seed.items()}
        systems.append(("Classifier top classes", tuple(classifier_inputs), predictions,
                        {"missing": missing, "config": {"top_k": classifier_top_k, "threshold": classifier_threshold},
                         "classifier_identity": (classifier_identity or {}).get("hash")}))
    if describer is not None:
        model = _build("describer", describer, **dict(describer_params or {}))
        extract_model = _build("describer", extractor) if extractor is not None else None
        began = time.perf_counter()
        callback = None
        from merbench.util.progress import progress_bar, progress_enabled

        if progress_enabled(progress):
            bar = progress_bar()
            bar.start()
            task = bar.add_task(f"MER-OV {getattr(model, 'display_name', model.name)}", total=2 * len(samples))
            callback = lambda n: bar.advance(task, n)  # noqa: E731
        try:
            predictions, descriptions, stats = describe_and_extract(
                model, samples, extractor=extract_model, cache=cache, english_subtitles=english_subtitles,
                on_batch=callback)
        finally:
            if callback is not None:
                bar.stop()
        generated_seconds = stats["describe"].seconds + stats["extract"].seconds
        fresh = stats["describe"].generated
        if not fresh and prepared:  # generated ahead by the track's preparation: its speed is the describer's
            fresh = prepared["describe"]["generated"]
            generated_seconds = prepared["describe"]["seconds"] + prepared["extract"]["seconds"]
        systems.append((getattr(model, "display_name", model.name), tuple(model.inputs), {0: predictions}, {
            "describer": model, "extractor": extract_model, "descriptions": descriptions,
            "timings": {"total_s": time.perf_counter() - began, "describe_s": stats["describe"].seconds,
                        "extract_s": stats["extract"].seconds},
            "generation": {step: s.as_dict() for step, s in stats.items()},
            "clips_per_second": fresh / generated_seconds if fresh and generated_seconds > 0 else None,
            "prepared": dict(prepared) if prepared else None,
        }))

    rows: list[dict[str, Any]] = []
    for model_name, inputs, predictions_by_seed, info in systems:
        for grouping_name, group_with in groupers:
            row = _score_row(model_name, inputs, predictions_by_seed, truth, grouping_name, group_with)
            if info.get("missing"):
                row.problems.extend(f"{n}: no classifier probabilities; scored as an empty prediction"
                                    for n in info["missing"])
            row.timings = dict(info.get("timings", {}))
            if "generation" in info:
                row.extra = {"generation": info["generation"], "clips_per_second": info["clips_per_second"],
                             **({"prepared": info["prepared"]} if info["prepared"] else {})}
            row.components = _components(info, grouping_name, group_with)
            if out is not None:
                row.record_path = str(_write_record(row, dataset, split, seeds, truth, info, out, limit))
            rows.append(row.as_dict())
    return rows


def _components(info: Mapping[str, Any], grouping_name: str, grouper: Grouper) -> list[dict[str, Any]]:
    """The grouper and the models of a row, each with the distribution that ships its code (so the
    identity changes with a plugin's release)."""
    from merbench import __version__
    from merbench.plugins import distribution_of

    components = [{"kind": "grouper", "name": grouping_name, "version": __version__,
                   "distribution": distribution_of("grouper", grouper), "fingerprint": grouper.fingerprint()}]
    for kind, key in (("describer", "describer"), ("describer", "extractor")):
        model = info.get(key)
        if model is not None:
            components.append({"kind": kind, "name": model.name, "version": __version__,
                               "distribution": distribution_of(kind, model),
                               "fingerprint": {**model.fingerprint(), "role": key, "prompt_version": PROMPT_VERSION}})
    return components


def _write_record(row: OVRow, dataset: Dataset, split: str, seeds: Sequence[int], truth: Mapping[str, list[str]],
                  info: Mapping[str, Any], out: str | Path, limit: int | None) -> Path:
    from merbench.results.record import build_record, write_record

    record_config = {"model": row.model, "inputs": list(row.inputs), "grouping": row.grouping, "limit": limit,
                     "prompt_version": PROMPT_VERSION, **({"classifier": info["config"]} if "config" in info else {})}
    record = build_record(
        track="ov", dataset=dataset, split=split, name=f"ov-{row.model}-{row.grouping}",
        components=row.components,
        config=record_config,
        seeds=[run["seed"] for run in row.per_seed] or list(seeds), per_seed=row.per_seed, main_metric="ov-avg",
        identity=_identity(record_config, row, dataset, split, seeds, info),
        higher_is_better={m: True for m in METRICS},
        samples={"scored": row.per_seed[0]["n"], "skipped": [p.split(":", 1)[0] for p in row.problems
                                                             if "left out of the means" in p]},
        timings=row.timings, extra={"problems": row.problems, **row.extra},
    )
    descriptions = info.get("descriptions", {})
    predictions = [{"name": n, "seed": seed, "openset": labels, "truth": truth[n],
                    **({"description": descriptions[n]} if n in descriptions else {})}
                   for seed, by_name in row.predictions.items() for n, labels in sorted(by_name.items()) if n in truth]
    return write_record(record, out, predictions)


def _identity(config: Mapping[str, Any], row: OVRow, dataset: Dataset, split: str, seeds: Sequence[int],
              info: Mapping[str, Any]) -> dict[str, Any]:
    """What determines an OV record's numbers: merbench's version, the split with its clips' media
    and labels (by hash: the descriptions come from the media, the scores from the labels), seeds and
    record config, its components by fingerprint (a grouping file by its content: where the file lies
    does not change a score) and, for the classifier baseline, the identity hash of the run's
    models it took its probabilities from. ``hash``: sha256 of the canonical JSON, as the run's
    other records (:func:`merbench.runner.records.identity`), so ``results diff`` can prove two equal."""
    import hashlib

    from merbench import __version__
    from merbench.cache.key import canonical

    def content(fingerprint: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in fingerprint.items() if not (k == "path" and "sha256" in fingerprint)}

    parts = {"merbench_version": __version__, "split": split,
             "data": {"media": dataset.media_hash(split), "labels": dataset.labels_hash(split)},
             "seeds": [int(s) for s in seeds], "config": dict(config),
             "components": [{**c, "fingerprint": content(c.get("fingerprint") or {})} for c in row.components]}
    if "classifier_identity" in info:
        parts["classifier"] = info["classifier_identity"]
    return {"hash": hashlib.sha256(canonical(parts).encode()).hexdigest(), "parts": parts}


def format_table(rows: Sequence[Mapping[str, Any]], title: str = "MER-OV (MER2024 Table 6 layout; scores ×100)") -> Any:
    """A rich table: model, L/V/A inputs, grouping, Avg, Accuracy_s, Recall_s (mean ± std over seeds), n."""
    from rich.table import Table

    table = Table(title=title)
    for column in ("Model", "L", "V", "A", "Grouping", "Avg", "Accuracy_s", "Recall_s", "n"):
        table.add_column(column, justify="left" if column in ("Model", "Grouping") else "right")

    def cell(row: Mapping[str, Any], key: str) -> str:
        mean, std = 100 * row[key], 100 * row[f"{key}_std"]
        return f"{mean:.2f} ± {std:.2f}" if len(row["seeds"]) > 1 else f"{mean:.2f}"

    for row in rows:
        table.add_row(row["model"], *("✓" if row[k] else "×" for k in ("L", "V", "A")), row["grouping"],
                      cell(row, "avg"), cell(row, "accuracy"), cell(row, "recall"), str(row["n"]))
    return table


def _params_and_split(context: Any) -> tuple[dict[str, Any], str]:
    """The track's parameters in the run config (``track_params``) and its test split's name."""
    params = dict(context.config.get("track_params", {}).get(context.track.name, {}))
    return params, context.dataset.resolve_split(context.track.test_split)


def prepare_track(request: Any) -> dict[str, Any] | None:
    """The ``ov`` track's prepare hook (run in the background from the start of ``merbench run``):
    the describer's descriptions and label extractions of the track's clips, generated into the
    generation cache, where :func:`evaluate_track` finds them. It needs no trained row. Returns the
    generation statistics per step, or ``None`` when the track has no describer or no clips."""
    params, split = _params_and_split(request)
    if params.get("describer") is None:
        return None
    samples = request.dataset.samples(split)[: params.get("limit") or None]
    if not samples:
        return None
    _, _, stats = describe_and_extract(_build("describer", params["describer"]), samples)
    return {step: s.as_dict() for step, s in stats.items()}


def evaluate_track(context: Any) -> Any:
    """The ``ov`` track's evaluate hook inside ``merbench run``: the classifier baseline from the last
    trained row (the trimodal combination in the default run) and the describer of the track's
    parameters (``track_params: {ov: {describer, limit}}``), scored with :func:`run_ov_track`."""
    from merbench.contracts.track import TrackOutcome

    params, split = _params_and_split(context)
    classifier, inputs, classifier_identity = None, (), None
    if context.rows:
        source = context.rows[-1]
        if context.model_identity is not None:
            classifier_identity = context.model_identity(source)
        names = list(context.dataset.splits()[split])
        by_seed = context.probabilities(source)
        classifier = {seed: {n: probs[n] for n in names if n in probs} for seed, probs in by_seed.items()}
        inputs = tuple(source.modalities)
    else:
        log.warning("%s: no row was trained, so the table has no classifier baseline (train one: a modality "
                    "combination, or the features alone with --unimodal)", context.track.name)
    rows = run_ov_track(context.dataset, describer=params.get("describer"), seeds=context.config["seeds"],
                        classifier_probs=classifier, classifier_inputs=inputs, split=split,
                        out=context.out / context.track.name, limit=params.get("limit"), progress=context.progress,
                        prepared=context.prepared, classifier_identity=classifier_identity)
    return TrackOutcome(records=[Path(r["record"]) for r in rows if r.get("record")], table=format_table(rows), rows=rows)
