import json

import pytest

from merbench.ov.scoring import (OVAccuracy, OVAvg, OVRecall, read_label_file, sample_scores,
                                 score_openset, synonym_map, write_label_file)

GROUPS = [["happy", "joyful", "pleased"], ["sad", "sorrowful"], ["angry", "furious"]]


def test_synonyms_map_to_first_member_and_unknown_labels_to_themselves():
    assert synonym_map(GROUPS)["joyful"] == "happy"
    assert synonym_map([["Happy", "JOYFUL"], ["joyful", "glad"]])["joyful"] == "happy"  # first group wins
    # unknown label "confused" maps to itself and counts as its own group
    assert sample_scores(["happy", "confused"], ["joyful", "confused", "tired"], GROUPS) == (2 / 3, 1.0)


def test_hand_computed_cases():
    # Y = {happy, sad}, Ŷ = {joyful, furious}: G(Y) = {happy, sad}, G(Ŷ) = {happy, angry}; 1 hit
    assert sample_scores(["happy", "sad"], ["joyful", "furious"], GROUPS) == (0.5, 0.5)
    # synonyms collapse: Ŷ = {happy, joyful, pleased} is ONE group -> accuracy 1/1, recall 1/2
    assert sample_scores(["happy", "sad"], ["Happy", "joyful", "pleased"], GROUPS) == (1.0, 0.5)
    # empty prediction scores 0 and 0
    assert sample_scores(["happy"], [], GROUPS) == (0.0, 0.0)
    # no grouping: exact (lower-cased) match only
    assert sample_scores(["Happy"], ["joyful"]) == (0.0, 0.0)


def test_score_is_per_sample_then_mean_and_reports_odd_samples_by_name():
    truth = {"s1": ["happy", "sad"], "s2": ["angry"], "s3": [], "s4": ["sad"]}
    preds = {"s1": ["joyful", "furious"], "s2": ["furious", "sorrowful"], "ghost": ["happy"]}
    grouping = {name: GROUPS for name in ("s1", "s2", "s4")}
    score = score_openset(truth, preds, grouping)
    # s1 (0.5, 0.5); s2 (1/2, 1/1); s4 no prediction -> (0, 0); s3 empty truth -> left out
    assert score.per_sample == {"s1": (0.5, 0.5), "s2": (0.5, 1.0), "s4": (0.0, 0.0)}
    assert score.accuracy == pytest.approx(1 / 3)
    assert score.recall == pytest.approx(0.5)
    assert score.avg == pytest.approx(5 / 12)
    text = "\n".join(score.problems)
    assert "s3: the checked label set is empty" in text
    assert "s4: no prediction" in text
    assert "ghost: prediction for a sample that has no checked labels" in text


def test_registry_metrics_agree_with_score_openset():
    y_true, y_pred = [["happy", "sad"], ["angry"]], [["joyful"], []]
    context = {"names": ["a", "b"], "grouping": {"a": GROUPS, "b": GROUPS}}
    assert OVAccuracy()(y_true, y_pred, **context) == pytest.approx(0.5)
    assert OVRecall()(y_true, y_pred, **context) == pytest.approx(0.25)
    assert OVAvg()(y_true, y_pred, **context) == pytest.approx(0.375)


def test_label_files_round_trip_csv_and_jsonl(tmp_path):
    labels = {"b": ["sad"], "a": ["happy", "don't believe"], "c": []}
    for suffix in (".csv", ".jsonl"):
        assert read_label_file(write_label_file(labels, tmp_path / f"p{suffix}")) == labels
    (tmp_path / "challenge.csv").write_text("name,openset\nsample_1,\"['Happy', 'surprised']\"\nsample_2,[]\n")
    assert read_label_file(tmp_path / "challenge.csv") == {"sample_1": ["happy", "surprised"], "sample_2": []}
    (tmp_path / "d.json").write_text(json.dumps({"x": ["Angry"]}))
    assert read_label_file(tmp_path / "d.json") == {"x": ["angry"]}


def test_bad_label_files_fail_with_one_line_naming_the_file(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,label\n1,2\n")
    with pytest.raises(ValueError, match="bad.csv: expected columns 'name,openset'"):
        read_label_file(bad)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"name": "a", "openset": []}\n{oops\n')
    with pytest.raises(ValueError, match="broken.jsonl:2: not JSON"):
        read_label_file(broken)
