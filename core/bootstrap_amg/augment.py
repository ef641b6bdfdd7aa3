"""The SA-Cluster augmentation used by D'Ambra, Vassilevski, Cutillo (AMC 2023; official
``bcm_MetadataAugmentation``): every value v of every categorical attribute l becomes a new vertex,
joined to each structure vertex that takes that value. The augmented graph has
n_aug = N + sum_l |values_l| vertices and |E| + N n_attr edges.

The official code gives the attribute edges unit weight (it ignores weights altogether: L = E^T E from
the unweighted incidence); here they carry weight omega, so omega = 1 is the paper and omega = 0
switches the attributes off.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def as_columns(attributes) -> np.ndarray:
    """Attributes as (n, n_attr) integer codes (a 1-D array is one attribute)."""
    attributes = np.asarray(attributes)
    return attributes[:, None] if attributes.ndim == 1 else attributes


def augment(A, attributes, omega: float = 1.0) -> tuple[sp.csr_array, np.ndarray]:
    """(augmented adjacency, owner) where owner[i, l] is the augmented index of vertex i's value of
    attribute l. Structure vertices keep their indices 0..N-1; attribute vertices follow, attribute by
    attribute, in code order."""
    A = sp.csr_array(A, dtype=float)
    codes = as_columns(attributes)
    n = A.shape[0]
    if codes.shape[0] != n or not np.issubdtype(codes.dtype, np.integer) or (codes < 0).any():
        raise ValueError(f"attributes must be non-negative integer codes, one row per vertex ({n}); "
                         f"got shape {codes.shape}, dtype {codes.dtype}")
    codes = codes.astype(np.int64)
    offsets = n + np.concatenate([[0], np.cumsum(codes.max(axis=0) + 1)])
    owner = codes + offsets[:-1]
    n_aug = int(offsets[-1])
    rows = np.repeat(np.arange(n), codes.shape[1])
    cols = owner.ravel()
    B = sp.csr_array((np.full(len(rows), float(omega)), (rows, cols)), shape=(n_aug, n_aug))
    big = sp.block_diag([A, sp.csr_array((n_aug - n, n_aug - n))], format="csr")
    return sp.csr_array(big + B + B.T), owner
