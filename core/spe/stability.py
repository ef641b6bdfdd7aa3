"""The perturbation experiment of the SPE page (Huang et al., ICLR 2024, Sec. 3 / Theorem 3.1).

G' has weights W + eps * S for a fixed direction S (a random symmetric re-weighting of the existing
edges with |S|_F = 1, a new edge of weight eps, or one edge shrunk by a factor 1 - eps). Node order is
fixed, so the theorem's P* is the identity and the page reports |PE(G) - PE(G')|_F next to
|L - L'|_F. The whole epsilon sweep is one batch: B = 1 + len(epsilons) graphs, one batched eigh, and
each encoder runs once on the batch.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import networkx as nx
import numpy as np
import torch

from core.device import pick_device
from core.spe.encodings import METHODS, Encoders, canonical_signs, hard_partition, heat_spe, sym_laplacians
from core.spectral import eigengap

KINDS = ("reweight", "add edge", "remove edge")
EPSILONS = np.logspace(-7, np.log10(0.3), 30)   # the sweep's grid (eps <= 0.3 keeps re-weighted edges > 0)
DTYPE = torch.float64                          # float32 round-off (1e-7) would swamp the small-eps end


def adjacency(G: nx.Graph) -> np.ndarray:
    """Weighted adjacency in G's node order; edges without a ``weight`` count as 1."""
    return nx.to_numpy_array(G, weight="weight", dtype=float)


def direction(G: nx.Graph, kind: str, seed: int = 0) -> np.ndarray:
    """The perturbation direction S (n, n), symmetric, so that G' has weights W + eps * S."""
    rng, W = np.random.default_rng(seed), adjacency(G)
    S = np.zeros_like(W)
    edges = np.argwhere(np.triu(W) > 0)
    if kind == "reweight":
        values = rng.standard_normal(len(edges))
        S[edges[:, 0], edges[:, 1]] = values
        return (S + S.T) / np.linalg.norm(S + S.T)
    if kind == "add edge":
        free = np.argwhere(np.triu(W == 0, k=1))
        if len(free) == 0:
            raise ValueError("the graph is complete: there is no edge to add")
        u, v = free[rng.integers(len(free))]
        S[u, v] = S[v, u] = 1.0
        return S
    if kind == "remove edge":
        u, v = edges[rng.integers(len(edges))]
        S[u, v] = S[v, u] = -W[u, v]
        return S
    raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")


def spectra(adjs: np.ndarray, device=None):
    """Batched sym-normalised Laplacians and their eigenpairs, float64: (L, evals, evecs, adj)."""
    adj = torch.as_tensor(adjs, dtype=DTYPE, device=pick_device(device))
    L = sym_laplacians(adj)
    evals, evecs = torch.linalg.eigh(L)
    return L, evals, evecs, adj


@functools.lru_cache(maxsize=8)
def encoders(seed: int, dtype: torch.dtype, device: torch.device) -> Encoders:
    """The seeded, untrained networks (read-only: only ever used under no_grad, so sharing is safe)."""
    return Encoders(seed).to(dtype=dtype, device=device).eval().requires_grad_(False)


def encode_batch(evals, evecs, adj, d: int, seed: int, methods=METHODS) -> dict[str, torch.Tensor]:
    """Every method on the first d eigenpairs of every graph in the batch."""
    nets = encoders(int(seed), evals.dtype, evals.device)
    with torch.no_grad():
        return {m: nets(m, evals[:, :d], evecs[:, :, :d], adj) for m in methods}


@dataclass
class Sweep:
    epsilons: np.ndarray        # (K,)
    delta_L: np.ndarray         # (K,) |L - L'|_F
    delta_pe: dict              # method -> (K,) |PE(G) - PE(G')|_F
    pe_norm: dict               # method -> |PE(G)|_F (to compare methods on one relative scale)
    d: int
    gamma: float                # eigengap lambda_{d+1} - lambda_d of G (inf for the full spectrum)
    device: str = "cpu"         # where the batched eigendecomposition and the encoders ran


def sweep(G: nx.Graph, kind: str = "reweight", d: int | None = None, seed: int = 0, epsilons=EPSILONS,
          methods=METHODS, device=None) -> Sweep:
    """|PE(G) - PE(G + eps S)|_F for every eps and method: one batched computation."""
    W, S = adjacency(G), direction(G, kind, seed)
    eps = np.asarray(epsilons, dtype=float)
    adjs = np.concatenate([W[None], np.clip(W[None] + eps[:, None, None] * S[None], 0, None)])
    L, evals, evecs, adj = spectra(adjs, device)
    n = W.shape[0]
    d = n if d is None else min(int(d), n)
    pes = encode_batch(evals, evecs, adj, d, seed, methods)
    delta = {m: _frobenius(pe[1:] - pe[:1]) for m, pe in pes.items()}
    gamma = eigengap(evals[0].cpu().numpy(), d) if d < n else float("inf")
    norms = {m: float(_frobenius(pe[:1])[0]) for m, pe in pes.items()}
    return Sweep(eps, _frobenius(L[1:] - L[:1]), delta, norms, d, gamma, str(L.device))


