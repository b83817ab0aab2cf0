"""The CI gate end to end: ``merbench bench demo-smoke --against benchmarks/baselines/demo-smoke``
passes, and fails on a weakened variant (2 epochs instead of 20) with the comparison printed."""

import json

import pytest
import yaml
from click.testing import CliRunner

from merbench.bench.suite import BUILTIN_SUITES
from merbench.cli.main import cli

BASELINE = BUILTIN_SUITES.parent / "baselines" / "demo-smoke"


@pytest.mark.slow
def test_smoke_suite_passes_its_gate_and_a_weakened_variant_fails(tmp_path, monkeypatch):
    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))  # the demo corpus is generated too
    monkeypatch.setenv("MERBENCH_RESULTS", str(tmp_path / "results"))
    runner = CliRunner()
    ok = runner.invoke(cli, ["bench", "demo-smoke", "--against", str(BASELINE), "--out", str(tmp_path / "run"),
                             "--no-progress"])
    assert ok.exit_code == 0, ok.output
    assert "gate passed: 4 pair(s)" in ok.output and "k=2, tolerance=0.03" in ok.output  # the suite's gate
    assert "REGRESSION" not in ok.output and "Table 4-style" not in ok.output  # unimodal: false, no empty table
    assert yaml.safe_load((tmp_path / "run" / "bench.yaml").read_text())["cells"] == ["attention", "concat-mlp"]
    rerun = yaml.safe_load((tmp_path / "run" / "attention" / "run-config.yaml").read_text())
    assert rerun["fusion"] == "attention" and rerun["epochs"] == 20

    weak = runner.invoke(cli, ["bench", "demo-smoke", "--against", str(BASELINE), "--out", str(tmp_path / "weak"),
                               "--set", "epochs=2", "--no-progress"])
    assert weak.exit_code == 1, weak.output
    assert "trainval: B − A" in weak.output and "↓ worse" in weak.output
    assert "config.epochs: 20 → 2" in weak.output and "REGRESSION: 4 pair(s)" in weak.output

    lines = [json.loads(line) for line in (tmp_path / "results" / "bench" / "demo-smoke" / "history.jsonl").open()]
    assert [line["gate"]["passed"] for line in lines] == [True, False]
    assert lines[0]["gate"]["tolerance"] == 0.03 and lines[0]["gate"]["missing"] == []
    assert lines[1]["overrides"] == {"epochs": 2} and len(lines[1]["gate"]["regressions"]) == 4
    first = lines[0]
    assert set(first["main_scores"]) == {"attention/trainval-attention-A+V", "attention/trainval-attention-A+T+V",
                                         "concat-mlp/trainval-concat-mlp-A+V", "concat-mlp/trainval-concat-mlp-A+T+V"}
    assert all(s["metric"] == "waf" and 0.4 < s["mean"] <= 1 for s in first["main_scores"].values())
    assert first["wall_s"] > 0 and first["merbench"] and first["cells"] == 2 and first["failed"] == {}
