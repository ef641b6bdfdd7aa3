"""Cycle counting with and without positional encodings (Huang et al., ICLR 2024, Sec. 5 "counting
substructures"; Sec. 4 / Fig. 2 for the out-of-distribution claim).

The paper's counting data (data.mat of Chen et al. 2020) is a download; this module makes a faithful
offline stand-in: Erdős–Rényi graphs with mean degree 3 and, for every node, the exact number of 3-, 4-,
5- and 6-cycles through it (networkx simple_cycles; node-level targets, as in the I2-GNN counting task the
official count/ folder comes from). Train on small graphs (10-20 nodes), test on more small graphs (in
distribution) and on larger ones (25-40 nodes, out of distribution). A GIN (4 layers, sum pooling)
gets no PE, SignNet or SPE added to its node embedding, as in the official model (pe_aggregate: add).
Metric: MAE over nodes on targets standardised with the training mean and std (the paper's metric).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import torch
from torch import nn

from core.device import pick_device
from core.spe.encodings import SPE, SignNet, mlp, seeded

CYCLE_LENGTHS = (3, 4, 5, 6)
PE_KINDS = ("none", "signnet", "spe")


@dataclass
class GraphSet:
    """Dense, zero-padded tensors for a list of graphs (float32)."""
    adj: torch.Tensor          # (G, N, N)
    evals: torch.Tensor        # (G, N), sym-normalised Laplacian, padded with 0
    evecs: torch.Tensor        # (G, N, N), padded rows/columns 0
    mask: torch.Tensor         # (G, N) 1 on real nodes (and on real eigen-indices: same count)
    counts: torch.Tensor       # (G, N, 4) exact cycle counts through each node, padded with 0
    sizes: np.ndarray          # (G,)

    def __len__(self) -> int:
        return len(self.sizes)

    def batch(self, idx):
        n = int(self.sizes[idx].max())
        return (self.adj[idx, :n, :n], self.evals[idx, :n], self.evecs[idx, :n, :n], self.mask[idx, :n]), \
            self.counts[idx, :n]


def cycle_counts(G: nx.Graph) -> np.ndarray:
    """(n, 4): how many simple cycles of each length in CYCLE_LENGTHS pass through each node."""
    counts = np.zeros((G.number_of_nodes(), len(CYCLE_LENGTHS)))
    column = {k: i for i, k in enumerate(CYCLE_LENGTHS)}
    for cycle in nx.simple_cycles(G, length_bound=max(CYCLE_LENGTHS)):
        if len(cycle) in column:
            counts[cycle, column[len(cycle)]] += 1
    return counts


def make_graphs(count: int, n_range: tuple[int, int], seed: int, mean_degree: float = 3.0) -> GraphSet:
    """``count`` Erdős–Rényi graphs with n uniform in n_range (inclusive), p = mean_degree / (n - 1)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(n_range[0], n_range[1] + 1, size=count)
    N = int(sizes.max())
    adj, evals, evecs, mask = (np.zeros((count, N, N)), np.zeros((count, N)), np.zeros((count, N, N)),
                               np.zeros((count, N)))
    counts = np.zeros((count, N, len(CYCLE_LENGTHS)))
    for g, n in enumerate(sizes):
        G = nx.gnp_random_graph(int(n), mean_degree / (n - 1), seed=int(rng.integers(2**31)))
        A = nx.to_numpy_array(G)
        lam, V = np.linalg.eigh(nx.normalized_laplacian_matrix(G).toarray())
        adj[g, :n, :n], evals[g, :n], evecs[g, :n, :n], mask[g, :n] = A, lam, V, 1
        counts[g, :n] = cycle_counts(G)
    f32 = lambda x: torch.as_tensor(x, dtype=torch.float32)
    return GraphSet(f32(adj), f32(evals), f32(evecs), f32(mask), f32(counts), sizes)


class CycleCounter(nn.Module):
    """GIN (sum aggregation, residual MLP layers, LayerNorm) on constant node features plus an optional
    PE; a head reads the four counts off every node."""

    def __init__(self, pe: str = "spe", hidden: int = 32, layers: int = 4, pe_dim: int = 16):
        super().__init__()
        if pe not in PE_KINDS:
            raise ValueError(f"pe must be one of {PE_KINDS}, got {pe!r}")
        self.pe = {"none": None, "signnet": SignNet(16, pe_dim), "spe": SPE(m=8, hidden=16, p=pe_dim)}[pe]
        # not in the paper (listed on the page): SPE sums over n columns, so its scale grows with n
        self.pe_norm = nn.LayerNorm(pe_dim)
        self.embed = nn.Linear(pe_dim, hidden)
        self.start = nn.Parameter(torch.zeros(hidden))
        self.layers = nn.ModuleList(mlp([hidden, hidden, hidden]) for _ in range(layers))
        self.norms = nn.ModuleList(nn.LayerNorm(hidden) for _ in range(layers))
        self.head = mlp([hidden, hidden, len(CYCLE_LENGTHS)])

    def forward(self, adj, evals, evecs, mask):
        h = self.start.expand(*mask.shape, -1)
        if self.pe is not None:
            h = h + self.embed(self.pe_norm(self.pe(evals, evecs, adj, eig_mask=mask, node_mask=mask)))
        h = h * mask[..., None]
        for layer, norm in zip(self.layers, self.norms):
            h = norm(h + layer(h + adj @ h)) * mask[..., None]
        return self.head(h)


