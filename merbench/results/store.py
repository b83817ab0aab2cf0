"""The results store: every record merbench writes, in one folder, with an SQLite index to find them.

Layout of the store's root (:func:`merbench.paths.results_dir`: ``$MERBENCH_RESULTS``, else
``<cache>/results``; ``--results DIR`` on the commands that read or write it)::

    runs/<run-id>/<record>.json              merbench run's default --out; the run id is its start
    runs/<run-id>/<record>.predictions.jsonl time (20250131-142501), made unique with -2, -3 ...
    imported/<name>/...                      records made elsewhere, copied in by ``results import``
    index.sqlite                             one row per record file, keyed by its absolute path

``merbench run`` indexes each record as soon as it is written, wherever its ``--out`` is (a record
outside the root is indexed by its absolute path, not copied). The index is a cache of the records:
every value in a row comes from its file, and ``reindex`` rebuilds rows from the files.

Public API (the CLI, a report page and ``bench`` use it)::

    store = Store()                   # Store(root); nothing is created before the first use
    store.add(path) -> Entry          # index (or re-index: the row is updated) one record file
    store.entries(track=, encoder=, dataset=, since=, run=) -> Listing   # checked against the disk
    store.select(...same filters) -> list[Entry]                         # the index rows as they are
    store.find(ref) -> Entry          # a path, a record name, RUN/NAME or an identity-hash prefix
    store.get(path) -> Entry | None   # the row of one record file
    store.choose(refs, **filters) -> list[Entry]   # what `results rm` removes
    store.runs() -> list[RunSummary]
    store.remove(entries) -> list[Path]          # the files deleted (records and predictions)
    store.import_dir(src) -> ImportReport
    store.reindex(*folders) -> Reindexed
    store.new_run_dir() -> Path
    entry.record() -> dict            # the record itself, schema-validated

Trust and repair. :meth:`Store.entries` stats each indexed file: one whose size or mtime changed
since it was indexed is read again, and re-indexed when it is still a valid record; a corrupt one
lands in ``Listing.corrupt`` (skipped; its row stays so that ``results rm`` can remove it) and a file
that is gone in ``Listing.missing``. :meth:`Store.reindex` drops the rows of missing files, re-reads
changed ones and indexes record files under the root (and the folders it is given) that the index lacks.

What ``import`` and ``reindex`` look at: every ``*.json`` file under the folder, recursively; other
files (predictions ``.jsonl``, media) are not read, but the predictions file a record names is copied
along with it. A JSON file that does not even claim to be a record (no ``track`` with ``scores`` or
``merbench``: ``demo.json``, a config) is left out and listed once (``ImportReport.not_records``); a
file that is not valid JSON, or a record that breaks the schema (a corrupt file, another version's
record), is skipped with why (``ImportReport.skipped``); a file already in the store byte for byte
(same sha256) is counted in ``ImportReport.already`` and not copied twice.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import shutil
import sqlite3
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from merbench.results.record import NotARecordError, RecordError, parse_record, read_bytes, read_record

#: bump when the ``records`` table changes; an index of another version is rebuilt with ``reindex``
SCHEMA_VERSION = 1
INDEX_NAME = "index.sqlite"
#: component kinds that are not shown among a record's components (every record has them)
_NOT_SHOWN = ("track", "metric")


class StoreError(ValueError):
    """The store cannot do what was asked (an unreadable index, an unknown or ambiguous reference); one line."""


@dataclass(frozen=True)
class Entry:
    """One indexed record file (see the module docstring); ``record()`` reads the file itself."""

    path: Path
    run: str
    track: str
    name: str
    identity: str | None
    dataset: str | None
    manifest_hash: str | None
    split: str | None
    protocol: str | None
    protocol_version: int | None
    encoders: tuple[str, ...]
    fusion: str | None
    strategy: str | None
    components: str  # for display: names per kind, "egemaps+fer-mini-xception / attention / supervised"
    metric: str
    mean: float
    std: float
    n: int
    created: str  # UTC, ISO 8601
    sha256: str
    mtime_ns: int
    size: int

    @property
    def ref(self) -> str:
        """``RUN/NAME``: how ``results show`` and ``rm`` name this record unambiguously within a store."""
        return f"{self.run}/{self.name}"

    def record(self) -> dict[str, Any]:
        return read_record(self.path)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["path"], out["encoders"] = str(self.path), list(self.encoders)
        return out

    def _row(self) -> tuple:
        return tuple(json.dumps(list(v)) if isinstance(v, tuple) else str(v) if isinstance(v, Path) else v
                     for v in (getattr(self, f.name) for f in fields(self)))


_COLUMNS = [f.name for f in fields(Entry)]


@dataclass
class Listing:
    """What :meth:`Store.entries` found: the valid entries (iterate the listing), and the files it skipped."""

    entries: list[Entry]
    corrupt: list[tuple[Path, str]] = field(default_factory=list)  # (file, why), named and skipped
    missing: list[Path] = field(default_factory=list)  # indexed, gone from disk

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


@dataclass(frozen=True)
class RunSummary:
    run: str
    records: int
    tracks: tuple[str, ...]
    first: str
    last: str


@dataclass
class ImportReport:
    folder: Path | None  # imported/<name>, None when nothing was copied
    imported: list[Entry] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # corrupt or foreign: (file, why)
    not_records: list[Path] = field(default_factory=list)  # JSON files that are not records at all
    already: list[Path] = field(default_factory=list)  # the same bytes are in the store
    notes: list[str] = field(default_factory=list)  # imported, with a remark (a predictions file missing)


@dataclass
class Reindexed:
    added: list[Entry] = field(default_factory=list)
    updated: list[Entry] = field(default_factory=list)
    dropped: list[Path] = field(default_factory=list)  # rows of files gone from disk
    corrupt: list[tuple[Path, str]] = field(default_factory=list)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    path TEXT PRIMARY KEY, run TEXT NOT NULL, track TEXT NOT NULL, name TEXT NOT NULL, identity TEXT,
    dataset TEXT, manifest_hash TEXT, split TEXT, protocol TEXT, protocol_version INTEGER,
    encoders TEXT NOT NULL, fusion TEXT, strategy TEXT, components TEXT NOT NULL,
    metric TEXT NOT NULL, mean REAL NOT NULL, std REAL NOT NULL, n INTEGER NOT NULL, created TEXT NOT NULL,
    sha256 TEXT NOT NULL, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS records_identity ON records (identity);
CREATE INDEX IF NOT EXISTS records_run ON records (run);
"""


