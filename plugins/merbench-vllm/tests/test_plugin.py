"""What can be checked without a GPU: the plugin registers through merbench's hooks without
importing vLLM, and building the describer without vLLM fails with a one-line fix."""

import importlib.util
import sys

import pytest

from merbench.plugins import PluginManager


def test_plugin_registers_the_vllm_describer_without_importing_vllm():
    import merbench_vllm.plugin as plugin

    manager = PluginManager(entry_points=False)
    manager.register_plugin(plugin, name="vllm", distribution="merbench-vllm 0.1.0")
    registry = manager.load()
    spec = registry.get("describer", "vllm")
    assert spec.factory == "merbench_vllm.describer:VLLMDescriber"
    assert "vllm" not in sys.modules or importlib.util.find_spec("vllm") is not None


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed here")
def test_building_without_vllm_names_the_fix():
    from merbench_vllm.describer import VLLMDescriber

    with pytest.raises(RuntimeError, match="needs vLLM .*pip install ./plugins/merbench-vllm"):
        VLLMDescriber("Qwen/Qwen2-Audio-7B-Instruct", inputs=["audio"])
