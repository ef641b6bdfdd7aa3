"""The EOT benchmark idea of Gushchin et al. (NeurIPS 2023), used by LightSB's Table 1, built here.

Pick a ground-truth sum-exp-quadratic potential theta* (K* diagonal components). For any p0, pushing x ~ p0
through pi_theta*(. | x) gives a p1 whose EOT plan with p0 is exactly pi_theta* (the plan of the form
exp(<x, y>/eps) v(y) / c_v(x) with the right marginals is the unique EOT plan; paper, Sec. 3.1). So the true
conditionals are known Gaussian mixtures in any dimension, and a solver trained on unpaired samples of p0
and p1 can be scored by

    cBW2-UVP = 100 * mean_x BW2^2(pi_hat(. | x), pi*(. | x)) / (1/2 tr Var p1)   [%]

with the benchmark's 1/2 convention BW2^2 = 1/2 |dmu|^2 + 1/2 tr S1 + 1/2 tr S2 - tr (S1^1/2 S2 S1^1/2)^1/2.
The benchmark estimates each conditional's moments from 1000 samples; here both LightSB's and the truth's
conditionals are Gaussian mixtures, so their moments are used exactly (no sampling noise: the truth scores
exactly 0). p0 = N(0, I_D) (the benchmark's p0 is a Gaussian mixture).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from core.lightsb.potential import LightSB

N_TEST = 1000        # fixed test points x, as the benchmark
TRUTH_COMPONENTS = 5


@dataclass
class Benchmark:
    dim: int
    epsilon: float
    truth: LightSB
    test_x: np.ndarray
    half_trace_var_p1: float
    seed: int

    def sample_p0(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.standard_normal((n, self.dim))

    def sample_p1(self, n: int, rng: np.random.Generator) -> np.ndarray:
        x = self.sample_p0(n, rng)
        return self.truth.sample(x, 1, seed=int(rng.integers(0, 2 ** 31 - 1)))[:, 0]

    def true_moments(self) -> tuple[np.ndarray, np.ndarray]:
        if not hasattr(self, "_true"):
            self._true = self.truth.conditional_moments(self.test_x)
        return self._true

    def cbw2_uvp(self, model) -> float:
        """cBW2-UVP (%) of a model with ``conditional_moments(x)`` (LightSB, the Sinkhorn baseline)."""
        return cbw2_uvp(model.conditional_moments(self.test_x), self.true_moments(), self.half_trace_var_p1)


def make_benchmark(dim: int, epsilon: float, n_components: int = TRUTH_COMPONENTS, seed: int = 0,
                   n_test: int = N_TEST) -> Benchmark:
    """A ground-truth potential: centres r_k ~ N(0, I), S_k diagonal in [0.5, 1.5], alpha ~ Dirichlet(2)."""
    rng = np.random.default_rng(seed)
    truth = LightSB(dim, n_components, epsilon, device="cpu", dtype=torch.float64)
    with torch.no_grad():
        alpha = rng.dirichlet(np.full(n_components, 2.0))
        truth.log_alpha_raw.copy_(torch.as_tensor(epsilon * np.log(alpha)))
        truth.r.copy_(torch.as_tensor(rng.standard_normal((n_components, dim))))
        truth.log_S.copy_(torch.as_tensor(np.log(rng.uniform(0.5, 1.5, (n_components, dim)))))
    truth.requires_grad_(False)
    test_x = rng.standard_normal((n_test, dim))
    # tr Var p1 = E tr Cov(y|x) + tr Cov(E[y|x]) over x ~ p0 (law of total variance; lower noise than sampling y)
    xs = rng.standard_normal((20_000, dim))
    w, mus, var = (a.numpy() for a in truth.conditional(xs))
    mean = np.einsum("nk,nkd->nd", w, mus)
    within = (w * ((mus ** 2).sum(2) + var.sum(1))).sum(1) - (mean ** 2).sum(1)     # tr Cov(y | x)
    trace = float(within.mean() + mean.var(0).sum())
    return Benchmark(dim, float(epsilon), truth, test_x, trace / 2, seed)


def bw2_squared(m1, c1, m2, c2) -> np.ndarray:
    """Bures-Wasserstein^2 between Gaussians, batched, in the benchmark's 1/2 convention."""
    m1, c1, m2, c2 = (torch.as_tensor(np.asarray(a), dtype=torch.float64) for a in (m1, c1, m2, c2))
    vals, vecs = torch.linalg.eigh(c1)
    root1 = vecs @ torch.diag_embed(vals.clamp_min(0).sqrt()) @ vecs.transpose(-1, -2)
    cross = torch.linalg.eigvalsh(root1 @ c2 @ root1).clamp_min(0).sqrt().sum(-1)
    tr = lambda c: c.diagonal(dim1=-2, dim2=-1).sum(-1)  # noqa: E731
    out = 0.5 * ((m1 - m2) ** 2).sum(-1) + 0.5 * tr(c1) + 0.5 * tr(c2) - cross
    return out.clamp_min(0).numpy()


def cbw2_uvp(model_moments, true_moments, half_trace_var_p1: float) -> float:
    (m_hat, c_hat), (m, c) = model_moments, true_moments
    return float(100 * bw2_squared(m_hat, c_hat, m, c).mean() / half_trace_var_p1)


def training_curve(bench: Benchmark, n_potentials: int = 50, steps: int = 2000, lr: float | None = None,
                   batch: int = 128, every: int = 250, seed: int = 0, progress=None, device=None):
    """Fit LightSB on the benchmark's samplers; returns (model, [(step, cBW2-UVP %)])."""
    from core.lightsb.train import fit
    lr = lr if lr is not None else official_lr(bench.epsilon)
    model = fit(bench.sample_p0, bench.sample_p1, bench.epsilon, n_potentials, steps=steps, lr=lr, batch=batch,
                seed=seed, S_init=1.0, progress=progress, device=device,
                monitor=lambda m: {"cbw2_uvp": bench.cbw2_uvp(m)}, monitor_every=every)
    return model, [(r["step"], r["cbw2_uvp"]) for r in model.history["monitor"]]


def official_lr(epsilon: float) -> float:
    """The benchmark notebook's learning rates: 1e-3, 3e-3, 6e-2 for eps 0.1, 1, 10 (log-interpolated)."""
    grid_e, grid_lr = np.log10([0.1, 1.0, 10.0]), np.log10([1e-3, 3e-3, 6e-2])
    return float(10 ** np.interp(math.log10(epsilon), grid_e, grid_lr))
