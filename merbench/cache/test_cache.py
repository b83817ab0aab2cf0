"""The feature cache: keys, resumable parts, failures, reading with layer policies, imports."""

from __future__ import annotations

import dataclasses
import importlib

import h5py
import numpy as np
import pytest

from merbench.cache import CacheError, ExtractionError, FeatureStore, extract, import_features, load_features, load_frames
from merbench.cache.extract import batch_plan, resolve
from merbench.cache.test_helpers import WavDataset
from merbench.contracts.encoder import Encoder, EncoderOutput


class CountingEncoder(Encoder):
    """3 layers of per-10ms frame statistics; counts the clips it encodes; fails on demand."""

    name = "counting"
    modality = "audio"
    input_kind = "waveform"
    default_layers = "sum-last-2"

    def __init__(self, fail_on_length: int | None = None, nan_on_length: int | None = None) -> None:
        self.seen = 0
        self.fail_on_length = fail_on_length
        self.nan_on_length = nan_on_length

    def encode(self, batch):
        if any(len(w) == self.fail_on_length for w in batch):
            raise RuntimeError("boom")
        self.seen += len(batch)
        frames = [w[: len(w) // 160 * 160].reshape(-1, 160) for w in batch]
        lengths = np.array([len(f) for f in frames])
        out = np.zeros((3, len(batch), lengths.max(), 2), np.float32)
        for i, f in enumerate(frames):
            for layer in range(3):
                out[layer, i, : len(f), 0] = f.mean(axis=1) * (layer + 1)
                out[layer, i, : len(f), 1] = f.std(axis=1) + layer
            if len(batch[i]) == self.nan_on_length:
                out[:, i] = np.nan
        return EncoderOutput(hidden_states=list(out), lengths=lengths)

    def fingerprint(self):
        return {"frame": 160}


def test_extract_then_load_uses_cache_and_keeps_name_order(wav_dataset):
    enc = CountingEncoder()
    path = extract(wav_dataset, enc, progress=False, batch_size=4)
    assert enc.seen == 6
    feats = load_features(wav_dataset, enc, ["clip03", "clip01", "clip03"])
    assert enc.seen == 6, "reading must not re-encode"
    pooled, _ = FeatureStore(path).read(["clip03", "clip01"])
    np.testing.assert_allclose(feats[0], pooled[0, 1] + pooled[0, 2])  # default: sum of the last 2 layers
    np.testing.assert_allclose(feats[1], pooled[1, 1] + pooled[1, 2])
    np.testing.assert_array_equal(feats[0], feats[2])
    np.testing.assert_allclose(load_features(wav_dataset, enc, ["clip01"], layers=0)[0], pooled[1, 0])
    assert load_features(wav_dataset, enc, ["clip01"], layers="all").shape == (1, 6)
    assert FeatureStore(path).verify(expected=wav_dataset.names) == []


def test_rerun_extracts_only_missing_and_frames_on_request(wav_dataset):
    enc = CountingEncoder()
    extract(wav_dataset, enc, ["clip00", "clip01"], progress=False)
    extract(wav_dataset, enc, progress=False)
    assert enc.seen == 6
    frames = load_frames(wav_dataset, enc, ["clip02"], layers="last")
    assert enc.seen == 7 and frames[0].shape == (300, 2)  # 3 s at 10 ms


def test_key_separates_corruption_and_fingerprint(wav_dataset):
    clean = resolve(wav_dataset, CountingEncoder()).store.path
    wav_dataset.corruption = {"steps": [{"name": "speech-noise", "params": {"snr": 5}}], "seed": 0}
    assert resolve(wav_dataset, CountingEncoder()).store.path != clean


def test_killed_batch_is_dropped_and_rerun_completes(wav_dataset):
    enc = CountingEncoder()
    path = extract(wav_dataset, enc, ["clip00", "clip01"], progress=False)
    store = FeatureStore(path)
    store.parts_dir.mkdir()
    (store.parts_dir / "00000009-1.tmp").write_bytes(b"\x89HDF half written")  # a kill in the middle of a batch
    path.with_name(path.name + ".tmp").write_bytes(b"half compacted")
    extract(wav_dataset, enc, progress=False)
    assert sorted(store.index()) == wav_dataset.names
    assert not list(path.parent.glob("*.tmp")) and not store.parts_dir.exists()
    assert store.verify(expected=wav_dataset.names) == []


def test_finished_batches_share_a_part_and_an_interrupt_keeps_them(wav_dataset, monkeypatch):
    """Batches finished within ``PART_SECONDS`` go into one part; an interrupt writes the ones
    finished so far before it propagates, and the re-run encodes only the rest."""
    extraction = importlib.import_module("merbench.cache.extract")
    monkeypatch.setattr(extraction, "PART_SECONDS", 3600.0)
    written = []
    real_write = FeatureStore.write_batch
    monkeypatch.setattr(FeatureStore, "write_batch", lambda self, names, *a, **k: written.append(list(names)) or real_write(self, names, *a, **k))

    class Interrupted(CountingEncoder):
        def encode(self, batch):
            if self.seen >= 4:
                raise KeyboardInterrupt
            return super().encode(batch)

    plan = batch_plan(wav_dataset, CountingEncoder(), wav_dataset.names, 2)
    with pytest.raises(KeyboardInterrupt):
        extract(wav_dataset, Interrupted(), batch_size=2, progress=False)
    assert written == [plan[0] + plan[1]]  # two batches, one part
    rerun = CountingEncoder()
    extract(wav_dataset, rerun, batch_size=2, progress=False)
    assert rerun.seen == len(wav_dataset.names) - 4
    assert FeatureStore(resolve(wav_dataset, rerun).store.path).verify(expected=wav_dataset.names) == []


def test_batches_follow_a_size_sorted_plan_that_a_resumed_run_keeps(wav_dataset, monkeypatch):
    extraction = importlib.import_module("merbench.cache.extract")  # the package exports a function of that name
    plan = batch_plan(wav_dataset, CountingEncoder(), wav_dataset.names, 2)
    sizes = [(wav_dataset.root / f"{n}.wav").stat().st_size for batch in plan for n in batch]
    assert sizes == sorted(sizes) and sorted(n for b in plan for n in b) == wav_dataset.names
    encoded: list[list[str]] = []
    real_encode = extraction._encode
    monkeypatch.setattr(extraction, "_encode", lambda enc, items, *a: encoded.append([n for n, _ in items]) or real_encode(enc, items, *a))
    extract(wav_dataset, CountingEncoder(), plan[1], progress=False)  # as if a run had written only this batch
    encoded.clear()
    extract(wav_dataset, CountingEncoder(), progress=False, batch_size=2)
    assert encoded == [plan[0]] + plan[2:], "the resumed run encodes the uninterrupted run's remaining batches"


def test_failed_clip_is_recorded_and_threshold_fails_the_run(tmp_path, cache_root):
    data = WavDataset(tmp_path / "data", n=6, broken=("clip04",))
    with pytest.raises(ExtractionError, match=r"1 of 6 clips failed .*clip04"):
        extract(data, CountingEncoder(), progress=False, batch_size=2)
    store = resolve(data, CountingEncoder()).store
    assert list(store.failed()) == ["clip04"] and "clip04.wav" in store.failed()["clip04"]
    plan = batch_plan(data, CountingEncoder(), data.names, 2)
    through_failure = next(i for i, batch in enumerate(plan) if "clip04" in batch) + 1
    finished = {n for batch in plan[:through_failure] for n in batch} - {"clip04"}
    assert set(store.index()) == finished, "the run stops after the batch that crossed the limit and keeps what finished"
    extract(data, CountingEncoder(), progress=False, max_failed=0.5)  # tolerated when the user allows it
    with pytest.raises(CacheError, match="clip04"):
        load_features(data, CountingEncoder(), ["clip04"])
    assert load_features(data, CountingEncoder(), ["clip04", "clip01"], on_failed="zeros")[0].sum() == 0


def test_batch_error_isolates_the_bad_clip_and_nan_is_a_failure(wav_dataset):
    enc = CountingEncoder(fail_on_length=32000, nan_on_length=48000)  # clip01/04 and clip02/05
    with pytest.raises(ExtractionError, match="4 of 6"):
        extract(wav_dataset, enc, progress=False, max_failed=0.5, batch_size=6)
    store = resolve(wav_dataset, enc).store
    failed = store.failed()
    assert set(failed) == {"clip01", "clip04", "clip02", "clip05"}
    assert "boom" in failed["clip01"] and "NaN" in failed["clip02"]


def test_import_baseline_folders_round_trip(wav_dataset, tmp_path):
    rng = np.random.default_rng(3)
    utt, fra = tmp_path / "features" / "eGeMAPS_UTT", tmp_path / "features" / "hubert-FRA"
    utt.mkdir(parents=True), fra.mkdir(parents=True)
    want_utt = {n: rng.standard_normal(88).astype(np.float32) for n in wav_dataset.names}
    want_fra = {n: rng.standard_normal((5 + i, 16)).astype(np.float32) for i, n in enumerate(wav_dataset.names)}
    for n in wav_dataset.names:
        np.save(utt / f"{n}.npy", want_utt[n])
        np.save(fra / f"{n}.npy", want_fra[n])
    name = import_features(wav_dataset, utt)
    assert name == "import:eGeMAPS_UTT"
    got = load_features(wav_dataset, name, wav_dataset.names[::-1])
    np.testing.assert_array_equal(got, np.stack([want_utt[n] for n in wav_dataset.names[::-1]]))
    frames = load_frames(wav_dataset, import_features(wav_dataset, fra), wav_dataset.names)
    for n, f in zip(wav_dataset.names, frames):
        np.testing.assert_array_equal(f, want_fra[n])
    with pytest.raises(CacheError, match="already imported"):
        import_features(wav_dataset, utt)
    np.save(utt / "stranger.npy", want_utt["clip00"])
    with pytest.raises(CacheError, match="stranger.npy: 1 files name no sample"):
        import_features(wav_dataset, utt, replace=True)


def test_stored_file_carries_key_and_environment(wav_dataset):
    path = extract(wav_dataset, CountingEncoder(), progress=False)
    with h5py.File(path) as f:
        assert '"media_hash"' in f.attrs["key"] and f.attrs["key_digest"].startswith(path.stem)
        assert "python" in f.attrs["environment"]


def test_an_alias_resolves_to_the_registered_name_and_its_cache_key(wav_dataset):
    from merbench.cache import resolve

    pinned = {"revision": "a" * 40}  # no hub lookup of the revision
    alias, name = resolve(wav_dataset, "hubert-base", **pinned), resolve(wav_dataset, "chinese-hubert-base", **pinned)
    assert alias.name == name.name == "chinese-hubert-base"
    assert alias.key == name.key and alias.store.path == name.store.path


def test_import_identity_names_folder_and_content_hash(wav_dataset, tmp_path):
    from merbench.cache import resolve
    from merbench.cache.imports import content_hash

    rng = np.random.default_rng(4)
    one, two = tmp_path / "a" / "feat_UTT", tmp_path / "b" / "feat_UTT"
    for folder in (one, two):
        folder.mkdir(parents=True)
        for n in wav_dataset.names:
            np.save(folder / f"{n}.npy", rng.standard_normal(8).astype(np.float32))
    first = resolve(wav_dataset, import_features(wav_dataset, one, "first")).key["encoder"]
    second = resolve(wav_dataset, import_features(wav_dataset, two, "second")).key["encoder"]
    assert first["fingerprint"] == {"folder": str(one.resolve()), "content_sha256": content_hash(sorted(one.glob("*.npy")))}
    assert first["fingerprint"]["content_sha256"] != second["fingerprint"]["content_sha256"]
    # the same name, replaced by other content: another identity and cache key, and the new content is read
    before = resolve(wav_dataset, "import:first")
    import_features(wav_dataset, two, "first", replace=True)
    after = resolve(wav_dataset, "import:first")
    assert after.key["encoder"]["fingerprint"] == {"folder": str(two.resolve()), "content_sha256": second["fingerprint"]["content_sha256"]}
    assert after.key != before.key and not before.store.exists() and after.store.exists()
    np.testing.assert_array_equal(load_features(wav_dataset, "import:first", wav_dataset.names),
                                  load_features(wav_dataset, "import:second", wav_dataset.names))


class RelabeledWavDataset(WavDataset):
    """The same clips with fixed labels and published test labels: a new split, other labels."""

    def splits(self):
        return {**super().splits(), "test": self.names[-2:]}

    def sample(self, name):
        return dataclasses.replace(super().sample(name), label="sad")


def test_new_labels_keep_the_feature_cache(wav_dataset):
    relabeled = RelabeledWavDataset(wav_dataset.root)
    assert relabeled.manifest_hash() != wav_dataset.manifest_hash(), "records must tell the label sets apart"
    assert relabeled.media_hash() == wav_dataset.media_hash()
    enc = CountingEncoder()
    path = extract(wav_dataset, enc, progress=False)
    assert extract(relabeled, enc, progress=False) == path and enc.seen == 6, "a label fix must not re-extract"
    assert relabeled.media_hash("test") != relabeled.media_hash(), "a split's clips hash on their own"
