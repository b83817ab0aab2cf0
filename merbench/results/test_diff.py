"""``explain`` and ``merbench results diff``: each differing identity leaf on one line, exit 0/1/2."""

import copy
import json

import pytest
from click.testing import CliRunner

from merbench.cli.main import cli
from merbench.results.diff import SAME, environment_lines, explain


def _record(**parts):
    base = {"merbench_version": "0.1", "config": {"epochs": 20, "trials": 1},
            "track": {"name": "trainval", "version": 2}, "features": {"egemaps": {"trainval": "k1"}}}
    base.update(parts)
    return {"name": "r", "dataset": {"name": "demo", "manifest_hash": "m1"}, "identity": {"hash": "h", "parts": base}}


def test_explain_same_identity():
    assert explain(_record(), _record()) == [SAME]


def test_explain_names_each_differing_leaf():
    a = _record()
    b = copy.deepcopy(a)
    b["identity"]["hash"] = "h2"
    b["identity"]["parts"]["config"]["epochs"] = 3
    b["identity"]["parts"]["features"]["egemaps"]["trainval"] = "k2"
    b["identity"]["parts"]["track"]["version"] = 3
    b["identity"]["parts"]["config"]["new"] = True
    b["dataset"]["manifest_hash"] = "m2"
    assert explain(a, b) == ["config.epochs: 20 → 3", "config.new: (absent) → true",
                             "features.egemaps.trainval: k1 → k2", "track.version: 2 → 3",
                             "dataset.manifest_hash: m1 → m2"]


def test_explain_lists_and_equal_parts_under_another_hash():
    a, b = _record(row={"encoders": ["x", "y"]}), _record(row={"encoders": ["x", "z"]})
    assert explain(a, b) == ["row.encoders[1]: y → z"]
    c = _record()
    c["identity"]["hash"] = "other"
    assert explain(_record(), c)[0].startswith("identity.hash: h → other")


def test_environment_lines_name_what_the_numbers_were_computed_with_apart_from_the_identity():
    a, b = _record(), _record()
    a["environment"] = {"cpu": "AMD EPYC", "torch": {"version": "2.13.0+cpu", "cpu_capability": "AVX512"}}
    b["environment"] = {"cpu": "Intel Xeon", "torch": {"version": "2.13.0+cpu", "cpu_capability": "AVX2"}}
    a["merbench"], b["merbench"] = {"version": "0.1", "git_sha": "s1"}, {"version": "0.1", "git_sha": "s2"}
    assert explain(a, b) == [SAME], "the same computation"
    assert environment_lines(a, b) == ["environment.cpu: AMD EPYC → Intel Xeon",
                                       "environment.torch.cpu_capability: AVX512 → AVX2", "merbench.git_sha: s1 → s2"]
    assert environment_lines(a, a) == [] and environment_lines(_record(), _record()) == []


def test_explain_a_record_without_identity():
    with pytest.raises(ValueError, match="record B .* has no identity"):
        explain(_record(), {"name": "old"})


@pytest.mark.slow
def test_results_diff_command_on_two_runs(tiny_demo, tmp_path, monkeypatch):
    from merbench.runner.run import run

    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))
    paths = {}
    for epochs in (2, 3):
        config = {"dataset": str(tiny_demo), "encoders": {"audio": ["egemaps"]}, "tracks": ["trainval"], "trials": 1,
                  "seeds": [0], "epochs": epochs, "unbiased": False, "out": str(tmp_path / f"e{epochs}"),
                  "search_space": {"hidden_dim": [16], "lr": [1e-3], "dropout": [0.2]}}
        run(config, progress=False)
        paths[epochs] = str(tmp_path / f"e{epochs}" / "trainval-attention-egemaps.json")
    same = CliRunner().invoke(cli, ["results", "diff", paths[2], paths[2]])
    assert same.exit_code == 0 and same.output.strip() == SAME
    differ = CliRunner().invoke(cli, ["results", "diff", paths[2], paths[3]])
    assert differ.exit_code == 1
    assert differ.output.splitlines() == ["config.epochs: 2 → 3", "train.epochs: 2 → 3"]
    # the same record as computed on another machine: the same identity, exit 0, and the machine named
    elsewhere = json.loads(open(paths[2]).read())
    elsewhere["environment"]["torch"]["cpu_capability"] = "AVX2"
    moved = tmp_path / "elsewhere.json"
    moved.write_text(json.dumps(elsewhere))
    other = CliRunner().invoke(cli, ["results", "diff", paths[2], str(moved)])
    assert other.exit_code == 0, other.output
    assert other.output.splitlines()[0] == SAME and other.output.splitlines()[1].startswith("environment.torch.cpu_capability: ")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "x"}))
    broken = CliRunner().invoke(cli, ["results", "diff", paths[2], str(bad)])
    assert broken.exit_code == 2 and "Error:" in broken.output
