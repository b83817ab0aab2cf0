"""The per-machine trainer plan: measured once, cached by machine, overridable."""

import json

import pytest

from merbench.training import plan

pytestmark = pytest.mark.xdist_group("worker-processes")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MERBENCH_CACHE", str(tmp_path))
    monkeypatch.delenv("MERBENCH_TRAIN_PLAN", raising=False)
    return tmp_path


def test_the_environment_variable_overrides_and_is_checked(cache, monkeypatch):
    monkeypatch.setenv("MERBENCH_TRAIN_PLAN", "processes")
    assert plan.shard_plan(2) == "processes"
    monkeypatch.setenv("MERBENCH_TRAIN_PLAN", "fibers")
    with pytest.raises(ValueError, match="MERBENCH_TRAIN_PLAN='fibers'"):
        plan.shard_plan(2)
    assert not plan.calibration_file().exists()


def test_calibration_measures_both_plans_once_per_machine_and_worker_count(cache, monkeypatch):
    choice = plan.shard_plan(2)
    stored = json.loads(plan.calibration_file().read_text())
    entry = stored[plan.machine_key(2)]
    assert entry["plan"] == choice and entry["threads_s"] > 0 and entry["processes_s"] > 0
    assert choice == ("processes" if entry["processes_s"] < plan.PROCESS_MARGIN * entry["threads_s"] else "threads")
    monkeypatch.setattr(plan, "calibrate", lambda workers: pytest.fail("calibrated twice"))
    assert plan.shard_plan(2) == choice  # read from the cache
    monkeypatch.setattr(plan, "calibrate", lambda workers: {"plan": "threads", "threads_s": 1.0, "processes_s": 2.0,
                                                           "measured": "now"})
    assert plan.shard_plan(3) == "threads"  # another worker count: its own entry
    assert set(json.loads(plan.calibration_file().read_text())) == {plan.machine_key(2), plan.machine_key(3)}


def test_a_damaged_calibration_file_is_measured_again(cache, monkeypatch):
    plan.calibration_file().parent.mkdir(parents=True)
    plan.calibration_file().write_text("{not json")
    monkeypatch.setattr(plan, "calibrate", lambda workers: {"plan": "processes", "threads_s": 2.0, "processes_s": 1.0,
                                                           "measured": "now"})
    assert plan.shard_plan(2) == "processes"
    assert json.loads(plan.calibration_file().read_text())[plan.machine_key(2)]["plan"] == "processes"
