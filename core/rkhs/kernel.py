"""The kernel that masking induces on {0,1}^m, in closed form, and its staircase spectrum.

Zhai et al. (ICLR 2024), Sec. 2-5: the augmentation operator Gamma: L2(P_X) -> L2(P_A),
(Gamma f)(a) = E[f(X) | A = a], induces the kernel K_X(x, x') = sum_a p(a|x) p(a|x') / p(a), whose
integral operator is Gamma* Gamma. For random masking (each bit masked independently with probability
alpha) and uniform P_X the sum factorises over bits:

    K_X(x, x') = prod_j [alpha + 2 (1 - alpha) 1{x_j = x'_j}]        (= (2 - alpha)^(m - h) alpha^h, h = Hamming)

* the integral-operator eigenvalues (those of the 2^m x 2^m matrix divided by 2^m) form a staircase:
  (1 - alpha)^|S| with multiplicity C(m, |S|), eigenfunctions the Walsh characters chi_S;
* the augmentation complexity kappa^2 = sup_x K_X(x, x) = (2 - alpha)^m, which here also equals the
  trace sum_i lambda_i because K_X(x, x) is the same for every x.

The closed forms were derived for the reference notes and are checked here against the brute-force sum
over augmentations (augmentation.py) by the tests; nothing here is from a library because no library
implements the paper.
"""
from __future__ import annotations

import numpy as np
from scipy.special import comb

from core.rkhs.hypercube import MAX_M, check_settings, hamming


def masking_kernel(m: int, alpha: float) -> np.ndarray:
    """(2^m, 2^m) K_X over x enumerated as 0 .. 2^m - 1 (bit j of the index = x_j)."""
    m, alpha = check_settings(m, alpha)
    # alpha^h (2 - alpha)^(m - h) as a lookup on h, so the 1024^2 matrix costs one gather
    per_distance = alpha ** np.arange(m + 1) * (2 - alpha) ** (m - np.arange(m + 1))
    return per_distance[hamming(m)]


def kernel_from_hamming(h: np.ndarray, m: int, alpha: float) -> np.ndarray:
    """K_X between any bit strings given their Hamming distances h (train x test blocks, digits)."""
    return alpha ** h * (2 - alpha) ** (m - h)


def kappa2(m: int, alpha: float) -> float:
    """The augmentation complexity kappa^2 = sup_x K_X(x, x) = (2 - alpha)^m."""
    m, alpha = check_settings(m, alpha, max_m=10_000)  # closed form: no size limit needed
    return float((2 - alpha) ** m)


def staircase(m: int, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(eigenvalue per degree s = 0..m, multiplicity C(m, s)): (1 - alpha)^s with C(m, s) copies."""
    m, alpha = check_settings(m, alpha, max_m=MAX_M)
    s = np.arange(m + 1)
    return (1 - alpha) ** s, comb(m, s, exact=False).round().astype(int)


def staircase_expanded(m: int, alpha: float) -> np.ndarray:
    """All 2^m integral-operator eigenvalues, descending: each (1 - alpha)^s repeated C(m, s) times."""
    values, mult = staircase(m, alpha)
    return np.repeat(values, mult)


def operator_spectrum(m: int, alpha: float) -> np.ndarray:
    """Eigenvalues of the integral operator Gamma* Gamma, computed: eigvalsh(K_X) / 2^m, descending."""
    return np.linalg.eigvalsh(masking_kernel(m, alpha))[::-1] / 2 ** m
