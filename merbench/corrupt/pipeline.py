"""Corrupt a dataset split into a new, readable dataset: seeded per clip, logged, resumable, parallel.

Randomness is per clip and step (:mod:`merbench.corrupt.steps`). Output layout (the baseline's processed layout, so any reader of it can use it)::

    OUT/corruption.json              what was asked: source dataset, split, steps, seed, clean labels
    OUT/video/<name>.mp4             H.264 + AAC, corrupted frames and audio
    OUT/audio/<name>.wav             16 kHz mono PCM, the corrupted audio
    OUT/openface_face/<name>/<name>.npy
    OUT/transcription-merge.csv      name,chinese (the subtitles after corruption)
    OUT/log/<name>.json              per clip: every random choice of every step (written last)
    OUT/corruption-log.json          all clips' logs; present only once the split is complete
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from merbench.contracts.corruption import Corruption
from merbench.contracts.dataset import Dataset, Sample
from merbench.corrupt.base import CorruptionParamError
from merbench.corrupt.steps import apply_steps, build_steps, corruption_identity, describe_steps

FORMAT = "merbench-corruption/1"
HEADER_FILE = "corruption.json"
LOG_FILE = "corruption-log.json"


class CorruptionError(RuntimeError):
    """A corruption run could not finish; the message is one line naming the clip(s) and the fix."""


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _set_key(media_hash: str, split: str, corruption: dict) -> str:
    """What a corrupted set's media come from: the source split's media hash (its clips, subtitles and
    media, not its labels: a label fix keeps the set), the split and the corruption's identity. It names
    the folder and is every clip log's digest."""
    return hashlib.sha256(_canonical([media_hash, split, corruption_identity(corruption)]).encode()).hexdigest()


def _folder_name(media_hash: str, split: str, corruption: dict) -> str:
    """``<split>-<key16>``, from :func:`_set_key`."""
    return f"{split}-{_set_key(media_hash, split, corruption)[:16]}"


def corrupted_root() -> Path:
    from merbench.paths import cache_root

    return cache_root() / "corrupted"


def default_out(dataset: Dataset, split: str, steps: Iterable[Any], seed: int) -> Path:
    """Where a corrupted split lives when the caller names no folder: keyed by source, steps and seed."""
    corruption = {"steps": describe_steps(build_steps(steps)), "seed": int(seed)}
    return corrupted_root() / _folder_name(dataset.media_hash(split), split, corruption)


def cached_sets(root: Path | None = None) -> list[dict[str, Any]]:
    """The corrupted sets under ``root`` (default: the cache's): folder, split, clips asked and finished,
    bytes, the source's manifest and media hashes (the folder is keyed on the latter), and ``stale``:
    its folder name is not the key this version gives its header (it was made under an earlier keying,
    e.g. one that digested the noise bank's folder path or the source's labels, so nothing made by
    this version reads it). A folder without a readable header is listed as stale."""
    root = corrupted_root() if root is None else Path(root)
    if not root.is_dir():
        return []
    out = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        entry: dict[str, Any] = {"path": str(folder), "name": folder.name,
                                 "bytes": sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())}
        try:
            header = json.loads((folder / HEADER_FILE).read_text())
            source = header["source"]
            entry.update(split=source["split"], manifest=source["manifest_hash"], media=source.get("media_hash"),
                         clips=len(header["samples"]),
                         finished=sum(1 for _ in (folder / "log").glob("*.json")),
                         stale=folder.name != _folder_name(source.get("media_hash"), source["split"], header["corruption"]))
        except (OSError, ValueError, KeyError, TypeError):
            entry.update(split=None, manifest=None, media=None, clips=None, finished=None, stale=True)
        out.append(entry)
    return out


# -- one clip (runs in a worker process) ------------------------------------------------------------
_BUILT: dict[str, list[Corruption]] = {}


def _corruptions_for(steps: list[dict]) -> list[Corruption]:
    key = _canonical(steps)
    if key not in _BUILT:
        _BUILT[key] = build_steps((s["name"], s["params"]) for s in steps)
    return _BUILT[key]


