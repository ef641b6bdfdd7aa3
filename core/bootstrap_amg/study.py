"""The page's experiments, built from the core pieces (D'Ambra, Vassilevski, Cutillo, AMC 2023):

* ``capture_curve``: how much of the k lowest Laplacian eigenvectors the first m smooth vectors span,
  m = 1..M, from one bootstrap run (the vectors are nested: the loop only appends).
* ``localisation``: where the lowest modes of the combinatorial Laplacian put their weight, by vertex
  degree; on sparse random graphs they pile up on low-degree vertices (the reference notes' diagnosis
  of why smooth vectors miss the blocks), on the normalised adjacency they do not.
* ``score_table``: every method of the comparison on one graph, with NMI / ARI against the planted
  labels, modularity, SA-Cluster entropy and the NMI against the attribute partition itself (1 means
  the clustering *is* the attribute).
* ``sweep``: NMI of the main methods against eps, p or omega.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import connected_components

from core.bootstrap_amg import coordinates, features
from core.bootstrap_amg.augment import as_columns
from core.bootstrap_amg.bootstrap import Bootstrap, bootstrap
from core.bootstrap_amg.embed import kmeans, spectral_coordinates
from core.bootstrap_amg.graphs import AttributedGraph, grid, laplacian, sbm_graph
from core.bootstrap_amg.speed import grid_modes
from core.bootstrap_amg.scores import ari, captured_fraction, entropy, lowest_eigenvectors, modularity, nmi

# (key, label, method, embedding, uses attributes)
METHODS = (
    ("boot_block", "bootstrap + augmentation, kmeansblock (paper)", "bootstrap", "kmeansblock", True),
    ("boot_rows", "bootstrap + augmentation, rows only", "bootstrap", "rows", True),
    ("eigsh_rows", "eigsh + augmentation, rows only", "eigsh", "rows", True),
    ("eigsh_block", "eigsh + augmentation, kmeansblock", "eigsh", "kmeansblock", True),
    ("boot_struct", "bootstrap, structure only", "bootstrap", "rows", False),
    ("eigsh_struct", "eigsh, structure only (spectral clustering)", "eigsh", "rows", False),
)
ATTRIBUTE = "attribute alone"


def capture_curve(W: np.ndarray, V: np.ndarray) -> pd.DataFrame:
    """Captured fraction of span(V) (orthonormal) by the first m smooth vectors W[:, :m], m = 1..M."""
    rows = []
    for m in range(1, W.shape[1] + 1):
        U, s, _ = np.linalg.svd(W[:, :m], full_matrices=False)
        rows.append({"smooth vectors": m, "captured fraction": captured_fraction(U[:, s > 1e-10 * s[0]], V)})
    return pd.DataFrame(rows)


def localisation(A, V: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """Per vertex degree: share of vertices, and share of the squared entries of the k lowest
    non-trivial modes of L = D - A (V[:, 1:], V the k + 1 lowest) and of the k top non-trivial
    eigenvectors of D^-1/2 A D^-1/2."""
    k = V.shape[1] - 1
    degree = np.asarray(A.sum(axis=1)).ravel().astype(int)
    S = spectral_coordinates(A, k + 1, seed)
    frame = pd.DataFrame({"degree": degree, "combinatorial L": (V[:, 1:] ** 2).sum(axis=1) / k,
                          "normalised adjacency": (S[:, 1:] ** 2).sum(axis=1) / k, "vertices": 1 / len(degree)})
    return frame.groupby("degree", as_index=False).sum()


@dataclass
class Diagnostics:
    """What section 2 of the page shows about the smooth vectors of a graph's own Laplacian."""
    boot: Bootstrap
    curves: pd.DataFrame        # graph, smooth vectors, captured fraction (this graph and a grid)
    localisation: pd.DataFrame
    low_degree_share: float     # weight of L's lowest non-trivial modes on the lowest-degree vertices...
    low_vertex_share: float     # ...which are this share of the vertices (degree <= the 5 % quantile)


