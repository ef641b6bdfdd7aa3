"""The speed comparison of the page and the bench: three ways to get a low-dimensional spectral-like
embedding of a graph, timed on an SBM (an expander) and on a 2-D grid (a mesh).

* ``eigsh``: scipy Lanczos, top-k eigenvectors of the normalised adjacency (``which='LA'``).
* ``sa_lobpcg``: pyamg smoothed aggregation as the preconditioner of scipy LOBPCG on the normalised
  Laplacian, the recipe of scikit-learn's ``spectral_embedding(eigen_solver='amg')`` (L + 1e-5 I for the
  setup, first block vector D^{1/2} 1).
* ``bootstrap``: the paper's smooth vectors (core.bootstrap_amg.bootstrap) of the combinatorial L.

Quality: on the SBM, NMI of k-means on the (row-normalised) embedding against the planted blocks; on
the grid, the fraction of the 4 lowest eigenvectors of the combinatorial Laplacian captured, from their
closed form (products of the path graph's cosines), so a solver that skips one copy of a repeated
eigenvalue shows it. Operator complexity (sum of nnz over levels / nnz of the finest) for each AMG
hierarchy: SA's grows on random graphs, whose coarse levels get denser than the fine one.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pyamg import smoothed_aggregation_solver
from scipy.sparse.csgraph import laplacian as csgraph_laplacian
from scipy.sparse.linalg import lobpcg

from core.bootstrap_amg.bootstrap import bootstrap
from core.bootstrap_amg.embed import kmeans, row_normalise, spectral_coordinates
from core.bootstrap_amg.graphs import attributed_sbm, grid, laplacian
from core.bootstrap_amg.pyamg_rng import forked_numpy_rng
from core.bootstrap_amg.scores import captured_fraction, nmi

K = 4                     # eigenvectors / clusters (4 blocks; the grid's 4 lowest modes close a degenerate pair)
SOLVERS = ("eigsh", "sa_lobpcg", "bootstrap")
LABELS = {"eigsh": "eigsh (Lanczos, normalised adjacency)", "sa_lobpcg": "pyamg SA + LOBPCG",
          "bootstrap": "bootstrap smooth vectors (pyamg re-implementation)"}


def grid_modes(side: int, k: int = K) -> np.ndarray:
    """The k lowest eigenvectors of the side x side grid's combinatorial Laplacian, in closed form:
    path eigenvectors cos(pi m (j + 1/2) / side), eigenvalue 2 - 2 cos(pi m / side), multiplied."""
    j = np.arange(side)
    pairs = sorted(((a, b) for a in range(4) for b in range(4)),
                   key=lambda ab: (4 - 2 * np.cos(np.pi * ab[0] / side) - 2 * np.cos(np.pi * ab[1] / side), ab))
    cols = []
    for a, b in pairs[:k]:
        v = np.outer(np.cos(np.pi * a * (j + 0.5) / side), np.cos(np.pi * b * (j + 0.5) / side)).ravel()
        cols.append(v / np.linalg.norm(v))
    return np.column_stack(cols)


def sa_lobpcg(A, k: int, seed: int = 0) -> tuple[np.ndarray, float, int]:
    """(vectors, operator complexity, LOBPCG iterations) as in scikit-learn's amg spectral embedding."""
    L, dd = csgraph_laplacian(sp.csr_array(A, dtype=float), normed=True, return_diag=True)
    L = sp.csr_array(L)
    with forked_numpy_rng(seed):   # pyamg's SA setup draws from numpy's global RNG
        ml = smoothed_aggregation_solver(sp.csr_array(L + 1e-5 * sp.eye_array(L.shape[0], format="csr")))
    X = np.random.default_rng(seed).standard_normal((L.shape[0], k + 1))
    X[:, 0] = dd.ravel()
    _, vecs, history = lobpcg(L, X, M=ml.aspreconditioner(), tol=1e-5, largest=False, maxiter=200,
                              retResidualNormsHistory=True)
    return vecs[:, :k], float(ml.operator_complexity()), len(history)


def run_one(solver: str, A, k: int, n_vectors: int, seed: int) -> dict:
    start, cpu = time.perf_counter(), time.process_time()
    complexity, iterations = np.nan, np.nan
    if solver == "eigsh":
        U = spectral_coordinates(A, k, seed)
    elif solver == "sa_lobpcg":
        U, complexity, iterations = sa_lobpcg(A, k, seed)
    else:
        boot = bootstrap(laplacian(A), n_vectors, seed)
        U, complexity, iterations = boot.basis, float(np.mean(boot.complexity)), len(boot.rho)
    return {"U": U, "seconds": time.perf_counter() - start, "cpu seconds": time.process_time() - cpu,
            "operator complexity": complexity,
            "iterations / hierarchies": iterations}


def compare(n: int = 10_000, n_vectors: int = 9, seed: int = 0, solvers=SOLVERS, progress=None) -> pd.DataFrame:
    """One row per (graph, solver): seconds, quality, operator complexity. n rounds to a square grid."""
    side = int(round(np.sqrt(n)))
    A_sbm, labels, _ = attributed_sbm(n, K, 10, 0.1, 0.5, seed)
    graphs = {f"SBM {n:,} (mean degree 10, eps 0.1)": (A_sbm, "NMI"),
              f"2-D grid {side}x{side}": (grid(side), "captured fraction")}
    rows, done, total = [], 0, len(graphs) * len(solvers)
    for name, (A, measure) in graphs.items():
        modes = grid_modes(side) if measure != "NMI" else None
        for solver in solvers:
            out = run_one(solver, A, K, n_vectors, seed)
            if measure == "NMI":
                quality = nmi(labels, kmeans(row_normalise(out["U"]), K, seed))
            else:
                quality = captured_fraction(np.linalg.qr(out["U"])[0], modes)
            rows.append({"graph": name, "nodes": A.shape[0], "edges": int(A.nnz // 2), "solver": LABELS[solver],
                         "seconds": out["seconds"], "cpu seconds": out["cpu seconds"], "quality": quality,
                         "measure": measure,
                         "operator complexity": out["operator complexity"],
                         "iterations / hierarchies": out["iterations / hierarchies"]})
            done += 1
            if progress is not None:
                progress(done / total)
    return pd.DataFrame(rows)
