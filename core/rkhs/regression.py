"""Downstream = RKHS regression: kernel ridge regression with K_X, and linear probes on top-d encoders.

Zhai et al. (ICLR 2024), Sec. 3-4. A linear probe on an encoder Phi is regression restricted to
span(Phi); with the optimal encoder (the top-d eigenspace of Gamma* Gamma, here the Walsh polynomials
of low degree) it is RKHS regression on the top of the spectrum. Theorem 1 splits the test error into
an **estimation** error (finite n; grows with kappa^2) and an **approximation** error (what the
retained spectrum cannot represent). Masking strength alpha moves both: kappa^2 = (2 - alpha)^m falls,
the eigenvalues (1 - alpha)^|S| of the target's terms fall too: a sweet spot.

Measured here: the test MSE against f* over all 2^m points (the population error), averaged over
``reps`` training sets of n points drawn i.i.d. from uniform P_X with Gaussian label noise; the same
training sets are reused for every alpha (common random numbers, so the curve is smooth).

Computable terms beside the measurement (shapes only; the paper's constants are not reproduced):
* estimation driver kappa^2 / n (the paper's bound grows with kappa^2 and falls as 1/n);
* approximation at the ridge: the population (n -> infinity) bias of KRR with ridge r on the integral
  operator, sum_S u_S^2 (r / (lambda_S + r))^2, exact from the staircase;
* for a top-d encoder: the residual sum_{S outside} u_S^2 and its bound eps |g*|^2 / (1 - lambda_{d+1})
  (it follows from Assumption 1 in two lines; see ``probe_approximation``).
Kernel ridge regression solves scikit-learn's ``KernelRidge(kernel="precomputed")`` objective and the
probes its ``LinearRegression`` (least squares, minimum norm when d > n), batched over the training sets
in numpy because a sweep fits hundreds (8x faster than the scikit-learn loop; the tests check both agree).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import LinearRegression

from core.rkhs.hypercube import SettingsError, check_settings, subsets, walsh
from core.rkhs.kernel import kappa2, kernel_from_hamming
from core.rkhs.targets import DEFAULT_TARGET, Target, degree_energy, isometry

RIDGE = 1e-3          # the notes' ridge: 1e-3 * n in sklearn's scale = 1e-3 on the RKHS norm
MAX_N = 5000
MAX_REPS = 200


def _check_sample(n, noise, reps) -> tuple[int, float, int]:
    if int(n) != n or not 2 <= n <= MAX_N:
        raise SettingsError(f"n must be a whole number from 2 to {MAX_N}, got {n!r}")
    if not 0 <= noise <= 10:
        raise SettingsError(f"the label noise must be between 0 and 10, got {noise!r}")
    if int(reps) != reps or not 1 <= reps <= MAX_REPS:
        raise SettingsError(f"reps must be a whole number from 1 to {MAX_REPS}, got {reps!r}")
    return int(n), float(noise), int(reps)


def draw_training_sets(m: int, n: int, noise: float, reps: int, seed: int, truth: np.ndarray):
    """(reps, n) indices of x drawn i.i.d. uniform, and their noisy labels f*(x) + noise * N(0, 1)."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, 2 ** m, size=(reps, n))
    return idx, truth[idx] + noise * rng.standard_normal((reps, n))


def _hamming_to_all(m: int, idx: np.ndarray) -> np.ndarray:
    """(..., n, 2^m) Hamming distances from the training points to every x (int8: m <= 10)."""
    return np.bitwise_count(idx[..., None] ^ np.arange(2 ** m)).astype(np.int8)


