import pytest
import torch

from merbench import plugins

DIMS = {"audio": 10, "text": 12, "visual": 7}


@pytest.mark.parametrize("name", ["attention", "attention-topn", "concat-mlp", "tfn", "lmf"])
@pytest.mark.parametrize("with_valence", [False, True])
def test_utterance_fusions_shapes(name, with_valence):
    torch.manual_seed(0)
    model = plugins.create("fusion", name, input_dims=DIMS, num_classes=6, with_valence=with_valence,
                           hidden_dim=16, dropout=0.3)
    out = model({k: torch.randn(4, d) for k, d in DIMS.items()})
    assert out.logits.shape == (4, 6)
    assert (out.valence is not None) == with_valence and (out.valence is None or out.valence.shape == (4,))


def test_attention_weights_softmax_by_default_raw_as_the_baseline_code():
    x = {k: torch.randn(5, d) for k, d in DIMS.items()}
    soft = plugins.create("fusion", "attention", input_dims=DIMS, num_classes=6, hidden_dim=8).eval()(x)
    torch.testing.assert_close(soft.weights.sum(-1), torch.ones(5))
    torch.manual_seed(1)
    raw = plugins.create("fusion", "attention", input_dims=DIMS, num_classes=6, hidden_dim=8, weights="raw").eval()(x)
    assert not torch.allclose(raw.weights.sum(-1), torch.ones(5))
    with pytest.raises(ValueError, match="softmax"):
        plugins.create("fusion", "attention", input_dims=DIMS, num_classes=6, weights="sigmoid")


def test_unimodal_attention_is_the_same_network_with_one_branch():
    model = plugins.create("fusion", "attention", input_dims={"audio": 10}, num_classes=6, hidden_dim=8).eval()
    out = model({"audio": torch.randn(3, 10)})
    torch.testing.assert_close(out.weights, torch.ones(3, 1))


def test_mult_on_frame_level_inputs_with_padding_masks():
    model = plugins.create("fusion", "mult", input_dims={"audio": 6, "visual": 5}, num_classes=6, hidden_dim=16, heads=2).eval()
    mask_a = torch.ones(2, 9)
    mask_a[1, 4:] = 0
    x = {"audio": torch.randn(2, 9, 6), "audio__mask": mask_a, "visual": torch.randn(2, 4, 5), "visual__mask": torch.ones(2, 4)}
    out = model(x)
    assert out.logits.shape == (2, 6)
    x2 = dict(x, audio=x["audio"].clone())
    x2["audio"][1, 4:] = 100.0  # padded frames must not change the output
    torch.testing.assert_close(model(x2).logits, out.logits)


def test_dropout_rate_is_a_buffer_so_stacked_models_can_differ():
    from torch.func import stack_module_state

    models = [plugins.create("fusion", "attention", input_dims=DIMS, num_classes=6, hidden_dim=8, dropout=p)
              for p in (0.2, 0.5)]
    _, buffers = stack_module_state(models)
    rates = [v for k, v in buffers.items() if k.endswith(".p")]
    assert rates and all(r.tolist() == pytest.approx([0.2, 0.5]) for r in rates)
