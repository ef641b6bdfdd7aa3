"""The bootstrap AMG loop that produces algebraically smooth vectors (D'Ambra, Vassilevski, Cutillo,
"Extending Bootstrap AMG for Clustering of Attributed Graphs", AMC 2023; the loop is
``bcm_Bootstrap`` of the official BCMatch4Graphs / BootCMatch code).

Start from w_0 = 1. Repeat: build an aggregation hierarchy fitted to the current smooth vector w,
append it to a *composite* solver (the multiplicative product of one V-cycle per hierarchy), run
``solver_it`` composite iterations on L x = 0 from a random x, and take the slowest-to-converge
error x / |x|_L as the next smooth vector. Stop when the composite solver converges fast
(rho <= conv_ratio) or after ``n_vectors - 1`` hierarchies.

Written by hand (no library implements it): the loop, the composite product and the hierarchy
assembly. The pieces are pyamg's: ``pairwise_aggregation`` (Notay's double pairwise matching),
``fit_candidates`` (the unsmoothed tentative prolongator fitted to w), ``MultilevelSolver`` with one
forward and one backward Gauss-Seidel sweep. Where it differs from BootCMatch: BootCMatch matches on
the w-dependent *compatible weighted matching* weights 1 - 2 a_ij w_i w_j / (a_ii w_i^2 + a_jj w_j^2)
with Preis' 1/2-approximate maximum-weight matching; pyamg's pairwise aggregation matches on classical
strength of connection, so we hand it D_w L D_w (D_w = diag(w)), the cheap w-dependent stand-in the
reference notes suggest.

The hierarchy is assembled by hand because pyamg 5.4.1's ``smoothed_aggregation_solver`` with
pairwise aggregation and a user B fails at the third level (BSR coarse operators: fit_candidates
rejects the BSR AggOp); here every coarse operator is kept CSR.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from pyamg.aggregation import fit_candidates
from pyamg.aggregation.aggregate import pairwise_aggregation
from pyamg.multilevel import MultilevelSolver
from pyamg.relaxation.smoothing import change_smoothers

# Official defaults (Test/RUNS/inputAttributedGraph): 15 solver iterations, conv_ratio 1e-6, max coarse
# size 10 (an exact coarse solve on a small graph would make the composite solver exact at once).
SOLVER_IT = 15
CONV_RATIO = 1e-6
MAX_COARSE = 10
MAX_LEVELS = 39
SHIFT = 1e-8  # relative diagonal shift: makes L SPD on any graph (disconnected, isolated vertices)


@dataclass
class Bootstrap:
    """Everything the loop produced: the smooth vectors and what the page reports about them."""
    W: np.ndarray                          # (n, m): w_0 = 1 (normalised), then one vector per hierarchy
    rho: list[float] = field(default_factory=list)          # composite convergence rate after each hierarchy
    complexity: list[float] = field(default_factory=list)   # operator complexity of each hierarchy
    levels: list[int] = field(default_factory=list)         # levels of each hierarchy

    @property
    def basis(self) -> np.ndarray:
        """Orthonormal basis of span(W): the left singular vectors (the paper's embedding, bcm_svd)."""
        U, s, _ = np.linalg.svd(self.W, full_matrices=False)
        return U[:, s > s[0] * 1e-10]


def shifted(L) -> sp.csr_array:
    """L + delta I with delta = SHIFT x mean degree: SPD even when L has several null vectors.

    The official code adds a rank-1 term that only works for a connected graph (it crashes on an
    isolated vertex); a tiny diagonal shift handles any number of components and keeps the
    Gauss-Seidel diagonal nonzero on isolated vertices.
    """
    L = sp.csr_array(L, dtype=float)
    diag = L.diagonal()
    delta = SHIFT * max(float(diag.mean()), 1.0)
    return sp.csr_array(L + delta * sp.eye_array(L.shape[0], format="csr"))


def hierarchy(A: sp.csr_array, w: np.ndarray, max_coarse: int = MAX_COARSE) -> MultilevelSolver:
    """An unsmoothed-aggregation hierarchy whose tentative prolongators reproduce w exactly."""
    levels, B = [], w.reshape(-1, 1)
    while True:
        level = MultilevelSolver.Level()
        level.A = A
        levels.append(level)
        if A.shape[0] <= max_coarse or len(levels) >= MAX_LEVELS:
            break
        scaled = sp.csr_array(sp.diags_array(B[:, 0]) @ A @ sp.diags_array(B[:, 0]))  # w-dependent matching
        AggOp = pairwise_aggregation(scaled, matchings=2)[0]
        AggOp = sp.csr_array(AggOp)
        if AggOp.shape[1] >= A.shape[0]:     # nothing matched any more (e.g. only isolated vertices left)
            break
        P, B = fit_candidates(AggOp, B)
        P = sp.csr_array(P)
        level.P, level.R = P, sp.csr_array(P.T)
        A = sp.csr_array(level.R @ A @ P)
    ml = MultilevelSolver(levels, coarse_solver="pinv")
    change_smoothers(ml, ("gauss_seidel", {"sweep": "forward"}), ("gauss_seidel", {"sweep": "backward"}))
    return ml


def energy(A, x: np.ndarray) -> float:
    return float(np.sqrt(max(x @ (A @ x), 0.0)))


def bootstrap(L, n_vectors: int = 9, seed: int = 0, solver_it: int = SOLVER_IT,
              conv_ratio: float = CONV_RATIO, progress=None) -> Bootstrap:
    """Run the bootstrap loop on the graph Laplacian ``L``; at most ``n_vectors`` smooth vectors."""
    A = shifted(L)
    n = A.shape[0]
    rng = np.random.default_rng(seed)
    w = np.ones(n)
    out = Bootstrap(W=(w / np.sqrt(n))[:, None])
    solvers = []
    for step in range(n_vectors - 1):
        ml = hierarchy(A, w)
        solvers.append(ml.aspreconditioner(cycle="V"))
        out.complexity.append(float(ml.operator_complexity()))
        out.levels.append(len(ml.levels))
        x = rng.uniform(-1.0, 1.0, n)
        previous = energy(A, x)
        for it in range(solver_it):       # composite solver on L x = 0: x <- x + B_h (0 - L x), h = 1..H
            if it == solver_it - 1:
                previous = energy(A, x)
            for solve in solvers:
                x = x - solve(A @ x)
        norm = energy(A, x)
        rho = norm / previous if previous > 0 else 0.0
        out.rho.append(float(rho))
        if norm == 0.0:
            break
        w = x / norm
        out.W = np.column_stack([out.W, w / np.linalg.norm(w)])
        if progress is not None:
            progress((step + 1) / (n_vectors - 1))
        if rho <= conv_ratio:
            break
    return out