def krr_predict(m: int, alpha: float, idx: np.ndarray, y: np.ndarray, ridge: float = RIDGE,
                h: np.ndarray | None = None) -> np.ndarray:
    """KRR with K_X, batched over training sets: idx, y (reps, n) -> predictions (reps, 2^m).

    Solves (K + ridge * n I) c = y, sklearn's ``KernelRidge(alpha=ridge * n, kernel="precomputed")``
    objective (the tests check the two agree); batched numpy because the sweep fits hundreds of them.
    """
    idx, y = np.atleast_2d(idx), np.atleast_2d(y)
    h = _hamming_to_all(m, idx) if h is None else h
    per_distance = alpha ** np.arange(m + 1) * (2 - alpha) ** (m - np.arange(m + 1))
    K_all = per_distance[h]                                                  # (reps, n, 2^m)
    K_train = np.take_along_axis(K_all, np.broadcast_to(idx[:, None, :], K_all.shape[:2] + idx.shape[1:]), 2)
    n = idx.shape[1]
    coef = np.linalg.solve(K_train + ridge * n * np.eye(n), y[..., None])     # (reps, n, 1)
    return np.einsum("rnx,rn->rx", K_all, coef[..., 0])


def krr_predict_sklearn(m: int, alpha: float, idx: np.ndarray, y: np.ndarray, ridge: float = RIDGE) -> np.ndarray:
    """The same fit for one training set through scikit-learn (the reference the tests compare with)."""
    h = _hamming_to_all(m, idx).astype(float)
    K_all = kernel_from_hamming(h, m, alpha)
    return KernelRidge(alpha=ridge * len(idx), kernel="precomputed").fit(K_all[:, idx], y).predict(K_all.T)


