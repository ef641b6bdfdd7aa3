"""The data space of the RKHS page: bit strings x in {0,1}^m under the uniform P_X, and the Walsh basis.

Zhai et al., "Understanding Augmentation-based Self-Supervised Representation Learning via RKHS
Approximation and Regression" (ICLR 2024), Sec. 5 (masking on the hypercube, after Cabannes et al. 2023).

* x is enumerated as the binary expansion of 0 .. 2^m - 1: bit j of the index is x_j.
* The Walsh characters chi_S(x) = prod_{j in S} (2 x_j - 1) are orthonormal in L2(P_X); they are the
  eigenfunctions of the masking kernel (kernel.py), with eigenvalue (1 - alpha)^|S|.
* ``check_settings`` is the one place that says what m and alpha are allowed, with a sentence a page
  can show as it is.
"""
from __future__ import annotations

import itertools

import numpy as np

MAX_M = 10          # 2^10 = 1024 data points: the kernel matrix is 1024 x 1024 (8 MB), eigh in a second
MAX_GRAPH_M = 6     # 3^6 = 729 augmentation nodes: the explicit augmentation graph beyond is too big


class SettingsError(ValueError):
    """A setting the page cannot compute with; the message is meant for the reader as it is."""


def check_settings(m, alpha=None, max_m: int = MAX_M) -> tuple[int, float | None]:
    """(m, alpha) as (int, float) or SettingsError with a sentence saying what is allowed."""
    try:
        m_int = int(m)
    except (TypeError, ValueError):
        raise SettingsError(f"m must be a whole number of bits, got {m!r}") from None
    if m_int != m or not 1 <= m_int <= max_m:
        raise SettingsError(f"m must be a whole number from 1 to {max_m} (2^m data points), got {m!r}")
    if alpha is None:
        return m_int, None
    try:
        a = float(alpha)
    except (TypeError, ValueError):
        raise SettingsError(f"alpha must be a number in (0, 1), got {alpha!r}") from None
    if not 0.0 < a < 1.0:  # also rejects NaN
        raise SettingsError(f"the mask probability alpha must lie strictly between 0 and 1, got {alpha!r} "
                            "(alpha = 0: no augmentation, kappa infinite in the limit; alpha = 1: every bit "
                            "masked, nothing left to learn)")
    return m_int, a


def bits(m: int) -> np.ndarray:
    """(2^m, m) int array: row i is x with x_j = bit j of i."""
    idx = np.arange(2 ** m)
    return (idx[:, None] >> np.arange(m)) & 1


def hamming(m: int) -> np.ndarray:
    """(2^m, 2^m) Hamming distances between all pairs of bit strings (popcount of i XOR j)."""
    idx = np.arange(2 ** m)
    return np.bitwise_count(idx[:, None] ^ idx[None, :]).astype(int)


def subsets(m: int, max_degree: int | None = None) -> list[tuple[int, ...]]:
    """All S subset of {0..m-1} with |S| <= max_degree, by degree then lexicographically.

    This is the order of the staircase spectrum (eigenvalue (1 - alpha)^|S| falls with |S|); inside one
    degree all eigenvalues tie, so the lexicographic order is a convention, not a ranking.
    """
    top = m if max_degree is None else min(max_degree, m)
    return [S for k in range(top + 1) for S in itertools.combinations(range(m), k)]


def walsh(m: int, sets=None) -> np.ndarray:
    """(2^m, len(sets)) matrix of chi_S(x) = prod_{j in S} (2 x_j - 1); all S (degree order) by default."""
    sets = subsets(m) if sets is None else sets
    signs = 2 * bits(m) - 1
    out = np.ones((2 ** m, len(sets)))
    for col, S in enumerate(sets):
        if S:
            out[:, col] = signs[:, list(S)].prod(axis=1)
    return out


def dim_up_to_degree(m: int, degree: int) -> int:
    """d = sum_{k <= degree} C(m, k): the dimension of the Walsh polynomials of degree <= ``degree``."""
    return len(subsets(m, degree))
