import sys

import pytest

from merbench.util.device import resolve_device


@pytest.mark.parametrize("device", ["cpu", "cuda", "cuda:1", "mps"])
def test_explicit_devices_are_kept(device):
    assert resolve_device(device) == device


@pytest.mark.parametrize("device", ["gpu", "cuda:", "cuda:x", "CPU", ""])
def test_bad_devices_are_one_line_errors(device):
    with pytest.raises(ValueError, match="expected auto, cpu, cuda, cuda:N or mps"):
        resolve_device(device)


def test_auto_follows_torch():
    import torch

    assert "torch" in sys.modules
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")


def test_auto_without_a_gpu_node_needs_no_torch(monkeypatch):
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    monkeypatch.setattr("glob.glob", lambda pattern: [])
    assert resolve_device() == "cpu"
    assert "torch" not in sys.modules
