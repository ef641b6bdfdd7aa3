"""The sum-exp-quadratic adjusted Schrödinger potential of LightSB (Korotin, Gushchin, Burnaev, ICLR 2024).

The paper's parameterisation (Sec. 3.2):  v_theta(y) = sum_k alpha_k N(y | r_k, eps S_k),  S_k diagonal.
Everything the solver needs has a closed form in it:

* log c(x) = logsumexp_k [log alpha_k + (x^T S_k x + 2 r_k^T x) / (2 eps)]              (Prop. 3.2)
* pi(y | x) = sum_k w_k(x) N(y | r_k + S_k x, eps S_k),  w(x) = softmax of the same logits  (Prop. 3.2)
* L(theta) = E_p0 log c(x) - E_p1 log v(y), whose gap to the optimum is KL(pi* || pi_theta) (Thm. 3.1)
* the SB drift g(x, t) (Prop. 3.3) and the Brownian-bridge marginals between the plan's pairs.

Implemented by hand because it is the paper's own idea (no library implements LightSB). The quadratic
forms use the paper's "matmul form" for diagonal S (official code: broadcast-and-sum, see official.py):
x^T S_k x = (x*x) @ S^T and sum_d (y_d - r_kd)^2 / S_kd = (y*y) @ (1/S)^T - 2 y @ (r/S)^T + sum_d r^2/S.

The drift is written in closed form instead of the official autograd: with A_k(t) = t/(eps(1-t)) I +
(eps S_k)^{-1} and c_k = x/(eps(1-t)) + (eps S_k)^{-1} r_k, the gradient of the paper's Prop. 3.3 expression is
g(x, t) = (sum_k w_k(x, t) A_k^{-1} c_k - x) / (1 - t), i.e. (E[X_1 | X_t = x] - x) / (1 - t); the tests
check it against autograd of the paper's formula.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from core.device import pick_device, seeded_generator


class LightSB(nn.Module):
    """v_theta with K diagonal components in D dimensions; epsilon is the Wiener-prior variance.

    Parameters as in the official class: ``log_alpha_raw`` (log alpha = log_alpha_raw / eps, so gradient
    sizes stay sane at small eps), ``r`` (K, D) and ``log_S`` (K, D).
    """

    def __init__(self, dim: int, n_potentials: int, epsilon: float, S_init: float = 0.1, device=None,
                 dtype=torch.float32):
        super().__init__()
        check_settings(epsilon, n_potentials)
        dev = pick_device(device)
        self.epsilon = float(epsilon)
        K = int(n_potentials)
        # uniform alpha, as the official init (log_alpha_raw = eps * log(1/K))
        self.log_alpha_raw = nn.Parameter(torch.full((K,), self.epsilon * math.log(1.0 / K), device=dev, dtype=dtype))
        self.r = nn.Parameter(torch.zeros(K, dim, device=dev, dtype=dtype))
        self.log_S = nn.Parameter(torch.full((K, dim), math.log(S_init), device=dev, dtype=dtype))
        self.history: dict = {}

    # ------------------------------------------------------------------ parameters
    @property
    def dim(self) -> int:
        return self.r.shape[1]

    @property
    def n_potentials(self) -> int:
        return self.r.shape[0]

    @property
    def device(self) -> torch.device:
        return self.r.device

    def log_alpha(self) -> torch.Tensor:
        return self.log_alpha_raw / self.epsilon

    def S(self) -> torch.Tensor:
        return self.log_S.exp()

    def weights(self) -> np.ndarray:
        """Normalised mixture weights alpha_k / sum alpha of the potential (what the page plots)."""
        return torch.softmax(self.log_alpha(), 0).detach().cpu().numpy()

    def _t(self, x) -> torch.Tensor:
        return torch.as_tensor(np.asarray(x) if not torch.is_tensor(x) else x, dtype=self.r.dtype,
                               device=self.device)

    # ------------------------------------------------------------------ the closed forms (matmul form)
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """log alpha_k + (x^T S_k x + 2 r_k^T x) / (2 eps), (N, K): log c(x) is their logsumexp."""
        S = self.S()
        return self.log_alpha() + ((x * x) @ S.T + 2 * x @ self.r.T) / (2 * self.epsilon)

    def log_c(self, x: torch.Tensor) -> torch.Tensor:
        return torch.logsumexp(self.logits(x), dim=1)

    def log_v(self, y: torch.Tensor) -> torch.Tensor:
        """log v(y) = logsumexp_k [log alpha_k + log N(y | r_k, eps S_k)]."""
        S, r, eps = self.S(), self.r, self.epsilon
        inv = 1.0 / S
        quad = (y * y) @ inv.T - 2 * y @ (r * inv).T + (r * r * inv).sum(1)      # (N, K)
        log_norm = -0.5 * (self.dim * math.log(2 * math.pi * eps) + self.log_S.sum(1))
        return torch.logsumexp(self.log_alpha() + log_norm - quad / (2 * eps), dim=1)

    def loss(self, x0: torch.Tensor, x1: torch.Tensor) -> torch.Tensor:
        """The paper's objective on a batch: mean log c(x0) - mean log v(x1)."""
        return self.log_c(x0).mean() - self.log_v(x1).mean()

    def log_plan(self, y, x) -> np.ndarray:
        """log pi(y | x) = <x, y>/eps + log v(y) - log c(x), for paired rows (N, D) each."""
        with torch.no_grad():
            x, y = self._t(x), self._t(y)
            out = (x * y).sum(1) / self.epsilon + self.log_v(y) - self.log_c(x)
        return out.cpu().numpy()

    # ------------------------------------------------------------------ the conditional plan pi(. | x)
    @torch.no_grad()
    def conditional(self, x):
        """(w (N, K), means (N, K, D), variances (K, D)) of the Gaussian mixture pi(. | x)."""
        x = self._t(x)
        S = self.S()
        w = torch.softmax(self.logits(x), dim=1)
        means = self.r[None] + S[None] * x[:, None, :]
        return w, means, self.epsilon * S

    @torch.no_grad()
    def conditional_moments(self, x) -> tuple[np.ndarray, np.ndarray]:
        """Exact mean (N, D) and covariance (N, D, D) of pi(. | x) (mixture moments, no sampling)."""
        w, means, var = self.conditional(x)
        w, means, var = w.double(), means.double(), var.double()
        mean = torch.einsum("nk,nkd->nd", w, means)
        second = torch.einsum("nk,nkd,nke->nde", w, means, means) + torch.diag_embed(w @ var)
        cov = second - mean[:, :, None] * mean[:, None, :]
        return mean.cpu().numpy(), cov.cpu().numpy()

    @torch.no_grad()
    def sample(self, x, n: int = 1, seed: int = 0) -> np.ndarray:
        """n draws y ~ pi(. | x) for every row of x: (len(x), n, D). Vectorised (the official forward
        loops over chunks with torch.distributions): a categorical draw of k, then one Gaussian draw."""
        gen = seeded_generator(seed, self.device)
        w, means, var = self.conditional(x)
        N = w.shape[0]
        k = torch.multinomial(w, n, replacement=True, generator=gen)              # (N, n)
        mu = torch.gather(means, 1, k[..., None].expand(N, n, self.dim))          # (N, n, D)
        noise = torch.randn(mu.shape, generator=gen, device=self.device, dtype=mu.dtype)
        return (mu + var[k].sqrt() * noise).cpu().numpy()

    @torch.no_grad()
    def at_time(self, x, t: float, n: int = 1, seed: int = 0) -> np.ndarray:
        """Simulation-free X_t given X_0 = x: the Brownian bridge t y + (1-t) x + sqrt(eps t (1-t)) xi."""
        y = torch.as_tensor(self.sample(x, n, seed), device=self.device)
        x = self._t(x)[:, None, :]
        gen = seeded_generator(seed + 1, self.device)
        xi = torch.randn(y.shape, generator=gen, device=self.device, dtype=y.dtype)
        return (t * y + (1 - t) * x + math.sqrt(self.epsilon * t * (1 - t)) * xi).cpu().numpy()

    # ------------------------------------------------------------------ the SB process
    def _drift(self, x: torch.Tensor, t: float) -> torch.Tensor:
        eps, S = self.epsilon, self.S()
        a = t / (eps * (1 - t))
        A = a + 1.0 / (eps * S)                                                   # (K, D) diagonal A_k(t)
        Ainv = 1.0 / A
        b = self.r / (eps * S)                                                    # (eps S_k)^-1 r_k
        c = x[:, None, :] / (eps * (1 - t)) + b[None]                             # (N, K, D)
        logits = (self.log_alpha() - 0.5 * self.log_S.sum(1) - 0.5 * torch.log(A).sum(1)
                  - 0.5 * (self.r * b).sum(1) + 0.5 * (c * c * Ainv[None]).sum(2))
        w = torch.softmax(logits, dim=1)
        expected_x1 = torch.einsum("nk,nkd->nd", w, c * Ainv[None])              # E[X_1 | X_t = x]
        return (expected_x1 - x) / (1 - t)

    @torch.no_grad()
    def drift(self, x, t: float) -> np.ndarray:
        """g(x, t) of the SB SDE dX = g dt + sqrt(eps) dW, for t in [0, 1)."""
        if not 0 <= t < 1:
            raise ValueError(f"the drift is defined for 0 <= t < 1 (singular at 1), got t = {t}")
        return self._drift(self._t(x), float(t)).cpu().numpy()

    @torch.no_grad()
    def trajectory(self, x, n_steps: int = 100, seed: int = 0) -> np.ndarray:
        """Euler-Maruyama paths from x: (len(x), n_steps + 1, D), times 0, dt, ..., 1 (official scheme:
        x <- x + g(x, t) dt + sqrt(eps dt) xi for t = 0 .. 1 - dt; the drift is singular at t = 1)."""
        gen = seeded_generator(seed, self.device)
        z = self._t(x).clone()
        dt = 1.0 / n_steps
        path = [z.clone()]
        for i in range(n_steps):
            noise = torch.randn(z.shape, generator=gen, device=self.device, dtype=z.dtype)
            z = z + self._drift(z, i * dt) * dt + math.sqrt(self.epsilon * dt) * noise
            path.append(z.clone())
        return torch.stack(path, 1).cpu().numpy()


def check_settings(epsilon, n_potentials) -> None:
    """Clear errors for settings the paper's formulas do not allow."""
    if not (isinstance(epsilon, (int, float)) and math.isfinite(epsilon) and epsilon > 0):
        raise ValueError(f"epsilon (the Wiener-prior variance) must be a positive number, got {epsilon}")
    if int(n_potentials) != n_potentials or n_potentials < 1:
        raise ValueError(f"the number of potentials K must be a positive integer, got {n_potentials}")
