"""The extraction loop and the read API: :func:`extract`, :func:`load_features`, :func:`load_frames`.

``extract`` decodes media on a thread pool while the encoder runs, batches clips by a fixed plan
(:func:`batch_plan`: sorted by size, so the encoders pad and mask little), pools every layer per
utterance, and appends the finished batches to the cache as atomic parts (see
:mod:`merbench.cache.store`). Encoders that declare ``concurrent_encode`` encode one batch per core
at once on CPU. It only does what is missing, so a re-run after a crash or a kill resumes. A clip
that fails is recorded with its one-line error; past ``max_failed`` (a fraction of the requested
clips) the run stops with :class:`ExtractionError`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from merbench.cache.key import cache_key, key_digest
from merbench.cache.store import CacheError, FeatureStore, store_path
from merbench.contracts.dataset import Dataset
from merbench.contracts.encoder import Encoder
from merbench.cache.pooling import LayerPolicy, frames_of, mean_over_time, select_layers
from merbench.util.device import resolve_device

log = logging.getLogger(__name__)
IMPORT_PREFIX = "import:"
DEFAULT_MAX_FAILED = 0.05
#: Finished batches are gathered into one cache part until the oldest has waited this long.
PART_SECONDS = 1.0


class ExtractionError(RuntimeError):
    """Too many clips failed; the message says how many, the first error, and where all are listed."""


@dataclass
class Resolved:
    """An encoder bound to a dataset: the component (None for imported features), its key and store."""

    name: str
    encoder: Encoder | None
    key: dict
    store: FeatureStore
    default_layers: LayerPolicy


def resolve(dataset: Dataset, encoder: str | Encoder, **encoder_params: Any) -> Resolved:
    """Build the encoder (without loading weights) and compute its cache key for ``dataset``."""
    corruption = getattr(dataset, "corruption", None)
    if isinstance(encoder, str) and encoder.startswith(IMPORT_PREFIX):
        if encoder_params:
            raise ValueError(f"{encoder}: imported features take no encoder parameters (got {sorted(encoder_params)})")
        return resolve_import(dataset, encoder, read_import_provenance(dataset, encoder))
    if isinstance(encoder, str):
        from merbench.plugins import get, versioned_distribution

        spec = get("encoder", encoder)
        component = spec.create(**encoder_params)
        name, distribution = spec.name, versioned_distribution(spec)  # the registered name, also for an alias
    else:
        component, name = encoder, encoder.name or type(encoder).__name__
        distribution = f"{type(encoder).__module__} (unregistered)"
    if not getattr(component, "name", ""):
        component.name = name
    identity = {"name": name, "distribution": distribution, "version": str(component.version),
                "fingerprint": component.fingerprint()}
    key = cache_key(identity, dataset.media_hash(), corruption)
    store = FeatureStore(store_path(name, key_digest(key)), key)
    return Resolved(name, component, key, store, getattr(component, "default_layers", "last"))


def _import_pointer(dataset: Dataset, encoder: str) -> Path:
    """Where ``merbench cache import`` notes what ``encoder`` (``import:<name>``) holds for ``dataset``:
    beside the stores, named by the key of the name alone (the content is not known before reading it)."""
    base = cache_key({"name": encoder, "source": "import"}, dataset.media_hash(), getattr(dataset, "corruption", None))
    return store_path(encoder, key_digest(base)).with_suffix(".import.json")


def read_import_provenance(dataset: Dataset, encoder: str) -> dict | None:
    """``{"folder", "content_sha256"}`` of the last import of ``encoder`` for ``dataset``; None if never imported."""
    import json

    pointer = _import_pointer(dataset, encoder)
    try:
        data = json.loads(pointer.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise CacheError(f"{pointer}: unreadable ({exc}); re-run `merbench cache import --replace`") from None
    return {"folder": str(data["folder"]), "content_sha256": str(data["content_sha256"])}


def write_import_provenance(dataset: Dataset, encoder: str, provenance: dict) -> Path:
    """Note ``provenance`` as what ``encoder`` now holds for ``dataset`` (atomic replace)."""
    import json

    pointer = _import_pointer(dataset, encoder)
    pointer.parent.mkdir(parents=True, exist_ok=True)
    tmp = pointer.with_name(pointer.name + ".tmp")
    tmp.write_text(json.dumps(provenance, sort_keys=True), encoding="utf-8")
    os.replace(tmp, pointer)
    return pointer


def resolve_import(dataset: Dataset, encoder: str, provenance: dict | None) -> Resolved:
    """Imported features: their identity names the source folder and the content hash of the
    imported files (``fingerprint``), so the cache key, and records, change with the content."""
    identity: dict[str, Any] = {"name": encoder, "source": "import"}
    if provenance is not None:
        identity["fingerprint"] = dict(provenance)
    key = cache_key(identity, dataset.media_hash(), getattr(dataset, "corruption", None))
    return Resolved(encoder, None, key, FeatureStore(store_path(encoder, key_digest(key)), key), "last")


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


def extract(dataset: Dataset, encoder: str | Encoder, names: Sequence[str] | None = None, *, device: str = "auto",
            batch_size: int | None = None, progress: bool = True, frames: bool = False,
            max_failed: float = DEFAULT_MAX_FAILED, workers: int | None = None, retry_failed: bool = True,
            executor=None, **encoder_params: Any) -> Path:
    """Extract what is missing of ``names`` (default: every sample) into the keyed HDF5 cache.

    Returns the cache file's path. ``frames=True`` also stores frame-level features.
    ``retry_failed=False`` leaves clips whose failure is recorded alone.
    Raises :class:`ExtractionError` when more than ``max_failed`` of the clips failed (their
    errors stay listed in the file; finished clips are kept). A distributed ``executor``
    (:mod:`merbench.executors`) shards the clips over its workers (:mod:`merbench.cache.distributed`).
    """
    if executor is not None and executor.distributed:
        from merbench.cache.distributed import extract_sharded

        return extract_sharded(dataset, encoder, names, executor=executor, device=device, batch_size=batch_size,
                               frames=frames, max_failed=max_failed, retry_failed=retry_failed, **encoder_params)
    resolved = resolve(dataset, encoder, **encoder_params)
    wanted = _unique(names if names is not None else (s.name for s in dataset.iter_all()))
    store = resolved.store
    with store.writing():
        skip = set(store.index(with_frames=frames))
        if not retry_failed:
            skip |= set(store.failed())
        aborted = None
        if any(n not in skip for n in wanted):
            device = resolve_device(device)
            _load_once(resolved.encoder, device)
            size = batch_size or getattr(resolved.encoder, "batch_size", 16)
            batches = [todo for todo in ([n for n in batch if n not in skip]
                                         for batch in batch_plan(dataset, resolved.encoder, wanted, size)) if todo]
            aborted = _run(dataset, resolved, store, batches, len(wanted), progress=progress, frames=frames,
                           max_failed=max_failed, workers=workers, encode_workers=_encode_workers(resolved.encoder, device))
        store.compact()
    check_failures(resolved, wanted, max_failed, aborted)
    return store.path


def check_failures(resolved: Resolved, wanted: Sequence[str], max_failed: float, aborted: bool) -> None:
    """Raise :class:`ExtractionError` when more than ``max_failed`` of ``wanted`` failed (or a run stopped early)."""
    store = resolved.store
    failed = store.failed()
    failed = {n: failed[n] for n in wanted if n in failed}
    if not failed:
        return
    first = next(iter(failed.items()))
    if aborted or len(failed) > max_failed * len(wanted):
        raise ExtractionError(
            f"{resolved.name}: {len(failed)} of {len(wanted)} clips failed (limit {max_failed:.0%}"
            f"{', stopped early' if aborted else ''}); first: {first[0]}: {first[1]} -- all errors: "
            f"`merbench cache ls --failed {store.path}`; fix the media, or raise max_failed")
    log.warning("%s: %d of %d clips failed (within the %.0f%% limit; they have no features); first: %s: %s -- all "
                "errors: `merbench cache ls --failed %s`", resolved.name, len(failed), len(wanted), 100 * max_failed,
                first[0], first[1], store.path)


def batch_plan(dataset: Dataset, encoder: Encoder, names: Sequence[str], batch_size: int) -> list[list[str]]:
    """The batches ``names`` are encoded in: sorted by input size (see
    :func:`merbench.cache.inputs.input_size`; ties keep the requested order), then cut every
    ``batch_size``.

    Sorting keeps padding low. The plan depends only on the requested clips, never on what is already
    cached: a resumed run re-encodes exactly the batches (less their finished clips) that an
    uninterrupted run would, so padded encoders, whose outputs move with a batch's composition by
    float rounding, give the same bits either way.
    """
    from merbench.cache.inputs import input_size

    def size(name: str) -> int:
        try:
            return input_size(encoder, dataset.sample(name))
        except Exception:  # the clip's own error is recorded when it is decoded; here it only sorts first
            return 0

    sizes = [size(name) for name in names]
    ordered = [names[i] for i in sorted(range(len(names)), key=lambda i: sizes[i])]  # stable sort
    return [ordered[start:start + batch_size] for start in range(0, len(ordered), batch_size)]


def _load_once(encoder: Encoder, device: str) -> None:
    """Load weights unless this encoder object was already loaded on ``device`` by an earlier call."""
    if getattr(encoder, "_merbench_loaded_on", None) != device:
        encoder.load(device)
        encoder._merbench_loaded_on = device


def _encode_workers(encoder: Encoder, device: str) -> int:
    """Batches encoded at once: one per core for a CPU encoder that declares ``concurrent_encode``."""
    if device != "cpu" or not getattr(encoder, "concurrent_encode", False):
        return 1
    from merbench.threads import cpu_workers

    return cpu_workers()


def _run(dataset: Dataset, resolved: Resolved, store: FeatureStore, batches: list[list[str]], total: int, *,
         progress: bool, frames: bool, max_failed: float, workers: int | None, encode_workers: int,
         seqs: Sequence[int] | None = None, decode=None, bar=None, decode_ahead: int = 1) -> bool:
    """Encode ``batches`` into the store; returns True when it stopped early for too many failures.

    Media are decoded on ``workers`` threads, a batch or two ahead of the encoder. With
    ``encode_workers`` > 1 that many batches are encoded at once. Finished batches are written while
    the next ones encode, together as one part once the oldest of them has waited
    :data:`PART_SECONDS` (and at the end, on an error or an interrupt): a part costs a file, an fsync
    and a compaction step, which for fast encoders was a tenth of the extraction's time. A kill
    loses at most the batches running and :data:`PART_SECONDS` of finished ones.
    An extraction shard (:mod:`merbench.cache.distributed`) passes the part number of each batch
    (``seqs``; each batch is then its own part, as the driver tells finished batches by their part
    numbers), ``decode(batch)`` (a handle whose ``result()`` is the batch's decoded inputs, decoded
    on other workers, ``decode_ahead`` batches ahead) and its own progress ``bar``.
    """
    from merbench.cache.inputs import is_empty, prepare

    encoder = resolved.encoder
    workers = workers or max(2, min(8, os.cpu_count() or 2))
    shape = _stored_shape(store)
    pending_empty: list[str] = []
    n_failed = 0
    limit = max_failed * total

    def load(name: str) -> tuple[str, Any, str | None]:
        try:
            return name, prepare(encoder, dataset.sample(name)), None
        except Exception as exc:  # recorded against the clip, never skipped silently
            return name, None, _one_line(exc)

    def encode(loaded: list[tuple[str, Any, str | None]]):
        failed = {n: err for n, _, err in loaded if err is not None}
        items = [(n, x) for n, x, err in loaded if err is None]
        empty = [n for n, x in items if is_empty(x)]
        encoded = _encode(encoder, [(n, x) for n, x in items if not is_empty(x)], failed, frames)
        return len(loaded), failed, empty, encoded

    unwritten: dict = {"names": [], "pooled": [], "lengths": [], "frames": [], "failed": {}, "since": None, "seq": None}

    def take(seq: int | None, n_loaded: int, failed: dict[str, str], empty: list[str], encoded) -> None:
        """Take one encoded batch into the next part; empty inputs become zero vectors once a feature
        size is known."""
        nonlocal shape, pending_empty, n_failed
        ok_names, pooled, lengths, frame_list = encoded
        if pooled is not None:
            shape = pooled.shape[1:]
        pending_empty += empty
        if shape is not None and pending_empty:
            ok_names += pending_empty
            zeros = np.zeros((len(pending_empty), *shape), np.float32)
            pooled = zeros if pooled is None else np.concatenate([pooled, zeros])
            lengths = np.concatenate([np.zeros(0, np.int64) if lengths is None else lengths,
                                      np.zeros(len(pending_empty), np.int64)])
            if frames:
                frame_list = (frame_list or []) + [np.zeros((0, *shape), np.float32)] * len(pending_empty)
            pending_empty = []
        if ok_names or failed:
            if unwritten["since"] is None:
                unwritten["since"], unwritten["seq"] = time.monotonic(), seq
            unwritten["names"] += ok_names
            if ok_names:
                unwritten["pooled"].append(pooled)
                unwritten["lengths"].append(lengths)
                unwritten["frames"] += frame_list if frames else []
            unwritten["failed"].update(failed)
        n_failed += len(failed)
        bar.advance(n_loaded, n_failed)

    def write() -> None:
        """Store the finished batches not yet written as one part (main thread only: h5py is not
        thread-safe)."""
        if unwritten["since"] is None:
            return
        part = dict(unwritten)
        unwritten.update(names=[], pooled=[], lengths=[], frames=[], failed={}, since=None, seq=None)
        names = part["names"]
        store.write_batch(names, np.concatenate(part["pooled"]) if names else None,
                          np.concatenate(part["lengths"]) if names else None, part["frames"] if frames else None,
                          part["failed"], seq=part["seq"])

    def write_due() -> None:
        since = unwritten["since"]
        if since is not None and (seqs is not None or time.monotonic() - since >= PART_SECONDS):
            write()

    if decode is None:
        submit_batch = lambda batch: [decoders.submit(load, name) for name in batch]  # noqa: E731
        collect = lambda handle: [f.result() for f in handle]  # noqa: E731
        cancel = lambda handle: [f.cancel() for f in handle]  # noqa: E731
    else:
        submit_batch, collect, cancel = decode, (lambda handle: handle.result()), (lambda handle: handle.cancel())
    bar = bar or _Progress(progress, resolved.name, sum(len(b) for b in batches))
    threads = contextlib.nullcontext()
    if encode_workers > 1:
        from merbench.threads import one_torch_thread_per_worker

        threads = one_torch_thread_per_worker()
    try:
        with bar, threads, ThreadPoolExecutor(max_workers=workers) as decoders, \
                ThreadPoolExecutor(max_workers=encode_workers) as encoders:
            decoding: deque = deque()
            planned = iter(enumerate(batches))
            running: dict = {}  # future -> part number
            done: list = []  # encoded batches not yet written: (part number, encode's result)
            while True:
                # past the limit: keep the batches already running, start no more
                stop = n_failed + sum(len(result[1]) for _, result in done) > limit
                while len(decoding) < encode_workers + decode_ahead and not stop:  # decode ahead of the encoders
                    b, batch = next(planned, (None, None))
                    if batch is None:
                        break
                    decoding.append((b, batch, submit_batch(batch)))
                while decoding and len(running) < encode_workers and not stop:
                    b, batch, handle = decoding.popleft()
                    bar.started(batch)
                    running[encoders.submit(encode, collect(handle))] = None if seqs is None else seqs[b]
                for seq, result in done:  # written while the next batches encode, so the encoders never wait on HDF5
                    take(seq, *result)
                    write_due()
                done = []
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                done = [(running.pop(future), future.result()) for future in finished]
            for _, _, handle in decoding:
                cancel(handle)
    finally:  # finished batches are kept whatever stopped the loop
        write()
    if stop:
        return True
    for name in pending_empty:  # every input was empty: the output size is unknown
        store.write_batch([], None, None, None, {name: "empty input and no other clip to learn the feature size from; "
                                                 "extract it together with non-empty clips"})
    return False


def _encode(encoder: Encoder, items: list[tuple[str, Any]], failed: dict[str, str], frames: bool):
    """Encode a batch; if the batch fails, encode its items one by one so only the bad clip is lost."""
    if not items:
        return [], None, None, None
    try:
        outputs = [(items, encoder.encode([x for _, x in items]))]
    except Exception:
        outputs = []
        for item in items:
            try:
                outputs.append(([item], encoder.encode([item[1]])))
            except Exception as exc:
                failed[item[0]] = _one_line(exc)
    names, pooled, lengths, frame_list = [], [], [], []
    for group, out in outputs:
        lens = np.asarray(out.lengths, np.int64)
        pooled_group = mean_over_time(out.hidden_states, lens)
        group_frames = frames_of(out.hidden_states, lens) if frames else [None] * len(group)
        for i, (name, _) in enumerate(group):
            if not np.isfinite(pooled_group[i]).all():
                failed[name] = "encoder produced NaN/inf features; check the clip's media (silence, a black video) or use float32"
                continue
            names.append(name)
            pooled.append(pooled_group[i])
            lengths.append(lens[i])
            frame_list.append(group_frames[i])
    if not names:
        return [], None, None, None
    return names, np.stack(pooled), np.asarray(lengths), frame_list


def _stored_shape(store: FeatureStore):
    import h5py

    for path in store.files():
        with h5py.File(path, "r") as f:
            if "pooled" in f:
                return f["pooled"].shape[1:]
    return None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if type(exc).__name__ in ("MediaError",) else f"{type(exc).__name__}: {text}"


class _Progress:
    """A rich progress bar with clips/s, ETA and the failure count (silent when disabled)."""

    def __init__(self, enabled: bool, label: str, total: int) -> None:
        from merbench.util.progress import progress_bar, progress_enabled

        self.enabled = progress_enabled(enabled)
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, ProgressColumn, TextColumn, TimeElapsedColumn, \
                TimeRemainingColumn
            from rich.text import Text

            class Rate(ProgressColumn):
                def render(self, task):
                    return Text(f"{task.speed:.1f} clips/s" if task.speed else "- clips/s")

            self.progress = progress_bar(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                         Rate(), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                         TextColumn("{task.fields[failed]} failed"), transient=False)
            self.task = self.progress.add_task(label, total=total, failed=0)

    def __enter__(self):
        if self.enabled:
            self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        if self.enabled:
            self.progress.__exit__(*exc)

    def advance(self, n: int, failed: int) -> None:
        if self.enabled:
            self.progress.update(self.task, advance=n, failed=failed)

    def started(self, batch: list[str]) -> None:
        """A batch goes to the encoder (a shard reports it, see :mod:`merbench.cache.distributed`)."""


# -- reading ----------------------------------------------------------------------------------
def _ready(dataset: Dataset, encoder: str | Encoder, names: Sequence[str], *, frames: bool, extract_missing: bool,
           device: str, encoder_params: dict, executor=None) -> Resolved:
    resolved = resolve(dataset, encoder, **encoder_params)
    index = resolved.store.index(with_frames=frames)
    failed = resolved.store.failed()  # recorded failures are reported, not retried, on read; `extract` retries
    missing = [n for n in _unique(names) if n not in index and n not in failed]
    if missing:
        if resolved.encoder is None:
            raise CacheError(f"{resolved.store.path}: {len(missing)} clips not imported (first: {missing[0]}); "
                             "re-run `merbench cache import` with the folder that has them")
        if not extract_missing:
            raise CacheError(f"{resolved.name}: {len(missing)} clips not in the cache (first: {missing[0]}); "
                             f"run `merbench extract --encoder {resolved.name}` or pass extract_missing=True")
        # every requested clip, not only the missing ones: the batch plan is made over the request, so
        # clips missing after an interrupted run are batched as an uninterrupted run batches them
        extract(dataset, encoder, names, device=device, frames=frames, retry_failed=False, executor=executor,
                **encoder_params)
    return resolved


def _check_failed(resolved: Resolved, names: Sequence[str], on_failed: str) -> list[str]:
    failed = resolved.store.failed()
    bad = [n for n in names if n in failed]
    if bad and on_failed != "zeros":
        raise CacheError(f"{resolved.name}: {len(bad)} requested clips failed extraction (first: {bad[0]}: "
                         f"{failed[bad[0]]}); fix them and re-extract, or pass on_failed='zeros'")
    return bad


def load_features(dataset: Dataset, encoder: str | Encoder, names: Sequence[str], *, layers: LayerPolicy | None = None,
                  extract_missing: bool = True, on_failed: str = "error", device: str = "auto", executor=None,
                  **encoder_params: Any) -> np.ndarray:
    """Utterance features float32 (N, D): means over time, rows in the order of ``names``.

    ``layers=None`` uses the encoder's default policy (e.g. ``"sum-last-4"`` for the baseline's
    transformers); see :mod:`merbench.cache.pooling`. ``on_failed="zeros"`` gives failed clips a
    zero row instead of raising. ``encoder_params`` build the encoder (``pooling=`` among them, for
    an encoder that declares ``poolings``); frame-level features come from :func:`load_frames`.
    Missing clips are extracted through ``executor`` (default: in this process).
    """
    resolved = _ready(dataset, encoder, names, frames=False, extract_missing=extract_missing, device=device,
                      encoder_params=encoder_params, executor=executor)
    bad = set(_check_failed(resolved, names, on_failed))
    good = [n for n in _unique(names) if n not in bad]
    pooled, _ = resolved.store.read(good)
    selected = select_layers(pooled, resolved.default_layers if layers is None else layers)
    rows = {n: i for i, n in enumerate(good)}
    out = np.zeros((len(names), selected.shape[-1] if len(good) else 0), np.float32)
    for i, n in enumerate(names):
        if n in rows:
            out[i] = selected[rows[n]]
    return out


def load_frames(dataset: Dataset, encoder: str | Encoder, names: Sequence[str], *, layers: LayerPolicy | None = None,
                extract_missing: bool = True, device: str = "auto", executor=None,
                **encoder_params: Any) -> list[np.ndarray]:
    """Frame-level features, one float32 (T, D) per name (T may be 0 for an empty input)."""
    resolved = _ready(dataset, encoder, names, frames=True, extract_missing=extract_missing, device=device,
                      encoder_params=encoder_params, executor=executor)
    _check_failed(resolved, names, "error")
    policy = resolved.default_layers if layers is None else layers
    return [select_layers(f, policy).astype(np.float32) for f in resolved.store.read_frames(list(names))]
