"""`merbench robustness` end to end on the tiny demo: a trained model scored on every sweep level."""

import json

import pytest
from click.testing import CliRunner

from merbench.cli.main import cli


@pytest.mark.slow
def test_robustness_table(tiny_demo, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))
    (tmp_path / "run.yaml").write_text("encoders: {audio: [egemaps]}\n")
    (tmp_path / "sweep.yaml").write_text("- {corruption: white-noise, param: snr, values: [0]}\n"
                                         "- {corruption: blur, param: r, values: [2]}\n")
    args = ["robustness", "--dataset", str(tiny_demo), "--config", str(tmp_path / "run.yaml"),
            "--sweep", str(tmp_path / "sweep.yaml"), "--trials", "1", "--epochs", "2", "--seeds", "1",
            "--json", str(tmp_path / "rows.json")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "white-noise" in result.output and "snr=0" in result.output and "clean" in result.output
    rows = json.loads((tmp_path / "rows.json").read_text())["rows"]
    assert [(r["corruption"], r["value"]) for r in rows] == [("none", None), ("white-noise", 0), ("blur", 2)]
    assert all(0.0 <= r["waf"] <= 1.0 and 0.0 <= r["acc"] <= 1.0 for r in rows)


def test_bad_sweep_file_is_one_line(tiny_demo, tmp_path):  # noqa: F811
    (tmp_path / "sweep.yaml").write_text("- {corruption: blur, values: [2]}\n")
    result = CliRunner().invoke(cli, ["robustness", "--dataset", str(tiny_demo), "--sweep", str(tmp_path / "sweep.yaml")])
    assert result.exit_code == 1 and "'param' is a required property" in result.output
