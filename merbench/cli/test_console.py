"""The command line's output helpers (merbench.cli.console)."""

import logging
import os
import subprocess
import sys

import pytest

from merbench.cli.console import DEBUG, setup_logging


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("HF_HUB_DISABLE_PROGRESS_BARS", "TQDM_DISABLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setitem(DEBUG, "on", DEBUG["on"])  # setup_logging sets it; the next tests get it back
    logger = logging.getLogger("merbench")
    level, propagate = logger.level, logger.propagate
    yield
    logger.setLevel(level)
    logger.propagate = propagate


def test_third_party_progress_bars_are_off_unless_debugging(clean_env):
    setup_logging(debug=False)
    assert os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1" and os.environ["TQDM_DISABLE"] == "1"
    # a child process (the MER-OV background preparation) inherits it: its tqdm bars print nothing
    child = subprocess.run([sys.executable, "-c", "from tqdm.auto import tqdm; list(tqdm(range(3), desc='bar'))"],
                           capture_output=True, text=True, check=True)
    assert child.stderr == "" and child.stdout == ""


def test_debugging_keeps_third_party_progress_bars(clean_env):
    setup_logging(debug=True)
    assert "TQDM_DISABLE" not in os.environ and "HF_HUB_DISABLE_PROGRESS_BARS" not in os.environ
