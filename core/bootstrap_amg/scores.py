"""Scores for a clustering: NMI and ARI against known labels (scikit-learn), Newman modularity of the
original graph (networkx, the same definition as the official ``bcm_modularity.c``), the SA-Cluster
attribute entropy (official ``bcm_entropy.c``), and how much of the low Laplacian eigenspace a set of
smooth vectors captures (principal angles)."""
from __future__ import annotations

import networkx as nx
import numpy as np
import scipy.sparse as sp
from pyamg import smoothed_aggregation_solver
from scipy.linalg import eigh, subspace_angles
from scipy.sparse.linalg import lobpcg

from core.bootstrap_amg.pyamg_rng import forked_numpy_rng
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score


def nmi(truth, labels) -> float:
    return float(normalized_mutual_info_score(truth, labels))


def ari(truth, labels) -> float:
    return float(adjusted_rand_score(truth, labels))


def modularity(A, labels) -> float:
    """Newman modularity of the partition on the (unweighted) original graph."""
    G = nx.from_scipy_sparse_array(sp.csr_array(A))
    if G.number_of_edges() == 0:
        return 0.0
    communities = [set(np.flatnonzero(labels == c).tolist()) for c in np.unique(labels)]
    return float(nx.community.modularity(G, communities))


def entropy(labels, attributes) -> float:
    """SA-Cluster entropy in bits: sum_c |c|/N sum_l H(attribute l within c) (lower = purer clusters)."""
    attributes = np.asarray(attributes)
    attributes = attributes[:, None] if attributes.ndim == 1 else attributes
    total, n = 0.0, len(labels)
    for c in np.unique(labels):
        members = attributes[labels == c]
        for col in members.T:
            p = np.bincount(col) / len(col)
            p = p[p > 0]
            total += len(members) / n * float(-(p * np.log2(p)).sum())
    return total


def captured_fraction(U: np.ndarray, V: np.ndarray) -> float:
    """Mean squared cosine of the principal angles between span(V) and span(U), for orthonormal V:
    |U^T V|_F^2 / k, i.e. the fraction of the k eigenvectors' energy that span(U) holds (1 = contains)."""
    return float(np.sum(np.cos(subspace_angles(U, V)) ** 2) / V.shape[1])


def lowest_eigenvectors(L, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The k lowest eigenpairs of a Laplacian: dense eigh when small, else LOBPCG preconditioned by pyamg
    smoothed aggregation (measured on a 4000-node SBM: 3.5 s, against 26 s shift-invert, 38 s dense)."""
    L = sp.csr_array(L, dtype=float)
    n = L.shape[0]
    if n <= 600:
        return eigh(L.toarray(), subset_by_index=[0, k - 1])
    with forked_numpy_rng(seed):   # pyamg's SA setup draws from numpy's global RNG
        ml = smoothed_aggregation_solver(sp.csr_array(L + 1e-5 * sp.eye_array(n, format="csr")))
    X = np.random.default_rng(seed).standard_normal((n, k + 2))
    X[:, 0] = 1.0
    vals, vecs = lobpcg(L, X, M=ml.aspreconditioner(), tol=1e-8, largest=False, maxiter=500)
    order = np.argsort(vals)[:k]
    return vals[order], np.linalg.qr(vecs[:, order])[0]
