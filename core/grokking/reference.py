"""Grokking (Kumar et al., ICLR 2024): plain GD on the N x D weights, the reference for the statistics form.

Not used by the page: the tests check that ``dynamics.simulate``'s recursion equals this to float64
round-off, and the benchmark times both.
"""
from __future__ import annotations

import numpy as np

from .task import Task


def simulate_weights(task: Task, alpha: float, eps: float, lr_scale: float, steps: int):
    """Plain full-batch GD on the N x D weights W (centred loss): the reference the statistics must match.

    Needs a task made with keep_weights=True. Costs O(N P D) per step against O(P D^2) for the statistics,
    and is used only by the tests and the benchmark. Returns (train_loss per step, final W).
    """
    X, y, W = task.X, task.y, task.W0.clone()
    N, P = W.shape[0], X.shape[0]
    lr = lr_scale * N / alpha ** 2
    phi = lambda h: h + 0.5 * eps * h ** 2
    f0 = alpha * phi(X @ W.T).mean(1)
    losses = []
    for t in range(steps + 1):
        H = X @ W.T                                            # (P, N) pre-activations
        r = alpha * phi(H).mean(1) - f0 - y
        losses.append(float((r ** 2).mean()))
        if t < steps:
            W = W - lr * (2 * alpha / (N * P)) * ((r[:, None] * (1 + eps * H)).T @ X)  # analytic dL/dW
    return np.array(losses), W
