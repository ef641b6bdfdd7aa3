"""The discrete baseline a user would reach for: POT's Sinkhorn plan between n samples of p0 and of p1.

Cost M = 1/2 |x - y|^2 and reg = eps is LightSB's convention (notes: checked against the Gaussian closed
form). The log-domain solver (POT ``method="sinkhorn_log"``, on POT's torch backend) is used when
exp(-M / eps) nears underflow (max M / eps > ``LOG_DOMAIN_ABOVE``); POT's standard matrix-scaling Sinkhorn
otherwise (several times faster).
A discrete plan only knows its n source points; the conditional at a new x uses the entropic extension of
the dual potential, pi(y_j | x) ∝ exp(log v_j - M(x, y_j) / eps) (the same formula as row i of the plan
when x = x_i), so LightSB and Sinkhorn can be scored on the same test points. Its conditionals are
weighted atoms on the n target samples: moments exact, samples discrete.

POT and scipy are imported where they are used (``import ot`` also imports scikit-learn: ~1 s of CPU), so a
page that only needs ``w2_squared`` does not pay for POT; that exact W2 between two equal-size clouds is an
assignment problem, solved by scipy's ``linear_sum_assignment`` (the tests match it to POT's ``emd2``).
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np


LOG_DOMAIN_ABOVE = 300.0   # exp(-300) ~ 5e-131: still far from float64 underflow in the kernel


@dataclass
class SinkhornPlan:
    x: np.ndarray            # (n, D) source samples
    y: np.ndarray            # (m, D) target samples
    log_v: np.ndarray        # (m,) log of the target-side scaling, marginal weights included
    epsilon: float
    seconds: float           # wall time of the solve
    cpu_seconds: float       # process CPU time of the solve (what a loaded machine does not inflate)
    iterations: int
    converged: bool
    method: str              # "sinkhorn" or "sinkhorn_log"

    def _log_weights(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return self.log_v[None] - 0.5 * sq_dist(x, self.y) / self.epsilon

    def conditional_weights(self, x) -> np.ndarray:
        """(len(x), m) row-stochastic weights over the target samples."""
        from scipy.special import softmax
        return softmax(self._log_weights(x), axis=1)

    def conditional_moments(self, x) -> tuple[np.ndarray, np.ndarray]:
        w = self.conditional_weights(x)
        mean = w @ self.y
        cov = np.einsum("nm,md,me->nde", w, self.y, self.y) - mean[:, :, None] * mean[:, None, :]
        return mean, cov

    def sample(self, x, n: int = 1, seed: int = 0) -> np.ndarray:
        """(len(x), n, D): draws of target samples from the conditional rows."""
        rng = np.random.default_rng(seed)
        w = self.conditional_weights(x)
        cum = np.cumsum(w, 1)
        u = rng.random((len(w), n)) * cum[:, -1:]
        idx = np.minimum((cum[:, None, :] < u[:, :, None]).sum(2), len(self.y) - 1)
        return self.y[idx]

    def log_c(self, x) -> np.ndarray:
        from scipy.special import logsumexp
        return logsumexp(self._log_weights(x), axis=1)


def solve(x, y, epsilon: float, max_iter: int = 5000, tol: float = 1e-7) -> SinkhornPlan:
    """Log-domain Sinkhorn between uniform weights on x (n, D) and y (m, D), M = 1/2 |x - y|^2, reg = eps."""
    import ot
    import torch
    if not epsilon > 0:
        raise ValueError(f"epsilon must be positive, got {epsilon}")
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    start, cpu = time.perf_counter(), time.process_time()
    M = 0.5 * ot.dist(x, y)
    method = "sinkhorn_log" if M.max() / epsilon > LOG_DOMAIN_ABOVE else "sinkhorn"
    a, b = ot.unif(len(x)), ot.unif(len(y))
    if method == "sinkhorn_log":   # POT's torch backend: its logsumexp is ~2x faster than the numpy one
        a, b, M = (torch.as_tensor(v) for v in (a, b, M))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, log = ot.sinkhorn(a, b, M, epsilon, method=method, log=True, numItermax=max_iter, stopThr=tol)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    converged = not any("did not converge" in str(w.message) for w in caught)
    log_v = np.asarray(log["log_v"]) if "log_v" in log else np.log(np.maximum(log["v"], 1e-300))
    return SinkhornPlan(x, y, log_v, float(epsilon), seconds, cpu, int(log["niter"]), converged, method)


def sq_dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a_i - b_j|^2, (len(a), len(b)), as ot.dist computes it by default: |a|^2 + |b|^2 - 2 a.b, clipped at 0."""
    return np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None] - 2 * a @ b.T, 0)


def w2_squared(a, b) -> float:
    """Exact W2^2 (cost |x - y|^2) between two equal-weight point clouds. With as many points on each side
    the optimal plan is a permutation (Birkhoff), so it is scipy's assignment solver; else POT's emd2."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    cost = sq_dist(a, b)
    if len(a) == len(b):
        from scipy.optimize import linear_sum_assignment
        rows, cols = linear_sum_assignment(cost)
        return float(cost[rows, cols].mean())
    import ot
    return float(ot.emd2(ot.unif(len(a)), ot.unif(len(b)), cost, numItermax=1_000_000))
