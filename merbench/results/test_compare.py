"""``compare`` and ``merbench results compare`` on hand-made records: pairing, Welch SE, the gate's rules."""

import json
import math

import pytest
from click.testing import CliRunner

from merbench.cli.main import cli
from merbench.results.compare import CompareError, compare, load_result_set, welch_se, Side
from merbench.results.record import build_record, write_record


def make_record(out, name, per_seed, *, track="trainval", main="waf", epochs=20, direction=None):
    """A schema-valid record of ``per_seed`` ({metric: [value per seed]}) written into ``out``."""
    seeds = list(range(len(next(iter(per_seed.values())))))
    runs = [{"seed": s, "scores": {m: vals[s] for m, vals in per_seed.items()}} for s in seeds]
    parts = {"merbench_version": "0.1", "config": {"epochs": epochs}, "track": {"name": track}}
    record = build_record(track=track, dataset={"name": "demo", "manifest_hash": "0123456789abcdef"}, components=[],
                          config={"epochs": epochs}, seeds=seeds, per_seed=runs, main_metric=main,
                          higher_is_better=direction or {m: m != "mse" for m in per_seed}, name=name,
                          identity={"hash": f"{epochs:064x}", "parts": parts})
    return write_record(record, out)


def test_same_records_pass_the_gate(tmp_path):
    for side in "ab":
        make_record(tmp_path / side, "trainval-attention-A+T", {"waf": [0.60, 0.62], "acc": [0.61, 0.63]})
    result = compare(tmp_path / "a", tmp_path / "b")
    assert len(result.pairs) == 1 and not result.unpaired
    waf = next(m for m in result.pairs[0].metrics if m.metric == "waf")
    assert waf.delta == 0 and waf.verdict == "same" and waf.gated and not result.failed()
    assert result.pairs[0].differences == ["same identity"]


def test_significant_drop_of_the_main_score_fails(tmp_path):
    make_record(tmp_path / "a", "r", {"waf": [0.60, 0.62, 0.61], "acc": [0.6, 0.6, 0.6]})
    make_record(tmp_path / "b", "r", {"waf": [0.40, 0.42, 0.41], "acc": [0.6, 0.6, 0.6]}, epochs=1)
    result = compare(tmp_path / "a", tmp_path / "b", k=2.0)
    waf = next(m for m in result.pairs[0].metrics if m.metric == "waf")
    expected_se = math.sqrt(0.01 ** 2 / 3 + 0.01 ** 2 / 3)  # Welch, from the per-seed sample stds (ddof=1)
    assert waf.se == pytest.approx(expected_se) and waf.delta == pytest.approx(-0.2)
    assert waf.verdict == "worse" and [p.name for p in result.regressions] == ["r"]
    assert result.pairs[0].differences[0] == "config.epochs: 20 → 1"
    acc = next(m for m in result.pairs[0].metrics if m.metric == "acc")
    assert acc.verdict == "same" and not acc.gated  # SE 0 and Δ 0: not beyond the floor


def test_a_drop_within_k_standard_errors_is_not_significant(tmp_path):
    make_record(tmp_path / "a", "r", {"waf": [0.50, 0.70]})
    make_record(tmp_path / "b", "r", {"waf": [0.45, 0.65]})
    result = compare(tmp_path / "a", tmp_path / "b", k=2.0)
    waf = result.pairs[0].metrics[0]
    assert waf.delta == pytest.approx(-0.05) and waf.threshold == pytest.approx(2 * waf.se) and waf.verdict == "same"
    assert not result.failed()
    assert compare(tmp_path / "a", tmp_path / "b", k=0.2).failed()  # a smaller k makes it a regression


def test_with_one_seed_or_zero_spread_only_the_tolerance_judges(tmp_path):
    make_record(tmp_path / "a", "r", {"waf": [0.60]})
    make_record(tmp_path / "b", "r", {"waf": [0.595]})
    strict = compare(tmp_path / "a", tmp_path / "b")
    assert strict.pairs[0].metrics[0].se == 0 and strict.failed()  # n < 2: any worsening beyond tolerance 0
    assert not compare(tmp_path / "a", tmp_path / "b", tolerance=0.01).failed()
    assert welch_se(Side(0.6, 0.1, 1), Side(0.5, 0.1, 5)) == 0.0  # one side without spread: SE 0, not half a SE
    make_record(tmp_path / "c", "r", {"waf": [0.60, 0.60]})
    make_record(tmp_path / "d", "r", {"waf": [0.58, 0.58]})
    zero = compare(tmp_path / "c", tmp_path / "d", tolerance=0.01)
    assert zero.pairs[0].metrics[0].se == 0 and zero.failed()  # 2 points down, floor 1 point
    assert not compare(tmp_path / "c", tmp_path / "d", tolerance=0.03).failed()


def test_lower_is_better_metric(tmp_path):
    """An MSE that rises is worse, one that falls is better; gated when asked for with gate_metrics."""
    make_record(tmp_path / "a", "r", {"waf": [0.6, 0.6], "mse": [1.0, 1.1]})
    make_record(tmp_path / "b", "r", {"waf": [0.6, 0.6], "mse": [2.0, 2.1]})
    make_record(tmp_path / "c", "r", {"waf": [0.6, 0.6], "mse": [0.5, 0.6]})
    worse = compare(tmp_path / "a", tmp_path / "b", gate_metrics=["mse"])
    mse = next(m for m in worse.pairs[0].metrics if m.metric == "mse")
    assert mse.higher_is_better is False and mse.verdict == "worse" and worse.failed()
    assert not compare(tmp_path / "a", tmp_path / "b").failed()  # the main score (waf) did not move
    better = compare(tmp_path / "a", tmp_path / "c", gate_metrics=["mse"])
    assert next(m for m in better.pairs[0].metrics if m.metric == "mse").verdict == "better" and not better.failed()


