"""The aspect-ratio bias, live: alpha against Q = N/M for full-matrix ESDs and for FARMS.

FARMS (Hu et al., ICML 2025), Sec. 3-4: on an N x M matrix of i.i.d. entries the ESD of W^T W follows the
Marchenko-Pastur law with ratio M/N, which narrows as Q = N/M grows; a heavy-tail exponent fitted to that
ESD therefore drifts with Q although nothing was learned. FARMS windows all have one aspect ratio, so
their pooled ESD (and its alpha) does not depend on Q.

* ``random_matrix(n, m, entries, nu, seed)``: i.i.d. Gaussian or Student-t(nu) entries, scaled 1/sqrt(n)
  (alpha is scale-free; the scale only keeps eigenvalues O(1)).
* ``tall_slice(W, q)``: the first q*M rows of a trained N x M layer (N >= M), to sweep Q on real weights.
* ``sweep(make, qs, rows, ops)``: alpha per Q for the four estimates the page compares.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from core.device import pick_device
from core.farms.hill import alpha_hill
from core.farms.spectrum import esd, farms_esd

ENTRIES = ("Gaussian", "Student-t")
METHODS = {  # key -> (label, pooled FARMS windows?, xmin rule)
    "full_median": ("full ESD, median xmin (TempBalance)", False, "median"),
    "full_clauset": ("full ESD, Clauset search (weightwatcher default)", False, "clauset"),
    "farms_median": ("FARMS, median xmin (paper's CV setting)", True, "median"),
    "farms_peak": ("FARMS, xmin_peak (paper's LLM setting)", True, "peak"),
}


def random_matrix(n: int, m: int, entries: str = "Gaussian", nu: float = 3.0, seed: int = 0) -> np.ndarray:
    """An n x m matrix of i.i.d. entries (numpy generator: no global RNG touched), scaled by 1/sqrt(n).

    numpy fills row by row from one stream, so for one seed the first rows are the same at every n: the
    matrices of a Q sweep are nested slices of one matrix, like ``tall_slice`` of a trained layer.
    """
    rng = np.random.default_rng(seed)
    if entries == "Gaussian":
        W = rng.standard_normal((n, m))
    elif entries == "Student-t":
        W = rng.standard_t(nu, size=(n, m))
    else:
        raise ValueError(f"entries must be one of {ENTRIES}")
    return W / np.sqrt(n)


def tall_slice(W: np.ndarray, q: int) -> np.ndarray:
    """The first q * M rows of a tall trained layer (N x M, N >= q M): a real N x M matrix with N/M = q."""
    W = np.asarray(W)
    W = W if W.shape[0] >= W.shape[1] else W.T
    m = W.shape[1]
    if q * m > W.shape[0]:
        raise ValueError(f"the layer has only {W.shape[0]} rows: Q = {q} needs {q * m}")
    return W[: q * m]


def alphas(W, rows: int, ops: int, methods=tuple(METHODS), device=None) -> dict:
    """{method: (alpha, xmin, D)} for one matrix; the pooled ESD is computed once."""
    full = esd(W, device)
    pooled = farms_esd(W, rows=rows, q=1.0, ops=ops, device=device) if any(METHODS[m][1] for m in methods) else None
    return {m: alpha_hill(pooled if METHODS[m][1] else full, METHODS[m][2]) for m in methods}


def sweep(make: Callable[[int], np.ndarray], qs, rows: int, ops: int, methods=tuple(METHODS),
          device=None, progress=None) -> dict:
    """alpha(Q) per method: {"Q": [...], method: [alpha per Q], "device"}; ``make(q)`` returns the N x M matrix."""
    out = {"Q": list(qs), **{m: [] for m in methods}, "device": str(pick_device(device))}
    for i, q in enumerate(qs):
        fits = alphas(make(q), rows, ops, methods, device)
        for m in methods:
            out[m].append(fits[m][0])
        if progress is not None:
            progress((i + 1) / len(qs))
    return out


def relative_change(values) -> float:
    """(last - first) / first: how far an alpha(Q) curve moves from Q = first to Q = last."""
    return float((values[-1] - values[0]) / values[0])
