import torch

from merbench.training.optim import StackedAdam


def test_stacked_adam_matches_torch_adam_per_model_with_inactive_steps():
    torch.manual_seed(0)
    lrs = [1e-3, 1e-4, 1e-2]
    start = torch.randn(3, 5, 4)
    grads = torch.randn(6, 3, 5, 4)
    active = torch.tensor([[1, 1, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1], [1, 1, 0], [1, 1, 1]], dtype=torch.bool)
    stacked = start.clone().requires_grad_(True)
    opt = StackedAdam([stacked], torch.tensor(lrs), weight_decay=1e-5)
    singles = [start[i].clone().requires_grad_(True) for i in range(3)]
    refs = [torch.optim.Adam([s], lr=lr, weight_decay=1e-5) for s, lr in zip(singles, lrs)]
    for step in range(6):
        stacked.grad = grads[step].clone()
        opt.step(active[step])
        for i in range(3):
            if active[step, i]:
                singles[i].grad = grads[step, i].clone()
                refs[i].step()
    for i in range(3):
        torch.testing.assert_close(stacked[i].detach(), singles[i].detach(), rtol=1e-6, atol=1e-7)
