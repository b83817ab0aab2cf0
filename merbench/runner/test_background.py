"""Tracks' prepare hooks run in a low-priority child process; their results reach evaluate, their
failures are reported and leave the work to evaluate, and a run that stops stops them."""

import logging
import os
import time

from merbench.contracts.track import track_from_mapping
from merbench.runner.background import NICENESS, Preparations

TRACK = {"name": "probe", "title": "Probe", "version": 1, "train_split": "trainval", "test_split": "ov",
         "metrics": ["acc"], "main_metric": "acc", "evaluate": "merbench.runner.test_background:never_called"}


def never_called(context):  # a track needs an evaluate hook to have a preparation
    raise AssertionError("the runner calls evaluate, not these tests")


def where_and_how(request):
    """A prepare hook: the process it ran in, its niceness and what it was given."""
    return {"pid": os.getpid(), "niceness": os.nice(0), "track": request.track.name,
            "config": dict(request.config), "dataset": request.dataset}


def fails(request):
    raise FileNotFoundError("no model folder at /nowhere\nsecond line")


def sleeps(request):
    time.sleep(60)


def unpicklable(request):
    return lambda: None


def _track(prepare: str, name: str = "probe"):
    return track_from_mapping({**TRACK, "name": name, "prepare": f"merbench.runner.test_background:{prepare}"})


def test_a_preparation_runs_in_another_process_at_the_lowest_priority_and_returns_its_result():
    track = _track("where_and_how")
    with Preparations([track], {"seed": 3}, {"root": "data"}, enabled=True) as preparations:
        result = preparations.result(track)
    assert result["pid"] != os.getpid()
    assert result["niceness"] == min(19, os.nice(0) + NICENESS)
    assert result == {**result, "track": "probe", "config": {"seed": 3}, "dataset": {"root": "data"}}


def test_a_track_without_prepare_or_with_preparation_disabled_has_no_result():
    plain = track_from_mapping(TRACK)
    prepared = _track("where_and_how")
    with Preparations([plain, prepared], {}, None, enabled=False) as preparations:
        assert preparations.result(plain) is None and preparations.result(prepared) is None
    with Preparations([plain], {}, None, enabled=True) as preparations:
        assert preparations.result(plain) is None


def test_a_failed_or_unsendable_preparation_is_reported_in_one_line_and_gives_none(caplog):
    failing, odd = _track("fails"), _track("unpicklable", name="odd")
    with caplog.at_level(logging.WARNING, logger="merbench.runner.background"):
        with Preparations([failing, odd], {}, None, enabled=True) as preparations:
            assert preparations.result(failing) is None
            assert preparations.result(odd) is None
    messages = [r.getMessage() for r in caplog.records]
    assert any("track probe: its background preparation failed (FileNotFoundError: no model folder at /nowhere)"
               in m and "second line" not in m for m in messages)
    assert any("its result cannot be sent back" in m for m in messages)


def test_leaving_the_run_stops_a_preparation_still_running():
    track = _track("sleeps")
    began = time.perf_counter()
    with Preparations([track], {}, None, enabled=True) as preparations:
        process = preparations._running["probe"]._process
        time.sleep(0.5)
        assert process.poll() is None
    assert process.poll() is not None and time.perf_counter() - began < 30


def test_a_script_without_a_main_guard_is_not_run_again_by_its_preparation(tmp_path):
    """The child is ``python -m merbench.runner.background``: it never re-imports the caller's
    ``__main__``, so a script that starts a preparation at top level runs once."""
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text(
        "from merbench.contracts.track import track_from_mapping\n"
        "from merbench.runner.background import Preparations\n"
        "from merbench.runner.test_background import TRACK\n"
        "print('script body runs')\n"
        "track = track_from_mapping({**TRACK, 'prepare': 'merbench.runner.test_background:where_and_how'})\n"
        "with Preparations([track], {}, None, enabled=True) as p:\n"
        "    print('result from', 'child' if p.result(track)['pid'] != __import__('os').getpid() else 'here')\n")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["script body runs", "result from child"]