def diagnostics(A, k: int, n_vectors: int, seed: int = 0, name: str = "this graph") -> Diagnostics:
    """Smooth vectors of laplacian(A) against its k lowest eigenvectors, and a grid of the same size."""
    boot = bootstrap(laplacian(A), n_vectors, seed)
    _, V = lowest_eigenvectors(laplacian(A), k + 1, seed)
    side = max(int(round(np.sqrt(A.shape[0]))), 4)
    gboot = bootstrap(laplacian(grid(side)), n_vectors, seed)
    curves = pd.concat([capture_curve(boot.W, V[:, :k]).assign(graph=f"{name} ({k} lowest eigenvectors)"),
                        capture_curve(gboot.W, grid_modes(side)).assign(graph=f"2-D grid {side}x{side} (4 lowest)")])
    degree = np.asarray(A.sum(axis=1)).ravel()
    low = degree <= np.quantile(degree, 0.05)
    share = float((V[low, 1:] ** 2).sum() / max((V[:, 1:] ** 2).sum(), 1e-300))
    return Diagnostics(boot, curves, localisation(A, V, seed), share, float(low.mean()))


def _attribute_labels(graph: AttributedGraph) -> np.ndarray:
    """The attribute partition: the value of the single attribute, or the tuple of values."""
    codes = as_columns(graph.attributes)
    return np.unique(codes, axis=0, return_inverse=True)[1].ravel()


def score_row(graph: AttributedGraph, labels: np.ndarray, name: str, seconds: float) -> dict:
    row = {"method": name, "seconds": seconds, "clusters found": len(np.unique(labels)),
           "modularity": modularity(graph.A, labels)}
    if graph.labels is not None:
        row["NMI"], row["ARI"] = nmi(graph.labels, labels), ari(graph.labels, labels)
    if graph.attributes is not None:
        row["entropy (bits)"] = entropy(labels, graph.attributes)
        row["NMI with the attribute"] = nmi(_attribute_labels(graph), labels)
    return row


def score_table(graph: AttributedGraph, k: int, omega: float = 1.0, n_vectors: int = 9, seed: int = 0,
                methods=None, progress=None, restarts: str = "inertia") -> tuple[pd.DataFrame, dict]:
    """(one row per method, {method key: labels})."""
    chosen = [m for m in METHODS if methods is None or m[0] in methods]
    if graph.attributes is None:
        chosen = [m for m in chosen if not m[4]]
    rows, partitions, shared = [], {}, {}
    for i, (key, name, method, embedding, fused) in enumerate(chosen):
        start = time.perf_counter()
        if (method, fused) not in shared:   # kmeansblock and rows share one embedding of the augmented graph
            shared[method, fused] = coordinates(graph.A, graph.attributes if fused else None, k, method, omega,
                                                seed, n_vectors)
        X = features(*shared[method, fused], graph.n, embedding)
        partitions[key] = kmeans(X, k, seed, restarts=restarts, A=graph.A)
        rows.append(score_row(graph, partitions[key], name, time.perf_counter() - start))
        if progress is not None:
            progress((i + 1) / len(chosen))
    if graph.attributes is not None:
        partitions["attribute"] = _attribute_labels(graph)
        rows.append(score_row(graph, partitions["attribute"], ATTRIBUTE, 0.0))
    return pd.DataFrame(rows), partitions


SWEEPS = {"eps": (0.05, 0.1, 0.2, 0.3, 0.4, 0.5), "p": (0.25, 0.4, 0.6, 0.8, 1.0),
          "omega": (0.0, 0.1, 0.3, 1.0, 3.0, 10.0)}
SWEEP_METHODS = ("boot_block", "boot_rows", "eigsh_rows", "eigsh_struct")


def sweep(parameter: str, base: dict, n_vectors: int = 9, seed: int = 0, progress=None,
          restarts: str = "inertia") -> pd.DataFrame:
    """NMI (and ARI, modularity) of SWEEP_METHODS and the attribute alone as one parameter varies.

    ``base`` holds n, q, mean_degree, eps, p, omega; each value of the sweep draws its own SBM (same seed)."""
    frames, values = [], SWEEPS[parameter]
    for i, value in enumerate(values):
        params = {**base, parameter: value}
        graph = sbm_graph(params["n"], params["q"], params["mean_degree"], params["eps"], params["p"], seed)
        table, _ = score_table(graph, params["q"], params["omega"], n_vectors, seed, SWEEP_METHODS, restarts=restarts)
        frames.append(table.assign(**{parameter: value}))
        if progress is not None:
            progress((i + 1) / len(values))
    return pd.concat(frames, ignore_index=True)


def components(A) -> int:
    """Number of connected components (isolated vertices count one each)."""
    return int(connected_components(A, directed=False)[0])


__all__ = ["METHODS", "ATTRIBUTE", "capture_curve", "localisation", "score_table", "sweep", "SWEEPS",
           "diagnostics", "Diagnostics", "components"]
