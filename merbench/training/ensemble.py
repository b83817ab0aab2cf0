"""Many models of one fusion architecture run as one: the two ways the trainer stacks (fold, trial) models.

* :class:`StackedEnsemble`, for fusions that declare ``stackable`` (see
  :class:`merbench.contracts.fusion.Fusion`): every ``nn.Linear`` of the module becomes a
  :class:`StackedLinear` holding all M models' weights in one ``(M, in, out)`` tensor, every
  :class:`~merbench.contracts.fusion.BufferDropout` a :class:`StackedDropout` with M rates, and the
  fusion's own ``forward`` then runs on ``(M, B, D)`` inputs, each Linear one batched matmul
  (``baddbmm``). Compared with vmap this skips the per-operator batching rules, its gradients arrive
  contiguous (no copy into ``.grad``), and dropout masks come from fast seeded per-model streams.
* :class:`VmapEnsemble`, for any fusion: :func:`torch.func.stack_module_state` and
  :func:`torch.func.vmap` over :func:`torch.func.functional_call`.

Both expose ``params`` and ``buffers`` as dicts of tensors with a leading model dimension, so the
optimiser and the trainer's best-epoch snapshots treat them alike; ``member_state(i, snapshot)``
gives model ``i``'s state dict in the fusion's own layout (what ``functional_call`` on one model takes).
"""

from __future__ import annotations

import copy
from typing import Mapping

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from merbench.contracts.fusion import BufferDropout


