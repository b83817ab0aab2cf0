"""``merbench extract`` and ``merbench cache ls|verify|rm|import`` end to end on the tiny demo corpus."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from merbench.cli.main import cli


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path / "cache"))
    return CliRunner()


def test_extract_twice_then_ls_verify_rm(runner, tiny_demo, tiny_dataset):
    args = ["extract", "--dataset", str(tiny_demo), "--encoder", "egemaps", "--encoder", "fer-mini-xception",
            "--split", "trainval", "--no-progress"]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    n = len(tiny_dataset.splits()["trainval"])
    assert f"{n}" in first.output
    second = runner.invoke(cli, args)
    assert second.exit_code == 0 and second.output.count("cached") == 2, second.output
    listing = runner.invoke(cli, ["cache", "ls", "--json"])
    assert listing.exit_code == 0 and '"clips": %d' % n in listing.output
    verified = runner.invoke(cli, ["cache", "verify"])
    assert verified.exit_code == 0 and "ok: 2 cache files verified" in verified.output, verified.output
    incomplete = runner.invoke(cli, ["cache", "verify", "egemaps", "--dataset", str(tiny_demo)])
    assert incomplete.exit_code != 0 and "expected clips missing" in incomplete.output
    removed = runner.invoke(cli, ["cache", "rm", "egemaps", "--yes"])
    assert removed.exit_code == 0 and "removed 1" in removed.output
    assert "fer-mini-xception" in runner.invoke(cli, ["cache", "ls", "--json"]).output


def test_cache_import_round_trips(runner, tiny_demo, tiny_dataset, tmp_path):
    from merbench.cache import load_features

    folder = tmp_path / "features" / "chinese-hubert-large-UTT"
    folder.mkdir(parents=True)
    names = tiny_dataset.splits()["trainval"]
    want = np.random.default_rng(0).standard_normal((len(names), 24)).astype(np.float32)
    for name, row in zip(names, want):
        np.save(folder / f"{name}.npy", row)
    result = runner.invoke(cli, ["cache", "import", str(folder), "--dataset", str(tiny_demo)])
    assert result.exit_code == 0 and "import:chinese-hubert-large-UTT" in result.output, result.output
    np.testing.assert_array_equal(load_features(tiny_dataset, "import:chinese-hubert-large-UTT", names), want)


def test_bad_param_and_unknown_encoder_are_one_line_errors(runner, tiny_demo):
    bad = runner.invoke(cli, ["extract", "--dataset", str(tiny_demo), "--encoder", "egemaps", "--param", "oops"])
    assert bad.exit_code != 0 and "expected key=value" in bad.output
    unknown = runner.invoke(cli, ["extract", "--dataset", str(tiny_demo), "--encoder", "egemap", "--no-progress"])
    assert unknown.exit_code != 0 and "Did you mean 'egemaps'" in unknown.output
