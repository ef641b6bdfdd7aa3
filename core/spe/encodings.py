"""Laplacian positional encodings, batched over graphs: raw / sign-aligned eigenvectors, SignNet,
BasisNet (hard partition), SPE (Huang et al., ICLR 2024, Eq. 2: learned phi) and heat-kernel SPE.

Shapes: ``evals`` (B, d), ``evecs`` (B, n, d), ``adj`` (B, n, n) weighted adjacency, optional masks
``eig_mask`` (B, d) and ``node_mask`` (B, n) for zero-padded batches (training). Every encoder returns
(B, n, p). The networks are small, dense and seeded from a private generator; the perturbation demo uses
them untrained (the scaling of |dPE| with epsilon is the point, not the values), training reuses them.

Written by hand because no maintained library has SPE, SignNet or BasisNet (see the page's notes); the
official code (Graph-COM/SPE) has no licence, so nothing is copied. Naming follows the paper, not the
code: phi_l acts on eigenvalues, rho on the n x n x m tensor (the code calls them psi and phi).
"""
from __future__ import annotations

import math

import torch
from torch import nn

METHODS = ("lap", "lap_aligned", "signnet", "basisnet", "spe", "spe_heat")
LABELS = {"lap": "LapPE (raw eigenvectors)", "lap_aligned": "LapPE, sign-aligned", "signnet": "SignNet",
          "basisnet": "BasisNet (hard partition)", "spe": "SPE (MLP phi)", "spe_heat": "SPE (heat phi)"}
HEAT_TIMES = (0.5, 1.0, 2.0, 4.0)   # phi_l(lambda) = exp(-t_l lambda): the closed-form SPE
BASIS_DECIMALS = 5                  # the official get_projections rounds eigenvalues to 5 decimals


# ----------------------------------------------------------------------------- spectra, batched

def sym_laplacians(adj: torch.Tensor) -> torch.Tensor:
    """I - D^-1/2 A D^-1/2 for a batch of weighted adjacencies (networkx's convention: an isolated
    node gets a zero row, so padded nodes stay zero)."""
    deg = adj.sum(-1)
    has_edges = deg > 0
    inv_sqrt = torch.where(has_edges, deg.clamp_min(1e-300).rsqrt(), torch.zeros_like(deg))
    return torch.diag_embed(has_edges.to(adj.dtype)) - inv_sqrt[..., :, None] * adj * inv_sqrt[..., None, :]


def canonical_signs(evecs: torch.Tensor) -> torch.Tensor:
    """Flip each eigenvector so its largest-|.| entry is positive (core.spectral's rule, batched)."""
    rows = evecs.abs().argmax(-2, keepdim=True)
    signs = torch.gather(evecs, -2, rows).sign()
    return evecs * torch.where(signs == 0, torch.ones_like(signs), signs)


def hard_partition(evals: torch.Tensor, decimals: int = BASIS_DECIMALS) -> torch.Tensor:
    """(B, d, d) 0/1: eigen-indices k, l share an eigenspace iff their eigenvalues agree after
    rounding (BasisNet's hard partition; a split of 1e-5 re-groups them)."""
    rounded = torch.round(evals, decimals=decimals)
    return (rounded[..., :, None] == rounded[..., None, :]).to(evals.dtype)