def _outputs(sample: Sample, out: Path) -> dict[str, Path]:
    name = sample.name
    paths = {"audio": out / "audio" / f"{name}.wav"}
    if sample.video is not None:
        paths["video"] = out / "video" / f"{name}.mp4"
    if sample.faces is not None:
        paths["faces"] = out / "openface_face" / name / f"{name}.npy"
    return paths


def _corrupt_clip(sample: Sample, steps: list[dict], seed: int, digest: str, out: str) -> tuple[str, dict | None, str | None]:
    """Corrupt one clip; write its media then its log (the log marks it finished). Never raises for
    bad media: returns the one-line error instead, so the other clips go on."""
    from merbench.media import MediaError, load_media, write_video, write_wav

    root = Path(out)
    try:
        media = load_media(sample)
        corrupted, log = apply_steps(media, _corruptions_for(steps), seed)
        targets = _outputs(sample, root)
        partial = root / ".partial" / sample.name
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        if corrupted.audio is None:
            raise MediaError(sample.audio or sample.video or sample.name, "has no audio to corrupt",
                             "give the sample an audio/<name>.wav or a video with an audio track")
        written = {"audio": write_wav(partial / "audio.wav", corrupted.audio, corrupted.sample_rate)}
        if "video" in targets:
            written["video"] = write_video(partial / "video.mp4", corrupted.frames, corrupted.fps,
                                           audio=corrupted.audio, sample_rate=corrupted.sample_rate)
        if "faces" in targets:
            np.save(partial / "faces.npy", np.ascontiguousarray(corrupted.faces, dtype=np.uint8))
            written["faces"] = partial / "faces.npy"
        for part, path in written.items():
            targets[part].parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, targets[part])
        shutil.rmtree(partial, ignore_errors=True)
        entry = {"name": sample.name, "digest": digest, "steps": log, "subtitle": corrupted.subtitle,
                 "outputs": sorted(targets)}
        _write_json(root / "log" / f"{sample.name}.json", entry)
        return sample.name, entry, None
    except CorruptionParamError:
        raise  # a configuration error fails every clip alike: stop at once
    except MediaError as exc:
        return sample.name, None, str(exc)
    except Exception as exc:  # an unexpected failure is reported against its clip, with its type
        return sample.name, None, f"{sample.name}: {type(exc).__name__}: {' '.join(str(exc).split())}"


def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True))
    os.replace(tmp, path)


# -- the split --------------------------------------------------------------------------------------
def _header(dataset: Dataset, split: str, samples: list[Sample], corruption: dict) -> dict:
    return {
        "format": FORMAT,
        "source": {"reader": dataset.name, "root": str(dataset.root), "manifest_hash": dataset.manifest_hash(),
                   "media_hash": dataset.media_hash(split), "split": split, "has_valence": dataset.has_valence},
        "corruption": corruption,
        "samples": [{"name": s.name, "label": s.label, "valence": s.valence, "subtitle": s.subtitle,
                     "subtitle_en": s.subtitle_en, "ov_labels": list(s.ov_labels) if s.ov_labels else None}
                    for s in samples],
    }


def _check_existing(out: Path, header: dict) -> None:
    """Refuse a folder holding another set. Labels may differ (a label fix): the caller rewrites the
    header with the current ones, and the finished clips are kept."""
    path = out / HEADER_FILE
    if not path.exists():
        if out.exists() and any(out.iterdir()):
            raise CorruptionError(f"{out}: folder is not empty and holds no {HEADER_FILE}; choose an empty or new --out")
        return
    old = json.loads(path.read_text())
    if old.get("corruption") is None or corruption_identity(old["corruption"]) != corruption_identity(header["corruption"]):
        raise CorruptionError(f"{out}: holds a corrupted set with different corruption steps/seed; use another --out or delete it")
    old_src, new_src = old.get("source", {}), header["source"]
    if old_src.get("media_hash") is None:
        raise CorruptionError(f"{out}: was made by an earlier merbench (its {HEADER_FILE} has no media hash); "
                              "delete it and re-run")
    if (old_src["media_hash"], old_src.get("split")) != (new_src["media_hash"], new_src["split"]):
        raise CorruptionError(f"{out}: was made from another dataset, split or clip list ({old_src.get('root')}, "
                              f"{old_src.get('split')}); use another --out or delete it")


