"""The results store: indexing on write (one tiny real run), filters, references, rm, import, damage on disk, the CLI."""

import datetime as dt
import json
import re
import shutil
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from merbench.cli.main import cli
from merbench.results.store import SCHEMA_VERSION, Store, StoreError


@pytest.fixture(scope="module")
def ran(tiny_demo, tmp_path_factory):
    """One small run on the tiny demo (two encoders, two tracks, two seeds) into a store's default folder;
    ``indexed_before`` holds how many records the index had each time a row started training."""
    from merbench.runner import run as run_module

    base = tmp_path_factory.mktemp("store")
    store = Store(base / "results")
    seen = []
    original = run_module.RowTrainer.train
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MERBENCH_CACHE", str(base / "cache"))
        mp.setattr(run_module.RowTrainer, "train",
                   lambda self, row: (seen.append(len(store.select()) if store.index.exists() else 0),
                                      original(self, row))[1])
        config = {"dataset": str(tiny_demo), "encoders": {"audio": ["egemaps"], "visual": ["fer-mini-xception"]},
                  "tracks": ["trainval", "semi"], "trials": 1, "seeds": [0, 1], "epochs": 1, "unbiased": False,
                  "search_space": {"hidden_dim": [16], "lr": [1e-3], "dropout": [0.2]}}
        result = run_module.run(config, progress=False, results=store.root)
        again = run_module.run({**config, "out": str(result.out)}, progress=False, results=store.root)
    return SimpleNamespace(store=store, result=result, again=again, indexed_before=seen, config=config)


def _copy_of(ran, tmp_path) -> Store:
    """A fresh store holding a copy of the run's records (through ``import``), for tests that change things."""
    store = Store(tmp_path / "results")
    report = store.import_dir(ran.result.out)
    assert len(report.imported) == len(ran.result.records) and not report.skipped
    return store


def _cli(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], terminal_width=250, env={"COLUMNS": "250"})


def test_a_run_writes_into_the_store_and_indexes_each_record_as_it_is_written(ran):
    store, result = ran.store, ran.result
    assert result.out.parent == store.root / "runs" and len(result.out.name) == len("20250131-142501")
    entries = store.select()
    assert sorted(e.path for e in entries) == sorted(p.resolve() for p in result.records)
    assert ran.indexed_before[0] == 0 and ran.indexed_before[1] > 0  # the first row's records, before the second trains
    for entry in entries:
        record = json.loads(entry.path.read_text())
        assert entry.run == result.out.name and entry.identity == record["identity"]["hash"]
        assert (entry.track, entry.name, entry.dataset) == (record["track"], record["name"], record["dataset"]["name"])
        assert entry.metric == record["main_score"]["metric"] and entry.mean == record["main_score"]["mean"]
        assert entry.std == record["scores"][entry.metric]["std"] and entry.n == 2
        assert entry.encoders == tuple(c["name"] for c in record["components"] if c["kind"] == "encoder")
        assert entry.protocol == record["protocol"]["name"] and entry.fusion and entry.strategy
        assert entry.created.endswith("+00:00") and len(entry.sha256) == 64
    # the second run read every row back from the same folder and re-indexed the same paths: no duplicates
    assert any("read back" in note for note in ran.again.notes)
    assert len(store.select()) == len(entries)
    assert [(r.run, r.records) for r in store.runs()] == [(result.out.name, len(entries))]


def test_filters(ran):
    store, config = ran.store, ran.config
    everything = store.select()
    assert {e.track for e in store.select(track="semi")} == {"semi"}
    assert len(store.select(track="semi")) + len(store.select(track="trainval")) == len(everything)
    visual = store.select(encoder="fer-mini-xception")
    assert visual and all("fer-mini-xception" in e.encoders for e in visual) and len(visual) < len(everything)
    assert any(len(e.encoders) == 2 for e in visual)  # the combination row has both encoders
    assert store.select(dataset=everything[0].dataset) == everything and store.select(dataset="nope") == []
    assert store.select(run=ran.result.out.name) == everything and store.select(run="other") == []
    assert store.select(since="2000-01-01") == everything and store.select(since="2999-01-01T00:00") == []
    assert len(store.select(track="semi", encoder="egemaps")) < len(store.select(track="semi"))
    assert set(config["tracks"]) == {e.track for e in everything}
    with pytest.raises(StoreError, match="--since 'last week': expected a date"):
        store.select(since="last week")


