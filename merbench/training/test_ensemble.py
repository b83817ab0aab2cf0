import numpy as np
import pytest
import torch
from torch import nn
from torch.func import functional_call

from merbench import plugins
from merbench.contracts.fusion import Fusion, FusionOutput
from merbench.training.conftest import make_table
from merbench.training.ensemble import ModelStreams, StackedEnsemble, make_ensemble
from merbench.training.trainer import Job, VectorisedTrainer

DIMS = {"audio": 12, "text": 16, "visual": 7}


def _models(name="attention", n=3, **params):
    models = []
    for i in range(n):
        torch.manual_seed(i)
        models.append(plugins.create("fusion", name, input_dims=DIMS, num_classes=6, hidden_dim=8,
                                     dropout=0.2 + 0.1 * i, **params))
    return models


def _streams(n):
    return ModelStreams(list(range(n)), torch.device("cpu"))


def test_dropout_masks_are_each_models_own_draws_thresholded_and_scaled():
    """Model i's mask is ``(u >= p_i) * (1 / (1 - p_i))`` from its own PCG64 stream, bit for bit,
    step after step (the float32 values the trainer's masks have always had)."""
    seeds, shape = [3, 7, 11], (4, 5, 6)
    p = torch.tensor([0.0, 0.3, 0.9])
    scale = 1.0 / (1.0 - p)
    streams = ModelStreams(seeds, torch.device("cpu"))
    own = [np.random.Generator(np.random.PCG64(seed)) for seed in seeds]
    for _ in range(3):
        mask = streams.dropout_mask(torch.Size(shape), p, scale)
        expected = torch.stack([(torch.from_numpy(g.random(shape, dtype=np.float32)) >= p[i]) * scale[i]
                                for i, g in enumerate(own)])
        assert mask.dtype == torch.float32 and mask.shape == (3, *shape)
        assert torch.equal(mask.view(torch.int32), expected.view(torch.int32))
    assert torch.all(mask[0] == 1.0) and set(mask[2].unique().tolist()) <= {0.0, float(scale[2])}


def test_accelerator_dropout_masks_are_each_models_own_torch_draws():
    """The path an accelerator takes (one torch generator per model on the device), run on CPU: model
    i's mask is ``(u >= p_i) * scale_i`` from its own generator, step after step, so a model's masks
    do not depend on what it is stacked with."""
    seeds, shape = [3, 7, 11], (4, 5, 6)
    p = torch.tensor([0.0, 0.3, 0.9])
    scale = 1.0 / (1.0 - p)
    streams = ModelStreams(seeds, torch.device("cpu"), torch_generators=True)
    alone = ModelStreams(seeds[1:2], torch.device("cpu"), torch_generators=True)
    own = [torch.Generator().manual_seed(seed) for seed in seeds]
    for _ in range(3):
        mask = streams.dropout_mask(torch.Size(shape), p, scale)
        expected = torch.stack([(torch.rand(shape, generator=g) >= p[i]) * scale[i] for i, g in enumerate(own)])
        assert mask.dtype == torch.float32 and mask.shape == (3, *shape)
        assert torch.equal(mask.view(torch.int32), expected.view(torch.int32))
        assert torch.equal(alone.dropout_mask(torch.Size(shape), p[1:2], scale[1:2])[0], mask[1])
    assert torch.all(mask[0] == 1.0) and set(mask[2].unique().tolist()) <= {0.0, float(scale[2])}
    assert 0.8 < (mask[2] == 0).float().mean() <= 1.0


@pytest.mark.parametrize("name", ["attention", "concat-mlp", "tfn"])
def test_stacked_forward_and_member_states_equal_each_model(name):
    models = _models(name)
    ensemble = make_ensemble(models, False, [0, 1, 2], torch.device("cpu"))
    assert isinstance(ensemble, StackedEnsemble)
    ensemble.train(False)
    x = {k: torch.randn(3, 5, d) for k, d in DIMS.items()}
    stacked = ensemble(x)[0]
    base = models[0]
    for i, model in enumerate(models):
        own = model.eval()({k: v[i] for k, v in x.items()}).logits
        torch.testing.assert_close(stacked[i], own, rtol=1e-5, atol=1e-6)
        state = ensemble.member_state(i, {**ensemble.params, **ensemble.buffers})
        assert set(state) == set(dict(model.named_parameters())) | set(dict(model.named_buffers()))
        torch.testing.assert_close(functional_call(base.eval(), state, ({k: v[i] for k, v in x.items()},)).logits, own,
                                   rtol=1e-5, atol=1e-6)