def loglog_slope(x: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of log y against log x (1: Lipschitz; 0: a jump that does not shrink)."""
    keep = (np.asarray(y) > 0) & (np.asarray(x) > 0)
    if keep.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(np.asarray(x)[keep]), np.log(np.asarray(y)[keep]), 1)[0])


def _frobenius(x: torch.Tensor) -> np.ndarray:
    return torch.linalg.vector_norm(x.flatten(1), dim=1).cpu().numpy()


@dataclass
class DProfile:
    d: np.ndarray               # 1..n
    gamma: np.ndarray           # lambda_{d+1} - lambda_d (inf at d = n)
    delta: dict                 # method -> (n,) |PE(G) - PE(G')|_F at this d


def d_profile(G: nx.Graph, eps: float, kind: str = "reweight", seed: int = 0, device=None) -> DProfile:
    """|dPE| at one eps for every truncation d = 1..n at once: the batch repeats the pair (G, G') n
    times, and an eigen-mask keeps the first d eigenpairs of copy d (SPE and heat SPE honour it)."""
    W, S = adjacency(G), direction(G, kind, seed)
    _, evals, evecs, adj = spectra(np.stack([W, np.clip(W + eps * S, 0, None)]), device)
    n = W.shape[0]
    keep = (torch.arange(n, device=evals.device)[None] < torch.arange(1, n + 1, device=evals.device)[:, None])
    keep = keep.to(evals.dtype).repeat_interleave(2, 0)                 # (2n, n): copies d = 1, 1, 2, 2, ...
    ev, V, A = evals.repeat(n, 1), evecs.repeat(n, 1, 1), adj.repeat(n, 1, 1)
    nets = encoders(int(seed), evals.dtype, evals.device)
    with torch.no_grad():
        pes = {"spe": nets.spe(ev, V, A, eig_mask=keep), "spe_heat": heat_spe(ev, V, eig_mask=keep),
               "lap_aligned": canonical_signs(V) * keep[:, None, :]}
    delta = {m: _frobenius(pe[1::2] - pe[0::2]) for m, pe in pes.items()}
    lam = evals[0].cpu().numpy()
    gamma = np.array([eigengap(lam, d) for d in range(1, n)] + [np.inf])
    return DProfile(np.arange(1, n + 1), gamma, delta)


@dataclass
class Pair:
    evals: np.ndarray           # (2, n): G, G'
    pe: dict                    # method -> (2, n, p)
    kernels: dict               # channel name -> (2, n, n): V diag(phi(lambda)) V^T for G and G'
    delta_L: float


def kernel_channels(evals: torch.Tensor, seed: int) -> dict[str, torch.Tensor]:
    """phi(lambda) for the heat-map channels: the projector (phi = 1), heat kernels, one MLP phi_l."""
    channels = {"projector V V^T (phi = 1)": torch.ones_like(evals)}
    channels.update({f"heat kernel t = {t:g}": torch.exp(-t * evals) for t in (0.5, 1.0, 2.0, 4.0)})
    nets = encoders(int(seed), evals.dtype, evals.device)
    with torch.no_grad():
        channels["MLP phi_1 (untrained SPE)"] = nets.spe.phi(evals)[..., 0]
    return channels


def pair(G: nx.Graph, eps: float, kind: str = "reweight", d: int | None = None, seed: int = 0,
         device=None) -> Pair:
    """G and one perturbed G' in full: every method's PE and the kernel matrices, for the figures."""
    W, S = adjacency(G), direction(G, kind, seed)
    L, evals, evecs, adj = spectra(np.stack([W, np.clip(W + eps * S, 0, None)]), device)
    d = W.shape[0] if d is None else min(int(d), W.shape[0])
    pes = encode_batch(evals, evecs, adj, d, seed)
    ev, V = evals[:, :d], evecs[:, :, :d]
    kernels = {name: torch.einsum("bid,bd,bjd->bij", V, phi, V).cpu().numpy()
               for name, phi in kernel_channels(ev, seed).items()}
    return Pair(evals.cpu().numpy(), {m: pe.cpu().numpy() for m, pe in pes.items()}, kernels,
                float(_frobenius(L[1:] - L[:1])[0]))


# ----------------------------------------------------------------------------- basis ambiguity

def rotate_within_eigenspaces(evals, evecs, seed: int = 0, decimals: int = 6):
    """V Q with Q block-diagonal: a random orthogonal matrix inside every repeated eigenspace (and a
    random sign on simple ones). Any basis of an eigenspace is an equally valid output of eigh."""
    evals, evecs = torch.as_tensor(evals), torch.as_tensor(evecs)
    rng = np.random.default_rng(seed)
    same = hard_partition(evals[None], decimals)[0].bool().cpu().numpy()
    Q, done = np.zeros((len(evals), len(evals))), np.zeros(len(evals), bool)
    for k in range(len(evals)):
        if not done[k]:
            block = np.flatnonzero(same[k])
            Q[np.ix_(block, block)] = np.linalg.qr(rng.standard_normal((len(block), len(block))))[0]
            done[block] = True
    return evecs @ torch.as_tensor(Q, dtype=evecs.dtype, device=evecs.device)


def rotation_change(G: nx.Graph, d: int | None = None, seed: int = 0, device=None) -> dict[str, float]:
    """|PE(V) - PE(V Q)|_F per method for a random in-eigenspace rotation Q of the same graph."""
    _, evals, evecs, adj = spectra(adjacency(G)[None], device)
    rotated = rotate_within_eigenspaces(evals[0], evecs[0], seed + 1)[None]
    d = evals.shape[1] if d is None else min(int(d), evals.shape[1])
    before = encode_batch(evals, evecs, adj, d, seed)
    after = encode_batch(evals, rotated, adj, d, seed)
    return {m: float(_frobenius(after[m] - before[m])[0]) for m in METHODS}
