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


def _ov_record(tmp_path, rows, limit=None):
    (tmp_path / "ov.predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    path = tmp_path / "ov.json"
    path.write_text(json.dumps({"track": "ov", "dataset": {"split": "ov"}, "config": {"limit": limit},
                                "predictions": {"path": "ov.predictions.jsonl", "sha256": "0", "count": len(rows)}}))
    return path


def test_an_ov_record_becomes_the_name_openset_csv_the_official_scorer_reads(tmp_path):
    from merbench.ov.scoring import read_label_file
    from merbench.results.submit import write_openset_submission

    rows = [{"name": "b", "seed": 0, "openset": ["happy", "grateful"], "truth": []},
            {"name": "a", "seed": 0, "openset": [], "truth": []},
            {"name": "a", "seed": 1, "openset": ["sad"], "truth": []},
            {"name": "b", "seed": 1, "openset": ["don't know"], "truth": []}]
    record = _ov_record(tmp_path, rows)
    with pytest.raises(SubmissionError, match=r"holds seeds \[0, 1\]; label sets cannot be averaged"):
        write_openset_submission(record, tmp_path / "x.csv", expected_names=["a", "b"])
    path, seed, changed = write_openset_submission(record, tmp_path / "sub.csv", expected_names=["a", "b"], seed=0)
    assert (seed, changed) == (0, [])
    assert list(csv.reader(path.open())) == [["name", "openset"], ["a", "[]"], ["b", "['happy', 'grateful']"]]
    assert read_label_file(path).labels == {"a": [], "b": ["happy", "grateful"]}
    _, _, changed = write_openset_submission(record, tmp_path / "sub.csv", expected_names=["a", "b"], seed=1)
    assert changed == ['sample b: ["don\'t know"] will be read by the official scorer as [\'don\', \'t know\']']
    with pytest.raises(SubmissionError, match="no predictions of seed 2"):
        write_openset_submission(record, tmp_path / "x.csv", expected_names=["a", "b"], seed=2)
    with pytest.raises(SubmissionError, match=r"1 of 3 ov samples have no prediction: c; re-run the ov track"):
        write_openset_submission(record, tmp_path / "x.csv", expected_names=["a", "b", "c"], seed=0)
    with pytest.raises(SubmissionError, match="is a .csv file"):
        write_openset_submission(record, tmp_path / "x.txt", expected_names=["a", "b"], seed=0)
    limited = _ov_record(tmp_path, rows[:1], limit=1)
    with pytest.raises(SubmissionError, match=r"described only 1 .*re-run with limit: null"):
        write_openset_submission(limited, tmp_path / "x.csv", expected_names=["a", "b"])
    assert not (tmp_path / "x.csv").exists()
    discrete = _record(tmp_path, [{"name": "a", "split": "unlabeled", "seed": 0, "probs": [1, 0, 0, 0, 0, 0]}])
    with pytest.raises(SubmissionError, match="class probabilities, not label sets"):
        write_openset_submission(discrete, tmp_path / "x.csv", expected_names=["a"])


def test_the_submit_command_writes_an_ov_record_and_refuses_mer2023_for_it(tmp_path, tiny_dataset, tiny_demo):
    from click.testing import CliRunner

    from merbench.cli.main import cli

    names = list(tiny_dataset.splits()["ov"])
    record = _ov_record(tmp_path, [{"name": n, "seed": 0, "openset": ["happy"], "truth": []} for n in names])
    out = tmp_path / "ov.csv"
    done = CliRunner().invoke(cli, ["submit", str(record), "--dataset", str(tiny_demo), "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert f"wrote {len(names)} rows" in done.output and "(MER-OV, seed 0)" in done.output
    refused = CliRunner().invoke(cli, ["submit", str(record), "--dataset", str(tiny_demo), "--out", str(out),
                                       "--format", "mer2023"])
    assert refused.exit_code == 1 and "MER2023 has no open-vocabulary track" in refused.output
