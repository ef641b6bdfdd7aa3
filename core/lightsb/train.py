"""Training LightSB: minimise L(theta) = E_p0 log c(x) - E_p1 log v(y) with Adam on unpaired batches
(Korotin et al., ICLR 2024, Alg. 1). No simulation, no minimax: one batch from each marginal per step.

Defaults follow the official notebooks where they fit a live page: Adam, batch 128, no gradient clipping,
r initialised at K samples of p1 (``init_r_by_samples``), S at ``S_init`` (0.1 in the 2-D notebook, 1.0 in
the benchmark one), uniform alpha. One torch thread is the caller's business (core never pins threads).

Two things make a live run cheap without changing the algorithm: batches are drawn ``DRAW_STEPS`` steps at
a time (one sampler call per chunk instead of one per step; the Swiss-roll sampler alone cost ~0.2 s per
1,000 calls), and Adam is written out (``Adam`` below, torch.optim.Adam's update with its defaults, checked
against it in the tests): torch.optim's first use in a process imports torch._dynamo, ~1 s of CPU.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from core.device import pick_device
from core.lightsb.potential import LightSB, check_settings

Sampler = Callable[[int, np.random.Generator], np.ndarray]
DRAW_STEPS = 100   # batches drawn per sampler call


class Adam:
    """Adam (Kingma & Ba) exactly as torch.optim.Adam computes it with its defaults (betas (0.9, 0.999),
    eps 1e-8, no weight decay, no amsgrad): m <- lerp(m, g, 1 - b1), v <- b2 v + (1 - b2) g^2,
    p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)."""

    def __init__(self, params, lr: float, betas=(0.9, 0.999), eps: float = 1e-8):
        self.params, self.lr, (self.b1, self.b2), self.eps = list(params), float(lr), betas, eps
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        step_size = self.lr / (1 - self.b1 ** self.t)
        root2 = (1 - self.b2 ** self.t) ** 0.5
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            m.lerp_(p.grad, 1 - self.b1)
            v.mul_(self.b2).addcmul_(p.grad, p.grad, value=1 - self.b2)
            p.addcdiv_(m, (v.sqrt() / root2).add_(self.eps), value=-step_size)


def _as_source(data, name: str):
    """A function n -> (n, D) float32 tensor from an array (resampled with replacement) or a sampler."""
    if callable(data):
        return data, None
    arr = np.asarray(data, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] < 2:
        raise ValueError(f"{name} must be an (N, D) array of samples with N >= 2, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return None, arr


def fit(x0, x1, epsilon: float, n_potentials: int = 10, steps: int = 1000, lr: float = 1e-2, batch: int = 128,
        seed: int = 0, device=None, S_init: float = 0.1, progress: Callable[[float], None] | None = None,
        monitor: Callable[[LightSB], dict] | None = None, monitor_every: int = 100) -> LightSB:
    """Fit the potential between samples ``x0`` ~ p0 and ``x1`` ~ p1 (arrays (N, D), or samplers
    ``f(n, rng) -> (n, D)``). Returns the model; ``model.history`` holds the loss per step and, every
    ``monitor_every`` steps (and at 0 and the end), ``monitor(model)``'s dict with its step.
    """
    check_settings(epsilon, n_potentials)
    if steps < 0 or batch < 1 or not lr > 0:
        raise ValueError(f"steps >= 0, batch >= 1 and lr > 0 are required (got {steps}, {batch}, {lr})")
    dev = pick_device(device)
    rng = np.random.default_rng(seed)
    s0, a0 = _as_source(x0, "x0")
    s1, a1 = _as_source(x1, "x1")
    dim = (a0 if a0 is not None else s0(2, rng)).shape[1]
    if (a1 if a1 is not None else s1(2, rng)).shape[1] != dim:
        raise ValueError("x0 and x1 must have the same dimension")

    def draw(source, arr, n):
        out = source(n, rng) if arr is None else arr[rng.integers(0, len(arr), n)]
        return torch.as_tensor(np.asarray(out), dtype=torch.float32, device=dev)

    def batches():
        """(x0, x1) batches, drawn DRAW_STEPS steps at a time."""
        for first in range(0, steps, DRAW_STEPS):
            n = min(DRAW_STEPS, steps - first)
            b0, b1 = draw(s0, a0, n * batch).reshape(n, batch, dim), draw(s1, a1, n * batch).reshape(n, batch, dim)
            yield from zip(b0, b1)

    model = LightSB(dim, n_potentials, epsilon, S_init=S_init, device=dev)
    with torch.no_grad():                       # official init_r_by_samples: K samples of p1
        model.r.copy_(draw(s1, a1, int(n_potentials)))
    opt = Adam(model.parameters(), lr=lr)
    losses, records = np.empty(steps), []

    def record(step):
        if monitor is not None:
            records.append({"step": step, **monitor(model)})

    record(0)
    for step, (b0, b1) in enumerate(batches()):
        loss = model.loss(b0, b1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses[step] = loss.item()
        if monitor is not None and (step + 1) % monitor_every == 0 and step + 1 < steps:
            record(step + 1)
        if progress is not None and (step + 1) % 50 == 0:
            progress((step + 1) / steps)
    if steps and (not records or records[-1]["step"] != steps):
        record(steps)
    model.history = {"loss": losses, "monitor": records}
    model.requires_grad_(False)
    return model
