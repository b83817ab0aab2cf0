import json

import numpy as np
from click.testing import CliRunner

from merbench.cli.ov import ov

# tiny_causal_lm comes from merbench/ov/conftest.py's fixture definition
from merbench.ov.conftest import tiny_causal_lm  # noqa: F401


def test_ov_score_reads_the_challenge_csv_and_a_grouping_file(tmp_path):
    (tmp_path / "truth.csv").write_text("name,openset\ns1,\"['happy', 'sad']\"\ns2,\"['angry']\"\ns3,[]\n")
    (tmp_path / "pred.csv").write_text("name,openset\ns1,\"['Joyful']\"\ns2,[]\nghost,['sad']\n")
    (tmp_path / "groups.json").write_text(json.dumps({"s1": [["happy", "joyful"], ["sad"]], "s2": [["angry"]]}))
    result = CliRunner().invoke(ov, ["score", str(tmp_path / "pred.csv"), "--truth", str(tmp_path / "truth.csv"),
                                     "--grouping", str(tmp_path / "groups.json"), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)["file"]
    assert (scores["accuracy"], scores["recall"], scores["n"]) == (0.5, 0.25, 2)
    assert any(p.startswith("s3: no synonym grouping; not scored") for p in scores["problems"])
    assert any(p.startswith("ghost: prediction for a sample that has no checked labels") for p in scores["problems"])


def _published_files(tmp_path):
    """Checked labels, a submission and the baseline's grouping folder (one 0-d string .npy per sample)."""
    (tmp_path / "check-openset.csv").write_text(
        "name,openset\n"
        "s1,\"['happy', 'satisfied']\"\n"
        "s2,\"[\"\"don't believe\"\", 'doubtful']\"\n"
        "s3,\"['angry']\"\n"
        "s4,\"['sad']\"\n")
    (tmp_path / "predict-openset.csv").write_text(
        "name,openset\n"
        "s1,\"['happy and satisfied', 'relaxed']\"\n"
        "s2,\"[\"\"don't believe\"\"]\"\n"
        "s3,\"['angry or annoyed']\"\n"
        "s4,\"sad, lonely\"\n")
    synonyms = tmp_path / "openset-synonym"
    synonyms.mkdir()
    for name, groups in {"s1": "[['happy', 'happy and satisfied'], ['satisfied'], ['relaxed']]",
                         "s2": "[['don'], ['t believe'], ['doubtful']]",
                         "s3": "[['angry', 'angry or annoyed']]",
                         "s4": "[['sad']]"}.items():
        np.save(synonyms / f"{name}.npy", np.array(groups))
    return tmp_path / "predict-openset.csv", tmp_path / "check-openset.csv", synonyms


def test_ov_score_re_scores_a_published_file_as_written_in_both_parse_modes(tmp_path):
    # official: s1 Y {happy, satisfied}, Ŷ {happy ("happy and satisfied" is one label, grouped with happy),
    #   relaxed} -> (1/2, 1/2); s2 Y [don, t believe, doubtful], Ŷ [don, t believe] -> (2/2, 2/3);
    #   s3 "angry or annoyed" grouped with angry -> (1, 1); s4 "sad, lonely" is no list -> reported,
    #   scored as an empty prediction (0, 0). Accuracy (1/2 + 1 + 1 + 0) / 4 = 0.625, recall
    #   (1/2 + 2/3 + 1 + 0) / 4 = 0.541666..., avg 0.583333...
    # literal: s2 Y {don't believe, doubtful}, Ŷ {don't believe} (in no group) -> (1, 1/2); the rest as
    #   above: accuracy 0.625, recall (1/2 + 1/2 + 1 + 0) / 4 = 0.5, avg 0.5625
    predictions, truth, synonyms = _published_files(tmp_path)
    args = ["score", str(predictions), "--truth", str(truth), "--grouping", str(synonyms)]
    runner = CliRunner()
    scores = {}
    for mode in ("official", "literal"):
        result = runner.invoke(ov, [*args, "--parse", mode, "--json"])
        assert result.exit_code == 0, result.output
        scores[mode] = json.loads(result.output)["file"]
    official, literal = scores["official"], scores["literal"]
    assert (official["accuracy"], official["n"]) == (0.625, 4)
    assert abs(official["recall"] - (0.5 + 2 / 3 + 1) / 4) < 1e-12 and abs(official["avg"] - 0.5833333333333333) < 1e-12
    assert (literal["accuracy"], literal["recall"], literal["avg"]) == (0.625, 0.5, 0.5625)
    assert official["per_sample"]["s2"] == [1.0, 2 / 3] and literal["per_sample"]["s2"] == [1.0, 0.5]
    assert official["differs"] == literal["differs"] == {"s2": {"official": [1.0, 2 / 3], "literal": [1.0, 0.5]}}
    for s in (official, literal):
        assert any(p.startswith(f"{predictions}:5: sample s4: not a") for p in s["problems"]), s["problems"]
        assert any(p.startswith("s4: no prediction; scored as an empty prediction") for p in s["problems"])
    # the table names the samples the other mode scores differently
    for mode, other in (("official", "literal"), ("literal", "official")):
        result = runner.invoke(ov, [*args, "--parse", mode])
        assert result.exit_code == 0, result.output
        assert f"file: 1 sample(s) score differently under --parse {other}" in result.output
        assert "s2: official accuracy 1.0000 recall 0.6667 | literal accuracy 1.0000 recall 0.5000" in result.output
        assert f"warning: {predictions}:5: sample s4: not a" in result.output
    assert "58.33" in runner.invoke(ov, [*args]).output and "56.25" in runner.invoke(ov, [*args, "--parse", "literal"]).output


def test_ov_describe_extract_score_with_a_tiny_lm_on_the_demo(tiny_demo, tiny_causal_lm, tmp_path):
    runner = CliRunner()
    cache = str(tmp_path / "gen.sqlite")
    model = ["--param", f"model={tiny_causal_lm}", "--param", "max_new_tokens=6"]
    result = runner.invoke(ov, ["describe", "--dataset", str(tiny_demo), "--describer", "transformers", *model,
                                "--limit", "4", "--out", str(tmp_path / "d.jsonl"), "--cache", cache])
    assert result.exit_code == 0, result.output
    assert len((tmp_path / "d.jsonl").read_text().splitlines()) == 4
    result = runner.invoke(ov, ["extract", str(tmp_path / "d.jsonl"), "--extractor", "transformers", *model,
                                "--out", str(tmp_path / "p.csv"), "--cache", cache])
    assert result.exit_code == 0, result.output
    result = runner.invoke(ov, ["score", str(tmp_path / "p.csv"), "--dataset", str(tiny_demo),
                                "--grouper", "file", "--grouper", "offline", "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert set(scores) == {"file", "offline"}
    # only 4 clips were described: the other OV samples are reported, never silently skipped
    assert any("no prediction; scored as an empty prediction" in p for p in scores["file"]["problems"])


def test_ov_track_seeds_is_a_count_like_run(tiny_demo, tmp_path):
    result = CliRunner().invoke(ov, ["track", "--dataset", str(tiny_demo), "--describer", "none", "--grouper", "file",
                                     "--seeds", "2", "--limit", "4", "--out", str(tmp_path / "out"),
                                     "--results", str(tmp_path / "results")])
    assert result.exit_code == 0, result.output
    random_row = json.loads(next((tmp_path / "out").glob("*andom*.json")).read_text())
    assert random_row["seeds"] == [0, 1]
    from merbench.results.store import Store

    indexed = sorted(e.path.name for e in Store(tmp_path / "results").select())  # the records are in the store
    assert indexed == sorted(p.name for p in (tmp_path / "out").glob("*.json")) and len(indexed) >= 2
