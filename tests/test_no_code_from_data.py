"""No code from data: a pickled label file and a checkpoint folder's own code do not run by default.

Each payload writes a marker file when it runs; a positive control shows it really does, then the
default path is shown not to run it.
"""

from __future__ import annotations

import builtins
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner


class _Payload:
    """Unpickling this calls ``open(marker, "w")``: the marker appears iff the pickle is loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return builtins.open, (str(self.marker), "w")


def _pickled_root(tmp_path: Path) -> tuple[Path, Path]:
    root, marker = tmp_path / "processed", tmp_path / "PICKLE-RAN"
    root.mkdir()
    np.savez(root / "label-6way.npz", train_corpus={"s1": {"emo": _Payload(marker), "val": 1.0}})
    return root, marker


def test_the_pickle_payload_is_live(tmp_path):
    root, marker = _pickled_root(tmp_path)
    with np.load(root / "label-6way.npz", allow_pickle=True) as data:
        data["train_corpus"]
    assert marker.exists()


def test_a_pickled_label_file_does_not_load_by_default(tmp_path):
    from merbench.cli.main import cli
    from merbench.datasets import open_dataset
    from merbench.datasets.processed import PickleNotAllowed, ProcessedDataset

    root, marker = _pickled_root(tmp_path)
    for read in (lambda: ProcessedDataset(root), lambda: open_dataset(root), lambda: open_dataset(root, reader="mer-processed")):
        with pytest.raises(PickleNotAllowed) as info:
            read()
        message = str(info.value)
        assert "\n" not in message and str(root / "label-6way.npz") in message and "--allow-pickle" in message
    for args in (["data", "check", str(root)], ["data", "convert", str(root)]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1 and "Traceback" not in result.output
        error = [line for line in result.output.splitlines() if line.startswith("Error:")]
        assert len(error) == 1 and "label-6way.npz: holds pickled Python objects" in error[0] and "--allow-pickle" in error[0]
    assert not marker.exists()


def test_the_run_config_has_the_allow_pickle_field_off_by_default():
    from merbench.runner.config import ConfigError, build_config

    assert build_config()["allow_pickle"] is False
    assert build_config({"allow_pickle": True})["allow_pickle"] is True
    with pytest.raises(ConfigError, match="allow_pickle"):
        build_config({"allow_pickle": "yes"})


def _checkpoint_with_code(tmp_path: Path) -> tuple[Path, Path]:
    """A model folder whose config maps every Auto class to its own module, which writes a marker when imported."""
    folder, marker = tmp_path / "remote-model", tmp_path / "REMOTE-CODE-RAN"
    folder.mkdir()
    payload = f"open({str(marker)!r}, 'w').close()\n"
    (folder / "evil_config.py").write_text(payload + "from transformers import PretrainedConfig\n"
                                           "class EvilConfig(PretrainedConfig):\n    model_type = 'merbench-evil'\n")
    (folder / "evil_model.py").write_text(payload)
    auto = {"AutoConfig": "evil_config.EvilConfig", "AutoModel": "evil_model.EvilModel",
            "AutoModelForCausalLM": "evil_model.EvilModel", "AutoTokenizer": ["evil_model.EvilTokenizer", None]}
    (folder / "config.json").write_text(json.dumps({"model_type": "merbench-evil", "auto_map": auto}))
    (folder / "tokenizer_config.json").write_text(json.dumps({"auto_map": {"AutoTokenizer": ["evil_model.EvilTokenizer", None]}}))
    return folder, marker


def test_the_checkpoint_payload_is_live(tmp_path):
    folder, marker = _checkpoint_with_code(tmp_path)
    spec = importlib.util.spec_from_file_location("evil_model", folder / "evil_model.py")
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    assert marker.exists()


@pytest.mark.parametrize("encoder", ["chatglm2-6b", "moss-base-7b", "baichuan-13b-base", "bloom-7b1"])
def test_text_encoders_do_not_run_checkpoint_code_by_default(tmp_path, encoder):
    from merbench import plugins

    folder, marker = _checkpoint_with_code(tmp_path)
    model = plugins.create("encoder", encoder, checkpoint=str(folder), dtype="float32")
    assert model.trust_remote_code is False
    with pytest.raises(Exception, match="trust_remote_code|merbench-evil"):
        model.load("cpu")
    assert not marker.exists()


def test_describers_do_not_run_checkpoint_code_by_default(tmp_path):
    from merbench.ov.describers import TransformersDescriber

    folder, marker = _checkpoint_with_code(tmp_path)
    for inputs in (("text",), ("text", "audio")):
        with pytest.raises(RuntimeError, match="cannot load describer model"):
            TransformersDescriber(folder, inputs=inputs, device="cpu").load()
    assert not marker.exists()


def test_no_registered_encoder_or_describer_trusts_remote_code_by_default():
    from merbench.plugins import get_registry

    registry = get_registry()
    for kind in ("encoder", "describer"):
        for spec in registry.all(kind):
            assert spec.defaults.get("trust_remote_code", False) is False, (kind, spec.name)
