import json

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
    assert any(p.startswith("s3: the checked label set is empty") for p in scores["problems"])
    assert any(p.startswith("ghost: prediction for a sample that has no checked labels") for p in scores["problems"])


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