def test_lmf_is_not_stackable_and_runs_through_vmap():
    models = [plugins.create("fusion", "lmf", input_dims=DIMS, num_classes=6, hidden_dim=8) for _ in range(2)]
    assert not isinstance(make_ensemble(models, False, [0, 1], torch.device("cpu")), StackedEnsemble)


def test_stacked_dropout_uses_each_models_rate_and_rescales():
    models = [plugins.create("fusion", "concat-mlp", input_dims={"audio": 4000}, num_classes=6, hidden_dim=4, dropout=p)
              for p in (0.2, 0.5)]
    ensemble = StackedEnsemble(models, False, _streams(2))
    dropout = ensemble.module.encoders["audio"].dropout
    out = dropout(torch.ones(2, 8, 4000))
    for i, p in enumerate((0.2, 0.5)):
        kept = out[i] != 0
        assert abs(1 - kept.float().mean().item() - p) < 0.01
        torch.testing.assert_close(out[i][kept], torch.full_like(out[i][kept], 1 / (1 - p)))


class _BatchFirst(Fusion):
    """Claims stackable, but its forward takes dim 1 as the feature axis."""

    stackable = True

    def __init__(self, input_dims, num_classes, with_valence=False):
        super().__init__(input_dims, num_classes, with_valence)
        self.out = nn.Linear(sum(input_dims.values()), num_classes)

    def forward(self, features):
        return FusionOutput(logits=self.out(torch.cat(list(features.values()), dim=1)))


class _RawParameter(Fusion):
    stackable = True

    def __init__(self, input_dims, num_classes, with_valence=False):
        super().__init__(input_dims, num_classes, with_valence)
        self.scale = nn.Parameter(torch.ones(num_classes))

    def forward(self, features):  # pragma: no cover - rejected before any forward
        raise AssertionError


@pytest.mark.parametrize("cls, message", [(_BatchFirst, "leading dimensions"), (_RawParameter, "outside nn.Linear")])
def test_a_false_stackable_claim_is_an_error_naming_the_fusion(cls, message):
    models = [cls(DIMS, 6), cls(DIMS, 6)]
    with pytest.raises(TypeError, match=message):
        StackedEnsemble(models, False, _streams(2))


def _jobs(table):
    rng = np.random.default_rng(0)
    order = rng.permutation(len(table))
    val = [order[i::4] for i in range(4)]
    params = [{"hidden_dim": 8, "lr": 1e-2, "dropout": 0.3}, {"hidden_dim": 8, "lr": 1e-3, "dropout": 0.2},
              {"hidden_dim": 8, "lr": 1e-2, "dropout": 0.5}, {"hidden_dim": 8, "lr": 3e-3, "dropout": 0.4}]
    return [Job(p, np.setdiff1d(np.arange(len(table)), v), v, 100 + i) for i, (p, v) in enumerate(zip(params, val))]


def _fit(table, jobs, workers):
    build = lambda p: plugins.create("fusion", "attention", input_dims=table.input_dims, num_classes=6, **p)  # noqa: E731
    return VectorisedTrainer(build, num_classes=6, epochs=4, device="cpu", seed=0, workers=workers).fit(table, jobs)


def _same(a, b):
    assert np.array_equal(a.history, b.history, equal_nan=True) and a.best_epoch == b.best_epoch
    assert np.array_equal(a.val_logits, b.val_logits)
    assert a.state.keys() == b.state.keys() and all(torch.equal(a.state[k], b.state[k]) for k in a.state)


def test_a_model_trains_the_same_whatever_it_is_stacked_with_and_however_many_workers():
    table = make_table(n=80)
    jobs = _jobs(table)
    together = _fit(table, jobs, workers=1)
    for res, alone in zip(together, [_fit(table, [job], workers=1)[0] for job in jobs]):
        _same(res, alone)
    for res, parallel in zip(together, _fit(table, jobs, workers=2)):
        _same(res, parallel)
