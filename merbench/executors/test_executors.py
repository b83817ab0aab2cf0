"""The executor interface without a cluster: retries, failure reports, shared objects, bad names."""

from __future__ import annotations

import sys

import pytest

from merbench.executors import ExecutorError, LocalExecutor, TaskFailed, open_executor


def flaky(item, context):
    """Fails on the first attempt of odd items; item 5 always fails, after saying where it was."""
    context.at(f"step {item}")
    if item == 5 or (item % 2 and context.attempt == 0):
        raise ValueError(f"bad item {item}")
    return item * 10


def test_map_retries_then_reports_the_task_and_where_it_was():
    executor = LocalExecutor(progress=False)
    assert executor.map(flaky, [0, 1, 2, 3], label="demo", retries=1) == [0, 10, 20, 30]
    with pytest.raises(TaskFailed, match=r"demo: item five failed after 2 attempt\(s\) while at step 5: "
                                         r"ValueError: bad item 5"):
        executor.map(flaky, [4, 5], label="demo", describe=lambda i: "item five" if i == 5 else str(i), retries=1)


def test_share_puts_a_key_once_and_keeps_the_last_few():
    executor = LocalExecutor(progress=False)
    first = executor.share([1, 2], "row-a")
    assert executor.share([1, 2], "row-a") is first and executor.puts == 1
    for key in "bcdef":
        executor.share(key, f"row-{key}")
    assert executor.puts == 6 and executor.share([1, 2], "row-a") is not first and executor.puts == 7


def test_unknown_executor_and_missing_ray_are_one_line_errors(monkeypatch):
    with pytest.raises(ExecutorError, match="unknown executor 'dask'; use one of local, ray"):
        with open_executor("dask"):
            pass
    monkeypatch.setitem(sys.modules, "ray", None)  # as if ray were not installed
    with pytest.raises(ExecutorError, match=r"pip install 'merbench\[ray\]'"):
        with open_executor("ray"):
            pass
    with open_executor("local") as executor:
        assert not executor.distributed and executor.slots() == 1