@dataclass
class CountResult:
    pe: str
    seed: int
    epochs: int
    train_mae: list = field(default_factory=list)    # per epoch, standardised targets
    id_mae: list = field(default_factory=list)       # per epoch, test graphs of the training sizes
    ood_mae: list = field(default_factory=list)      # per epoch, larger test graphs
    id_per_cycle: list = field(default_factory=list)   # final MAE per cycle length
    ood_per_cycle: list = field(default_factory=list)
    params: int = 0
    seconds: float = 0.0


def _node_errors(model, inputs, counts, mean, std):
    """|prediction - standardised target| on the real nodes: (nodes, 4)."""
    mask = inputs[-1].bool()
    return (model(*inputs) - (counts - mean) / std)[mask].abs()


def _mae(model, data: GraphSet, mean, std, batch_size=128) -> np.ndarray:
    """Per-target MAE over all nodes, standardised targets: (4,)."""
    model.eval()
    errors = []
    with torch.no_grad():
        for start in range(0, len(data.sizes), batch_size):
            inputs, counts = data.batch(np.arange(start, min(start + batch_size, len(data.sizes))))
            errors.append(_node_errors(model, [t.to(mean.device) for t in inputs], counts.to(mean.device), mean, std))
    model.train()
    return torch.cat(errors).mean(0).cpu().numpy()


def train(pe: str, train_set: GraphSet, id_set: GraphSet, ood_set: GraphSet, epochs: int = 40, seed: int = 0,
          lr: float = 3e-3, batch_size: int = 32, progress=None, device=None) -> tuple[CountResult, CycleCounter]:
    """Adam on the L1 loss of standardised counts; evaluates ID and OOD MAE after every epoch."""
    dev = pick_device(device)
    model = seeded(lambda: CycleCounter(pe), seed, dev)
    real = train_set.counts[train_set.mask.bool()]                   # (nodes, 4)
    mean, std = real.mean(0).to(dev), real.std(0).clamp_min(1e-6).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    rng = np.random.default_rng(seed)
    result = CountResult(pe, seed, epochs, params=sum(p.numel() for p in model.parameters()))
    start = time.perf_counter()
    for epoch in range(epochs):
        order, total = rng.permutation(len(train_set.sizes)), 0.0
        for s in range(0, len(order), batch_size):
            idx = np.sort(order[s:s + batch_size])
            inputs, counts = train_set.batch(idx)
            loss = _node_errors(model, [t.to(dev) for t in inputs], counts.to(dev), mean, std).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        result.train_mae.append(total / len(order))
        id_err, ood_err = _mae(model, id_set, mean, std), _mae(model, ood_set, mean, std)
        result.id_mae.append(float(id_err.mean()))
        result.ood_mae.append(float(ood_err.mean()))
        if progress is not None:
            progress((epoch + 1) / epochs)
    result.id_per_cycle, result.ood_per_cycle = id_err.tolist(), ood_err.tolist()
    result.seconds = time.perf_counter() - start
    return result, model


SHIPPED = dict(n_train=600, n_id=200, n_ood=200, train_sizes=(10, 20), ood_sizes=(25, 40), epochs=40,
               seeds=(0, 1, 2))   # scripts/train_spe.py -> assets/spe/count_results.json
LIVE = dict(n_train=200, n_id=80, n_ood=60, train_sizes=(10, 20), ood_sizes=(25, 40), epochs=12, seeds=(0,))


def datasets(config: dict, data_seed: int = 0) -> tuple[GraphSet, GraphSet, GraphSet]:
    """Train / in-distribution test / out-of-distribution (larger graphs) test sets."""
    return (make_graphs(config["n_train"], config["train_sizes"], data_seed),
            make_graphs(config["n_id"], config["train_sizes"], data_seed + 1),
            make_graphs(config["n_ood"], config["ood_sizes"], data_seed + 2))


def compare(config: dict, progress=None, device=None) -> list[CountResult]:
    """Train every PE kind for every seed of ``config`` on the same data; progress in 0..1 overall."""
    sets = datasets(config)
    runs = [(pe, seed) for seed in config["seeds"] for pe in PE_KINDS]
    results = []
    for i, (pe, seed) in enumerate(runs):
        step = (lambda f, i=i: progress((i + f) / len(runs))) if progress else None
        results.append(train(pe, *sets, epochs=config["epochs"], seed=seed, progress=step, device=device)[0])
    return results


def summary(results: list) -> list[dict]:
    """One row per PE kind: final MAE (mean and std over seeds) in and out of distribution, per cycle."""
    rows = []
    for pe in PE_KINDS:
        runs = [r for r in results if (r["pe"] if isinstance(r, dict) else r.pe) == pe]
        runs = [r if isinstance(r, dict) else r.__dict__ for r in runs]
        if not runs:
            continue
        row = {"PE": pe, "seeds": len(runs), "params": runs[0]["params"]}
        for split in ("id", "ood"):
            final = np.array([r[f"{split}_mae"][-1] for r in runs])
            row[f"{split} MAE"], row[f"{split} MAE std"] = float(final.mean()), float(final.std())
            per_cycle = np.array([r[f"{split}_per_cycle"] for r in runs]).mean(0)
            row.update({f"{split} {k}-cycles": float(v) for k, v in zip(CYCLE_LENGTHS, per_cycle)})
        rows.append(row)
    return rows
