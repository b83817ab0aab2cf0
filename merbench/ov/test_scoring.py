"""The MER-OV metric: one hand-made case per rule of the official MER2024 scorer (``docs/protocol.md``,
"The official MER-OV scorer, exactly"), then merbench's own file handling and the literal mode."""

import json

import pytest

from merbench.ov.scoring import (LITERAL, OFFICIAL, MISSING_CELLS, NotAList, OVAccuracy, OVAvg, OVRecall,
                                 differing_samples, parse_grouping_string, parse_label_cell, read_label_file,
                                 sample_scores, score_openset, synonym_map, write_label_file)

GROUPS = [["happy", "joyful", "pleased"], ["sad", "sorrowful"], ["angry", "furious"]]


# -- the official scorer, one rule per test --------------------------------------------------------------
def test_rule_cell_keeps_the_text_between_the_first_open_and_the_next_close_bracket():
    # "x ['happy'] y ['sad']": after the first '[' comes "'happy'"; the next ']' ends it -> ['happy']
    assert parse_label_cell("x ['happy'] y ['sad']") == ["happy"]
    # the official split on '[' also ends the text at a second '[' before any ']': "[a[b]" -> "a"
    assert parse_label_cell("['calm'['sad']") == ["calm"]


def test_rule_cell_is_split_on_both_quote_kinds():
    # ["happy", 'sad'] -> pieces '', 'happy', ', ', 'sad', '' -> ['happy', 'sad']
    assert parse_label_cell("[\"happy\", 'sad']") == ["happy", "sad"]
    # ["don't believe"] -> pieces '', 'don', 't believe', '' -> two labels (the published quirk)
    assert parse_label_cell('["don\'t believe"]') == ["don", "t believe"]
    # 'happy and satisfied' holds no quote: one label, never split on "and"
    assert parse_label_cell("['happy and satisfied', 'angry or annoyed']") == ["happy and satisfied", "angry or annoyed"]


def test_rule_pieces_whose_stripped_text_is_empty_or_a_comma_are_dropped_the_rest_kept_as_written():
    # ['a', '', ' ', 'b'] -> pieces '', 'a', ', ', '', ', ', ' ', ', ', 'b', '' -> kept: 'a', 'b'
    assert parse_label_cell("['a', '', ' ', 'b']") == ["a", "b"]
    # kept pieces are not stripped: ' Happy ' stays with its spaces; a ';' separator is a piece of its own
    assert parse_label_cell("[' Happy '; 'sad']") == [" Happy ", "; ", "sad"]
    # an unquoted list is one piece: "[happy, sad]" -> ['happy, sad']
    assert parse_label_cell("[happy, sad]") == ["happy, sad"]


def test_rule_an_empty_or_missing_cell_is_an_empty_list():
    # the official scorer reads files with pandas, which takes '', 'NA', 'None', 'null', ... as missing -> []
    for cell in ("", "[]", "NA", "None", "null", "nan", None):
        assert parse_label_cell(cell) == [], cell
    assert {"", "NA", "N/A", "NULL", "NaN", "None", "n/a", "nan", "null"} <= MISSING_CELLS
    # ' NA' (with a space) is not missing to pandas; with no '[' it is not a list
    with pytest.raises(NotAList):
        parse_label_cell(" NA")


def test_rule_grouping_string_is_split_on_brackets_then_on_quotes():
    # chunks between '[' / ']' whose stripped text is neither '' nor ',': "'Happy', 'joyful'" and
    # "'don', 't believe'"; each split on quotes like a cell. Text outside the lists is a chunk too.
    assert parse_grouping_string("[['Happy', 'joyful'], [\"don\", 't believe']]") == [["Happy", "joyful"], ["don", "t believe"]]
    assert parse_grouping_string("Groups: [['sad']]") == [["Groups: "], ["sad"]]


def test_rule_each_member_maps_to_its_groups_first_member():
    # joyful, pleased -> happy; sorrowful -> sad
    mapping = synonym_map(GROUPS)
    assert (mapping["joyful"], mapping["pleased"], mapping["happy"], mapping["sorrowful"]) == ("happy", "happy", "happy", "sad")


def test_rule_a_label_in_several_groups_takes_the_last_groups_mapping():
    # groups [a, b], [c, b]: b -> a, then b -> c (last wins); a -> a; c -> c
    assert synonym_map([["a", "b"], ["c", "b"]]) == {"a": "a", "b": "c", "c": "c"}
    # Y = {a}, Ŷ = {b}: G(Y) = {a}, G(Ŷ) = {c} -> no hit (0, 0); with first-group-wins it would be (1, 1)
    assert sample_scores(["a"], ["b"], [["a", "b"], ["c", "b"]]) == (0.0, 0.0)


def test_rule_labels_are_lower_cased_groups_are_not():
    # label 'Joyful' -> 'joyful' -> happy: Y = {happy}, Ŷ = {happy} -> (1, 1)
    assert sample_scores(["happy"], ["Joyful"], GROUPS) == (1.0, 1.0)
    # group ['Happy', 'Glad']: 'glad' (lower-cased label) is not the member 'Glad', so maps to itself;
    # G(Y) = {happy}, G(Ŷ) = {glad} -> (0, 0)
    assert sample_scores(["happy"], ["Glad"], [["Happy", "Glad"]]) == (0.0, 0.0)