def probe_predict(features: np.ndarray, idx: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Linear probe, batched: least squares (minimum norm when d > n) on features (2^m, d) -> (reps, 2^m).

    pinv of each (n, d) design, the solution sklearn's ``LinearRegression(fit_intercept=False)`` returns
    (the tests check it).
    """
    idx, y = np.atleast_2d(idx), np.atleast_2d(y)
    w = np.einsum("rdn,rn->rd", np.linalg.pinv(features[idx], rcond=1e-10), y)
    return w @ features.T


def probe_predict_sklearn(features: np.ndarray, idx: np.ndarray, y: np.ndarray) -> np.ndarray:
    return LinearRegression(fit_intercept=False).fit(features[idx], y).predict(features)


def _mse(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Population MSE per training set: mean over all 2^m points of (f_hat - f*)^2."""
    return ((pred - truth) ** 2).mean(-1)


def population_bias(target: Target, m: int, alpha: float, ridge: float = RIDGE) -> float:
    """sum_S u_S^2 (r / (lambda_S + r))^2: KRR's error with infinitely many samples at ridge r."""
    return float(sum(e * (ridge / ((1 - alpha) ** s + ridge)) ** 2 for s, e in degree_energy(target, m).items()))


def probe_approximation(target: Target, m: int, alpha: float, degree: int) -> tuple[float, float]:
    """(residual, bound) for the top-d encoder with d = all Walsh terms of degree <= ``degree``.

    residual = sum_{|S| > degree} u_S^2. Bound: with u_S = sqrt(lambda_S) c_S (c = g*'s coefficients),
    eps |g*|^2 = sum (1 - lambda_S) c_S^2 >= (1 - lambda_{d+1}) sum_{|S| > degree} c_S^2
    >= (1 - lambda_{d+1}) residual, since lambda_S <= 1. So residual <= eps |g*|^2 / (1 - lambda_{d+1}).
    """
    eps, norm_g = isometry(target, m, alpha)
    residual = sum(e for s, e in degree_energy(target, m).items() if s > degree)
    lam_next = (1 - alpha) ** (degree + 1)
    return float(residual), float(eps * norm_g / (1 - lam_next))


@dataclass(frozen=True)
class AlphaSweep:
    alphas: np.ndarray
    mse: np.ndarray          # mean test MSE of KRR per alpha
    mse_se: np.ndarray       # its standard error over the reps
    kappa2: np.ndarray
    estimation: np.ndarray   # kappa^2 / n
    approximation: np.ndarray  # population bias at the ridge
    eps: np.ndarray          # Assumption 1's eps for the min-norm g*
    target_variance: float

    @property
    def best(self) -> int:
        return int(np.argmin(self.mse))


def alpha_sweep(alphas, m: int = 10, n: int = 60, noise: float = 0.1, reps: int = 20, seed: int = 0,
                target: Target = DEFAULT_TARGET, ridge: float = RIDGE) -> AlphaSweep:
    """KRR test MSE and the computable bound terms for every alpha (same training sets for all)."""
    m, _ = check_settings(m)
    n, noise, reps = _check_sample(n, noise, reps)
    alphas = np.asarray([check_settings(m, a)[1] for a in np.atleast_1d(alphas)])
    truth = target.values(m)
    idx, y = draw_training_sets(m, n, noise, reps, seed, truth)
    h = _hamming_to_all(m, idx)
    errors = np.array([_mse(krr_predict(m, a, idx, y, ridge, h), truth) for a in alphas])
    k2 = np.array([kappa2(m, a) for a in alphas])
    return AlphaSweep(alphas, errors.mean(1), errors.std(1, ddof=1) / np.sqrt(reps) if reps > 1 else 0 * alphas,
                      k2, k2 / n, np.array([population_bias(target, m, a, ridge) for a in alphas]),
                      np.array([isometry(target, m, a)[0] for a in alphas]), target.variance(m))


def sweet_spot(alphas, m: int = 10, n: int = 60, noise: float = 0.1, reps: int = 20, seed: int = 0) -> np.ndarray:
    """Test MSE of kernel ridge regression with K_X per alpha, for the default target (the U-curve)."""
    return alpha_sweep(alphas, m, n, noise, reps, seed).mse


def top_features(m: int, d: int) -> np.ndarray:
    """(2^m, d) the optimal d-dim encoder: the first d Walsh characters in staircase order."""
    if int(d) != d or not 1 <= d <= 2 ** m:
        raise SettingsError(f"d must be a whole number from 1 to 2^m = {2 ** m}, got {d!r}")
    return walsh(m, subsets(m)[: int(d)])


def sample_size_sweep(ns, alpha: float, m: int = 10, noise: float = 0.1, reps: int = 20, seed: int = 0,
                      target: Target = DEFAULT_TARGET, degrees=(1, 2), extra: dict | None = None,
                      ridge: float = RIDGE) -> dict[str, np.ndarray]:
    """Test MSE against n: KRR with K_X and a probe on each top-d encoder (d = Walsh degree <= k).

    ``extra`` maps a name to more (2^m, d) feature matrices to probe (the trained encoder).
    """
    m, alpha = check_settings(m, alpha)
    truth = target.values(m)
    feats = {f"probe, degree <= {k} (d = {len(subsets(m, k))})": walsh(m, subsets(m, k)) for k in degrees}
    feats.update(extra or {})
    out = {"n": np.asarray(ns), "KRR with K_X": []} | {name: [] for name in feats}
    for n in ns:
        n_, noise_, reps_ = _check_sample(n, noise, reps)
        idx, y = draw_training_sets(m, n_, noise_, reps_, seed, truth)
        out["KRR with K_X"].append(_mse(krr_predict(m, alpha, idx, y, ridge), truth).mean())
        for name, F in feats.items():
            out[name].append(_mse(probe_predict(F, idx, y), truth).mean())
    return {k: np.asarray(v) for k, v in out.items()}


def dimension_sweep(ds, m: int = 10, n: int = 60, noise: float = 0.1, reps: int = 20, seed: int = 0,
                    target: Target = DEFAULT_TARGET) -> np.ndarray:
    """Probe test MSE on the top-d encoder for each d (staircase order), n fixed: the d-vs-n trade-off."""
    m, _ = check_settings(m)
    n, noise, reps = _check_sample(n, noise, reps)
    truth = target.values(m)
    idx, y = draw_training_sets(m, n, noise, reps, seed, truth)
    F = walsh(m, subsets(m)[: max(ds)])
    return np.array([_mse(probe_predict(F[:, :d], idx, y), truth).mean() for d in ds])
