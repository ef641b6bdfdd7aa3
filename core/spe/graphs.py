"""Graph sources for the SPE page: networkx classics, RDKit molecules, random graphs, uploaded edge
lists; and the checks that turn bad input into one clear GraphError message.

Every builder returns a networkx Graph; ``prepare`` relabels it 0..n-1 (the original labels stay in the
node attribute "label") and enforces the page's limits.
"""
from __future__ import annotations

import math

import networkx as nx

MAX_NODES = 60            # the page's limit: SPE's tensor is n x n x m per graph and the sweep batches 31
MAX_UPLOAD_BYTES = 200_000


class GraphError(ValueError):
    """Bad input the page reports as a message (never a traceback)."""


CLASSICS = {
    "cycle C12": lambda: nx.cycle_graph(12),
    "grid 4x5": lambda: nx.grid_2d_graph(4, 5),
    "ladder, 8 rungs": lambda: nx.ladder_graph(8),
    "Petersen": nx.petersen_graph,
    "hypercube Q4": lambda: nx.hypercube_graph(4),
    "karate club": nx.karate_club_graph,
    "path P10": lambda: nx.path_graph(10),
}

MOLECULES = {            # heavy-atom graphs: rings give repeated eigenvalues, substituents break them
    "benzene": "c1ccccc1",
    "naphthalene": "c1ccc2ccccc2c1",
    "cubane": "C12C3C4C1C5C2C3C45",
    "adamantane": "C1C2CC3CC1CC(C2)C3",
    "caffeine": "CN1C=NC2=C1C(=O)N(C(=O)N2C)C",
    "ibuprofen": "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
    "aspirin": "CC(=O)Oc1ccccc1C(=O)O",
}

RANDOM_MODELS = ("Erdős–Rényi", "SBM (2 blocks)")


def classic(name: str) -> nx.Graph:
    if name not in CLASSICS:
        raise GraphError(f"unknown graph {name!r}; choose one of {', '.join(CLASSICS)}")
    return nx.Graph(CLASSICS[name]())


def from_smiles(smiles: str) -> nx.Graph:
    """Heavy-atom graph of a SMILES string (RDKit); nodes carry their element symbol."""
    from rdkit import Chem, RDLogger   # imported here: only this source needs RDKit
    RDLogger.DisableLog("rdApp.*")      # RDKit prints parse errors to stderr; the page shows its own
    smiles = (smiles or "").strip()
    if not smiles:
        raise GraphError("the SMILES string is empty")
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise GraphError(f"RDKit cannot parse the SMILES {smiles!r}")
    G = nx.Graph()
    G.add_nodes_from((a.GetIdx(), {"label": f"{a.GetSymbol()}{a.GetIdx()}"}) for a in mol.GetAtoms())
    G.add_edges_from((b.GetBeginAtomIdx(), b.GetEndAtomIdx()) for b in mol.GetBonds())
    return G


def random_graph(model: str, n: int, seed: int) -> nx.Graph:
    """Erdős–Rényi with mean degree ~4, or a 2-block SBM (dense blocks, sparse between them)."""
    if model == RANDOM_MODELS[0]:
        return nx.gnp_random_graph(n, min(1.0, 4 / max(n - 1, 1)), seed=seed)
    if model == RANDOM_MODELS[1]:
        half = n // 2
        p_in, p_out = min(1.0, 5 / max(half - 1, 1)), min(1.0, 0.6 / max(half, 1))
        return nx.Graph(nx.stochastic_block_model([half, n - half], [[p_in, p_out], [p_out, p_in]], seed=seed))
    raise GraphError(f"unknown random model {model!r}")


def _edge_fields(line: str) -> list[str]:
    return line.replace(",", " ").replace(";", " ").split()


def parse_edge_list(data: bytes, max_nodes: int = MAX_NODES, max_bytes: int = MAX_UPLOAD_BYTES) -> nx.Graph:
    """An edge list: one edge per line, ``u v`` or ``u v weight``, separated by commas/spaces/tabs.

    Lines starting with # are comments; a first line whose weight is not a number (a CSV header such as
    ``source,target,weight``) is skipped. Weights must be positive and finite."""
    if len(data) > max_bytes:
        raise GraphError(f"the file is {len(data) / 1000:.0f} kB; the limit is {max_bytes / 1000:.0f} kB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise GraphError("the file is not UTF-8 text: upload a plain CSV/TXT edge list") from None
    G = nx.Graph()
    lines = [(i, ln.strip()) for i, ln in enumerate(text.splitlines(), 1) if ln.strip() and not ln.startswith("#")]
    for k, (number, line) in enumerate(lines):
        fields = _edge_fields(line)
        if len(fields) not in (2, 3):
            raise GraphError(f"line {number} ({line[:40]!r}) should be 'u v' or 'u v weight'")
        if k == 0 and not _is_number(fields[-1]) and (len(fields) == 3 or not _is_number(fields[0])):
            continue   # a header line
        weight = float(fields[2]) if len(fields) == 3 and _is_number(fields[2]) else None
        if len(fields) == 3 and (weight is None or not math.isfinite(weight) or weight <= 0):
            raise GraphError(f"line {number}: the weight {fields[2]!r} must be a positive finite number")
        if fields[0] == fields[1]:
            raise GraphError(f"line {number}: self-loop {fields[0]}-{fields[1]}; the Laplacian PE needs a simple graph")
        G.add_edge(fields[0], fields[1], weight=1.0 if weight is None else weight)
        if G.number_of_nodes() > max_nodes:
            raise GraphError(f"the edge list has more than {max_nodes} nodes, the page's limit")
    if G.number_of_edges() == 0:
        raise GraphError("the file has no edges: write one edge per line, e.g. '0,1' or '0 1 2.5'")
    return G


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def prepare(G: nx.Graph, max_nodes: int = MAX_NODES) -> tuple[nx.Graph, list[str]]:
    """Check the limits and relabel 0..n-1. A disconnected graph keeps its largest component (the
    normalised Laplacian would otherwise have one zero eigenvalue per component); the note says so."""
    notes = []
    if G.number_of_nodes() == 0:
        raise GraphError("the graph is empty")
    if G.number_of_nodes() > max_nodes:
        raise GraphError(f"the graph has {G.number_of_nodes()} nodes; the page's limit is {max_nodes}")
    G = nx.Graph(G)
    G.remove_edges_from(list(nx.selfloop_edges(G)))
    if not nx.is_connected(G):
        parts = sorted(nx.connected_components(G), key=len, reverse=True)
        notes.append(f"The graph is disconnected ({len(parts)} components); using its largest component "
                     f"({len(parts[0])} of {G.number_of_nodes()} nodes).")
        G = G.subgraph(parts[0]).copy()
    if G.number_of_nodes() < 3:
        raise GraphError(f"the graph has {G.number_of_nodes()} node(s) in its largest component; at least 3 are needed")
    G = nx.convert_node_labels_to_integers(G, label_attribute="original")
    for _, data in G.nodes(data=True):
        data.setdefault("label", str(data["original"]))
    return G, notes
