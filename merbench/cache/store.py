"""One cache entry on disk: ``features/<encoder>/<key16>.h5`` plus its journal of batch parts.

Why parts: HDF5 files modified in place can be left unreadable by a ``kill -9`` in the middle of a
metadata write. So finished batches are written to small files of their own
``<key16>.h5.parts/<seq>-<pid>.h5`` (one batch, or the batches of about a second: see
:func:`merbench.cache.extract._run`) under a temporary name and renamed into place (atomic), and
:meth:`FeatureStore.compact` merges the parts into the main file by writing a new file and renaming
it over the old one. A killed run therefore loses at most the part in flight (a ``*.tmp`` file,
dropped on the next open); a kill during compaction leaves the old main file and the parts intact.

Layout of the main file and of each part (same datasets):

- ``names`` (N,) utf-8 sample names; ``pooled`` float32 (N, L, D): every layer, mean over frames;
  ``lengths`` int64 (N,): valid frames per clip (0: empty input, pooled to zeros);
- ``frames/<row>`` float32 (T, L, D), present when frame-level features were asked for;
- ``failed_names`` / ``failed_errors``: clips that failed, with their one-line errors;
- root attributes ``key`` (the key JSON), ``key_digest``, ``environment`` (JSON), ``source``.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

import h5py
import numpy as np

from merbench import paths
from merbench.cache.key import canonical, key_digest
from merbench.util.env import environment

_STR = h5py.string_dtype("utf-8")
_COPY_ROWS = 2048


class CacheError(RuntimeError):
    """A cache file is missing, unreadable, or inconsistent; the message names the file and the fix."""


def store_path(encoder_name: str, digest: str) -> Path:
    safe = encoder_name.replace("/", "_").replace(":", "_")
    return paths.features_dir() / safe / f"{digest[:16]}.h5"


def list_stores(encoder: str | None = None) -> list[Path]:
    """Every cache file under ``features_dir()``, optionally for one encoder."""
    root = paths.features_dir()
    if encoder:
        root = root / encoder.replace("/", "_").replace(":", "_")
    if not root.exists():
        return []
    found = {p for p in root.rglob("*.h5") if ".parts" not in p.parent.name}
    found |= {p.parent.with_suffix("") for p in root.rglob("*.h5.parts/*.h5")}
    return sorted(found)


class FeatureStore:
    """Read and append features of one cache key. Writers hold an exclusive lock for their run."""

    def __init__(self, path: str | Path, key: dict | None = None) -> None:
        self.path = Path(path)
        self.parts_dir = self.path.with_name(self.path.name + ".parts")
        self.key = key
        #: provenance written to new files: "extract", or "import:<folder>"
        self.source = "extract"
        self._seq = 0
        self._lock_file = None
        self._delegated = False

    # -- writing ---------------------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator["FeatureStore"]:
        """Hold the writer lock; drop half-written files of an earlier, killed run."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        handle = open(lock_path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise CacheError(f"{self.path}: another merbench process is writing this cache; wait for it to finish") from None
        self._lock_file = handle
        try:
            self.recover()
            existing = sorted(self.parts_dir.glob("*.h5")) if self.parts_dir.exists() else []
            self._seq = 1 + max((int(p.name.split("-")[0]) for p in existing), default=0)
            yield self
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
            self._lock_file = None

    def reserve(self, n: int) -> int:
        """The first of ``n`` part numbers handed out to other writers (extraction shards); under the lock."""
        if self._lock_file is None:
            raise CacheError(f"{self.path}: reserve outside FeatureStore.writing()")
        first, self._seq = self._seq, self._seq + n
        return first

    def part_names(self, seqs: set[int]) -> set[str]:
        """Every clip (stored or failed) in the parts numbered ``seqs``: what a shard's earlier attempt finished."""
        found: set[str] = set()
        for path in self._parts():
            if int(path.name.split("-")[0]) in seqs:
                with _open(path) as f:
                    found.update(_names(f))
                    found.update(_failed(f))
        return found

    @contextmanager
    def delegated_writing(self) -> Iterator["FeatureStore"]:
        """Write parts on behalf of a driver process that holds the writer lock (an extraction shard on
        another worker, :mod:`merbench.cache.distributed`). Parts must then be named by ``seq``
        (:meth:`write_batch`), which the driver hands out, so shards never collide."""
        lock_path = self.path.with_name(self.path.name + ".lock")
        if not lock_path.exists():
            raise CacheError(f"{self.path}: this worker does not see the driver's cache folder ({lock_path} is "
                             "missing); put MERBENCH_CACHE on a filesystem every worker mounts at the same path")
        self._delegated = True
        try:
            yield self
        finally:
            self._delegated = False

    def recover(self) -> list[Path]:
        """Delete leftovers of a killed writer (temporary files); returns what was dropped."""
        dropped = [p for p in self.path.parent.glob(self.path.name + ".tmp*")]
        if self.parts_dir.exists():
            dropped += list(self.parts_dir.glob("*.tmp"))
        for p in dropped:
            p.unlink(missing_ok=True)
        return dropped

    def write_batch(self, names: Sequence[str], pooled: np.ndarray | None, lengths: Sequence[int] | None,
                    frames: Sequence[np.ndarray] | None = None, failed: dict[str, str] | None = None, *,
                    seq: int | None = None) -> Path:
        """Write one finished batch as a new part, atomically (write, fsync, rename). ``seq`` names the
        part (a shard's batch number, handed out by the driver); by default the next free number."""
        if self._lock_file is None and not (self._delegated and seq is not None):
            raise CacheError(f"{self.path}: write_batch outside FeatureStore.writing()")
        self.parts_dir.mkdir(parents=True, exist_ok=True)
        if seq is None:
            seq = self._seq
            self._seq += 1
        final = self.parts_dir / f"{seq:08d}-{os.getpid()}.h5"
        tmp = final.with_suffix(".tmp")
        with h5py.File(tmp, "w") as f:
            self._init_file(f, source=self.source)
            if names:
                _append(f, list(names), np.asarray(pooled, np.float32), np.asarray(lengths, np.int64), frames)
            if failed:
                _append_failed(f, failed)
            f.flush()
            os.fsync(f.id.get_vfd_handle())
        os.replace(tmp, final)
        return final

    def compact(self) -> None:
        """Merge the parts into the main file (atomic replace), then delete the parts."""
        if self._lock_file is None:
            raise CacheError(f"{self.path}: compact outside FeatureStore.writing()")
        parts = self._parts()
        if not parts:
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        sources = ([self.path] if self.path.exists() else []) + parts
        # per name, the first stored row, or a later one that adds frame-level features
        chosen: dict[str, tuple[int, int, bool]] = {}
        failed: dict[str, str] = {}
        for s_i, src in enumerate(sources):
            with _open(src) as f:
                framed = set(f["frames"].keys()) if "frames" in f else set()
                for row, name in enumerate(_names(f)):
                    has = str(row) in framed
                    if name not in chosen or (has and not chosen[name][2]):
                        chosen[name] = (s_i, row, has)
                failed.update(_failed(f))
        with h5py.File(tmp, "w") as out:
            self._init_file(out, source=self._source_of(sources[0]), with_environment=True)
            for s_i, src in enumerate(sources):
                rows = sorted(row for s, row, _ in chosen.values() if s == s_i)
                if not rows:
                    continue
                with _open(src) as f:
                    names = _names(f)
                    for start in range(0, len(rows), _COPY_ROWS):
                        block = rows[start:start + _COPY_ROWS]
                        framed = [chosen[names[i]][2] for i in block]
                        if any(framed) and not all(framed):  # keep frames aligned with rows: split the block
                            for i in block:
                                _append(out, [names[i]], f["pooled"][[i]], f["lengths"][[i]],
                                        [f["frames"][str(i)][()]] if chosen[names[i]][2] else None)
                            continue
                        frames = [f["frames"][str(i)][()] for i in block] if all(framed) else None
                        _append(out, [names[i] for i in block], f["pooled"][block], f["lengths"][block], frames)
            failed = {n: e for n, e in failed.items() if n not in chosen}
            if failed:
                _append_failed(out, failed)
            out.flush()
            os.fsync(out.id.get_vfd_handle())
        os.replace(tmp, self.path)
        for p in parts:
            p.unlink(missing_ok=True)
        self.parts_dir.rmdir() if self.parts_dir.exists() and not any(self.parts_dir.iterdir()) else None

    def _init_file(self, f: h5py.File, source: str, with_environment: bool = False) -> None:
        """Root attributes; the environment goes into the main file only (written at compaction)."""
        if self.key is None:
            raise CacheError(f"{self.path}: cannot write without the cache key")
        f.attrs["key"] = canonical(self.key)
        f.attrs["key_digest"] = key_digest(self.key)
        f.attrs["source"] = source
        if with_environment:
            f.attrs["environment"] = json.dumps(environment(runtime=False), sort_keys=True)

    def _source_of(self, path: Path) -> str:
        with _open(path) as f:
            return str(f.attrs.get("source", "extract"))

    # -- reading ---------------------------------------------------------------------------
    def _parts(self) -> list[Path]:
        return sorted(self.parts_dir.glob("*.h5")) if self.parts_dir.exists() else []

    def files(self) -> list[Path]:
        return ([self.path] if self.path.exists() else []) + self._parts()

    def exists(self) -> bool:
        return bool(self.files())

    def index(self, with_frames: bool = False) -> dict[str, tuple[Path, int]]:
        """Sample name -> (file, row) of every stored clip (first occurrence wins)."""
        found: dict[str, tuple[Path, int]] = {}
        for path in self.files():
            with _open(path) as f:
                has_frames = "frames" in f
                for row, name in enumerate(_names(f)):
                    if name in found:
                        continue
                    if with_frames and not (has_frames and str(row) in f["frames"]):
                        continue
                    found[name] = (path, row)
        return found

    def failed(self) -> dict[str, str]:
        """Clips whose extraction failed and that have no features since, with their errors."""
        errors: dict[str, str] = {}
        for path in self.files():
            with _open(path) as f:
                errors.update(_failed(f))
        done = self.index()
        return {n: e for n, e in errors.items() if n not in done}

    def stored_key(self) -> dict:
        files = self.files()
        if not files:
            raise CacheError(f"{self.path}: no such cache file; run `merbench extract` first")
        with _open(files[0]) as f:
            return json.loads(f.attrs["key"])

    def read(self, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Pooled features (N, L, D) and lengths (N,) in the order of ``names``."""
        index = self.index()
        missing = [n for n in names if n not in index]
        if missing:
            raise CacheError(f"{self.path}: {len(missing)} clips not in the cache (first: {missing[0]}); "
                             "run `merbench extract` for them")
        by_file: dict[Path, list[tuple[int, int]]] = {}
        for out_row, name in enumerate(names):
            path, row = index[name]
            by_file.setdefault(path, []).append((out_row, row))
        pooled = lengths = None
        for path, pairs in by_file.items():
            with _open(path) as f:
                rows = np.array([r for _, r in pairs])
                unique_rows, inverse = np.unique(rows, return_inverse=True)
                if len(unique_rows) > f["pooled"].shape[0] // 2:  # reading it all beats h5py's fancy indexing
                    block = f["pooled"][()][rows]
                else:
                    block = f["pooled"][unique_rows.tolist()][inverse]
                lens = f["lengths"][()][rows]
                if pooled is None:
                    pooled = np.zeros((len(names), *block.shape[1:]), np.float32)
                    lengths = np.zeros(len(names), np.int64)
                targets = np.array([o for o, _ in pairs])
                pooled[targets] = block
                lengths[targets] = lens
        if pooled is None:
            return np.zeros((0, 0, 0), np.float32), np.zeros(0, np.int64)
        return pooled, lengths

    def read_frames(self, names: Sequence[str]) -> list[np.ndarray]:
        """Frame-level features, one float32 (T, L, D) per name."""
        index = self.index(with_frames=True)
        missing = [n for n in names if n not in index]
        if missing:
            raise CacheError(f"{self.path}: {len(missing)} clips have no frame-level features (first: {missing[0]}); "
                             "extract with frames=True")
        out = []
        for name in names:
            path, row = index[name]
            with _open(path) as f:
                out.append(f["frames"][str(row)][()])
        return out

    def verify(self, expected: Sequence[str] | None = None) -> list[str]:
        """Problems found: unreadable files, key mismatch, duplicates, NaN/inf, missing clips."""
        problems: list[str] = []
        digest = None
        seen: dict[str, Path] = {}
        for path in self.files():
            try:
                with _open(path) as f:
                    key = json.loads(f.attrs["key"])
                    this = key_digest(key)
                    if digest is None:
                        digest = this
                        if not self.path.name.startswith(this[:16]):
                            problems.append(f"{path}: key digest {this[:16]} does not match the file name")
                    elif this != digest:
                        problems.append(f"{path}: part belongs to another key ({this[:16]})")
                    names = _names(f)
                    n = len(names)
                    if f["pooled"].shape[0] != n or f["lengths"].shape[0] != n:
                        problems.append(f"{path}: {n} names but {f['pooled'].shape[0]} feature rows")
                    for start in range(0, n, _COPY_ROWS):
                        block = f["pooled"][start:start + _COPY_ROWS]
                        bad = ~np.isfinite(block).reshape(len(block), -1).all(axis=1)
                        for i in np.flatnonzero(bad):
                            problems.append(f"{path}: clip {names[start + i]} has NaN/inf features")
                    for name in names:
                        if name in seen and path == seen[name]:
                            problems.append(f"{path}: clip {name} stored twice")
                        seen.setdefault(name, path)
            except CacheError as exc:  # _open's own one-line message names the file and the fix
                problems.append(str(exc))
            except (OSError, KeyError, ValueError) as exc:
                problems.append(f"{path}: unreadable ({type(exc).__name__}: {exc}); delete it and re-extract")
        if expected is not None:
            missing = [n for n in expected if n not in seen]
            if missing:
                problems.append(f"{self.path}: {len(missing)} expected clips missing (first: {missing[0]})")
        return problems

    def summary(self) -> dict:
        """Counts and shapes for ``merbench cache ls``."""
        index = self.index()
        files = self.files()
        shape = None
        if files:
            with _open(files[0]) as f:
                if "pooled" in f:
                    shape = list(f["pooled"].shape[1:])
        size = sum(p.stat().st_size for p in files)
        return {"path": str(self.path), "clips": len(index), "failed": len(self.failed()), "parts": len(self._parts()),
                "layers_dim": shape, "bytes": size}


def _open(path: Path) -> h5py.File:
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise CacheError(f"{path}: cannot open the cache file ({exc}); delete it and re-extract") from None


def _names(f: h5py.File) -> list[str]:
    if "names" not in f:
        return []
    return [n.decode() if isinstance(n, bytes) else str(n) for n in f["names"][()]]


def _failed(f: h5py.File) -> dict[str, str]:
    if "failed_names" not in f:
        return {}
    decode = lambda v: v.decode() if isinstance(v, bytes) else str(v)  # noqa: E731
    return {decode(n): decode(e) for n, e in zip(f["failed_names"][()], f["failed_errors"][()])}


def _append(f: h5py.File, names: list[str], pooled: np.ndarray, lengths: np.ndarray,
            frames: Sequence[np.ndarray] | None) -> None:
    if not names:
        return
    if "names" not in f:
        f.create_dataset("names", shape=(0,), maxshape=(None,), dtype=_STR, chunks=(1024,))
        f.create_dataset("pooled", shape=(0, *pooled.shape[1:]), maxshape=(None, *pooled.shape[1:]), dtype="f4",
                         chunks=(max(1, min(256, 2 ** 22 // max(1, int(np.prod(pooled.shape[1:]))))), *pooled.shape[1:]))
        f.create_dataset("lengths", shape=(0,), maxshape=(None,), dtype="i8", chunks=(1024,))
    start = f["names"].shape[0]
    if f["pooled"].shape[1:] != pooled.shape[1:]:
        raise CacheError(f"{f.filename}: new features have shape {pooled.shape[1:]}, the cache holds "
                         f"{f['pooled'].shape[1:]}; the encoder changed without a new key (bump its version)")
    end = start + len(names)
    for ds in ("names", "pooled", "lengths"):
        f[ds].resize(end, axis=0)
    f["names"][start:end] = names
    f["pooled"][start:end] = pooled
    f["lengths"][start:end] = lengths
    if frames is not None:
        group = f.require_group("frames")
        for i, arr in enumerate(frames):
            group.create_dataset(str(start + i), data=np.asarray(arr, np.float32))


def _append_failed(f: h5py.File, failed: dict[str, str]) -> None:
    if "failed_names" not in f:
        f.create_dataset("failed_names", shape=(0,), maxshape=(None,), dtype=_STR, chunks=(256,))
        f.create_dataset("failed_errors", shape=(0,), maxshape=(None,), dtype=_STR, chunks=(256,))
    start = f["failed_names"].shape[0]
    end = start + len(failed)
    f["failed_names"].resize(end, axis=0)
    f["failed_errors"].resize(end, axis=0)
    f["failed_names"][start:end] = list(failed)
    f["failed_errors"][start:end] = list(failed.values())
