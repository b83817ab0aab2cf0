import csv
import json

import pytest

from merbench.results.submit import SubmissionError, write_submission


def _record(tmp_path, rows):
    (tmp_path / "r.predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"predictions": {"path": "r.predictions.jsonl", "sha256": "0", "count": len(rows)}}))
    return path


def test_submission_averages_seeds_and_checks_names(tmp_path):
    rows = [{"name": "a", "split": "unlabeled", "seed": 0, "probs": [0.6, 0.4, 0, 0, 0, 0]},
            {"name": "a", "split": "unlabeled", "seed": 1, "probs": [0.1, 0.9, 0, 0, 0, 0]},
            {"name": "b", "split": "unlabeled", "seed": 0, "probs": [0, 0, 1, 0, 0, 0]},
            {"name": "c", "split": "semi", "seed": 0, "probs": [1, 0, 0, 0, 0, 0]}]
    record = _record(tmp_path, rows)
    out = write_submission(record, tmp_path / "sub.csv", split="unlabeled", expected_names=["a", "b"])
    assert list(csv.reader(out.open())) == [["name", "discrete"], ["a", "angry"], ["b", "happy"]]
    with pytest.raises(SubmissionError, match="1 of 3 unlabeled samples have no prediction: z"):
        write_submission(record, tmp_path / "x.csv", split="unlabeled", expected_names=["a", "b", "z"])
    with pytest.raises(SubmissionError, match="not in the unlabeled split: b"):
        write_submission(record, tmp_path / "x.csv", split="unlabeled", expected_names=["a"])
    with pytest.raises(SubmissionError, match="need valence"):
        write_submission(record, tmp_path / "x.csv", split="unlabeled", expected_names=["a", "b"], year="mer2023")
    assert not (tmp_path / "x.csv").exists()
