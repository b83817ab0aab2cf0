"""Adam over stacked models: one learning rate per model, and models can sit a step out.

``torch.optim.Adam`` takes one learning rate per parameter group, so stacked models with different
learning rates would need one group (and one training loop) each. This optimiser applies
``torch.optim.Adam``'s update (L2 weight decay added to the gradient, bias-corrected moments,
``eps`` added after the square root) with a per-model learning rate and step count, and skips the
models marked inactive for a step (a model whose epoch has fewer batches than the others').

The update is PyTorch's fused Adam kernel (``torch._fused_adam_``, what ``torch.optim.Adam(fused=True)``
runs), one call per run of neighbouring models that share a learning rate and a step count, on
slices of the stacked tensors: the step reads and writes each element once, where an unfused update
streams the stacked parameters through memory ten times. Stack models sorted by learning rate to
keep the runs few. Tested against ``torch.optim.Adam`` in ``test_optim.py``.
"""

from __future__ import annotations

import torch


class StackedAdam:
    def __init__(self, params: list[torch.Tensor], lr: torch.Tensor, *, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        self.params = params
        self.lr = [float(x) for x in lr]  # (M,)
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.exp_avg = [torch.zeros_like(p) for p in params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in params]
        # per-model step counts; the fused kernel reads them from float32 tensors on the parameters' device
        self.steps = torch.zeros(len(self.lr), dtype=torch.float32, device=params[0].device)
        self._count = [0] * len(self.lr)
        self._view_cache: dict[tuple, tuple[list, list, list, list]] = {}

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def _runs(self, active: list[bool]) -> list[tuple[int, int]]:
        """Maximal ``[start, stop)`` ranges of active models with equal learning rate and step count."""
        runs: list[tuple[int, int]] = []
        for i, on in enumerate(active):
            if not on:
                continue
            if runs and runs[-1][1] == i and self.lr[i] == self.lr[i - 1] and self._count[i] == self._count[i - 1]:
                runs[-1] = (runs[-1][0], i + 1)
            else:
                runs.append((i, i + 1))
        return runs

    def _views(self, a: int, b: int, live: tuple[int, ...]) -> tuple[list, list, list, list]:
        """Models ``a:b``'s parameters, moments and step count, as the fused kernel takes them. They are
        updated in place, so their views are cut once per run; gradients are new every step."""
        key = (a, b, live)
        if key not in self._view_cache:
            part = (lambda t: t) if (a, b) == (0, len(self.lr)) else (lambda t: t[a:b])  # whole tensors: no views
            self._view_cache[key] = ([part(self.params[k]) for k in live], [part(self.exp_avg[k]) for k in live],
                                     [part(self.exp_avg_sq[k]) for k in live], [self.steps[a]] * len(live))
        return self._view_cache[key]

    @torch.no_grad()
    def step(self, active: torch.Tensor | None = None) -> None:
        """One Adam step for every model, or only for those where ``active`` (bool (M,)) is true."""
        flags = [True] * len(self.lr) if active is None else [bool(x) for x in active.tolist()]
        for i, on in enumerate(flags):
            self._count[i] += on
        if active is None:
            self.steps += 1.0
        else:
            self.steps += torch.tensor(flags, dtype=torch.float32, device=self.steps.device)
        live = tuple(k for k, p in enumerate(self.params) if p.grad is not None)
        for a, b in self._runs(flags):
            params, exp_avg, exp_avg_sq, steps = self._views(a, b, live)
            whole = (a, b) == (0, len(self.lr))
            grads = [self.params[k].grad if whole else self.params[k].grad[a:b] for k in live]
            torch._fused_adam_(
                params, grads, exp_avg, exp_avg_sq, [], steps, lr=self.lr[a], beta1=self.beta1, beta2=self.beta2,
                weight_decay=self.weight_decay, eps=self.eps, amsgrad=False, maximize=False)
