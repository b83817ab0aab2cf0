import json
import os
import platform

import torch

from merbench.util.env import environment, git_sha


def test_environment_names_python_packages_and_the_torch_build():
    env = environment()
    assert env["python"] == platform.python_version() and env["cpu_count"] == os.cpu_count()
    assert env["packages"]["merbench"] and env["packages"]["numpy"]
    assert env["torch"]["version"] == torch.__version__
    assert env["torch"]["build"] == (f"cuda {torch.version.cuda}" if torch.version.cuda else "cpu")
    assert env["torch_threads"] == torch.get_num_threads()
    assert env["git_sha"] == git_sha() and (env["git_sha"] is None or len(env["git_sha"]) == 40)
    json.dumps(env)


def test_without_runtime_nothing_is_imported():
    env = environment(runtime=False)
    assert "torch" not in env and "cuda" not in env and env["packages"]["merbench"]


def test_environment_records_what_changes_bits_across_machines(monkeypatch):
    monkeypatch.setenv("MKL_CBWR", "COMPATIBLE")
    env = environment()
    assert env["tools"]["espeak-ng"] and env["tools"]["ffmpeg"]["libavcodec"]  # demo corpus media tools
    assert env["torch"]["cpu_capability"] == torch.backends.cpu.get_cpu_capability()  # kernels picked for this CPU
    assert env["variables"]["MKL_CBWR"] == "COMPATIBLE" and "cpu" in env
