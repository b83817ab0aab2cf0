import json

import numpy as np
import pytest

from merbench.results.record import RecordError, build_record, read_record, summarize, validate, write_record

DATASET = {"name": "demo", "manifest_hash": "ab" * 32}


def _record(**overrides):
    args = dict(
        track="trainval",
        dataset=DATASET,
        components=[{"kind": "encoder", "name": "egemaps", "version": "1", "fingerprint": {"set": "eGeMAPSv02"}}],
        config={"fusion": "attention", "trials": 2},
        seeds=[0, 1],
        per_seed=[{"seed": 0, "scores": {"waf": 0.5, "acc": 0.6}}, {"seed": 1, "scores": {"waf": 0.7, "acc": np.float32(0.8)}}],
        main_metric="waf",
        higher_is_better={"waf": True, "acc": True},
        samples={"scored": 10},
    )
    args.update(overrides)
    return build_record(**args)


def test_summary_matches_per_seed_values():
    rec = _record()
    assert rec["scores"]["waf"]["mean"] == pytest.approx(0.6)
    assert rec["scores"]["waf"]["std"] == pytest.approx(np.std([0.5, 0.7], ddof=1))
    assert rec["scores"]["waf"]["stderr"] == pytest.approx(np.std([0.5, 0.7], ddof=1) / np.sqrt(2))
    assert rec["main_score"] == {"metric": "waf", "mean": pytest.approx(0.6)}
    assert rec["environment"]["packages"]["merbench"]


def test_single_seed_has_zero_std():
    assert summarize([0.4]) == {"mean": 0.4, "std": 0.0, "stderr": 0.0, "n": 1}


def test_write_and_read_back_with_named_predictions(tmp_path):
    rec = _record()
    path = write_record(rec, tmp_path, predictions=[{"name": "s1", "pred": "happy"}, {"name": "s2", "pred": "sad"}])
    back = read_record(path)
    assert back["predictions"]["count"] == 2
    lines = (tmp_path / back["predictions"]["path"]).read_text().splitlines()
    assert [json.loads(line)["name"] for line in lines] == ["s1", "s2"]


def test_prediction_without_name_is_refused(tmp_path):
    with pytest.raises(RecordError, match="no sample name"):
        write_record(_record(), tmp_path, predictions=[{"pred": "happy"}])


def test_schema_names_the_bad_field():
    rec = _record()
    rec["seeds"] = ["zero"]
    with pytest.raises(RecordError, match="seeds/0"):
        validate(rec)


def test_unknown_main_metric_is_an_error():
    with pytest.raises(RecordError, match="main metric 'mse'"):
        _record(main_metric="mse")


def test_half_written_record_gives_a_one_line_error(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"version": 1, "tra')
    with pytest.raises(RecordError, match="not valid JSON"):
        read_record(bad)
