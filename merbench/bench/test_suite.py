"""Suites load, validate and expand: the shipped ones, overrides, cell ids, and one-line errors."""

import pytest
from click.testing import CliRunner

from merbench import plugins
from merbench.bench.suite import BUILTIN_SUITES, SuiteError, cell_id, load_suite
from merbench.cli.main import cli


def _write(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", sorted(p.stem for p in BUILTIN_SUITES.glob("*.yaml")))
def test_shipped_suites_load_and_name_registered_components(name):
    suite = load_suite(name)
    assert suite.name == name and suite.cells
    registry = plugins.get_registry()
    for cell in suite.cells:
        c = cell.config
        for names in c.get("encoders", {}).values():
            assert set(names) <= set(registry.names("encoder")), cell.id
        assert "fusion" not in c or c["fusion"] in registry.names("fusion")
        assert "protocol" not in c or c["protocol"] in registry.names("protocol")
        assert set(c.get("tracks") or []) <= set(registry.names("track"))


def test_the_shipped_suites_expand_as_documented():
    smoke = load_suite("demo-smoke")
    assert [c.id for c in smoke.cells] == ["attention", "concat-mlp"]
    assert all(c.config["dataset"] == "demo:small" and len(c.config["seeds"]) == 2 for c in smoke.cells)
    assert smoke.gate == {"k": 2, "tolerance": 0.03}
    gpu = load_suite("mer2024-gpu")
    assert [c.id for c in gpu.cells] == ["mer2024_attention", "merbench_attention"]
    assert {c.config["protocol"] for c in gpu.cells} == {"mer2024", "merbench"}
    cfg = gpu.cells[0].config
    assert cfg["encoders"] == {"audio": ["chinese-hubert-large"], "text": ["baichuan-13b-base"], "visual": ["clip-large"]}
    assert "trials" not in cfg and "epochs" not in cfg  # the protocol's own budget (50 trials, 100 epochs)
    assert cfg["corrupt"] is False and cfg["device"] == "cuda"
    full = load_suite("demo-full")
    assert len(full.cells) == 1 and full.cells[0].config["dataset"] == "demo"


def test_grid_is_a_cartesian_product_and_overrides_keep_the_cell_ids(tmp_path):
    path = _write(tmp_path, "grid:\n  dataset: ['demo:tiny', demo]\n  fusion: [attention, tfn]\n"
                            "run: {epochs: 5, encoders: {audio: [egemaps]}}\n")
    suite = load_suite(path)
    assert suite.name == "s"
    assert [c.id for c in suite.cells] == ["demo-tiny_attention", "demo-tiny_tfn", "demo_attention", "demo_tfn"]
    assert suite.cells[1].config == {"dataset": "demo:tiny", "fusion": "tfn", "epochs": 5,
                                     "encoders": {"audio": ["egemaps"]}}
    weak = load_suite(path, {"epochs": 1, "encoders.text": ["e5-small"]})
    assert [c.id for c in weak.cells] == [c.id for c in suite.cells]
    assert weak.cells[0].config["epochs"] == 1
    assert weak.cells[0].config["encoders"] == {"audio": ["egemaps"], "text": ["e5-small"]}


def test_cell_ids_are_readable_and_bounded():
    assert cell_id({"encoders": {"audio": ["egemaps"], "text": ["minilm-l6-v2"]}, "tracks": [["trainval", "semi"]]}) \
        == "egemaps+minilm-l6-v2_trainval+semi"
    assert cell_id({"dataset": "/data/MER2024/"}) == "data-MER2024"
    long_a, long_b = cell_id({"x": "a" * 200}), cell_id({"x": "a" * 199 + "b"})
    assert len(long_a) == 80 and long_a != long_b


@pytest.mark.parametrize("text, message", [
    ("run: {epochs: 1}\n", "field (root): 'grid' is a required property"),
    ("grid: {fusion: attention}\n", "field grid/fusion: 'attention' is not of type 'array'"),
    ("grid: {fusion: [attention]}\nrun: {epoch: 3}\n", "did you mean 'epochs'?"),
    ("grid: {out: [x]}\n", "field grid"),
    ("grid: {fusion: [attention]}\nrun: {trials: 0}\n", "cell attention: field trials: 0 is less than the minimum"),
    ("grid: {dataset: ['demo:tiny', 'demo tiny']}\n", "get the same cell folder 'demo-tiny'"),
    ("grid: [1, 2]\n", "field grid: [1, 2] is not of type 'object'"),
    ("gate: {tolerence: 0.1}\ngrid: {fusion: [tfn]}\n", "field gate: Additional properties are not allowed"),
    ("grid: {fusion: [attention\n", "line 2: not valid YAML"),
])
def test_bad_suites_are_one_line_errors_naming_the_file(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    assert message in str(info.value) and str(path) in str(info.value) and "\n" not in str(info.value)


def test_unknown_suite_and_bad_overrides(tmp_path):
    with pytest.raises(SuiteError, match="no suite named 'nope' .*demo-smoke"):
        load_suite("nope")
    with pytest.raises(SuiteError, match="the bench places every cell's records itself"):
        load_suite("demo-smoke", {"out": "/tmp/x"})
    with pytest.raises(SuiteError, match="epochs is 20, not a mapping"):
        load_suite("demo-smoke", {"epochs.x": 1})


def test_a_projects_own_suites_folder_is_searched_first(tmp_path, monkeypatch):
    own = tmp_path / "benchmarks" / "suites"
    own.mkdir(parents=True)
    _write(own, "name: mine\ngrid: {fusion: [tfn]}\n", "demo-smoke.yaml")
    monkeypatch.chdir(tmp_path)
    assert load_suite("demo-smoke").name == "mine"


def test_bench_list_and_exit_2_on_an_unreadable_suite(tmp_path):
    runner = CliRunner()
    listed = runner.invoke(cli, ["bench", "demo-smoke", "--list", "--set", "epochs=3"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert [line.split(":")[0] for line in lines] == ["attention", "concat-mlp"] and '"epochs": 3' in lines[0]
    bad = runner.invoke(cli, ["bench", str(_write(tmp_path, "grid: 3\n"))])
    assert bad.exit_code == 2 and len(bad.output.strip().splitlines()) == 1 and "s.yaml" in bad.output
    pair = runner.invoke(cli, ["bench", "demo-smoke", "--set", "epochs"])
    assert pair.exit_code == 2 and "expected key=value" in pair.output
