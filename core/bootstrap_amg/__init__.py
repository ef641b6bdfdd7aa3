"""Bootstrap AMG clustering of attributed graphs: D'Ambra, Vassilevski, Cutillo, "Extending Bootstrap AMG
for Clustering of Attributed Graphs" (Applied Mathematics and Computation 447, 2023, 127904; arXiv
2109.09367; official C code bootcmatch/BCMatch4Graphs).

The pipeline (an early-fusion method): augment the graph with one vertex per attribute value
(``augment``, SA-Cluster), embed the augmented graph with the algebraically smooth vectors of a bootstrap
AMG setup instead of Laplacian eigenvectors (``bootstrap``), and cluster with the paper's kmeansblock
(each vertex = its row plus its attribute vertices' rows) or, the variant the reference notes found to
fuse the two sources, the structure rows alone (``embed``). Scores in ``scores``, timings in ``speed``.

Core API (no Streamlit):

* ``attributed_sbm(n, q, mean_degree, eps, p, seed=0)`` -> (A CSR symmetric, labels (n,), attributes (n,)).
* ``smooth_vectors(L, n_vectors, seed=0)`` -> (n, n_vectors) orthonormal basis of the bootstrap smooth
  vectors of the graph Laplacian L (fewer columns if the loop converged early).
* ``cluster(A, attributes, k, method="bootstrap"|"eigsh", embedding="kmeansblock"|"rows", omega=1.0,
  seed=0)`` -> labels (n,); ``attributes=None`` clusters the structure alone.
"""
from __future__ import annotations

import numpy as np

from core.bootstrap_amg.augment import augment
from core.bootstrap_amg.bootstrap import bootstrap
from core.bootstrap_amg.embed import block_features, kmeans, row_normalise, spectral_coordinates
from core.bootstrap_amg.graphs import GraphError, attributed_sbm, laplacian

__all__ = ["attributed_sbm", "smooth_vectors", "cluster", "embedding_of", "coordinates", "features", "GraphError",
           "METHODS", "EMBEDDINGS",
           "N_VECTORS"]

METHODS = ("bootstrap", "eigsh")
EMBEDDINGS = ("kmeansblock", "rows")
N_VECTORS = 9   # 8 hierarchies: the reference notes' setting (the official default allows up to 40)


def smooth_vectors(L, n_vectors: int = N_VECTORS, seed: int = 0) -> np.ndarray:
    """Orthonormal basis of the smooth vectors the bootstrap loop builds for the Laplacian L."""
    return bootstrap(L, n_vectors, seed).basis


def coordinates(A, attributes, k: int, method: str = "bootstrap", omega: float = 1.0, seed: int = 0,
                n_vectors: int = N_VECTORS) -> tuple[np.ndarray, np.ndarray | None]:
    """(U, owner): coordinates of every vertex of the (augmented) graph and the attribute vertices'
    indices (None when the structure alone is embedded)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    if attributes is not None and omega > 0:
        graph, owner = augment(A, attributes, omega)
    else:
        graph, owner = A, None
    if method == "eigsh":
        return spectral_coordinates(graph, k, seed), owner
    return smooth_vectors(laplacian(graph), n_vectors, seed), owner


def features(U: np.ndarray, owner: np.ndarray | None, n: int, embedding: str = "kmeansblock") -> np.ndarray:
    """What k-means sees: the kmeansblock concatenation, or the row-normalised structure rows."""
    if embedding not in EMBEDDINGS:
        raise ValueError(f"embedding must be one of {EMBEDDINGS}")
    if owner is not None and embedding == "kmeansblock":
        return block_features(U, owner)
    return row_normalise(U[:n])


def embedding_of(A, attributes, k: int, method: str = "bootstrap", embedding: str = "kmeansblock",
                 omega: float = 1.0, seed: int = 0, n_vectors: int = N_VECTORS) -> np.ndarray:
    """The features k-means sees for every structure vertex (see ``cluster``)."""
    if embedding not in EMBEDDINGS:
        raise ValueError(f"embedding must be one of {EMBEDDINGS}")
    U, owner = coordinates(A, attributes, k, method, omega, seed, n_vectors)
    return features(U, owner, A.shape[0], embedding)


def cluster(A, attributes, k: int, method: str = "bootstrap", embedding: str = "kmeansblock",
            omega: float = 1.0, seed: int = 0, n_vectors: int = N_VECTORS, restarts: str = "inertia") -> np.ndarray:
    """k clusters of the structure vertices of A (CSR, symmetric).

    method: "bootstrap" (smooth vectors of the combinatorial Laplacian, the paper) or "eigsh" (top-k
    eigenvectors of the normalised adjacency). With attributes (n,) or (n, n_attr) integer codes the
    graph is augmented first, attribute edges weighted ``omega``; embedding "kmeansblock" is the
    paper's block k-means, "rows" keeps only the structure rows (row-normalised). ``attributes=None``
    (or omega = 0) clusters the structure alone, where both embeddings are the rows. ``restarts``:
    "inertia" (scikit-learn k-means++, 10 restarts) or "modularity" (the official code's 100 random-row
    restarts, highest modularity of A kept).
    """
    X = embedding_of(A, attributes, k, method, embedding, omega, seed, n_vectors)
    return kmeans(X, k, seed, restarts=restarts, A=A)
