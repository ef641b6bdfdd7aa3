"""The augmentation graph made explicit: data x, masked views a, p(a|x), and the paper's Monte-Carlo kappa.

Zhai et al. (ICLR 2024), Sec. 2 and 5. An augmentation a in {0, 1, M}^m keeps each bit of x with
probability 1 - alpha and masks it (M) with probability alpha, independently:

    p(a|x) = alpha^#M (1 - alpha)^(m - #M) 1{a agrees with x on the kept bits},   p(a) = E_x p(a|x).

The bipartite graph with data nodes x, augmentation nodes a and edge weights P_X(x) p(a|x) is
HaoChen et al.'s augmentation graph; K_X(x, x') = sum_a p(a|x) p(a|x') / p(a) is read off it by brute
force here (3^m nodes, so m <= MAX_GRAPH_M) to check the closed form of kernel.py.

The Monte-Carlo estimate is the paper's procedure for masked language models (Sec. 5):
kappa^2 = K_X(x, x) = E_{a ~ p(.|x)}[p(a|x) / p(a)], averaged over sampled augmentations. On the
hypercube the ratio is 2^(#kept bits), so its relative variance ((4 - 3 alpha) / (2 - alpha)^2)^m - 1
grows exponentially with m: many samples are needed (derived in the reference notes, not the paper).
"""
from __future__ import annotations

import itertools

import networkx as nx
import numpy as np

from core.rkhs.hypercube import MAX_GRAPH_M, SettingsError, bits, check_settings

MASK = 2  # the symbol M in an augmentation's code (0 and 1 are kept bits)
MAX_MC_SAMPLES = 1_000_000


def augmentations(m: int) -> np.ndarray:
    """(3^m, m) codes in {0, 1, MASK}, ordered by number of masks, then lexicographically."""
    m, _ = check_settings(m, max_m=MAX_GRAPH_M)
    codes = np.array(list(itertools.product((0, 1, MASK), repeat=m)), dtype=int).reshape(-1, m)
    order = np.lexsort((*codes.T[::-1], (codes == MASK).sum(1)))
    return codes[order]


def conditional(m: int, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(P, codes): P[x, a] = p(a|x) over the 2^m data points and 3^m augmentations."""
    m, alpha = check_settings(m, alpha, max_m=MAX_GRAPH_M)
    codes, x = augmentations(m), bits(m)
    masked = codes == MASK
    agrees = np.all(masked[None] | (codes[None] == x[:, None]), axis=2)      # (2^m, 3^m)
    k = masked.sum(1)
    return agrees * (alpha ** k * (1 - alpha) ** (m - k))[None], codes


def brute_force_kernel(m: int, alpha: float) -> np.ndarray:
    """K_X(x, x') = sum_a p(a|x) p(a|x') / p(a), summed over all 3^m augmentations."""
    P, _ = conditional(m, alpha)
    p_a = P.mean(axis=0)                     # uniform P_X
    return (P / p_a) @ P.T


def normalized_adjacency(m: int, alpha: float) -> np.ndarray:
    """D^-1/2 W D^-1/2 of the bipartite augmentation graph (nodes: 2^m data, then 3^m augmentations).

    Its non-zero eigenvalues are +-sqrt(lambda_i): the singular values of Gamma, so the squares give the
    staircase again (the graph view of HaoChen et al. and the operator view agree).
    """
    P, _ = conditional(m, alpha)
    W = P / 2 ** m                           # edge weight P_X(x) p(a|x)
    scaled = W / np.sqrt(W.sum(1))[:, None] / np.sqrt(W.sum(0))[None]
    n_x, n_a = W.shape
    A = np.zeros((n_x + n_a, n_x + n_a))
    A[:n_x, n_x:], A[n_x:, :n_x] = scaled, scaled.T
    return A


def augmentation_graph(m: int, alpha: float) -> nx.Graph:
    """networkx bipartite graph for drawing (m <= 4): node attributes kind, label, masks; edge weight p(a|x)."""
    m, alpha = check_settings(m, alpha, max_m=4)
    P, codes = conditional(m, alpha)
    G = nx.Graph()
    for i, x in enumerate(bits(m)):
        G.add_node(("x", i), kind="data", label="".join(map(str, x)), masks=0)
    for j, code in enumerate(codes):
        G.add_node(("a", j), kind="augmentation", label="".join("M" if c == MASK else str(c) for c in code),
                   masks=int((code == MASK).sum()))
    for i, j in zip(*np.nonzero(P)):
        G.add_edge(("x", int(i)), ("a", int(j)), weight=float(P[i, j]))
    return G


def kappa2_samples(m: int, alpha: float, n_augmentations: int, seed: int = 0) -> np.ndarray:
    """The paper's Monte-Carlo terms p(a|x) / p(a) for a ~ p(.|x), x = 0...0 (every x gives the same law).

    The masks are sampled bit by bit; p(a|x) and p(a) are evaluated from their definitions (p(a) by the
    closed sum over x: the 2^(#kept) strings that agree with a, each with P_X = 2^-m).
    """
    m, alpha = check_settings(m, alpha, max_m=10_000)
    n = int(n_augmentations)
    if n != n_augmentations or not 1 <= n <= MAX_MC_SAMPLES:
        raise SettingsError(f"n_augmentations must be a whole number from 1 to {MAX_MC_SAMPLES:,}, "
                            f"got {n_augmentations!r}")
    rng = np.random.default_rng(seed)
    kept = (rng.random((n, m)) >= alpha).sum(axis=1)
    log_p_a_given_x = kept * np.log1p(-alpha) + (m - kept) * np.log(alpha)
    # p(a) = sum over the 2^(m - kept) strings x' that agree with a of 2^-m p(a|x'), all equal to p(a|x)
    log_p_a = log_p_a_given_x + (m - kept) * np.log(2.0) - m * np.log(2.0)
    return np.exp(log_p_a_given_x - log_p_a)


def kappa2_monte_carlo(m: int, alpha: float, n_augmentations: int, seed: int = 0) -> float:
    """The Monte-Carlo estimate of kappa^2 = E_{a ~ p(.|x)}[p(a|x) / p(a)] from ``n_augmentations`` draws."""
    return float(kappa2_samples(m, alpha, n_augmentations, seed).mean())


def running_estimate(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(running mean, its standard error) after 1, 2, ... samples: the estimator's convergence."""
    count = np.arange(1, len(samples) + 1)
    mean = np.cumsum(samples) / count
    second = np.cumsum(samples ** 2) / count
    stderr = np.sqrt(np.maximum(second - mean ** 2, 0.0) / np.maximum(count - 1, 1))
    return mean, stderr


def relative_std(m: int, alpha: float) -> float:
    """Exact relative standard deviation of one Monte-Carlo term: sqrt(((4 - 3a) / (2 - a)^2)^m - 1)."""
    return float(np.sqrt(((4 - 3 * alpha) / (2 - alpha) ** 2) ** m - 1))
