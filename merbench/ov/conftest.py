"""Fixtures for the MER-OV tests: a tiny random causal LM saved to a temp folder."""

from __future__ import annotations

import pytest

# The demo-corpus fixtures (owned by merbench.testing.data); imported here so these tests do not
# depend on whether the merbench pytest plugin re-exports them yet.
from merbench.testing.data import tiny_dataset, tiny_demo  # noqa: F401

CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|> {{ message['content'] }} <|end|> {% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


@pytest.fixture(scope="session")
def tiny_causal_lm(tmp_path_factory):
    """A 2-layer random LlamaForCausalLM with a word-level tokenizer and a chat template, saved to disk."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-causal-lm")
    words = ["<unk>", "<pad>", "<|end|>", "<|user|>", "<|system|>", "<|assistant|>", "happy", "sad", "angry",
             "worried", "calm", ",", "[", "]", "'"] + [f"w{i}" for i in range(49)]
    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="<unk>", pad_token="<pad>",
                                        eos_token="<|end|>")
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(folder)
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(words), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=512,
                         pad_token_id=1, eos_token_id=2, bos_token_id=None)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder
