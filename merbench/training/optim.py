"""Adam over stacked models: one learning rate per model, and models can sit a step out.

``torch.optim.Adam`` takes one learning rate per parameter group, so stacked models with different
learning rates would need one group (and one training loop) each. This optimiser applies exactly
``torch.optim.Adam``'s update (L2 weight decay added to the gradient, bias-corrected moments,
``eps`` added after the square root) element-wise with a per-model learning rate and step count, and
skips the models marked inactive for a step (a model whose epoch has fewer batches than the others').
Tested against ``torch.optim.Adam`` in ``test_optim.py``.
"""

from __future__ import annotations

import torch


class StackedAdam:
    def __init__(self, params: list[torch.Tensor], lr: torch.Tensor, *, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        self.params = params
        self.lr = lr.to(params[0].device, params[0].dtype)  # (M,)
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.exp_avg = [torch.zeros_like(p) for p in params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in params]
        self.steps = torch.zeros_like(self.lr)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self, active: torch.Tensor | None = None) -> None:
        """One Adam step for every model, or only for those where ``active`` (bool (M,)) is true."""
        if active is not None and bool(active.all()):
            active = None
        if active is None:
            self.steps += 1
        else:
            self.steps += active.to(self.steps.dtype)
        bias1 = 1 - self.beta1 ** self.steps
        bias2_sqrt = (1 - self.beta2 ** self.steps).sqrt()
        step_size = self.lr / bias1
        for p, m, v in zip(self.params, self.exp_avg, self.exp_avg_sq):
            if p.grad is None:
                continue
            shape = (-1,) + (1,) * (p.dim() - 1)
            grad = p.grad if self.weight_decay == 0 else p.grad.add(p, alpha=self.weight_decay)
            if active is None:  # the hot path: in-place, two temporaries per parameter
                m.lerp_(grad, 1 - self.beta1)
                v.mul_(self.beta2).addcmul_(grad, grad, value=1 - self.beta2)
                denom = v.sqrt().div_(bias2_sqrt.view(shape)).add_(self.eps)
                p.addcdiv_(m * step_size.view(shape), denom, value=-1)
            else:
                on = active.view(shape)
                new_m = torch.lerp(m, grad, 1 - self.beta1)
                new_v = v * self.beta2 + (1 - self.beta2) * grad * grad
                m.copy_(torch.where(on, new_m, m))
                v.copy_(torch.where(on, new_v, v))
                denom = (v.sqrt() / bias2_sqrt.clamp_min(1e-12).view(shape)).add_(self.eps)
                p.sub_(torch.where(on, step_size.view(shape) * m / denom, torch.zeros_like(p)))