def test_rule_a_label_in_no_group_maps_to_itself():
    # Y = {happy, confused}, Ŷ = {joyful, confused, tired} -> G(Ŷ) = {happy, confused, tired}; 2 hits
    # accuracy 2/3, recall 2/2
    assert sample_scores(["happy", "confused"], ["joyful", "confused", "tired"], GROUPS) == (2 / 3, 1.0)


def test_rule_both_sides_become_sets():
    # Ŷ = [happy, joyful, Pleased, happy] -> G(Ŷ) = {happy}: accuracy 1/1; Y = [sad, sorrowful, happy]
    # -> G(Y) = {sad, happy}: recall 1/2
    assert sample_scores(["sad", "sorrowful", "happy"], ["happy", "joyful", "Pleased", "happy"], GROUPS) == (1.0, 0.5)


def test_rule_accuracy_is_hits_over_predicted_groups_recall_hits_over_true_groups():
    # Y = {happy, sad}, Ŷ = {joyful, furious}: G(Y) = {happy, sad}, G(Ŷ) = {happy, angry}; 1 hit -> (1/2, 1/2)
    assert sample_scores(["happy", "sad"], ["joyful", "furious"], GROUPS) == (0.5, 0.5)
    # Y = {angry}, Ŷ = {furious, sorrowful}: 1 hit of 2 predicted, of 1 true -> (1/2, 1)
    assert sample_scores(["angry"], ["furious", "sorrowful"], GROUPS) == (0.5, 1.0)


def test_rule_an_empty_prediction_scores_zero_and_zero():
    assert sample_scores(["happy"], [], GROUPS) == (0.0, 0.0)
    # the official check comes first: an empty prediction scores (0, 0) even against an empty truth
    score = score_openset({"a": [], "b": ["sad"]}, {"a": [], "b": ["sad"]}, {"a": [], "b": []})
    # a (0, 0), b (1, 1) -> accuracy 1/2, recall 1/2
    assert score.per_sample == {"a": (0.0, 0.0), "b": (1.0, 1.0)} and (score.accuracy, score.recall) == (0.5, 0.5)


def test_rule_only_the_samples_that_have_a_grouping_are_scored():
    # c has labels and a prediction but no grouping: left out; a (1, 1), b (0, 0) -> accuracy 1/2
    truth = {"a": ["happy"], "b": ["sad"], "c": ["angry"]}
    preds = {"a": ["joyful"], "b": ["angry"], "c": ["angry"]}
    score = score_openset(truth, preds, {"a": GROUPS, "b": GROUPS})
    assert score.per_sample == {"a": (1.0, 1.0), "b": (0.0, 0.0)} and score.accuracy == 0.5
    assert "c: no synonym grouping; not scored" in "\n".join(score.problems)
    # a file grouper names its samples: a grouping for every label (group()) but only the file's samples scored
    assert score_openset(truth, preds, {n: GROUPS for n in truth}, samples=["a", "b"]).per_sample == score.per_sample


def test_rule_means_are_plain_sums_in_sorted_name_order():
    # accuracies a = 1/10, b = 1/5, c = 3/10 (1 hit of 10 groups, 1 of 5, 3 of 10). In name order
    # (0.1 + 0.2) + 0.3 = 0.6000000000000001; in the reverse order (0.3 + 0.2) + 0.1 = 0.6.
    def pred(hits, total):  # ``hits`` true labels h0.. then wrong ones x0.., ``total`` groups in all
        return [f"h{i}" for i in range(hits)] + [f"x{i}" for i in range(total - hits)]
    truth = {"c": ["h0", "h1", "h2"], "b": ["h0"], "a": ["h0"]}  # given in reverse order
    preds = {"c": pred(3, 10), "b": pred(1, 5), "a": pred(1, 10)}
    score = score_openset(truth, preds, {n: [] for n in truth})
    assert score.accuracy == (0.1 + 0.2 + 0.3) / 3 != (0.3 + 0.2 + 0.1) / 3


def test_rule_rank_score_is_the_arithmetic_mean_of_accuracy_and_recall():
    # one sample, accuracy 1, recall 1/2: avg (1 + 0.5) / 2 = 0.75 (F1 would be 2/3)
    score = score_openset({"a": ["happy", "sad"]}, {"a": ["joyful"]}, {"a": GROUPS})
    assert (score.accuracy, score.recall, score.avg) == (1.0, 0.5, 0.75)