class ModelStreams:
    """One seeded U[0, 1) stream per stacked model; :meth:`dropout_mask` turns one draw per model into
    that model's inverted-dropout mask, as an ``(M, *shape)`` float32 tensor.

    On CPU the numbers come from numpy's PCG64, filled in place, about twice as fast as torch's CPU
    generator (a dropout mask per stacked model per layer per step makes this the trainer's hottest
    random draw), then become the masks in place: no boolean tensor and no bool x float promotion,
    which had cost about half as much again as the draw (10 models, batch 32, 1024 inputs: 0.99 ms a
    mask before, 0.68 ms now, 0.67 ms the draw alone). On an accelerator from one torch generator per
    model on that device; ``torch_generators=True`` takes that path on CPU as well (how its tests run
    it without an accelerator).
    """

    def __init__(self, seeds: list[int], device: torch.device, *, torch_generators: bool | None = None) -> None:
        self.device = device
        self._use_numpy = device.type == "cpu" if torch_generators is None else not torch_generators
        if self._use_numpy:
            self._numpy = [np.random.Generator(np.random.PCG64(seed)) for seed in seeds]
        else:
            self._torch = [torch.Generator(device=device).manual_seed(seed) for seed in seeds]

    def dropout_mask(self, shape: torch.Size, p: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        """Model ``i``'s mask: ``scale[i]`` where its draw ``u >= p[i]``, else 0, the float32 values of
        ``(u >= p) * scale`` (1.0 * scale is scale, 0.0 * scale is +0), from the same draws."""
        view = (-1,) + (1,) * len(shape)
        if self._use_numpy:
            out = np.empty((len(self._numpy), *shape), np.float32)
            for generator, row in zip(self._numpy, out):
                generator.random(out=row, dtype=np.float32)
            np.greater_equal(out, p.numpy().reshape(view), out=out, casting="unsafe")  # 1.0 keep, 0.0 drop
            np.multiply(out, scale.numpy().reshape(view), out=out)
            return torch.from_numpy(out)
        draws = torch.stack([torch.rand(shape, generator=g, device=self.device) for g in self._torch])
        return (draws >= p.view(view)) * scale.view(view)


class StackedLinear(nn.Module):
    """M ``nn.Linear`` layers as one: ``x (M, ..., in) -> (M, ..., out)``."""

    def __init__(self, linears: list[nn.Linear]) -> None:
        super().__init__()
        self.in_features, self.out_features = linears[0].in_features, linears[0].out_features
        # (M, in, out): autograd's weight gradient x^T @ grad_out comes out of bmm contiguous in this
        # layout (measured faster on CPU than nn.Linear's (out, in) with a hand-written backward)
        self.weight = nn.Parameter(torch.stack([lin.weight.detach().T for lin in linears]).contiguous())
        self.bias = None if linears[0].bias is None else nn.Parameter(
            torch.stack([lin.bias.detach() for lin in linears]).unsqueeze(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 3:  # (M, B, in) already: no reshapes, which would each add an autograd node per step
            return torch.bmm(x, self.weight) if self.bias is None else torch.baddbmm(self.bias, x, self.weight)
        flat = x.reshape(x.shape[0], -1, self.in_features)
        out = torch.bmm(flat, self.weight) if self.bias is None else torch.baddbmm(self.bias, flat, self.weight)
        return out.reshape(*x.shape[:-1], self.out_features)

    @staticmethod
    def member(name: str, tensor: torch.Tensor) -> torch.Tensor:
        """One model's slice of a stacked tensor, in ``nn.Linear``'s layout."""
        return tensor.T if name == "weight" else tensor[0]


class StackedDropout(nn.Module):
    """M :class:`BufferDropout` layers as one, each with its own rate and its own model's random stream."""

    def __init__(self, dropouts: list[BufferDropout], streams: ModelStreams) -> None:
        super().__init__()
        self.register_buffer("p", torch.stack([d.p.detach() for d in dropouts]), persistent=False)
        # the inverted-dropout scale, the same float32 division the layer would run every step
        self._scale = (1.0 / (1.0 - self.p)).detach()
        self.streams = streams

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        return x * self.streams.dropout_mask(x.shape[1:], self.p, self._scale)

    @staticmethod
    def member(name: str, tensor: torch.Tensor) -> torch.Tensor:
        return tensor


class VmapEnsemble:
    """Any fusion: stacked parameters, one vmap'd ``functional_call``."""

    def __init__(self, models: list[nn.Module], with_valence: bool) -> None:
        params, buffers = stack_module_state(models)
        self.params = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
        self.buffers = buffers
        self.base = copy.deepcopy(models[0]).to("meta")

        def forward(p, b, x):
            out = functional_call(self.base, (p, b), (x,))
            return (out.logits, out.valence) if with_valence else (out.logits,)

        self._forward = vmap(forward, randomness="different")

    def train(self, mode: bool = True) -> None:
        self.base.train(mode)

    def __call__(self, inputs: Mapping[str, torch.Tensor], members: slice = slice(None)) -> tuple[torch.Tensor, ...]:
        return self._forward({k: p[members] for k, p in self.params.items()},
                             {k: b[members] for k, b in self.buffers.items()}, inputs)

    def member_state(self, index: int, snapshot: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {k: v[index].detach().cpu() for k, v in snapshot.items()}


class StackedEnsemble:
    """A ``stackable`` fusion with its Linear and dropout layers stacked (see the module docstring)."""

    def __init__(self, models: list[nn.Module], with_valence: bool, streams: ModelStreams) -> None:
        self.module = copy.deepcopy(models[0])
        self.with_valence = with_valence
        self._kinds: dict[str, type] = {}
        name_of = type(models[0]).__name__
        for name, sub in list(self.module.named_modules()):
            if isinstance(sub, nn.Linear):
                stacked: nn.Module = StackedLinear([m.get_submodule(name) for m in models])
            elif isinstance(sub, BufferDropout):
                stacked = StackedDropout([m.get_submodule(name) for m in models], streams)
            else:
                own = [k for k, _ in sub.named_parameters(recurse=False)] + [k for k, _ in sub.named_buffers(recurse=False)]
                if own:
                    raise TypeError(f"fusion {name_of} declares stackable, but {name or 'the module'} holds "
                                    f"{', '.join(own)} outside nn.Linear/BufferDropout; set stackable = False")
                continue
            parent, _, attr = name.rpartition(".")
            setattr(self.module.get_submodule(parent), attr, stacked)
            self._kinds[name] = type(stacked)
        self.params = dict(self.module.named_parameters())
        self.buffers = dict(self.module.named_buffers())
        self._check_against(models)

    def _check_against(self, models: list[nn.Module]) -> None:
        """The stacked forward must equal each model's own (eval mode): catches a forward that is not
        written for leading batch dimensions."""
        device = next(iter(self.params.values())).device
        inputs = {k: torch.randn(len(models), 3, d, generator=torch.Generator().manual_seed(0)).to(device)
                  for k, d in models[0].input_dims.items()}
        self.train(False)
        was_training = [m.training for m in models]
        problem = (f"fusion {type(models[0]).__name__} declares stackable, but its forward does not treat leading "
                   "dimensions as batch ({}); set stackable = False")
        with torch.no_grad():
            try:
                stacked = self(inputs)[0]
            except RuntimeError as exc:
                raise TypeError(problem.format(f"stacked forward failed: {str(exc).splitlines()[0]}")) from exc
            for i in sorted({0, len(models) - 1}):
                own = models[i].eval()({k: v[i] for k, v in inputs.items()}).logits
                if stacked.shape[1:] != own.shape or not torch.allclose(stacked[i], own, rtol=1e-4, atol=1e-5):
                    raise TypeError(problem.format("stacked output differs from the model's own"))
        for m, mode in zip(models, was_training):
            m.train(mode)
        self.train(True)

    def train(self, mode: bool = True) -> None:
        self.module.train(mode)

    def __call__(self, inputs: Mapping[str, torch.Tensor], members: slice = slice(None)) -> tuple[torch.Tensor, ...]:
        if members == slice(None):
            out = self.module(inputs)
        else:
            state = {k: v[members] for k, v in {**self.params, **self.buffers}.items()}
            out = functional_call(self.module, state, (inputs,))
        return (out.logits, out.valence) if self.with_valence else (out.logits,)

    def member_state(self, index: int, snapshot: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        state = {}
        for key, value in snapshot.items():
            owner, _, name = key.rpartition(".")
            state[key] = self._kinds[owner].member(name, value[index]).detach().cpu().contiguous()
        return state


def make_ensemble(models: list[nn.Module], with_valence: bool, dropout_seeds: list[int],
                  device: torch.device) -> StackedEnsemble | VmapEnsemble:
    """The stacked ensemble for fusions that declare ``stackable`` (model ``i``'s dropout masks drawn
    from ``dropout_seeds[i]``), the vmap one otherwise (masks from torch's global generator)."""
    if getattr(models[0], "stackable", False):
        return StackedEnsemble(models, with_valence, ModelStreams(dropout_seeds, device))
    return VmapEnsemble(models, with_valence)
