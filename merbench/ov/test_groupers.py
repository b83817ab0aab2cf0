import json
import zipfile

import numpy as np
import pytest

from merbench.ov.groupers import FileGrouper, LLMGrouper, OfflineGrouper, read_grouping
from merbench.ov.scoring import score_openset

GROUPS = [["happy", "joyful"], ["sad", "sorrowful"]]


def _write_npy_release(folder):
    folder.mkdir()
    np.save(folder / "sample_1.npy", np.array(str(GROUPS)))  # the baseline: a 0-d string per sample
    np.save(folder / "sample_2.npy", np.array("[['Angry', 'furious']]"))
    return folder


def test_file_grouper_reads_json_jsonl_and_the_baselines_npy_folder_and_zip(tmp_path):
    expected = {"sample_1": GROUPS, "sample_2": [["Angry", "furious"]]}  # members as written: groups are not lower-cased
    (tmp_path / "g.json").write_text(json.dumps({"sample_1": GROUPS, "sample_2": "[['Angry', 'furious']]"}))
    (tmp_path / "g.jsonl").write_text("\n".join(json.dumps({"name": n, "groups": g}) for n, g in expected.items()))
    folder = _write_npy_release(tmp_path / "openset_synonym")
    with zipfile.ZipFile(tmp_path / "g.zip", "w") as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, f"openset_synonym/{file.name}")
    for source in ("g.json", "g.jsonl", "openset_synonym", "g.zip"):
        for parse in ("official", "literal"):
            assert read_grouping(tmp_path / source, parse=parse) == expected, (source, parse)
    grouper = FileGrouper(tmp_path / "g.zip")
    assert grouper.samples == ["sample_1", "sample_2"]
    assert grouper.group({"sample_1": ["joyful", "calm"], "other": ["x"]}) == {
        "sample_1": GROUPS + [["calm"]], "other": [["x"]]}
    assert grouper.problems == []
    assert len(grouper.fingerprint()["sha256"]) == 64


def test_file_grouper_reads_grouping_strings_in_either_parse_mode(tmp_path):
    folder = tmp_path / "release"
    folder.mkdir()
    np.save(folder / "a.npy", np.array("[[\"don't believe\", 'doubt'], ['calm']]"))
    np.save(folder / "b.npy", np.array("[[happy, joyful]]"))  # unquoted: no Python literal
    # official: the chunk "\"don't believe\", 'doubt'" splits on both quotes into one group of three pieces
    assert FileGrouper(folder).grouping == {"a": [["don", "t believe", "doubt"], ["calm"]], "b": [["happy, joyful"]]}
    literal = FileGrouper(folder, parse="literal")
    assert literal.grouping == {"a": [["don't believe", "doubt"], ["calm"]], "b": []}
    assert len(literal.problems) == 1 and literal.problems[0].startswith(f"{folder / 'b.npy'}: sample b: grouping not a Python")


def test_a_published_grouping_re_scores_exactly(tmp_path):
    grouping = read_grouping(_write_npy_release(tmp_path / "release"))
    score = score_openset({"sample_1": ["happy", "sad"]}, {"sample_1": ["joyful"]}, grouping)
    assert (score.accuracy, score.recall) == (1.0, 0.5)


def test_bad_grouping_files_name_the_file(tmp_path):
    (tmp_path / "bad.npy").write_bytes(b"not numpy")
    with pytest.raises(ValueError, match="bad.npy"):
        read_grouping(tmp_path)
    (tmp_path / "g.json").write_text(json.dumps({"a": "[[happy, sad]]"}))
    with pytest.raises(ValueError, match="g.json: a: not a Python list of lists"):
        read_grouping(tmp_path / "g.json", parse="literal")
    (tmp_path / "n.json").write_text(json.dumps({"a": [["happy", 3]]}))
    with pytest.raises(ValueError, match="n.json: a: a grouping must be a list of lists of labels"):
        read_grouping(tmp_path / "n.json")
    with pytest.raises(FileNotFoundError, match="missing.json"):
        FileGrouper(tmp_path / "missing.json")


def test_offline_grouper_lexicon_reproduces_the_demo_vocabulary_grouping():
    from merbench.datasets.demo.script import ov_grouping, ov_vocabulary

    vocabulary = ov_vocabulary()
    grouped = OfflineGrouper(embedding=False).group({"all": vocabulary})["all"]
    shipped = [[w for w in g if w in vocabulary] for g in ov_grouping()]  # the shipped groups also hold noun forms
    assert sorted(map(sorted, grouped)) == sorted(map(sorted, shipped))


def test_offline_grouper_handles_variants_and_embeddings_deterministically():
    grouper = OfflineGrouper()
    labels = {"a": ["Very Happy", "joy", "melancholic", "sad", "frightful", "scared", "qwzx"]}
    groups = grouper.group(labels)["a"]
    assert groups == [["very happy", "joy"], ["melancholic", "sad"], ["frightful", "scared"], ["qwzx"]]
    assert OfflineGrouper().group(labels) == {"a": groups}


def test_llm_grouper_runs_the_grouping_prompt_and_never_loses_a_label(tiny_causal_lm, tmp_path):
    from merbench.ov.describers import TransformersDescriber

    describer = TransformersDescriber(tiny_causal_lm, max_new_tokens=8, device="cpu")
    grouper = LLMGrouper(describer, cache=tmp_path / "gen.sqlite")
    out = grouper.group({"s1": ["happy", "joyful", "sad"], "s2": ["angry"], "empty": []})
    assert set(out) == {"s1", "s2", "empty"} and out["empty"] == []
    assert sorted(l for g in out["s1"] for l in g) == ["happy", "joyful", "sad"]
    # a random model writes no list of lists: reported by name, one group per label
    assert any(p.startswith("s1:") for p in grouper.problems)
    assert grouper.fingerprint()["describer"]["model"] == tiny_causal_lm.name


def test_groupers_pass_the_plugin_conformance_checks(tmp_path):
    from merbench.testing.conformance import check_grouper

    labels = {"sample_1": ["Happy", "joyful", "calm"], "sample_2": ["furious", "sad"]}
    check_grouper(OfflineGrouper(), labels)
    check_grouper(FileGrouper(_write_npy_release(tmp_path / "release")), labels)
