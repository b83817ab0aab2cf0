"""Sharded extraction (the cluster path) through the in-process executor: the same cache as ``extract``."""

from __future__ import annotations

import importlib

import h5py
import numpy as np
import pytest

from merbench.cache import ExtractionError, FeatureStore, extract, load_features
from merbench.cache.distributed import extract_sharded
from merbench.cache.extract import batch_plan, resolve
from merbench.cache.test_cache import CountingEncoder
from merbench.cache.test_helpers import WavDataset
from merbench.executors import LocalExecutor


def _stored(path):
    with h5py.File(path) as f:
        return [n.decode() for n in f["names"][()]]


def test_sharded_extraction_gives_the_local_cache(wav_dataset, cache_root, monkeypatch):
    local = extract(wav_dataset, CountingEncoder(), progress=False, batch_size=2)
    expected = load_features(wav_dataset, CountingEncoder(), wav_dataset.names, layers="all", extract_missing=False)
    monkeypatch.setenv("MERBENCH_CACHE", str(cache_root.parent / "sharded"))
    path = extract_sharded(wav_dataset, CountingEncoder(), executor=LocalExecutor(progress=False), batch_size=2, shards=2)
    assert path.name == local.name and not FeatureStore(path).parts_dir.exists()
    assert sorted(_stored(path)) == wav_dataset.names  # each clip once in the compacted file
    assert FeatureStore(path).verify(expected=wav_dataset.names) == []
    got = load_features(wav_dataset, CountingEncoder(), wav_dataset.names, layers="all", extract_missing=False)
    assert got.tobytes() == expected.tobytes()


def test_a_shard_that_dies_is_retried_and_resumes_from_its_finished_batches(wav_dataset, monkeypatch):
    extraction = importlib.import_module("merbench.cache.extract")
    distributed = importlib.import_module("merbench.cache.distributed")
    encoded: list[list[str]] = []
    real_encode = extraction._encode
    monkeypatch.setattr(extraction, "_encode",
                        lambda enc, items, *a: encoded.append([n for n, _ in items]) or real_encode(enc, items, *a))
    real_advance = distributed._ShardBar.advance

    def dies_after_one_batch(self, n, failed_total):  # the first attempt of shard 0 is lost after its first part
        real_advance(self, n, failed_total)
        if self.shard.index == 0 and self.context.attempt == 0:
            raise RuntimeError("worker lost")

    monkeypatch.setattr(distributed._ShardBar, "advance", dies_after_one_batch)
    plan = batch_plan(wav_dataset, CountingEncoder(), wav_dataset.names, 2)  # 3 batches: shard 0 gets 0 and 2
    path = extract_sharded(wav_dataset, CountingEncoder(), executor=LocalExecutor(progress=False), batch_size=2, shards=2)
    # the lost attempt had started batch 2 before writing batch 0 (a finished batch is written while the next
    # encodes); the retry encodes only batch 2, which the lost attempt had not finished
    assert encoded == [plan[0], plan[2], plan[2], plan[1]]
    assert sorted(_stored(path)) == wav_dataset.names and FeatureStore(path).verify(expected=wav_dataset.names) == []


def test_sharded_failures_are_recorded_as_locally(tmp_path, cache_root):
    data = WavDataset(tmp_path / "data", n=6, broken=("clip04",))
    with pytest.raises(ExtractionError, match=r"1 of 6 clips failed .*clip04"):
        extract_sharded(data, CountingEncoder(), executor=LocalExecutor(progress=False), batch_size=2, max_failed=0.0)
    store = resolve(data, CountingEncoder()).store
    assert list(store.failed()) == ["clip04"] and "clip04.wav" in store.failed()["clip04"]
    extract_sharded(data, CountingEncoder(), executor=LocalExecutor(progress=False), batch_size=2, max_failed=0.5)
    assert sorted(store.index()) == [n for n in data.names if n != "clip04"] and list(store.failed()) == ["clip04"]
    assert np.isfinite(load_features(data, CountingEncoder(), ["clip00", "clip05"], extract_missing=False)).all()
