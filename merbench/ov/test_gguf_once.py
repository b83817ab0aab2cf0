"""The scoped GGUF parse cache of the SmolLM2 dequantisation (merbench.ov.describers._gguf_parsed_once)."""

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
gguf_utils = pytest.importorskip("transformers.modeling_gguf_pytorch_utils")

from merbench.ov.describers import _gguf_parsed_once  # noqa: E402


@pytest.fixture
def tiny_gguf(tmp_path):
    path = tmp_path / "tiny.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_context_length(32)
    writer.add_block_count(1)
    writer.add_tensor("token_embd.weight", np.arange(12, dtype=np.float32).reshape(3, 4))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_one_reader_and_one_name_map_per_file_inside_the_block_only(tiny_gguf):
    originals = (gguf.GGUFReader, gguf.get_tensor_name_map, gguf_utils.load_gguf_checkpoint)
    with _gguf_parsed_once():
        first, again = gguf.GGUFReader(tiny_gguf), gguf.GGUFReader(str(tiny_gguf))
        assert first is again
        assert np.array_equal(first.tensors[0].data, np.arange(12, dtype=np.float32).reshape(3, 4))
        arch = gguf.MODEL_ARCH.LLAMA
        assert gguf.get_tensor_name_map(arch, 1) is gguf.get_tensor_name_map(arch, 1)
    assert (gguf.GGUFReader, gguf.get_tensor_name_map, gguf_utils.load_gguf_checkpoint) == originals
    assert gguf.GGUFReader(tiny_gguf) is not gguf.GGUFReader(tiny_gguf)


def test_metadata_is_parsed_once_and_every_caller_gets_its_own_copy(tiny_gguf):
    plain = gguf_utils.load_gguf_checkpoint(str(tiny_gguf), return_tensors=False)
    with _gguf_parsed_once():
        first = gguf_utils.load_gguf_checkpoint(str(tiny_gguf), return_tensors=False)
        first["config"]["max_position_embeddings"] = -1  # a caller that pops or edits its dict
        second = gguf_utils.load_gguf_checkpoint(str(tiny_gguf), return_tensors=False)
    assert second == plain and second["config"]["max_position_embeddings"] == 32


def test_originals_come_back_when_the_block_raises(tiny_gguf):
    originals = (gguf.GGUFReader, gguf.get_tensor_name_map, gguf_utils.load_gguf_checkpoint)
    with pytest.raises(RuntimeError), _gguf_parsed_once():
        raise RuntimeError("load failed")
    assert (gguf.GGUFReader, gguf.get_tensor_name_map, gguf_utils.load_gguf_checkpoint) == originals