# -- merbench's handling around the rules ----------------------------------------------------------------
def test_a_cell_that_is_not_a_list_is_a_problem_by_sample_and_line_never_labels(tmp_path):
    path = tmp_path / "pred.csv"
    path.write_text("name,openset\ns1,\"['happy']\"\ns2,\"happy, sad\"\ns3,42\n")
    for mode in (OFFICIAL, LITERAL):
        read = read_label_file(path, parse=mode)
        assert read.labels == {"s1": ["happy"]}
        assert len(read.problems) == 2 and all("\n" not in p for p in read.problems)
        assert read.problems[0].startswith(f"{path}:3: sample s2: not a") and "not scored as labels" in read.problems[0]
        assert read.problems[1].startswith(f"{path}:4: sample s3: not a")


def test_literal_mode_reads_cells_as_python_literals():
    cell = "[\"don't believe\", 'happy and satisfied']"
    assert parse_label_cell(cell, LITERAL) == ["don't believe", "happy and satisfied"]
    assert parse_label_cell(cell, OFFICIAL) == ["don", "t believe", "happy and satisfied"]
    # literal_eval, never eval: a call is not a literal, so nothing runs
    with pytest.raises(NotAList):
        parse_label_cell("[__import__('os').system('false')]", LITERAL)
    with pytest.raises(NotAList, match="not a list of strings"):
        parse_label_cell("[1, 2]", LITERAL)
    assert parse_grouping_string("answer: [[\"don't believe\", 'doubt']] done", LITERAL) == [["don't believe", "doubt"]]
    with pytest.raises(NotAList):
        parse_grouping_string("[[happy, sad]]", LITERAL)


def test_differing_samples_names_the_samples_scored_differently():
    a = score_openset({"x": ["a"], "y": ["b"]}, {"x": ["a"], "y": ["c"]})
    b = score_openset({"x": ["a"], "y": ["b"]}, {"x": ["a"], "y": ["b"]})
    assert differing_samples(a, b) == {"y": ((0.0, 0.0), (1.0, 1.0))}


def test_odd_samples_are_reported_by_name():
    truth = {"s1": ["happy", "sad"], "s2": ["angry"], "s3": [], "s4": ["sad"]}
    preds = {"s1": ["joyful", "furious"], "s2": ["furious", "sorrowful"], "s3": ["happy"], "ghost": ["happy"]}
    grouping = {name: GROUPS for name in ("s1", "s2", "s3", "s4", "nolabels")}
    score = score_openset(truth, preds, grouping)
    # s1 (0.5, 0.5); s2 (1/2, 1/1); s4 no prediction -> (0, 0); s3 empty truth, non-empty prediction -> left out
    assert score.per_sample == {"s1": (0.5, 0.5), "s2": (0.5, 1.0), "s4": (0.0, 0.0)}
    assert score.accuracy == pytest.approx(1 / 3) and score.recall == pytest.approx(0.5)
    text = "\n".join(score.problems)
    assert "s3: the checked label set is empty; recall is undefined" in text
    assert "s4: no prediction" in text
    assert "nolabels: has a synonym grouping but no checked labels" in text
    assert "ghost: prediction for a sample that has no checked labels" in text


def test_registry_metrics_agree_with_score_openset():
    y_true, y_pred = [["happy", "sad"], ["angry"]], [["joyful"], []]
    context = {"names": ["a", "b"], "grouping": {"a": GROUPS, "b": GROUPS}}
    assert OVAccuracy()(y_true, y_pred, **context) == pytest.approx(0.5)
    assert OVRecall()(y_true, y_pred, **context) == pytest.approx(0.25)
    assert OVAvg()(y_true, y_pred, **context) == pytest.approx(0.375)


def test_label_files_round_trip_csv_and_jsonl(tmp_path):
    labels = {"b": ["sad"], "a": ["happy", "don't believe"], "c": []}
    assert read_label_file(write_label_file(labels, tmp_path / "p.jsonl")).labels == labels
    written = write_label_file(labels, tmp_path / "p.csv")
    assert read_label_file(written, parse=LITERAL).labels == labels
    # the official reading of the same file splits the apostrophe, as the challenge scorer would
    assert read_label_file(written).labels["a"] == ["happy", "don", "t believe"]
    (tmp_path / "challenge.csv").write_text("name,openset\nsample_1,\"['Happy', 'happy and surprised']\"\nsample_2,[]\n")
    assert read_label_file(tmp_path / "challenge.csv").labels == {"sample_1": ["Happy", "happy and surprised"], "sample_2": []}
    (tmp_path / "d.json").write_text(json.dumps({"x": ["Angry"], "y": "['sad']"}))
    assert read_label_file(tmp_path / "d.json").labels == {"x": ["Angry"], "y": ["sad"]}


def test_a_name_given_twice_keeps_its_last_row(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("name,openset\na,['happy']\na,['sad']\n")
    read = read_label_file(path)
    assert read.labels == {"a": ["sad"]} and read.problems == [f"{path}:3: sample a: given again; the last row is used"]


def test_bad_label_files_fail_with_one_line_naming_the_file(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,label\n1,2\n")
    with pytest.raises(ValueError, match="bad.csv: expected columns 'name,openset'"):
        read_label_file(bad)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"name": "a", "openset": []}\n{oops\n')
    with pytest.raises(ValueError, match="broken.jsonl:2: not JSON"):
        read_label_file(broken)