class Store:
    """The results store rooted at ``root`` (default :func:`merbench.paths.results_dir`)."""

    def __init__(self, root: str | Path | None = None) -> None:
        from merbench.paths import results_dir

        self.root = Path(root if root is not None else results_dir()).expanduser().resolve()
        self.index = self.root / INDEX_NAME
        self._ready = False

    # -- the index ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A connection in one transaction (committed on success), closed after; the index is created on first use."""
        try:
            if not self._ready:
                self.root.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.index, timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise self._unusable(exc) from None
        try:
            with db:
                if not self._ready:
                    self._prepare(db)
                yield db
        except sqlite3.Error as exc:
            raise self._unusable(exc) from None
        finally:
            db.close()

    def _prepare(self, db: sqlite3.Connection) -> None:
        db.executescript(_SCHEMA)
        versions = [v for (v,) in db.execute("SELECT version FROM schema_version")]
        if not versions:
            db.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
        elif versions != [SCHEMA_VERSION]:
            raise StoreError(f"{self.index}: index schema version {versions[0]}, this merbench reads "
                             f"{SCHEMA_VERSION}; delete the file and run `merbench results reindex` to rebuild it "
                             "from the records")
        self._ready = True

    def _unusable(self, exc: BaseException) -> StoreError:
        return StoreError(f"{self.index}: cannot use the results index ({exc}); pass --results with a writable "
                          "folder or set MERBENCH_RESULTS")

    def check(self) -> None:
        """Create the index if needed, or raise :class:`StoreError` now (before a run does any work)."""
        with self._db():
            pass

    def _put(self, entry: Entry) -> Entry:
        with self._db() as db:
            db.execute(f"INSERT OR REPLACE INTO records ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                       entry._row())
        return entry

    def _rows(self, where: str = "1", params: Sequence[Any] = ()) -> list[Entry]:
        with self._db() as db:
            rows = db.execute(f"SELECT {', '.join(_COLUMNS)} FROM records WHERE {where} "
                              "ORDER BY created, run, name", tuple(params)).fetchall()
        return [_entry_of(row) for row in rows]

    def _drop(self, paths: Sequence[Path]) -> None:
        with self._db() as db:
            db.executemany("DELETE FROM records WHERE path = ?", [(str(p),) for p in paths])

    # -- adding ------------------------------------------------------------------------------------
    def add(self, path: str | Path) -> Entry:
        """Index the record file at ``path`` (a row per absolute path: adding it again updates the row).
        Raises :class:`RecordError` naming the file when it is not a valid record."""
        p = Path(path).expanduser().resolve()
        try:
            stat = p.stat()  # before reading: a file changed meanwhile looks changed to the next check
        except OSError as exc:
            raise RecordError(f"{p}: cannot read it ({exc.strerror or exc})") from None
        blob = read_bytes(p)
        return self._put(self._entry(p, parse_record(p, blob), hashlib.sha256(blob).hexdigest(), stat))

    def _entry(self, path: Path, record: Mapping[str, Any], sha256: str, stat: os.stat_result) -> Entry:
        components = record.get("components") or []
        by_kind: dict[str, list[str]] = {}
        for c in components:
            by_kind.setdefault(c["kind"], []).append(c["name"])
        dataset, protocol = record.get("dataset") or {}, record.get("protocol") or {}
        metric = record["main_score"]["metric"]
        score = record["scores"][metric]
        return Entry(
            path=path, run=self.run_of(path), track=record["track"], name=record.get("name") or record["track"],
            identity=(record.get("identity") or {}).get("hash"), dataset=dataset.get("name"),
            manifest_hash=dataset.get("manifest_hash"), split=dataset.get("split"), protocol=protocol.get("name"),
            protocol_version=protocol.get("version"), encoders=tuple(by_kind.get("encoder", ())),
            fusion=next(iter(by_kind.get("fusion", ())), None), strategy=next(iter(by_kind.get("strategy", ())), None),
            components=" / ".join("+".join(names) for kind, names in by_kind.items() if kind not in _NOT_SHOWN),
            metric=metric, mean=float(score["mean"]), std=float(score["std"]), n=int(score["n"]),
            created=_utc(record["created"]), sha256=sha256, mtime_ns=stat.st_mtime_ns,
            size=stat.st_size)

    def run_of(self, path: Path) -> str:
        """The run a record belongs to: ``<run-id>`` under ``runs/``, ``<name>`` under ``imported/``, else
        the name of the folder it is in (an explicit ``--out``)."""
        try:
            parts = path.relative_to(self.root).parts
        except ValueError:
            return path.parent.name
        if len(parts) >= 3 and parts[0] in ("runs", "imported"):
            return parts[1]
        return path.parent.name

    def run_folder(self, path: Path) -> Path:
        """The folder of the run a record belongs to (:meth:`run_of`): ``runs/<run-id>`` or ``imported/<name>``
        even for a record in a sub-folder of it (MER-OV's ``ov/``, a bench cell), else the folder it is in."""
        try:
            parts = path.relative_to(self.root).parts
        except ValueError:
            return path.parent
        return self.root.joinpath(*parts[:2]) if len(parts) >= 3 and parts[0] in ("runs", "imported") else path.parent

    def new_run_dir(self) -> Path:
        """A new, empty ``runs/<run-id>/`` (the run id is the time now, made unique with ``-2``, ``-3`` ...)."""
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        return _new_dir(self.root / "runs", stamp, taken=self._run_ids())

    def _run_ids(self) -> set[str]:
        if not self.index.is_file():
            return set()
        with self._db() as db:
            return {run for (run,) in db.execute("SELECT DISTINCT run FROM records")}

    # -- reading -----------------------------------------------------------------------------------
    def select(self, *, track: str | None = None, encoder: str | None = None, dataset: str | None = None,
               since: str | None = None, run: str | None = None) -> list[Entry]:
        """The index rows matching every filter given, oldest first, as indexed (not checked against the disk).
        ``encoder`` matches a record that has it among its encoders; ``since`` is an ISO date or date-time
        (local time when it names no zone)."""
        where, params = [], []
        for column, value in (("track", track), ("dataset", dataset), ("run", run)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if encoder is not None:
            where.append("EXISTS (SELECT 1 FROM json_each(records.encoders) WHERE value = ?)")
            params.append(encoder)
        if since is not None:
            where.append("created >= ?")
            params.append(_since(since))
        return self._rows(" AND ".join(where) or "1", params)

    def entries(self, **filters: Any) -> Listing:
        """The valid records matching ``filters`` (those of :meth:`select`), each checked against its file first."""
        listing = Listing([])
        for entry in self.select(**filters):
            checked = self._check(entry)
            if isinstance(checked, Entry):
                listing.entries.append(checked)
            elif checked is None:
                listing.missing.append(entry.path)
            else:
                listing.corrupt.append((entry.path, checked))
        return listing

    def _check(self, entry: Entry) -> Entry | str | None:
        """``entry`` as it is on disk now: itself when the file is unchanged, its new row when it changed and
        is still a record, why not when it is no longer one, None when it is gone."""
        try:
            stat = entry.path.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            return f"cannot read it ({exc.strerror or exc})"
        if (stat.st_mtime_ns, stat.st_size) == (entry.mtime_ns, entry.size):
            return entry
        try:
            return self.add(entry.path)
        except RecordError as exc:
            return _reason(entry.path, exc)

    def get(self, path: str | Path) -> Entry | None:
        """The index row of the record file at ``path``, or None when it is not indexed."""
        found = self._rows("path = ?", [str(Path(path).expanduser().resolve())])
        return found[0] if found else None

    def find(self, ref: str) -> Entry:
        """The one indexed record ``ref`` names: a path to its file, its name, ``RUN/NAME``, or a prefix (at
        least 4 hex digits) of its identity hash. None or several → :class:`StoreError` (listing the candidates)."""
        path = Path(ref).expanduser()
        if path.is_file():
            entry = self.get(path)
            if entry is None:
                raise StoreError(f"{path}: not in the results index of {self.root}; `merbench results reindex "
                                 f"{path.parent}` indexes the records of its folder")
            return entry
        clauses, params = ["name = ?", "run || '/' || name = ?"], [ref, ref]
        if len(ref) >= 4 and all(c in "0123456789abcdef" for c in ref.lower()):
            clauses.append("identity LIKE ?")
            params.append(ref.lower() + "%")
        found = self._rows(" OR ".join(clauses), params)
        if not found:
            raise StoreError(f"{ref}: no record in {self.root} has this path, name, RUN/NAME or identity-hash "
                             "prefix; `merbench results ls` lists them")
        if len(found) > 1:
            labels = [f"{e.ref} ({(e.identity or 'no identity')[:12]})" for e in found]
            if len(set(labels)) < len(labels):
                labels = [str(e.path) for e in found]
            shown = ", ".join(labels[:8]) + (f" and {len(labels) - 8} more" if len(labels) > 8 else "")
            raise StoreError(f"{ref} is ambiguous: {len(found)} records match ({shown}); name one as RUN/NAME, "
                             "by its path or by a longer hash prefix")
        return found[0]

    def runs(self) -> list[RunSummary]:
        """Every run in the index with its number of records, tracks, and first and last record dates."""
        with self._db() as db:
            rows = db.execute("SELECT run, COUNT(*), GROUP_CONCAT(DISTINCT track), MIN(created), MAX(created) "
                              "FROM records GROUP BY run ORDER BY MIN(created), run").fetchall()
        return [RunSummary(run, n, tuple(sorted(tracks.split(","))), first, last) for run, n, tracks, first, last in rows]

    def locate(self, ref: str) -> Path:
        """The file or folder of records ``ref`` names: a path as it is; else a run id of the index (the
        folder of that run's records); else one record as :meth:`find` resolves it. What ``results compare``
        and ``bench --against`` accept besides paths."""
        path = Path(ref).expanduser()
        if path.exists():
            return path
        missing = StoreError(f"{ref}: no such file or folder, and no run or record of that name in the results store "
                             f"{self.root} (`merbench results ls` lists them)")
        if not self.index.is_file():  # nothing indexed yet: looking must not create the store
            raise missing
        folders = {self.run_folder(e.path) for e in self.select(run=ref)}
        if len(folders) == 1:
            return folders.pop()
        if folders:  # one run id in several places (an --out folder named like a run): name them
            raise StoreError(f"run {ref!r} is in several folders of the index: "
                             f"{', '.join(sorted(map(str, folders)))}; pass one of them")
        try:
            return self.find(ref).path
        except StoreError:
            raise missing from None

    def choose(self, refs: Sequence[str] = (), **filters: Any) -> list[Entry]:
        """The records named by ``refs`` (each as :meth:`find` resolves it) that match ``filters`` (those of
        :meth:`select`), or, with no ``refs``, every record matching ``filters``; what ``results rm`` removes.
        Neither → :class:`StoreError`: removing everything is never a default."""
        given = {k: v for k, v in filters.items() if v is not None}
        if not refs and not given:
            raise StoreError("name the records: REF ... (a path, a name, RUN/NAME or an identity-hash prefix) "
                             "or a filter (--track, --encoder, --dataset, --since, --run)")
        matching = {e.path: e for e in self.select(**given)}
        if not refs:
            return list(matching.values())
        named = {e.path: e for e in (self.find(ref) for ref in refs)}
        return [e for path, e in named.items() if path in matching]

    # -- changing ----------------------------------------------------------------------------------
    def remove(self, entries: Sequence[Entry]) -> list[Path]:
        """Delete each entry's record file and predictions file and its index row; folders of the store
        left empty go too. Returns the files deleted."""
        deleted = []
        for entry in entries:
            for p in _files_of(entry.path):
                try:
                    p.unlink()
                    deleted.append(p)
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    raise StoreError(f"{p}: cannot delete it ({exc.strerror or exc})") from None
            self._drop([entry.path])
            self._prune(entry.path.parent)
        return deleted

    def _prune(self, folder: Path) -> None:
        """Remove ``folder`` and its parents while they are empty and inside ``runs/`` or ``imported/``."""
        tops = {self.root / "runs", self.root / "imported"}
        while any(top in folder.parents for top in tops):
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent

    def import_dir(self, src: str | Path) -> ImportReport:
        """Copy the records under ``src`` (recursively, with their predictions files) into
        ``imported/<name>/`` (``<name>``: the folder's name, made unique) and index them; see the module
        docstring for what is skipped and how it is reported."""
        source = Path(src).expanduser().resolve()
        if not source.is_dir():
            raise StoreError(f"{source}: not a folder; `merbench results import` takes a folder of records "
                             "(searched recursively)")
        from merbench.results.sets import load_records

        found = load_records(source, skip_invalid=True, allow_empty=True)
        report = ImportReport(None, skipped=found.invalid, not_records=found.ignored)
        known = self._hashes()
        for loaded in found.records:
            if loaded.sha256 in known:
                report.already.append(loaded.path)
                continue
            if report.folder is None:
                report.folder = _new_dir(self.root / "imported", source.name or "import", taken=self._run_ids())
            dest = report.folder / loaded.path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            note = _copy_predictions(loaded.path, loaded.record, dest.parent)
            if note:
                report.notes.append(note)
            shutil.copy2(loaded.path, dest)
            report.imported.append(self.add(dest))
            known.add(loaded.sha256)
        return report

    def _hashes(self) -> set[str]:
        with self._db() as db:
            return {h for (h,) in db.execute("SELECT sha256 FROM records")}

    def reindex(self, *folders: str | Path) -> Reindexed:
        """Repair the index: drop the rows of files gone from disk, re-read files that changed, and index
        the record files under the root and under each of ``folders`` (in place, by absolute path) that it lacks."""
        report = Reindexed()
        indexed = {}
        for entry in self._rows():
            checked = self._check(entry)
            if checked is None:
                report.dropped.append(entry.path)
            elif isinstance(checked, str):
                report.corrupt.append((entry.path, checked))
            elif checked is not entry:
                report.updated.append(checked)
            indexed[entry.path] = entry
        self._drop(report.dropped)
        roots = [self.root, *(Path(f).expanduser().resolve() for f in folders)]
        for root in roots:
            if not root.is_dir():
                raise StoreError(f"{root}: not a folder; `merbench results reindex` takes folders of records")
        from merbench.results.sets import json_files, load_file

        for file in sorted({f.resolve() for root in roots for f in json_files(root)}):
            if file in indexed:
                continue
            try:
                loaded = load_file(file)
            except NotARecordError:
                continue  # a JSON file of another kind: not the index's business
            except RecordError as exc:
                report.corrupt.append((file, _reason(file, exc)))
                continue
            report.added.append(self._put(self._entry(file, loaded.record, loaded.sha256, file.stat())))
        return report


# -- helpers -------------------------------------------------------------------------------------------
def _entry_of(row: Sequence[Any]) -> Entry:
    values = dict(zip(_COLUMNS, row))
    values["path"] = Path(values["path"])
    values["encoders"] = tuple(json.loads(values["encoders"]))
    return Entry(**values)


def _reason(path: Path, exc: RecordError) -> str:
    """``exc``'s message without the leading file name (the caller names the file itself)."""
    return str(exc).removeprefix(f"{path}: ")


def _copy_predictions(file: Path, record: Mapping[str, Any], dest: Path) -> str | None:
    """Copy the predictions file ``record`` names beside ``file`` into ``dest``; a remark when it cannot."""
    ref = record.get("predictions")
    if not ref:
        return None
    name = ref["path"]
    if Path(name).name != name:  # written by merbench as a bare file name beside the record; anything else stays out
        return f"{file}: its predictions path {name!r} is not a file name beside it; imported without predictions"
    source = file.parent / name
    if not source.is_file():
        return f"{file}: its predictions file {name} is missing; imported without it"
    shutil.copy2(source, dest / name)
    if hashlib.sha256(source.read_bytes()).hexdigest() != ref.get("sha256"):
        return f"{file}: its predictions file {name} does not match the sha256 in the record; copied as it is"
    return None


def _files_of(record_path: Path) -> list[Path]:
    """The record file and its predictions file (named in the record when it is readable; by
    :func:`merbench.results.record.write_record`'s naming either way)."""
    files = [record_path, record_path.with_name(record_path.name.removesuffix(".json") + ".predictions.jsonl")]
    try:
        named = (json.loads(record_path.read_text(encoding="utf-8")).get("predictions") or {}).get("path")
    except (OSError, ValueError, AttributeError):
        named = None
    if isinstance(named, str) and Path(named).name == named:
        files.append(record_path.with_name(named))
    return list(dict.fromkeys(files))


def _new_dir(parent: Path, name: str, *, taken: set[str]) -> Path:
    """Create and return ``parent/name``, or ``parent/name-2``, ``-3`` ... when that exists or is a known run id."""
    candidate, i = name, 2
    while True:
        folder = parent / candidate
        if candidate not in taken:
            try:
                folder.mkdir(parents=True)
                return folder
            except FileExistsError:
                pass
            except OSError as exc:
                raise StoreError(f"{folder}: cannot create it ({exc.strerror or exc}); pass --results (or --out) "
                                 "with a writable folder") from None
        candidate, i = f"{name}-{i}", i + 1


def _utc(text: str) -> str:
    """An ISO date-time as UTC ``YYYY-MM-DDTHH:MM:SS+00:00`` (naive: local time); text that is none as it is."""
    try:
        moment = _dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    return moment.astimezone(_dt.timezone.utc).isoformat(timespec="seconds")


def _since(text: str) -> str:
    try:
        _dt.datetime.fromisoformat(text)
    except ValueError:
        raise StoreError(f"--since {text!r}: expected a date like 2025-01-31 or a date-time like "
                         "2025-01-31T14:00") from None
    return _utc(text)


def score_text(metric: str, mean: float, std: float, n: int = 2) -> str:
    """``"61.37 ± 1.50"``: ×100 with two decimals for a metric whose card says percent, else four decimals (an
    MSE); a metric no installed plugin registers is shown as stored. ``± std`` only over several seeds."""
    from merbench import plugins

    base = metric.removesuffix("_unbiased")
    percent = base in plugins.get_registry().names("metric") and plugins.get("metric", base).card.percent
    scale, digits = (100.0, 2) if percent else (1.0, 4)
    text = f"{mean * scale:.{digits}f}"
    return f"{text} ± {std * scale:.{digits}f}" if n > 1 else text
