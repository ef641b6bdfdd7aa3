"""Attributed graphs for the page: the planted-partition SBM with a noisy categorical attribute (the
synthetic setting of D'Ambra, Vassilevski, Cutillo, AMC 2023, and of its sample2 input), Zachary's karate
club with its "club" attribute (networkx), a 2-D grid (the mesh-like contrast), and the user's own edge
list + attribute CSV with size caps and clear errors (GraphError).

Every graph is an ``AttributedGraph``: A (CSR, symmetric, unit weights, no self-loops), attributes
(n, n_attr) integer codes, the planted labels when known, and the attribute values' names.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

MAX_BYTES = 2_000_000          # per uploaded file
MAX_NODES = 10_000
MIN_NODES = 12                 # k <= 10 clusters and their eigenvectors need a few more vertices
MAX_EDGES = 200_000
MAX_VALUES = 200               # distinct attribute values in all (each becomes a vertex of the augmentation)
MAX_ATTRIBUTES = 8


class GraphError(ValueError):
    """Bad input, with a message meant for the page."""


@dataclass(frozen=True)
class AttributedGraph:
    A: sp.csr_array
    attributes: np.ndarray | None          # (n, n_attr) int codes 0..values-1 per column, or None
    labels: np.ndarray | None              # planted partition when known
    names: tuple[str, ...] = ()            # node names (uploads), else empty
    attribute_names: tuple[str, ...] = ()  # one per attribute column
    value_names: tuple[tuple[str, ...], ...] = ()  # per attribute column, the name of each code

    @property
    def n(self) -> int:
        return self.A.shape[0]

    @property
    def edges(self) -> int:
        return int(self.A.nnz // 2)


def symmetric(rows, cols, n: int) -> sp.csr_array:
    """Unit-weight symmetric adjacency without self-loops or duplicate edges."""
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    keep = rows != cols
    r, c = np.concatenate([rows[keep], cols[keep]]), np.concatenate([cols[keep], rows[keep]])
    A = sp.csr_array((np.ones(len(r)), (r, c)), shape=(n, n))
    A.sum_duplicates()
    A.data[:] = 1.0
    return A


def planted_partition(n: int, q: int, mean_degree: float, eps: float, rng) -> tuple[sp.csr_array, np.ndarray]:
    """SBM with q equal blocks, c_in / c_out set by the mean degree c and eps = c_out / c_in.

    c = (c_in + (q - 1) c_out) / q, so c_in = q c / (1 + (q - 1) eps); an edge between two vertices
    has probability c_in / n (same block) or c_out / n. Pairs are drawn block by block: the number of
    edges is binomial, the endpoints uniform, duplicates merged (a negligible loss when sparse).
    """
    labels = np.arange(n) % q
    c_in = q * mean_degree / (1 + (q - 1) * eps)
    c_out = eps * c_in
    members = [np.flatnonzero(labels == b) for b in range(q)]
    rows, cols = [], []
    for a in range(q):
        for b in range(a, q):
            prob = min((c_in if a == b else c_out) / n, 1.0)
            pairs = len(members[a]) * (len(members[a]) - 1) // 2 if a == b else len(members[a]) * len(members[b])
            m = rng.binomial(pairs, prob)
            rows.append(rng.choice(members[a], m))
            cols.append(rng.choice(members[b], m))
    return symmetric(np.concatenate(rows), np.concatenate(cols), n), labels


def noisy_attribute(labels: np.ndarray, q: int, p: float, rng) -> np.ndarray:
    """The true block with probability p, otherwise a uniform draw over the q values."""
    keep = rng.random(len(labels)) < p
    return np.where(keep, labels, rng.integers(0, q, len(labels)))


def attributed_sbm(n: int, q: int, mean_degree: float, eps: float, p: float, seed: int = 0):
    """(A CSR symmetric, labels int (n,), attributes int (n,)) for the planted-partition SBM."""
    if n < q or q < 1:
        raise GraphError("need at least one vertex per block")
    rng = np.random.default_rng(seed)
    A, labels = planted_partition(int(n), int(q), float(mean_degree), float(eps), rng)
    return A, labels, noisy_attribute(labels, q, float(p), rng)


def sbm_graph(n, q, mean_degree, eps, p, seed=0) -> AttributedGraph:
    A, labels, attributes = attributed_sbm(n, q, mean_degree, eps, p, seed)
    return AttributedGraph(A, attributes[:, None], labels, attribute_names=("noisy block",),
                           value_names=(tuple(f"block {b}" for b in range(q)),))


def karate() -> AttributedGraph:
    """Zachary's karate club; the attribute is "club" (Mr. Hi / Officer), which is also the known split."""
    G = nx.karate_club_graph()
    A = symmetric(*np.array(G.edges()).T, G.number_of_nodes())
    club = np.array([G.nodes[v]["club"] == "Officer" for v in G.nodes()], dtype=int)
    return AttributedGraph(A, club[:, None], club, attribute_names=("club",), value_names=(("Mr. Hi", "Officer"),))


def grid(side: int) -> sp.csr_array:
    """Adjacency of the side x side 2-D grid (5-point stencil)."""
    return sp.csr_array(nx.to_scipy_sparse_array(nx.grid_2d_graph(side, side), format="csr", dtype=float))


