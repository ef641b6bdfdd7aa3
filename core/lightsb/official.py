"""The official class's formulation (ngushchin/LightSB, src/light_sb.py, diagonal S), kept for two uses:
the bench times a training step of it against this package's matmul form, and the tests check that both
give the same log c, log v and drift. Written from the official code's formulas (broadcast-and-sum
quadratic forms, torch.distributions mixture for log v, autograd through the paper's Prop. 3.3 expression
for the drift); geotorch is not needed for diagonal S, so the class is not imported from the repository.
"""
from __future__ import annotations

import torch
from torch.distributions import Categorical, Independent, MixtureSameFamily, Normal


def log_potential(model, x: torch.Tensor) -> torch.Tensor:
    """Official ``get_log_potential``: mixture log_prob + logsumexp(log alpha)."""
    log_alpha, S, r = model.log_alpha(), model.S(), model.r
    gmm = MixtureSameFamily(Categorical(logits=log_alpha),
                            Independent(Normal(loc=r, scale=torch.sqrt(model.epsilon * S)), 1))
    return gmm.log_prob(x) + torch.logsumexp(log_alpha, dim=-1)


def log_C(model, x: torch.Tensor) -> torch.Tensor:
    """Official ``get_log_C``: broadcast-and-sum x^T S x and r^T x."""
    S, r, eps = model.S(), model.r, model.epsilon
    x_S_x = (x[:, None, :] * S[None, :, :] * x[:, None, :]).sum(dim=-1)
    x_r = (x[:, None, :] * r[None, :, :]).sum(dim=-1)
    return torch.logsumexp((x_S_x + 2 * x_r) / (2 * eps) + model.log_alpha()[None, :], dim=-1)


def loss(model, x0: torch.Tensor, x1: torch.Tensor) -> torch.Tensor:
    """The official training loss: (-log v(X1) + log C(X0)).mean()."""
    return (-log_potential(model, x1) + log_C(model, x0)).mean()


def drift(model, x: torch.Tensor, t: float) -> torch.Tensor:
    """Official ``get_drift``: -x/(1-t) + eps * grad_x logsumexp_k [...] by autograd."""
    eps = model.epsilon
    x = x.detach().clone().requires_grad_(True)
    t = torch.full((x.shape[0],), float(t), dtype=x.dtype)
    S = model.log_S.exp()
    A = (t / (eps * (1 - t)))[:, None, None] + 1 / (eps * S)[None]
    c = ((1 / (eps * (1 - t)))[:, None] * x)[:, None, :] + (model.r / (eps * S))[None]
    exp_arg = (model.log_alpha()[None] - 0.5 * model.log_S.sum(-1)[None] - 0.5 * torch.log(A).sum(-1)
               - 0.5 * (model.r * model.r / (eps * S)).sum(-1)[None] + 0.5 * (c * c / A).sum(-1))
    lse = torch.logsumexp(exp_arg, dim=-1)
    grad = torch.autograd.grad(lse, x, grad_outputs=torch.ones_like(lse))[0]
    return (-x / (1 - t[:, None]) + eps * grad).detach()
