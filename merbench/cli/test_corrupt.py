"""`merbench corrupt` end to end on the tiny demo corpus."""

import json

from click.testing import CliRunner

from merbench.cli.main import cli


def test_corrupt_command_writes_and_resumes(tiny_demo, tmp_path):
    out = tmp_path / "noisy"
    args = ["corrupt", "--dataset", str(tiny_demo), "--split", "noise", "--corruption", "speech-noise:snr=[5,10]",
            "--corruption", "blur:r=2", "--seed", "3", "--out", str(out), "--workers", "1"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "0 reused" in result.output and "speech-noise" in result.output
    log = json.loads((out / "corruption-log.json").read_text())
    assert log["corruption"]["seed"] == 3 and all(steps[1]["r"] == 2 for steps in log["clips"].values())
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0 and f"({len(log['clips'])} reused)" in again.output


def test_corrupt_command_errors_are_one_line(tiny_demo, tmp_path):
    runner = CliRunner()
    none = runner.invoke(cli, ["corrupt", "--dataset", str(tiny_demo), "--out", str(tmp_path / "x")])
    assert none.exit_code == 2 and "exactly one of --corruption" in none.output
    bad = runner.invoke(cli, ["corrupt", "--dataset", str(tiny_demo), "--corruption", "blur:r=3", "--out", str(tmp_path / "y")])
    assert bad.exit_code == 1 and "not a power of two" in bad.output
    assert len([line for line in bad.output.splitlines() if line.strip()]) == 1
    unknown = runner.invoke(cli, ["corrupt", "--dataset", str(tiny_demo), "--corruption", "blurr", "--out", str(tmp_path / "z")])
    assert unknown.exit_code == 1 and "Did you mean 'blur'" in unknown.output