def laplacian(A) -> sp.csr_array:
    """Combinatorial Laplacian D - A (weights kept)."""
    A = sp.csr_array(A, dtype=float)
    return sp.csr_array(sp.diags_array(np.asarray(A.sum(axis=1)).ravel()) - A)


# ----------------------------------------------------------------------------- uploads

def _text(data: bytes, what: str) -> str:
    if not data:
        raise GraphError(f"The {what} is empty.")
    if len(data) > MAX_BYTES:
        raise GraphError(f"The {what} is {len(data) / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise GraphError(f"The {what} is not UTF-8 text (a binary file?).") from None


def _table(text: str, what: str) -> pd.DataFrame:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith(("#", "%"))]
    if not lines:
        raise GraphError(f"The {what} has no rows.")
    sep = "," if "," in lines[0] else r"\s+"
    try:
        return pd.read_csv(io.StringIO("\n".join(lines)), sep=sep, header=None, dtype=str, engine="python")
    except (pd.errors.ParserError, ValueError) as err:
        raise GraphError(f"The {what} could not be read as CSV / whitespace columns ({err}).") from None


def _without_header(edges: pd.DataFrame) -> pd.DataFrame:
    """Drop a header row ("source,target"): words on the first row where every other row has integer ids."""
    is_id = lambda x: re.fullmatch(r"[+-]?\d+", str(x).strip()) is not None  # noqa: E731
    rest = edges.iloc[1:201].to_numpy().ravel()
    if len(edges) > 1 and not any(map(is_id, edges.iloc[0])) and all(map(is_id, rest)):
        return edges.iloc[1:]
    return edges


def parse_upload(edge_bytes: bytes, attribute_bytes: bytes | None = None) -> AttributedGraph:
    """An edge list ("u v" or "u,v" per line; more columns are ignored) and optionally an attribute CSV
    (first column the node, each further column one categorical attribute; a header row is detected
    when its first cell is not a node of the edge list)."""
    edges = _table(_text(edge_bytes, "edge list"), "edge list")
    if edges.shape[1] < 2:
        raise GraphError("Each edge-list line should be two node ids, e.g. `0 1` or `a,b`.")
    edges = _without_header(edges.iloc[:, :2].dropna())
    if edges.empty:
        raise GraphError("The edge list has no complete `u v` rows.")
    if len(edges) > MAX_EDGES:
        raise GraphError(f"The edge list has {len(edges):,} edges; the limit is {MAX_EDGES:,}.")
    ends = edges.to_numpy().ravel()
    attrs = None
    if attribute_bytes is not None:
        attrs = _table(_text(attribute_bytes, "attribute CSV"), "attribute CSV")
        if attrs.shape[1] < 2:
            raise GraphError("The attribute CSV needs a node column and at least one attribute column.")
        if attrs.iloc[0, 0] not in set(ends):         # a header row
            header, attrs = attrs.iloc[0].fillna("").tolist(), attrs.iloc[1:]
        else:
            header = ["node"] + [f"attribute {i}" for i in range(1, attrs.shape[1])]
        if attrs.shape[1] - 1 > MAX_ATTRIBUTES:
            raise GraphError(f"The attribute CSV has {attrs.shape[1] - 1} attribute columns; the limit is "
                             f"{MAX_ATTRIBUTES}.")
    names = pd.unique(np.concatenate([ends, attrs.iloc[:, 0].to_numpy() if attrs is not None else []]))
    if len(names) > MAX_NODES:
        raise GraphError(f"The graph has {len(names):,} nodes; the limit is {MAX_NODES:,}.")
    if len(names) < MIN_NODES:
        raise GraphError(f"The graph has {len(names)} nodes; the page needs at least {MIN_NODES}.")
    index = {name: i for i, name in enumerate(names)}
    A = symmetric(edges.iloc[:, 0].map(index), edges.iloc[:, 1].map(index), len(names))
    if A.nnz == 0:
        raise GraphError("The edge list has only self-loops: no edges.")
    if attrs is None:
        return AttributedGraph(A, None, None, tuple(map(str, names)))
    codes, value_names = _codes(attrs, index, len(names))
    return AttributedGraph(A, codes, None, tuple(map(str, names)), value_names=value_names,
                           attribute_names=tuple(str(h) for h in header[1:]))


def _codes(attrs: pd.DataFrame, index: dict, n: int) -> np.ndarray:
    if attrs[0].duplicated().any():
        raise GraphError(f"Node `{attrs[0][attrs[0].duplicated()].iloc[0]}` has two attribute rows.")
    rows = attrs.set_index(0).reindex(list(index))
    missing = rows.isna().any(axis=1)
    if missing.any():
        raise GraphError(f"{int(missing.sum())} node(s) have no attribute value (e.g. `{rows.index[missing][0]}`); "
                         "every node of the edge list needs one value per attribute column.")
    factors = [pd.factorize(rows[c]) for c in rows.columns]
    codes = np.column_stack([f[0] for f in factors])
    total = int(sum(codes[:, j].max() + 1 for j in range(codes.shape[1])))
    if total > MAX_VALUES:
        raise GraphError(f"The attributes take {total} distinct values in all; the limit is {MAX_VALUES} "
                         "(each value becomes a vertex of the augmented graph: use categorical attributes).")
    return codes, tuple(tuple(str(v) for v in f[1]) for f in factors)