def _finished(out: Path, sample: Sample, digest: str) -> dict | None:
    """The clip's log if it is finished with these steps and seed and all its files exist."""
    log_path = out / "log" / f"{sample.name}.json"
    if not log_path.exists():
        return None
    try:
        entry = json.loads(log_path.read_text())
    except json.JSONDecodeError:
        return None  # a torn log from a killed run: redo the clip
    if entry.get("digest") != digest:
        raise CorruptionError(f"{log_path}: clip was corrupted with other steps or seed; delete {out} and re-run")
    if not all(p.exists() for p in _outputs(sample, out).values()):
        return None
    return entry


def corrupt_dataset(dataset: Dataset, split: str, steps: Iterable[Any], seed: int, out: str | Path | None = None,
                    *, workers: int = 2, progress: bool = True) -> "CorruptedDataset":
    """Write a corrupted copy of ``dataset``'s ``split`` to ``out`` and return it as a dataset.

    ``steps``: corruptions in order, as ``(name, params)`` pairs or ``{name, params}`` dicts. Clips
    already finished in ``out`` by an identical earlier call are kept (the call resumes); a folder
    holding a different corruption is refused. Bad clips are reported together in one
    :class:`CorruptionError` after the others are written. ``out=None`` uses :func:`default_out`.
    """
    from merbench.corrupt.dataset import CorruptedDataset

    corruptions = build_steps(steps)
    corruption = {"steps": describe_steps(corruptions), "seed": int(seed)}
    out = Path(out) if out is not None else default_out(dataset, split, steps, seed)
    out = out.expanduser().resolve()
    samples = dataset.samples(split)
    if not samples:
        raise CorruptionError(f"{dataset.root}: split {split!r} has no samples; choose another --split")
    header = _header(dataset, split, samples, corruption)
    _check_existing(out, header)
    out.mkdir(parents=True, exist_ok=True)
    _write_json(out / HEADER_FILE, header)
    digest = _set_key(header["source"]["media_hash"], split, corruption)

    started = time.perf_counter()
    entries = {s.name: e for s in samples if (e := _finished(out, s, digest)) is not None}
    todo = [s for s in samples if s.name not in entries]
    reused = len(entries)
    failures: list[str] = []
    for name, entry, error in _run(todo, corruption["steps"], int(seed), digest, out, workers, progress):
        if error is None:
            entries[name] = entry
        else:
            failures.append(error)
    shutil.rmtree(out / ".partial", ignore_errors=True)
    if failures:
        raise CorruptionError(
            f"{len(failures)} of {len(samples)} clips failed (finished clips are kept in {out}; fix them and re-run "
            f"to resume); first: {failures[0]}"
        )
    ordered = {s.name: entries[s.name] for s in samples}
    with open(out / "transcription-merge.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["name", "chinese"])
        writer.writerows([name, e["subtitle"] or ""] for name, e in ordered.items())
    _write_json(out / LOG_FILE, {"format": FORMAT, "source": header["source"], "corruption": corruption,
                                 "seconds": round(time.perf_counter() - started, 3), "reused": reused,
                                 "clips": {name: e["steps"] for name, e in ordered.items()}})
    return CorruptedDataset(out)


def _run(todo: list[Sample], steps: list[dict], seed: int, digest: str, out: Path, workers: int, progress: bool):
    """Yield ``(name, entry, error)`` per clip, in worker processes when ``workers > 1``."""
    from merbench.util.progress import progress_bar

    with progress_bar(requested=progress) as bar:
        task = bar.add_task("corrupting", total=len(todo))
        if workers <= 1 or len(todo) <= 1:
            for sample in todo:
                yield _corrupt_clip(sample, steps, seed, digest, str(out))
                bar.advance(task)
            return
        # spawn: a fresh interpreter per worker is safe whatever the parent imported (torch threads ...)
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                                 initializer=_init_worker) as pool:
            futures = [pool.submit(_corrupt_clip, s, steps, seed, digest, str(out)) for s in todo]
            for future in as_completed(futures):
                yield future.result()
                bar.advance(task)


def _init_worker() -> None:
    """One thread per worker process: the pool already runs one clip per core."""
    import cv2

    cv2.setNumThreads(1)
