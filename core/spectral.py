"""Shared eigen / SVD / Laplacian / Householder helpers for Eigen Atlas.

Several paper pages need the same small pieces of linear algebra; they live here
so each page computes them the same way (and the tests pin them down once):

* ``sym_eigh(A)``: symmetric eigendecomposition, ascending, with deterministic signs.
* ``laplacian(G, kind)``: dense combinatorial or symmetric-normalised graph Laplacian.
* ``truncated_svd(X, k)`` / ``low_rank(X, k)``: top-k SVD and the best rank-k fit.
* ``householder_product(V)``: product of Householder reflectors (numpy or torch).
* ``eigengap(evals, d)``: the gap lambda_{d+1} - lambda_d that SPE's stability bound uses.

Pure numpy / scipy / torch / networkx, never Streamlit. Library routines do the
heavy lifting; only what no library offers (sign conventions, general Householder
products) is written by hand.
"""
from __future__ import annotations

import operator
from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    import networkx as nx

LAPLACIAN_KINDS = ("combinatorial", "sym")


def _canonical_signs(vectors: np.ndarray) -> np.ndarray:
    """Per-column signs (+1/-1) that make each column's largest-|.| entry positive.

    Eigen/singular vectors are only defined up to sign, and LAPACK's choice can
    change between builds or after tiny perturbations; fixing it makes plots and
    cached results reproducible. argmax returns the first index on ties.
    """
    rows = np.argmax(np.abs(vectors), axis=0)
    signs = np.sign(vectors[rows, np.arange(vectors.shape[1])])
    signs[signs == 0] = 1.0  # an all-zero column has no sign to fix
    return signs


def sym_eigh(A) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix.

    Each eigenvector is flipped so its entry of largest absolute value is positive.
    Within a repeated eigenvalue the basis itself is still arbitrary.
    """
    A = np.asarray(A, dtype=float)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"sym_eigh needs a square 2-D matrix, got shape {A.shape}")
    if not np.all(np.isfinite(A)):
        raise ValueError("sym_eigh got a matrix with NaN or inf entries")
    A = (A + A.T) / 2  # eigh reads one triangle only; symmetrise so round-off can't bias it
    evals, evecs = np.linalg.eigh(A)
    return evals, evecs * _canonical_signs(evecs)


def laplacian(G: nx.Graph, kind: str = "combinatorial", weight: str | None = "weight",
              nodelist=None) -> np.ndarray:
    """Dense Laplacian of a networkx graph; edges without ``weight`` count as 1.

    kind="combinatorial": L = D - A.
    kind="sym":           L = I - D^{-1/2} A D^{-1/2}, networkx's convention, so an
                          isolated node gets a zero row/column (diagonal 0, not 1).
    Rows/columns follow ``nodelist`` (default: G's node order).
    """
    import networkx as nx   # here, not at module level: pages that only need a Householder product skip it
    if kind not in LAPLACIAN_KINDS:
        raise ValueError(f"kind must be one of {LAPLACIAN_KINDS}, got {kind!r}")
    n_nodes = G.number_of_nodes() if nodelist is None else len(list(nodelist))
    if n_nodes == 0:
        raise ValueError("laplacian of a graph with no nodes is undefined (empty graph)")
    if kind == "combinatorial":
        L = nx.laplacian_matrix(G, nodelist=nodelist, weight=weight)
    else:
        L = nx.normalized_laplacian_matrix(G, nodelist=nodelist, weight=weight)
    return L.toarray().astype(float)


def truncated_svd(X, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top-k singular triplets (U_k, s_k, Vt_k) of a 2-D array, s descending.

    Signs are fixed: each column of U_k has its largest-|.| entry positive and the
    matching row of Vt_k is flipped with it, so U_k diag(s_k) Vt_k is unchanged.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"truncated_svd needs a 2-D array, got shape {X.shape}")
    k = operator.index(k)
    if not 1 <= k <= min(X.shape):
        raise ValueError(f"k must be in 1..{min(X.shape)} for shape {X.shape}, got {k}")
    # exact dense SVD: the matrices on the pages are small, and iterative solvers
    # (scipy svds) can't return k = min(shape) and are less reproducible
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    U, s, Vt = U[:, :k], s[:k], Vt[:k]
    signs = _canonical_signs(U)
    return U * signs, s, Vt * signs[:, None]


def low_rank(X, k: int) -> np.ndarray:
    """Best rank-k approximation of X in Frobenius/spectral norm (Eckart-Young)."""
    U, s, Vt = truncated_svd(X, k)
    return (U * s) @ Vt


def householder_product(V):
    """H(v1) H(v2) ... H(vk) for the columns of V (n, k), H(v) = I - 2 v v^T / |v|^2.

    Used by the Householder Projector page (Song et al., "Householder Projector for
    Unsupervised Latent Semantics Discovery", ICCV 2023), which parameterises an
    orthogonal matrix by reflector vectors. Accepts a numpy array or a torch tensor
    and returns the same kind (torch: same dtype/device, differentiable in V).

    torch.linalg.householder_product uses LAPACK's (tau, unit-leading v) form, not
    arbitrary vectors, so the product is built here: reflectors are applied to the
    identity from the right, Q <- Q - (2/|v|^2) (Q v) v^T, which costs O(n^2) each
    (O(k n^2) total) instead of the O(n^3) of forming and multiplying every H.
    """
    is_torch = isinstance(V, torch.Tensor)
    if is_torch:
        if not V.is_floating_point():
            raise ValueError(f"householder_product needs a floating tensor, got {V.dtype}")
    else:
        V = np.asarray(V)
        V = V if np.issubdtype(V.dtype, np.floating) else V.astype(float)
    if V.ndim != 2:
        raise ValueError(f"householder_product needs V of shape (n, k), got {tuple(V.shape)}")
    sq_norms = (V * V).sum(0)
    if bool((sq_norms == 0).any()):
        raise ValueError("householder_product got a zero column: H(0) is undefined")

    n = V.shape[0]
    Q = torch.eye(n, dtype=V.dtype, device=V.device) if is_torch else np.eye(n, dtype=V.dtype)
    for j in range(V.shape[1]):
        v = V[:, j]
        Q = Q - (2 / sq_norms[j]) * (Q @ v)[:, None] * v[None, :]  # out of place: keeps autograd
    return Q


def eigengap(evals, d: int) -> float:
    """evals[d] - evals[d-1] for ascending eigenvalues: the gap after the first d.

    This is the gap between the d-th and (d+1)-th eigenvalues in SPE's stability
    bound (Huang et al., ICLR 2024): a small gap means the first d eigenvectors can
    rotate a lot under a small perturbation of the graph.
    """
    evals = np.asarray(evals, dtype=float)
    if evals.ndim != 1:
        raise ValueError(f"eigengap needs a 1-D array of eigenvalues, got shape {evals.shape}")
    d = operator.index(d)
    if not 1 <= d <= len(evals) - 1:
        raise ValueError(f"d must be in 1..{len(evals) - 1} for {len(evals)} eigenvalues, got {d}")
    return float(evals[d] - evals[d - 1])