def test_the_cli_encoder_filter_reads_an_alias_as_its_registered_name():
    from merbench.cli.results import _registered_name

    assert _registered_name("HUBERT-large") == "chinese-hubert-large"  # what the records hold
    assert _registered_name("import:eGeMAPS_UTT") == "import:eGeMAPS_UTT"
    assert _registered_name("someone-elses-encoder") == "someone-elses-encoder"
    assert _registered_name(None) is None


def test_references_by_path_name_run_name_and_hash_prefix(ran, tmp_path):
    store = ran.store
    entry = store.select(track="trainval")[0]
    assert store.find(str(entry.path)) == entry and store.find(entry.name) == entry
    assert store.find(entry.ref) == entry and store.find(entry.identity[:10]) == entry
    with pytest.raises(StoreError, match="no record in .* has this path, name"):
        store.find("no-such-record")
    # the same record in two folders: its name and hash are ambiguous, RUN/NAME is not
    other = Store(tmp_path / "results")
    for folder in ("x", "y"):
        (tmp_path / folder).mkdir()
        other.add(shutil.copy(entry.path, tmp_path / folder))
    with pytest.raises(StoreError, match=f"{re.escape(entry.name)} is ambiguous: 2 records match .*x/{re.escape(entry.name)}"):
        other.find(entry.name)
    with pytest.raises(StoreError, match="ambiguous"):
        other.find(entry.identity[:8])
    assert other.find(f"y/{entry.name}").path == (tmp_path / "y" / entry.path.name).resolve()


def test_rm_deletes_records_predictions_and_rows_and_never_everything_by_default(ran, tmp_path):
    store = _copy_of(ran, tmp_path)
    with pytest.raises(StoreError, match="name the records"):
        store.choose()
    semi = store.choose(track="semi")
    assert semi and {e.track for e in semi} == {"semi"}
    one = store.choose([semi[0].ref], track="trainval")
    assert one == []  # a REF that does not match the filters is left alone
    files = [p for e in semi for p in (e.path, e.path.with_name(e.path.stem + ".predictions.jsonl"))]
    assert all(p.is_file() for p in files)
    deleted = store.remove(semi)
    assert sorted(deleted) == sorted(files) and not any(p.exists() for p in files)
    assert store.select(track="semi") == [] and store.select(track="trainval")
    run = store.select()[0].run
    store.remove(store.choose(run=run))
    assert store.select() == [] and list((store.root / "imported").iterdir()) == []  # its emptied folder goes too


def test_import_names_and_skips_corrupt_and_foreign_files(ran, tmp_path):
    src = tmp_path / "elsewhere"
    shutil.copytree(ran.result.out, src / "run1")
    (src / "run1" / "broken.json").write_text('{"version": 1, "track": "semi", "scores"')
    foreign = json.loads(ran.result.records[0].read_text())
    foreign["version"] = 2
    (src / "foreign.json").write_text(json.dumps(foreign))
    (src / "demo.json").write_text(json.dumps({"size": "tiny", "seed": 0}))
    sneaky = json.loads(ran.result.records[0].read_text())
    sneaky["name"], sneaky["predictions"]["path"] = "sneaky", "../../outside.jsonl"
    (src / "sneaky.json").write_text(json.dumps(sneaky))
    store = Store(tmp_path / "results")
    report = store.import_dir(src)
    assert len(report.imported) == len(ran.result.records) + 1
    assert report.folder == store.root / "imported" / "elsewhere"
    assert {(p.name, why.split(" (")[0]) for p, why in report.skipped} == {
        ("broken.json", "not valid JSON"), ("foreign.json", "result record field version: 1 was expected")}
    assert report.not_records == [src / "demo.json"]
    assert len(report.notes) == 1 and "sneaky.json" in report.notes[0] and "not a file name" in report.notes[0]
    assert not (tmp_path / "outside.jsonl").exists() and not (store.root / "outside.jsonl").exists()
    copied = report.folder / "run1" / ran.result.records[0].name
    assert copied.is_file() and (copied.parent / json.loads(copied.read_text())["predictions"]["path"]).is_file()
    assert {e.run for e in store.select()} == {"elsewhere"} and copied.resolve() in {e.path for e in store.select()}
    again = store.import_dir(src)  # the same bytes are not copied twice
    assert again.imported == [] and len(again.already) == len(report.imported) and again.folder is None
    with pytest.raises(StoreError, match="not a folder"):
        store.import_dir(src / "demo.json")


