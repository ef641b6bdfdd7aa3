"""The optional real-data view: scikit-learn's 8x8 digits, binarised, with the same masking augmentation.

Zhai et al. (ICLR 2024), Sec. 2 and 5, on data whose P_X is not uniform: P_X is the empirical
distribution of N binarised digits (pixel > 8 -> 1, 64 bits each), a ~ p(.|x) masks each pixel with
probability alpha. Then p(a) = (1/N) sum_z p(a|z) has no product form, and neither has

    K_X(x, x') = E_{a ~ p(.|x)}[p(a|x') / p(a)] = E_a[ 1{x' agrees with a} / ((1/N) #{z : z agrees with a}) ]

(the mask probabilities cancel). So K_X is estimated by Monte Carlo over masks, the paper's kappa
procedure applied to every pair (the diagonal is the paper's kappa^2 estimate per digit), and the
downstream step is the same RKHS regression: kernel ridge regression on one-hot labels, and linear
probes on the top-d eigenvectors of the estimated kernel (the optimal encoder for this P_X).
The digits ship inside scikit-learn (no download).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.datasets import load_digits

from core.rkhs.hypercube import SettingsError

THRESHOLD = 8        # pixel values are 0..16; > 8 is "ink"
MAX_POOL = 1000


def binarised_digits(pool: int = 500, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(packed, labels): ``pool`` digits drawn without replacement, each a uint64 of 64 pixels."""
    if int(pool) != pool or not 50 <= pool <= MAX_POOL:
        raise SettingsError(f"the digit pool must have 50 to {MAX_POOL} images, got {pool!r}")
    data = load_digits()
    pick = np.random.default_rng(seed).choice(len(data.target), int(pool), replace=False)
    bits = (data.data[pick] > THRESHOLD).astype(np.uint64)
    packed = (bits << np.arange(64, dtype=np.uint64)).sum(axis=1, dtype=np.uint64)
    return packed, data.target[pick]


def kernel_monte_carlo(packed: np.ndarray, alpha: float, n_masks: int = 32, seed: int = 0) -> np.ndarray:
    """(N, N) estimate of K_X under the empirical P_X, ``n_masks`` sampled masks per row, symmetrised."""
    if not 0.0 < alpha < 1.0:
        raise SettingsError(f"alpha must lie strictly between 0 and 1, got {alpha!r}")
    rng = np.random.default_rng(seed)
    N = len(packed)
    K = np.empty((N, N))
    for i in range(N):
        kept = rng.random((n_masks, 64)) >= alpha
        keep = (kept.astype(np.uint64) << np.arange(64, dtype=np.uint64)).sum(axis=1, dtype=np.uint64)
        agree = ((packed[None, :] ^ packed[i]) & keep[:, None]) == 0        # (masks, N): z agrees with a
        K[i] = (agree / agree.mean(axis=1, keepdims=True)).mean(axis=0)    # x_i itself always agrees
    return (K + K.T) / 2


@dataclass(frozen=True)
class DigitsSweep:
    alphas: np.ndarray
    kappa2: np.ndarray             # max over digits of the estimated K_X(x, x)
    krr_accuracy: np.ndarray       # kernel ridge regression on one-hot labels, test accuracy
    probe_accuracy: np.ndarray     # linear probe on the top-d eigenvectors of the estimated kernel
    d: int
    n: int
    pool: int


def _accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    return float((scores.argmax(1) == labels).mean())


def sweep(alphas, pool: int = 500, n: int = 100, d: int = 20, ridge: float = 1e-2, n_masks: int = 32,
          seed: int = 0, progress=None) -> DigitsSweep:
    """Per alpha: kappa^2 estimate, KRR accuracy and top-d probe accuracy (n labelled, the rest tested)."""
    packed, labels = binarised_digits(pool, seed)
    if not 10 <= n < pool or not 1 <= d <= pool:
        raise SettingsError(f"need 10 <= n < pool = {pool} and 1 <= d <= pool, got n = {n}, d = {d}")
    rng = np.random.default_rng(seed + 1)
    train = rng.choice(pool, n, replace=False)
    test = np.setdiff1d(np.arange(pool), train)
    onehot = np.eye(10)[labels[train]]
    out = {"kappa2": [], "krr": [], "probe": []}
    for step, alpha in enumerate(alphas):
        K = kernel_monte_carlo(packed, alpha, n_masks, seed)
        out["kappa2"].append(float(K.diagonal().max()))
        vals, vecs = np.linalg.eigh(K)
        K = (vecs * np.maximum(vals, 0)) @ vecs.T          # Monte-Carlo noise can make K indefinite: clip
        coef = np.linalg.solve(K[np.ix_(train, train)] + ridge * n * np.eye(n), onehot)
        out["krr"].append(_accuracy(K[np.ix_(test, train)] @ coef, labels[test]))
        F = vecs[:, ::-1][:, :d]                                          # top-d eigenvectors: the encoder
        w = np.linalg.lstsq(F[train], onehot, rcond=None)[0]
        out["probe"].append(_accuracy(F[test] @ w, labels[test]))
        if progress is not None:
            progress((step + 1) / len(alphas))
    return DigitsSweep(np.asarray(alphas, float), np.array(out["kappa2"]), np.array(out["krr"]),
                       np.array(out["probe"]), d, n, pool)
