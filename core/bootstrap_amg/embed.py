"""Embeddings and k-means (D'Ambra, Vassilevski, Cutillo, AMC 2023; official bcm_svd.c, bcm_kmeansblock.c).

* ``bootstrap`` coordinates: the left singular vectors of the smooth vectors W of the (augmented)
  combinatorial Laplacian (official ``bcm_svd``).
* ``eigsh`` coordinates, the structure-only reference: the top-k eigenvectors of the normalised
  adjacency D^{-1/2} A D^{-1/2} (scipy ``eigsh(which='LA')``), i.e. classic spectral clustering.
* ``kmeansblock`` (the paper's modified k-means): vertex i is the block [U_i, U_a1(i), ..., U_aL(i)], its
  own row followed by the rows of its attribute vertices; the paper's "vector-valued distance" sums
  squared differences over the blocks, so it is exactly Euclidean k-means on the concatenation.
* ``rows``: the structure-vertex rows U_i alone (row-normalised), dropping the attribute blocks.

k-means is scikit-learn's, run under threadpoolctl's ``threadpool_limits(1)``: with two OpenMP threads
on a shared 2-core machine it was measured 10-40x slower. The official code keeps the best of 100
random-row restarts by modularity: ``restarts="modularity"`` does that (``official_restarts``, 100
restarts from random data rows, <= 10 Lloyd iterations each, highest modularity of the original graph
kept); the default ``"inertia"`` is scikit-learn's k-means++ with ``n_init`` restarts, lowest inertia.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import eigsh
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

N_INIT = 10


def normalised_adjacency(A) -> sp.csr_array:
    """D^{-1/2} A D^{-1/2}; isolated vertices get a zero row (no division by zero)."""
    A = sp.csr_array(A, dtype=float)
    d = np.asarray(A.sum(axis=1)).ravel()
    inv = np.zeros_like(d)
    inv[d > 0] = 1 / np.sqrt(d[d > 0])
    return sp.csr_array(sp.diags_array(inv) @ A @ sp.diags_array(inv))


def spectral_coordinates(A, k: int, seed: int = 0) -> np.ndarray:
    """Top-k eigenvectors of the normalised adjacency (Lanczos, which='LA'); dense eigh when tiny."""
    M = normalised_adjacency(A)
    n = M.shape[0]
    if n <= max(4 * k, 60):
        vals, vecs = np.linalg.eigh(M.toarray())
        return vecs[:, ::-1][:, :k]
    v0 = np.random.default_rng(seed).uniform(-1, 1, n)
    vals, vecs = eigsh(M, k=k, which="LA", v0=v0)
    return vecs[:, np.argsort(vals)[::-1]]


def row_normalise(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


def block_features(U: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """kmeansblock features: [U_i, U_owner[i, 0], ..., U_owner[i, L-1]] for every structure vertex i."""
    n = owner.shape[0]
    return np.hstack([U[:n]] + [U[owner[:, l]] for l in range(owner.shape[1])])


def kmeans(X: np.ndarray, k: int, seed: int = 0, n_init: int = N_INIT, restarts: str = "inertia",
           A=None) -> np.ndarray:
    """Labels of scikit-learn k-means on one thread: k-means++ keeping the lowest inertia of n_init, or
    (``restarts="modularity"``, needs the original adjacency A) the official code's selection."""
    k = max(1, min(int(k), len(np.unique(X, axis=0))))
    X = np.ascontiguousarray(X)
    if restarts == "modularity":
        return official_restarts(X, k, A, seed)
    with threadpool_limits(1):
        return KMeans(k, n_init=n_init, random_state=seed).fit_predict(X)


OFFICIAL_RESTARTS, OFFICIAL_ITERATIONS = 100, 10


def modularity_fast(A, labels: np.ndarray) -> float:
    """Newman modularity sum_c [e_c / m - (d_c / 2m)^2] with sparse sums (the official restarts call it 100
    times; it equals networkx.community.modularity, which the tests check)."""
    A = sp.coo_array(A)
    two_m = float(A.sum())
    if two_m == 0:
        return 0.0
    inside = float(A.data[labels[A.row] == labels[A.col]].sum())
    degree_sums = np.bincount(labels, weights=np.bincount(A.row, weights=A.data, minlength=A.shape[0]))
    return inside / two_m - float(((degree_sums / two_m) ** 2).sum())


def official_restarts(X: np.ndarray, k: int, A, seed: int = 0) -> np.ndarray:
    """The official kmeansblock driver's selection: restarts seeded with k random data rows as centroids,
    at most 10 Lloyd iterations each, keeping the partition with the highest modularity of A."""
    rng = np.random.default_rng(seed)
    best, best_q = None, -np.inf
    with threadpool_limits(1):
        for _ in range(OFFICIAL_RESTARTS):
            init = X[rng.choice(len(X), k, replace=False)]
            if len(np.unique(init, axis=0)) < k:          # duplicate rows as centroids: draw again next time
                continue
            labels = KMeans(k, init=init, n_init=1, max_iter=OFFICIAL_ITERATIONS).fit_predict(X)
            q = modularity_fast(A, labels)
            if q > best_q:
                best, best_q = labels, q
    return best if best is not None else KMeans(k, n_init=1, random_state=seed).fit_predict(X)