def test_ls_names_and_skips_a_record_corrupted_after_indexing_and_reindex_repairs(ran, tmp_path):
    store = _copy_of(ran, tmp_path)
    first, second, third, *_ = store.select()
    first.path.write_text('{"track": "trainval", "scores": {')  # corrupted on disk after it was indexed
    second.path.unlink()
    record = json.loads(third.path.read_text())
    third.path.write_text(json.dumps(record))  # rewritten, still the same record: re-indexed, not skipped
    listing = store.entries()
    assert [p for p, _ in listing.corrupt] == [first.path] and "not valid JSON" in listing.corrupt[0][1]
    assert listing.missing == [second.path]
    assert first.path not in {e.path for e in listing} and len(listing) == len(ran.result.records) - 2
    assert store.get(third.path).sha256 != third.sha256
    report = store.reindex()
    assert report.dropped == [second.path] and [p for p, _ in report.corrupt] == [first.path]
    assert store.get(second.path) is None and store.get(first.path) is not None  # kept, so that rm can remove it
    store.remove([store.get(first.path)])
    assert not first.path.exists() and store.entries().corrupt == []


def test_run_ids_are_unique_and_an_unusable_index_is_one_line(tmp_path, monkeypatch):
    import merbench.results.store as store_module

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2025, 1, 31, 14, 25, 1)

    monkeypatch.setattr(store_module._dt, "datetime", Frozen)
    store = Store(tmp_path / "results")
    assert [store.new_run_dir().name for _ in range(3)] == ["20250131-142501", "20250131-142501-2",
                                                            "20250131-142501-3"]
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError, match="cannot use the results index .* pass --results"):
        Store(tmp_path / "file").check()
    store.check()
    with sqlite3.connect(store.index) as db:
        db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match=f"index schema version {SCHEMA_VERSION + 1}.*results reindex"):
        Store(store.root).select()


def test_cli_ls_show_rm_import_and_their_exit_codes(ran, tmp_path):
    store = _copy_of(ran, tmp_path)
    entries = store.select()
    listed = _cli("results", "ls", "--results", store.root)
    assert listed.exit_code == 0 and f"{len(entries)} record(s) in {store.root}" in listed.output
    assert all(e.name in listed.output for e in entries) and "±" in listed.output
    rows = json.loads(_cli("results", "ls", "--results", store.root, "--track", "semi", "--json").stdout)
    assert {r["track"] for r in rows} == {"semi"} and all(Path(r["path"]).is_file() for r in rows)

    entries[0].path.write_text("{ not json")
    damaged = _cli("results", "ls", "--results", store.root)
    assert damaged.exit_code == 0
    assert f"warning: {entries[0].path}: not valid JSON" in damaged.stderr and "skipped" in damaged.stderr
    assert f"{len(entries) - 1} record(s)" in damaged.stdout

    shown = _cli("results", "show", entries[1].identity[:12], "--results", store.root)
    departures = json.loads(entries[1].path.read_text())["protocol"]["departures"]
    assert shown.exit_code == 0 and entries[1].identity in shown.output and f"departures: {len(departures)}" in shown.output
    assert all(f"  - {d['field']}: " in shown.output for d in departures)
    assert "cache keys" in shown.output and entries[1].encoders[0] in shown.output
    missing = _cli("results", "show", "no-such-record", "--results", store.root)
    assert missing.exit_code == 1 and missing.output.count("\n") == 1 and missing.output.startswith("Error: ")

    assert _cli("results", "rm", "--results", store.root).exit_code == 1
    declined = CliRunner().invoke(cli, ["results", "rm", "--results", str(store.root), "--track", "semi"], input="n\n")
    assert declined.exit_code == 1 and store.select(track="semi")
    removed = _cli("results", "rm", "--results", store.root, "--track", "semi", "--yes")
    assert removed.exit_code == 0 and "removed" in removed.output and store.select(track="semi") == []

    (tmp_path / "empty").mkdir()
    assert _cli("results", "import", tmp_path / "empty", "--results", store.root).exit_code == 1
    imported = _cli("results", "import", ran.result.out, "--results", tmp_path / "other")
    assert imported.exit_code == 0 and f"imported {len(entries)} record(s)" in imported.output


def test_compare_takes_run_ids_and_record_names_of_the_store(ran):
    store, run_id = ran.store, ran.result.out.name
    assert store.locate(run_id) == ran.result.out.resolve()
    assert store.locate("semi-attention-A+V") == (ran.result.out / "semi-attention-A+V.json").resolve()
    with pytest.raises(StoreError, match="no run or record of that name"):
        store.locate("20000101-000000")
    same = _cli("results", "compare", run_id, str(ran.result.out), "--results", store.root)
    assert same.exit_code == 0, same.output
    assert "gate passed" in same.output
