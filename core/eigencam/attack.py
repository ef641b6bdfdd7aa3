"""FGSM (Goodfellow et al. 2015), the adversarial noise of the paper's robustness test.

x_adv = clip(x + eps * sign(d loss(f(x), y) / d x), 0, 1), one step, cross-entropy on the true label.
The paper's claim: the head now misclassifies, yet Eigen-CAM, which never reads the head, still localises.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from core.device import pick_device


def fgsm(model, x, labels, eps: float, device=None) -> torch.Tensor:
    device = pick_device(device)
    model = model.to(device).eval()
    x = torch.as_tensor(x, dtype=torch.float32, device=device).clone().requires_grad_(True)
    loss = F.cross_entropy(model(x), torch.as_tensor(labels, device=device).long())
    (grad,) = torch.autograd.grad(loss, x)
    return (x + eps * grad.sign()).clamp(0, 1).detach()