def weighted_outer(evecs: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """V diag(phi_l(lambda)) V^T for every channel l: (B, n, d) x (B, d, m) -> (B, n, n, m)."""
    return torch.einsum("bid,bdm,bjd->bijm", evecs, weights, evecs)


# ----------------------------------------------------------------------------- building blocks

def _draw(weight: torch.Tensor, bias: torch.Tensor, gen: torch.Generator) -> None:
    """He-normal weight (fan-in = last dim), PyTorch-style uniform bias, from a private generator."""
    fan_in = weight.shape[-1]
    weight.copy_(torch.randn(weight.shape, generator=gen, dtype=weight.dtype) * math.sqrt(2 / fan_in))
    bias.copy_((torch.rand(bias.shape, generator=gen, dtype=bias.dtype) * 2 - 1) / math.sqrt(fan_in))


def reinit(module: nn.Module, gen: torch.Generator) -> nn.Module:
    """Redraw every parameter from ``gen`` (the global RNG, shared by sessions, stays untouched).

    Biases must be non-zero: a bias-free ReLU MLP of a scalar is linear on lambda > 0, which would
    make every phi_l a multiple of lambda. Parameters of other modules start at 0 (LayerNorm at 1/0)."""
    with torch.no_grad():
        for p in module.parameters():
            p.zero_()
        for sub in module.modules():
            if isinstance(sub, nn.Linear):
                _draw(sub.weight, sub.bias, gen)
            elif isinstance(sub, ElementwisePhi):
                for w, b in zip(sub.weight, sub.bias):
                    _draw(w, b, gen)
            elif isinstance(sub, nn.LayerNorm):
                sub.reset_parameters()
    return module


def seeded(factory, seed: int, device=None) -> nn.Module:
    """``factory()`` built on the meta device (so PyTorch's default init draws nothing from the global
    RNG), then materialised on ``device`` and drawn from a generator seeded with ``seed``."""
    with torch.device("meta"):
        module = factory()
    return reinit(module.to_empty(device="cpu"), torch.Generator().manual_seed(int(seed))).to(device or "cpu")


def mlp(sizes: list[int]) -> nn.Sequential:
    layers = []
    for i in range(len(sizes) - 1):
        layers += [nn.Linear(sizes[i], sizes[i + 1]), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


class ElementwisePhi(nn.Module):
    """m independent MLPs 1 -> h -> h -> 1, each applied to every eigenvalue (the official MLP psi).

    Stored as grouped weights so all m channels run in one einsum."""

    def __init__(self, m: int = 16, hidden: int = 16):
        super().__init__()
        shapes = [(m, hidden, 1), (m, hidden, hidden), (m, 1, hidden)]
        self.weight = nn.ParameterList([nn.Parameter(torch.empty(s)) for s in shapes])
        self.bias = nn.ParameterList([nn.Parameter(torch.empty(s[:2])) for s in shapes])

    def forward(self, evals: torch.Tensor) -> torch.Tensor:      # (B, d) -> (B, d, m)
        x = evals[..., None, None].expand(*evals.shape, self.weight[0].shape[0], 1)
        for i, (w, b) in enumerate(zip(self.weight, self.bias)):
            x = torch.einsum("...mi,moi->...mo", x, w) + b
            x = torch.relu(x) if i < len(self.weight) - 1 else x
        return x[..., 0]


class DenseGIN(nn.Module):
    """GIN-0 layers on a dense (weighted) adjacency: h <- Linear(h + A h), ReLU between layers.

    Message passing runs along dim 1 (nodes); any dims between nodes and features ride along, which
    lets SPE's rho treat each column W[:, j, :] as its own node signal."""

    def __init__(self, sizes: list[int]):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, h: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            h = layer(h + (adj @ h.flatten(2)).view_as(h))   # A h on the node dim, as one batched matmul
            h = torch.relu(h) if i < len(self.layers) - 1 else h
        return h


# ----------------------------------------------------------------------------- the encoders

class SPE(nn.Module):
    """SPE(V, lambda) = rho(V diag(phi_1(lambda)) V^T, ..., V diag(phi_m(lambda)) V^T).

    rho = the official GINPhi: a GIN over the graph on every column j of the n x n x m tensor,
    then a sum over j. Basis-invariant because V diag(phi(lambda)) V^T = sum_i phi(lambda_i) v_i v_i^T;
    stable because phi is continuous, so close eigenvalues get close weights (the soft partition)."""

    def __init__(self, m: int = 16, hidden: int = 16, p: int = 8, rho_layers: int = 2):
        super().__init__()
        self.phi = ElementwisePhi(m, hidden)
        self.rho = DenseGIN([m] + [hidden] * (rho_layers - 1) + [p])

    def matrices(self, evals, evecs, eig_mask=None):
        weights = self.phi(evals)
        if eig_mask is not None:
            weights = weights * eig_mask[..., None]   # padded eigenvalues (0) would look like lambda_1
        return weighted_outer(evecs, weights)

    def forward(self, evals, evecs, adj, eig_mask=None, node_mask=None):
        h = self.rho(self.matrices(evals, evecs, eig_mask), adj)      # (B, n, n, p)
        if node_mask is not None:
            h = h * node_mask[:, None, :, None]
        return h.sum(2)


class SignNet(nn.Module):
    """rho(sum_i phi(v_i, lambda_i) + phi(-v_i, lambda_i)), phi a GIN over the graph.

    Sign-invariant, but not invariant to rotations inside a repeated eigenspace (phi is non-linear),
    and as unstable as the eigenvectors it reads. The sum over i (a DeepSets rho) replaces the official
    concatenation so one network serves every graph size."""

    def __init__(self, hidden: int = 16, p: int = 8):
        super().__init__()
        self.phi = DenseGIN([2, hidden, hidden])
        self.rho = mlp([hidden, hidden, p])

    def forward(self, evals, evecs, adj, eig_mask=None, node_mask=None):
        lam = evals[:, None, :].expand_as(evecs)
        h = sum(self.phi(torch.stack([s * evecs, lam], -1), adj) for s in (1, -1))   # (B, n, d, h)
        if eig_mask is not None:
            h = h * eig_mask[:, None, :, None]
        return self.rho(h.sum(2))


class BasisNetHard(nn.Module):
    """BasisNet with the official hard partition: eigenspaces = eigenvalues equal to 5 decimals.

    Per eigenspace projector P = V_i V_i^T it reads the basis of linear 2 -> 1 IGN maps, [diag P,
    P 1, tr P, 1^T P 1], plus lambda (one network for all multiplicities instead of one IGN each);
    each eigen-index carries its eigenspace's features, summed over indices, then rho."""

    def __init__(self, hidden: int = 16, p: int = 8):
        super().__init__()
        self.phi = mlp([5, hidden, hidden])
        self.rho = mlp([hidden, hidden, p])

    def forward(self, evals, evecs, adj=None, eig_mask=None, node_mask=None):
        same = hard_partition(evals)
        if eig_mask is not None:
            same = same * eig_mask[:, :, None] * eig_mask[:, None, :]
        col_sums = evecs.sum(1)                                             # v_l^T 1
        diag = torch.einsum("bil,bkl->bik", evecs ** 2, same)              # diag P_k
        row_sums = torch.einsum("bil,bkl,bl->bik", evecs, same, col_sums)  # P_k 1
        per_space = torch.stack([same.sum(-1), torch.einsum("bkl,bl->bk", same, col_sums ** 2), evals], -1)
        # (B, d, 3) per eigenspace: tr P, 1^T P 1, lambda; broadcast to every node -> (B, n, d, 5)
        feats = torch.cat([diag[..., None], row_sums[..., None], per_space[:, None].expand(*diag.shape, 3)], -1)
        h = self.phi(feats)
        if eig_mask is not None:
            h = h * eig_mask[:, None, :, None]
        return self.rho(h.sum(2))


def heat_spe(evals, evecs, times=HEAT_TIMES, eig_mask=None):
    """Training-free SPE: phi_l(lambda) = exp(-t_l lambda); readout [diag W_l, W_l 1] -> (B, n, 2m).

    With the full spectrum W_l is the heat kernel expm(-t_l L)."""
    t = torch.tensor(times, dtype=evals.dtype, device=evals.device)
    weights = torch.exp(-evals[..., None] * t)
    if eig_mask is not None:
        weights = weights * eig_mask[..., None]
    W = weighted_outer(evecs, weights)
    return torch.cat([torch.diagonal(W, dim1=1, dim2=2).transpose(1, 2), W.sum(2)], -1)


class Encoders(nn.Module):
    """The three networks (SignNet, BasisNet, SPE), seeded; the other methods have no parameters."""

    def __init__(self, seed: int = 0, p: int = 8, m: int = 16, hidden: int = 16):
        super().__init__()
        self.signnet = seeded(lambda: SignNet(hidden, p), seed)
        self.basisnet = seeded(lambda: BasisNetHard(hidden, p), seed + 1)
        self.spe = seeded(lambda: SPE(m, hidden, p), seed + 2)

    def forward(self, method: str, evals, evecs, adj) -> torch.Tensor:
        if method == "lap":
            return evecs
        if method == "lap_aligned":
            return canonical_signs(evecs)
        if method == "spe_heat":
            return heat_spe(evals, evecs)
        if method in ("signnet", "basisnet", "spe"):
            return getattr(self, method)(evals, evecs, adj)
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
