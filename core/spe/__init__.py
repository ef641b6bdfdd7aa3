"""SPE: Huang, Lu, Robinson, Yang, Zhang, Jegelka, Li, "On the Stability of Expressive Positional
Encodings for Graphs" (ICLR 2024, arXiv 2310.02579).

Implements the paper's SPE (Sec. 3, Eq. 2: SPE(V, lambda) = rho(V diag(phi_1(lambda)) V^T, ...,
V diag(phi_m(lambda)) V^T)), its closed-form heat-kernel instance, the baselines it is compared with
(raw and sign-aligned Laplacian eigenvectors, SignNet, BasisNet with the official hard partition), the
perturbation experiment behind Theorem 3.1 (stability: |dPE| <= C |dL| + C' sqrt|dL|, with a 1/gamma
term when d cuts the spectrum) and the cycle-counting comparison (Sec. 5, substructure counting).

Core API (no Streamlit):

* ``spe_matrices(eigvals, eigvecs, phi)`` -> (n, n, m): V diag(phi_l(lambda)) V^T stacked over l, for a
  callable ``phi`` mapping eigenvalues (d,) to (d, m) (or (d,) for one channel).
* ``encode(graph, method, d=None, seed=0, device=None)`` -> (n, p) numpy array for ``method`` in
  ``METHODS`` = ("lap", "lap_aligned", "signnet", "basisnet", "spe", "spe_heat"); the first d
  eigenpairs of the symmetric-normalised Laplacian (trivial lambda = 0 pair included, as in the official
  preprocessing; d = None: all n). The Laplacian honours the ``weight`` edge attribute.
* ``stability.sweep / d_profile / pair / rotation_change``: the page's batched experiments.
* ``counting``: exact cycle-count datasets and the GNN comparison (no PE / SignNet / SPE).
* ``graphs``: graph sources and input checks (GraphError).
"""
from __future__ import annotations

import networkx as nx
import numpy as np
import torch

from core.device import pick_device
from core.spe.encodings import HEAT_TIMES, LABELS, METHODS
from core.spe.stability import DTYPE, adjacency, encode_batch
from core.spectral import laplacian

__all__ = ["METHODS", "LABELS", "HEAT_TIMES", "spe_matrices", "encode"]


def spe_matrices(eigvals, eigvecs, phi) -> np.ndarray:
    """sum_i phi_l(lambda_i) v_i v_i^T for every channel l: (n, n, m)."""
    eigvals, eigvecs = np.asarray(eigvals, dtype=float), np.asarray(eigvecs, dtype=float)
    weights = np.asarray(phi(eigvals), dtype=float)
    weights = weights[:, None] if weights.ndim == 1 else weights
    if weights.shape[0] != eigvals.shape[0] or eigvecs.shape[1] != eigvals.shape[0]:
        raise ValueError(f"phi gave {weights.shape} for {eigvals.shape[0]} eigenvalues and "
                         f"{eigvecs.shape[1]} eigenvectors")
    return np.einsum("id,dm,jd->ijm", eigvecs, weights, eigvecs)


def encode(graph: nx.Graph, method: str, d: int | None = None, seed: int = 0, device=None) -> np.ndarray:
    """The (n, p) positional encoding of ``graph`` by ``method`` (networks seeded by ``seed``)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    dev = pick_device(device)
    L = torch.as_tensor(laplacian(graph, "sym"), dtype=DTYPE, device=dev)[None]
    evals, evecs = torch.linalg.eigh(L)
    adj = torch.as_tensor(adjacency(graph), dtype=DTYPE, device=dev)[None]
    n = L.shape[-1]
    d = n if d is None else min(int(d), n)
    return encode_batch(evals, evecs, adj, d, seed, (method,))[method][0].cpu().numpy()