def test_a_gated_metric_missing_from_b_fails(tmp_path):
    make_record(tmp_path / "a", "r", {"waf": [0.6, 0.6], "acc": [0.6, 0.6]})
    make_record(tmp_path / "b", "r", {"acc": [0.6, 0.6]}, main="acc")
    result = compare(tmp_path / "a", tmp_path / "b")
    assert next(m for m in result.pairs[0].metrics if m.metric == "waf").verdict == "missing" and result.failed()
    assert not compare(tmp_path / "a", tmp_path / "b", gate_metrics=["acc"]).failed()
    assert not compare(tmp_path / "b", tmp_path / "a", gate_metrics=["acc", "waf"]).failed()  # new in B: no loss


def test_unpaired_records_are_listed_and_fail_only_when_pairs_are_required(tmp_path):
    make_record(tmp_path / "a", "r1", {"waf": [0.6, 0.6]})
    make_record(tmp_path / "a", "r2", {"waf": [0.6, 0.6]})
    make_record(tmp_path / "b", "r1", {"waf": [0.6, 0.6]})
    make_record(tmp_path / "b", "semi-r", {"waf": [0.6, 0.6]}, track="semi")
    result = compare(tmp_path / "a", tmp_path / "b")
    assert [p.name for p in result.pairs] == ["r1"]
    assert {(u.side, u.name) for u in result.unpaired} == {("A", "r2"), ("B", "semi-r")}
    assert not result.failed() and result.failed(require_pairs=True)


def test_pairing_by_cell_then_by_track_and_name(tmp_path):
    """Records in cell folders pair with the same cell; a single file pairs with its unique namesake."""
    for cell, waf in (("attention", [0.6, 0.62]), ("concat", [0.4, 0.42])):
        make_record(tmp_path / "a" / cell, "r", {"waf": waf})
        make_record(tmp_path / "b" / cell, "r", {"waf": waf})
    make_record(tmp_path / "a" / "attention", "only-here", {"waf": [0.5, 0.5]})
    result = compare(tmp_path / "a", tmp_path / "b")
    assert sorted(p.cell for p in result.pairs) == ["attention", "concat"] and not result.failed()
    single = make_record(tmp_path / "single", "only-here", {"waf": [0.5, 0.5]})
    loose = compare(single, tmp_path / "a")
    assert [(p.cell, p.name) for p in loose.pairs] == [("", "only-here")]


def test_unreadable_inputs_are_compare_errors(tmp_path):
    make_record(tmp_path / "a", "r", {"waf": [0.6, 0.6]})
    with pytest.raises(CompareError, match="no such record file or folder"):
        compare(tmp_path / "a", tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CompareError, match="no result records found"):
        load_result_set(tmp_path / "empty")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "r.json").write_text("{not json")
    with pytest.raises(CompareError, match=r"r.json: not valid JSON"):
        load_result_set(bad)
    (bad / "r.json").write_text(json.dumps({"track": "t", "scores": {}}))
    with pytest.raises(CompareError, match=r"r.json: result record field"):
        load_result_set(bad)


def test_non_record_json_is_ignored_and_listed(tmp_path):
    make_record(tmp_path / "a", "r", {"waf": [0.6, 0.6]})
    (tmp_path / "a" / "index.json").write_text(json.dumps({"runs": []}))
    loaded = load_result_set(tmp_path / "a")
    assert [r.key for r in loaded.records] == [("", "trainval", "r")] and loaded.ignored == [tmp_path / "a" / "index.json"]


def test_cli_exit_status_table_and_json(tmp_path):
    make_record(tmp_path / "a", "trainval-attention-A+T", {"waf": [0.60, 0.62], "acc": [0.61, 0.63]})
    make_record(tmp_path / "same", "trainval-attention-A+T", {"waf": [0.60, 0.62], "acc": [0.61, 0.63]})
    make_record(tmp_path / "b", "trainval-attention-A+T", {"waf": [0.30, 0.32], "acc": [0.31, 0.33]}, epochs=1)
    runner = CliRunner()
    same = runner.invoke(cli, ["results", "compare", str(tmp_path / "a"), str(tmp_path / "same")])
    assert same.exit_code == 0, same.output
    assert "gate passed" in same.output and "same identity" in same.output
    worse = runner.invoke(cli, ["results", "compare", str(tmp_path / "a"), str(tmp_path / "b")])
    assert worse.exit_code == 1
    assert "trainval: B − A" in worse.output and "-30.00" in worse.output and "↓ worse" in worse.output
    assert "config.epochs: 20 → 1" in worse.output and "REGRESSION: 1 pair(s)" in worse.output
    as_json = runner.invoke(cli, ["results", "compare", str(tmp_path / "a"), str(tmp_path / "b"), "--json"])
    data = json.loads(as_json.output)
    assert as_json.exit_code == 1 and data["regressions"] == ["trainval-attention-A+T"]
    assert "Welch" in data["se_formula"] and data["pairs"][0]["metrics"][0]["metric"] == "acc"
    only_acc = runner.invoke(cli, ["results", "compare", str(tmp_path / "a"), str(tmp_path / "b"), "--metric", "acc",
                                   "--json"])
    assert [m["metric"] for m in json.loads(only_acc.output)["pairs"][0]["metrics"]] == ["acc"]
    unreadable = runner.invoke(cli, ["results", "compare", str(tmp_path / "a"), str(tmp_path / "nowhere")])
    assert unreadable.exit_code == 2 and "no run or record of that name in the results store" in unreadable.output
    assert len(unreadable.output.strip().splitlines()) == 1
